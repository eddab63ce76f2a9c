"""Run plans (plan.py, runner.run_plan): phases of suites on targets into one
run directory and one report, on the fake target."""
from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Iterator

import pytest

from smmu_hil_lab import plan, report

from test_plugin import fake_target, two_suites  # noqa: F401 - fixture

_ = fake_target
REPO = Path(__file__).resolve().parents[2]


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


SUITE_MODULES = ("test_alpha", "test_beta")


def forget_suites() -> None:
    """Drop the fake suites' modules: a later session imports them afresh."""
    for mod in SUITE_MODULES:
        sys.modules.pop(mod, None)


@pytest.fixture
def plan_suites(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                fake_target: None) -> Iterator[Path]:  # noqa: F811
    """The runner on test_plugin's two fake suites (alpha, beta) under
    @tmp_path on the fake target; yields their scenario directory."""
    from smmu_hil_lab import paths, runner
    suites, scen = two_suites(tmp_path)
    monkeypatch.setattr(runner, "SUITES", suites)
    monkeypatch.setattr(paths, "SCENARIOS", scen)
    forget_suites()
    yield scen
    forget_suites()      # later tests import suites of the same module names


def test_nightly_plan_is_valid() -> None:
    p = plan.load(REPO / "lab" / "plans" / "nightly.yaml")
    assert [ph.suites for ph in p.phases] == [["smoke", "transitions", "liveupdate", "bugs"], ["lab"]]
    assert p.phases[0].inventory is None
    # the raw scenarios on the virtio devices are the full plan's
    assert p.phases[0].pytest_args() == ["-k", "not (raw and virtio) and not evtmon_cost"]
    assert p.phases[0].env == {"SMMU_HIL_ITERATIONS": "2"}
    assert p.phases[1].inventory == (REPO / "lab" / "inventory" / "emulated-ssh.yaml")


def test_full_plan_is_valid() -> None:
    p = plan.load(REPO / "lab" / "plans" / "full.yaml")
    assert [ph.suites for ph in p.phases] == [["smoke", "transitions", "liveupdate", "bugs"], ["lab"],
                                              ["liveupdate"]]
    assert all(ph.select == "" for ph in p.phases)
    assert p.phases[0].env == {}             # the scenario's 10 iterations
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
    ("phases: [{suites: [a], env: {DUT_KERNEL: 6.10}}]\n",
     r"env.DUT_KERNEL: 6.1 is a YAML number; quote it"),
    ("phases: [{suites: [a], env: {X: [1]}}]\n", r"env.X: a string"),
    ("phases: [{suites: [a], setup: []}]\n", r"setup: an empty command"),
    ("phases: [{suites: [a], setup: ''}]\n", r"setup: an empty command"),
    ("phases: [{suites: [a], setup: {make: 1}}]\n", r"setup: a command"),
    ("phases: [{suites: [a], setup: [make, [x]]}]\n", r"setup: a command"),
    ("phases: [{suites: [a], setup: 'make \"modules'}]\n", r"setup: No closing quotation"),
    ("phases: [{suites: [a], setup: [make, 'K=${DUT_KERNEL}']}]\n",
     r"names DUT_KERNEL, not in this phase's env"),
    ("phases: [{suites: [a], env: {A: b}, setup: [make, 'cost=$5']}]\n",
     r"write \$\{NAME\} \(and \$\$ for a \$\)"),
    ("phases: [{suites: [a], select: ''}]\n", r"select: a pytest -k expression"),
    ("phases: [{suites: [a], select: [x]}]\n", r"select: a pytest -k expression"),
    ("phases: [{suites: [a], select: 'not (virtio'}]\n",
     r"select: 'not \(virtio' is not a pytest -k expression"),
])
def test_bad_plans_are_refused(tmp_path: Path, text: str, error: str) -> None:
    with pytest.raises(plan.PlanError, match=error):
        plan.load(write(tmp_path / "p.yaml", text))


