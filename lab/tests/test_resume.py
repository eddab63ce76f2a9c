"""Results appended as JSON lines while the run goes (results.jsonl) and
--resume: a killed run continues where it stopped, on the fake target."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from smmu_hil_lab.pytest_plugin import append_result, read_results
from smmu_hil_lab.report import TestResult

from test_plugin import fake_target, run_suite, two_suites  # noqa: F401 - fixture

_ = fake_target


def lines(path: Path) -> list[dict]:
    return [json.loads(ln) for ln in path.read_text().splitlines()]


def test_each_finished_test_is_a_json_line(pytester: pytest.Pytester,
                                           fake_target: None) -> None:  # noqa: F811
    run_dir, _ = run_suite(pytester)
    recs = lines(run_dir / "results.jsonl")
    assert [r["name"] for r in recs] == ["ok-one", "needs-s2", "wrong", "hangs",
                                         "after-hang", "broken"]
    assert recs[0] == {"name": "ok-one", "status": "pass", "duration_s": recs[0]["duration_s"],
                       "reason": "", "metrics": {"count": 3, "boot_s": 1.25},
                       "dut_kernel": "fake-6.1", "smmu_model": "s1",
                       "suite": "fakesuite", "nodeid": "fakesuite/test_fake.py::test_ok"}
    assert recs[3]["status"] == "fail" and "Kernel panic" in recs[3]["reason"]


def test_read_results_skips_a_torn_line(tmp_path: Path) -> None:
    p = tmp_path / "results.jsonl"
    append_result(p, TestResult("a", "pass", 1.0, "", {"x": 1}))
    append_result(p, TestResult("b", "fail", 2.0, "bad"))
    with p.open("a") as fh:
        fh.write('{"name": "c", "stat')          # killed mid-write
    got = read_results(p)
    assert list(got) == ["a", "b"] and got["a"].metrics == {"x": 1}
    assert got["b"].reason == "bad"
    assert read_results(tmp_path / "absent.jsonl") == {}


def test_resume_runs_only_what_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          fake_target: None) -> None:  # noqa: F811
    from smmu_hil_lab import paths, runner
    suites, scen = two_suites(tmp_path)
    monkeypatch.setattr(runner, "SUITES", suites)
    monkeypatch.setattr(paths, "SCENARIOS", scen)
    for mod in ("test_alpha", "test_beta"):   # another test's suites of the same names
        monkeypatch.delitem(sys.modules, mod, raising=False)
    # a run killed after its first test: only results.jsonl (and the logs)
    run_dir = tmp_path / "results" / "20261122T000000Z-dead"
    run_dir.mkdir(parents=True)
    append_result(run_dir / "results.jsonl",
                  TestResult("a-one", "fail", 9.5, "DUT panic: kept", {"from": "first run"},
                             dut_kernel="7.3.4+deb13-arm64", smmu_model="s2"))
    rc, got = runner.run("alpha,beta", tmp_path / "results", target="fake", resume=run_dir)
    assert got == run_dir.resolve()
    doc = json.loads((run_dir / "report.json").read_text())
    assert doc["run_id"] == "20261122T000000Z-dead"
    tests = {t["name"]: t for t in doc["tests"]}
    assert set(tests) == {"a-one", "a-two", "b-one", "b-orphan"}
    # the recorded test was not run again: its record is kept as it was
    assert tests["a-one"] == {"name": "a-one", "status": "fail", "duration_s": 9.5,
                              "reason": "DUT panic: kept", "metrics": {"from": "first run"},
                              "dut_kernel": "7.3.4+deb13-arm64", "smmu_model": "s2"}
    assert tests["a-two"]["status"] == "pass" and tests["a-two"]["metrics"] == {"suite": "alpha"}
    # the tests run now name the DUT they ran on; the header names both
    assert (tests["a-two"]["dut_kernel"], tests["a-two"]["smmu_model"]) == ("fake-6.1", "s1")
    head = (run_dir / "summary.txt").read_text().splitlines()[0]
    assert head.endswith("kernel 7.3.4+deb13-arm64, fake-6.1  SMMU s2, s1"), head
    assert doc["summary"] == {"pass": 2, "fail": 2, "skip": 0} and rc == 1
    assert [r["name"] for r in lines(run_dir / "results.jsonl")] == ["a-one", "a-two", "b-one"]
    # resuming a complete run runs nothing and reports the same
    rc2, _ = runner.run("alpha,beta", tmp_path / "results", target="fake", resume=run_dir)
    doc2 = json.loads((run_dir / "report.json").read_text())
    assert doc2["summary"] == doc["summary"] and rc2 == 1
    assert len(lines(run_dir / "results.jsonl")) == 3


def test_resume_of_a_missing_directory(tmp_path: Path) -> None:
    from smmu_hil_lab import runner, scenario
    with pytest.raises(scenario.ScenarioError, match="no such run directory"):
        runner.run("lab", tmp_path, target="qemu", resume=tmp_path / "nope")
