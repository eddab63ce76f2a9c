"""Run plans (plan.py, runner.run_plan): phases of suites on targets into one
run directory and one report, on the fake target."""
from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from smmu_hil_lab import plan, report

from test_plugin import fake_target, two_suites  # noqa: F401 - fixture

_ = fake_target
REPO = Path(__file__).resolve().parents[2]


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_nightly_plan_is_valid() -> None:
    p = plan.load(REPO / "lab" / "plans" / "nightly.yaml")
    assert [ph.suites for ph in p.phases] == [["smoke", "transitions", "liveupdate"], ["lab"],
                                              ["liveupdate"]]
    assert p.phases[0].inventory is None
    assert p.phases[1].inventory == (REPO / "lab" / "inventory" / "emulated-ssh.yaml")
    assert p.phases[2].name_suffix == "@ssh" and p.phases[2].env == {"SMMU_HIL_ITERATIONS": "3"}


@pytest.mark.parametrize("text, error", [
    ("[1, 2]\n", "must be a mapping"),
    ("name: x\n", "`phases` must be a non-empty list"),
    ("phases: []\n", "`phases` must be a non-empty list"),
    ("phases: [{suites: []}]\n", r"phases\[0\].suites: a non-empty list"),
    ("phases: [{suites: [a], colour: red}]\n", r"phases\[0\]: unknown key\(s\) colour"),
    ("phases: [{suites: [a], target: serial}]\n", "target: one of .*not 'serial'"),
    ("phases: [{suites: [a], inventory: nope.yaml}]\n", "nope.yaml does not exist"),
    ("phases: [{suites: [a], env: [1]}]\n", "env: a mapping"),
    ("phases: [{suites: [a]}, {suites: [a]}]\n", "suite\\(s\\) a run twice"),
    ("phases: [{suites: [a]\n", "not YAML"),
    ("phases: [{suites: [a]}]\ncolour: red\n", r"unknown key\(s\) colour"),
])
def test_bad_plans_are_refused(tmp_path: Path, text: str, error: str) -> None:
    with pytest.raises(plan.PlanError, match=error):
        plan.load(write(tmp_path / "p.yaml", text))


def test_missing_plan_file(tmp_path: Path) -> None:
    with pytest.raises(plan.PlanError, match="cannot read: No such file"):
        plan.load(tmp_path / "absent.yaml")


def test_merge_junit_keeps_every_suite_and_the_latest_case(tmp_path: Path) -> None:
    a = write(tmp_path / "a.xml", '<testsuites><testsuite name="one" tests="2" failures="1">'
              '<testcase name="x"/><testcase name="w"><failure message="old"/></testcase>'
              '</testsuite></testsuites>')
    b = write(tmp_path / "b.xml", '<testsuite name="two" tests="3"><testcase name="y"/>'
              '<testcase name="z"><failure message="m"/></testcase>'
              '<testcase name="w"><skipped message="s"/></testcase></testsuite>')
    empty = write(tmp_path / "c.xml", '<testsuites><testsuite name="three" tests="0"/>'
                  '</testsuites>')
    report.merge_junit([a, b, empty], tmp_path / "junit.xml")
    root = ET.parse(tmp_path / "junit.xml").getroot()
    assert root.tag == "testsuites"
    assert [s.get("name") for s in root] == ["one", "two"]      # the empty one dropped
    assert [c.get("name") for c in root.iter("testcase")] == ["x", "y", "z", "w"]
    one, two = root
    assert (one.get("tests"), one.get("failures")) == ("1", "0")   # w moved on
    assert (two.get("tests"), two.get("failures"), two.get("skipped")) == ("3", "1", "1")
    assert [p.name for p in report.session_junit_files(tmp_path)] == []
    for n in (10, 2, 1):
        write(tmp_path / f"junit-{n}.xml", "<testsuites/>")
    write(tmp_path / "junit-x.xml", "<testsuites/>")
    assert [p.name for p in report.session_junit_files(tmp_path)] == \
        ["junit-1.xml", "junit-2.xml", "junit-10.xml"]


def test_plan_runs_phases_into_one_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          fake_target: None) -> None:  # noqa: F811
    from smmu_hil_lab import paths, runner
    suites, scen = two_suites(tmp_path)
    monkeypatch.setattr(runner, "SUITES", suites)
    monkeypatch.setattr(paths, "SCENARIOS", scen)
    for mod in ("test_alpha", "test_beta"):
        monkeypatch.delitem(sys.modules, mod, raising=False)
    monkeypatch.delenv("SHL_PLAN_PROBE", raising=False)
    p = write(tmp_path / "p.yaml", "name: two-phase\nphases:\n"
              "  - {suites: [alpha], target: fake}\n"
              "  - {suites: [beta, alpha], target: fake, name_suffix: '@again',\n"
              "     env: {SHL_PLAN_PROBE: '1'}}\n")
    try:
        rc, run_dir = runner.run_plan(p, tmp_path / "results")
        recorded = (run_dir / "results.jsonl").read_text()
        for mod in ("test_alpha", "test_beta"):
            sys.modules.pop(mod, None)
        # resuming the finished plan run runs nothing again
        rc2, again = runner.run_plan(p, tmp_path / "results", resume=run_dir)
        assert again == run_dir and rc2 == rc
        assert (run_dir / "results.jsonl").read_text() == recorded
        # junit.xml still has every test (the resumed sessions ran none)
        cases = [c.get("name") for c in ET.parse(run_dir / "junit.xml").getroot().iter(
            "testcase")]
        assert len(cases) == 5
    finally:   # later tests import suites of the same module names
        for mod in ("test_alpha", "test_beta"):
            sys.modules.pop(mod, None)
    doc = json.loads((run_dir / "report.json").read_text())
    names = [t["name"] for t in doc["tests"]]
    assert names[:2] == ["a-one", "a-two"]
    assert set(names[2:]) == {"b-one@again", "a-one@again", "a-two@again", "b-orphan"}
    assert doc["target"] == "fake" and rc == 1          # the orphan fails
    assert "SHL_PLAN_PROBE" not in __import__("os").environ   # phase env restored
    junit = ET.parse(run_dir / "junit.xml").getroot()
    cases = [c.get("name") for c in junit.iter("testcase")]
    assert len(junit.findall("testsuite")) == 2 and len(cases) == 5
    assert "\n1..6\n" in (run_dir / "ktap.log").read_text()
    assert (run_dir / "report.html").exists() and (run_dir / "kcidb.json").exists()