def test_matrix_plan_runs_five_combinations() -> None:
    p = plan.load(REPO / "lab" / "plans" / "matrix.yaml")
    assert p.name == "matrix"
    combos = [(ph.env["DUT_KERNEL"], ph.env["SMMU_HIL_SMMU_MODEL"]) for ph in p.phases]
    assert combos == [("7.x", "nested"), ("7.x", "s1"), ("7.x", "s2"), ("6.12", "nested"),
                      ("6.1", "s1")]
    for ph, (kernel, model) in zip(p.phases, combos):
        assert ph.suites == ["transitions"] and ph.target is None and ph.inventory is None
        # the suffix the comparison table reads back, and modules for that kernel
        assert ph.name_suffix == f"[{kernel},{model}]"
        assert ph.setup_argv()[-2:] == ["modules", f"DUT_KERNEL={kernel}"]


def test_setup_string_and_env_values() -> None:
    from smmu_hil_lab.plan import _phase
    ph = _phase(Path("p.yaml"), 0, {"suites": ["a"], "env": {"K": "6.12", "N": 3},
                                     "setup": "make 'two words' K=${K} cost=$$5 ${N}"})
    assert ph.env == {"K": "6.12", "N": "3"}
    assert ph.setup == ["make", "two words", "K=${K}", "cost=$$5", "${N}"]
    assert ph.setup_argv() == ["make", "two words", "K=6.12", "cost=$5", "3"]
    assert _phase(Path("p.yaml"), 0, {"suites": ["a"]}).setup_argv() == []


def test_select_is_the_phases_k_expression() -> None:
    from smmu_hil_lab.plan import _phase
    ph = _phase(Path("p.yaml"), 0, {"suites": ["a"], "select": "not virtio and not dwell"})
    assert ph.pytest_args() == ["-k", "not virtio and not dwell"]
    assert _phase(Path("p.yaml"), 0, {"suites": ["a"]}).pytest_args() == []


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
                                          plan_suites: Path) -> None:
    from smmu_hil_lab import runner
    monkeypatch.delenv("SHL_PLAN_PROBE", raising=False)
    p = write(tmp_path / "p.yaml", "name: two-phase\nphases:\n"
              "  - {suites: [alpha], target: fake}\n"
              "  - {suites: [beta, alpha], target: fake, name_suffix: '@again',\n"
              "     env: {SHL_PLAN_PROBE: '1'}}\n")
    rc, run_dir = runner.run_plan(p, tmp_path / "results")
    recorded = (run_dir / "results.jsonl").read_text()
    forget_suites()
    # resuming the finished plan run runs nothing again
    rc2, again = runner.run_plan(p, tmp_path / "results", resume=run_dir)
    assert again == run_dir and rc2 == rc
    assert (run_dir / "results.jsonl").read_text() == recorded
    # junit.xml still has every test (the resumed sessions ran none)
    cases = [c.get("name") for c in ET.parse(run_dir / "junit.xml").getroot().iter(
        "testcase")]
    assert len(cases) == 5
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


def test_a_phases_select_runs_only_its_tests(tmp_path: Path, plan_suites: Path) -> None:
    from smmu_hil_lab import runner
    (plan_suites / "beta" / "b-orphan.yaml").unlink()
    p = write(tmp_path / "p.yaml", "phases:\n"
              "  - {suites: [alpha, beta], target: fake, select: 'not a_two'}\n"
              "  - {suites: [alpha], target: fake, name_suffix: '@2', select: a_two}\n")
    rc, run_dir = runner.run_plan(p, tmp_path / "results")
    doc = json.loads((run_dir / "report.json").read_text())
    # a deselected test is neither run nor taken for a scenario without a test
    assert [t["name"] for t in doc["tests"]] == ["a-one", "b-one", "a-two@2"]
    assert rc == 0 and doc["summary"] == {"pass": 3, "fail": 0, "skip": 0}


def test_phase_setup_runs_first_and_a_failed_one_is_a_failed_test(
        tmp_path: Path, plan_suites: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Phase 1's set-up sees its env and runs before its suite; phase 2's
    fails: its suite does not run, setup[SUFFIX] fails with the exit status
    and the output's tail; phase 3 runs. Resumed once the set-up works, the
    set-up's record passes and phase 2's suite runs."""
    import os
    from smmu_hil_lab import runner
    seen, gate = tmp_path / "seen.txt", tmp_path / "broken"
    gate.write_text("")
    step = (f"import os, sys; open({str(seen)!r}, 'a').write(sys.argv[1] + ' ' + "
            f"os.environ['SHL_K'] + chr(10)); print('building for', sys.argv[1]); "
            f"sys.exit(3 if sys.argv[1] == 'two' and os.path.exists({str(gate)!r}) else 0)")
    p = write(tmp_path / "p.yaml", "phases:\n" + "".join(
        f"  - {{suites: [{suite}], target: fake, name_suffix: '[{k},m]', env: {{SHL_K: '{k}'}},\n"
        f"     setup: [{sys.executable}, -c, {json.dumps(step)}, '${{SHL_K}}']}}\n"
        for suite, k in (("alpha", "one"), ("beta", "two"), ("alpha", "three"))))
    rc, run_dir = runner.run_plan(p, tmp_path / "results")
    doc = json.loads((run_dir / "report.json").read_text())
    by_name = {t["name"]: t for t in doc["tests"]}
    assert seen.read_text() == "one one\ntwo two\nthree three\n"   # each phase's env
    assert rc == 1 and "SHL_K" not in os.environ
    assert set(by_name) == {"a-one[one,m]", "a-two[one,m]", "setup[two,m]",
                            "a-one[three,m]", "a-two[three,m]"}
    broken = by_name["setup[two,m]"]
    assert broken["status"] == "fail"
    assert "exited 3; the phase's suites did not run (output: setup-2.log)" in \
        broken["reason"]
    assert broken["reason"].endswith("building for two")
    assert (run_dir / "setup-2.log").read_text() == "building for two\n"
    assert "building for one" in capsys.readouterr().out      # echoed as it runs
    cases = [c.get("name") for c in ET.parse(run_dir / "junit.xml").getroot().iter(
        "testcase")]
    assert "setup[two,m]" in cases
    forget_suites()
    gate.unlink()                          # fixed: resume the run
    rc2, _ = runner.run_plan(p, tmp_path / "results", resume=run_dir)
    doc = json.loads((run_dir / "report.json").read_text())
    by_name = {t["name"]: t for t in doc["tests"]}
    assert by_name["setup[two,m]"]["status"] == "pass"
    assert by_name["b-one[two,m]"]["status"] == "pass"
    assert rc2 == 1                                      # b-orphan still fails
    # (dut_kernels: the release each test names, once the plugin records it)
    assert [{k: v for k, v in c.items() if k != "dut_kernels"} for c in doc["combinations"]] == [
        {"kernel": k, "smmu_model": "m", "pass": n, "fail": 0, "skip": 0}
        for k, n in (("one", 2), ("two", 2), ("three", 2))]
    assert all(isinstance(c["dut_kernels"], list) for c in doc["combinations"])


def test_a_setup_that_cannot_start(tmp_path: Path, plan_suites: Path) -> None:
    from smmu_hil_lab import runner
    p = write(tmp_path / "p.yaml", "phases:\n  - {suites: [alpha], target: fake, "
              f"setup: [{tmp_path}/no-such-program]}}\n")
    rc, run_dir = runner.run_plan(p, tmp_path / "results")
    doc = json.loads((run_dir / "report.json").read_text())
    assert rc == 1 and [t["name"] for t in doc["tests"]] == ["setup-phase-1"]
    assert "no-such-program` did not start: [Errno 2]" in doc["tests"][0]["reason"]
    assert (run_dir / "report.html").exists()
