"""Report writers: report.json, ktap.log, summary.txt, junit renaming, latest."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from smmu_hil_lab.report import Report, TestResult, link_latest, new_run_id, rename_junit_cases


def sample() -> Report:
    ran_on = {"dut_kernel": "6.1.0-56-arm64", "smmu_model": "s1"}
    return Report(run_id="r1", target="qemu", dut={"kernel": "6.1.0-56-arm64"}, tests=[
        TestResult("boot", "pass", 1.5, "", {"boot_s": 5.25, "smmu_features": ["S1P", "RIL"]},
                   **ran_on),
        TestResult("fault-accounting", "fail", 2.0, "captured 99 of 128\nmore detail",
                   {"injected": 128, "captured": 99}, **ran_on),
        TestResult("nested", "skip", 0.0, "missing SMMU features: S2P", {}, **ran_on),
    ])


def test_report_json_shape(tmp_path: Path) -> None:
    sample().write(tmp_path)
    doc = json.loads((tmp_path / "report.json").read_text())
    assert set(doc) == {"run_id", "target", "dut", "tests", "summary"}
    assert doc["summary"] == {"pass": 1, "fail": 1, "skip": 1}
    for t in doc["tests"]:
        assert set(t) == {"name", "status", "duration_s", "reason", "metrics", "dut_kernel",
                          "smmu_model"}
        assert (t["dut_kernel"], t["smmu_model"]) == ("6.1.0-56-arm64", "s1")
    assert doc["tests"][0]["metrics"]["smmu_features"] == ["S1P", "RIL"]


def test_ktap(tmp_path: Path) -> None:
    text = sample().ktap()
    lines = text.splitlines()
    assert lines[0] == "KTAP version 1"
    assert "1..3" in lines
    results = [ln for ln in lines if re.match(r"^(not )?ok \d+ ", ln)]
    assert results == ["ok 1 boot", "not ok 2 fault-accounting",
                       "ok 3 nested # SKIP missing SMMU features: S2P"]
    # every other line is a diagnostic
    assert all(ln.startswith("#") for ln in lines[1:] if ln not in results and ln != "1..3")
    assert "# fault-accounting: captured=99" in lines
    assert "# captured 99 of 128" in lines
    assert lines[-1].startswith("# Totals: pass:1 fail:1")


def test_summary_text() -> None:
    text = sample().summary_text()
    assert "PASS  boot" in text and "FAIL  fault-accounting" in text
    assert "captured 99 of 128" in text and "more detail" not in text
    assert text.rstrip().endswith("pass 1  fail 1  skip 1")
    assert text.splitlines()[0] == "smmu-hil run r1  target qemu  kernel 6.1.0-56-arm64  SMMU s1"


def test_run_error_in_json_and_summary(tmp_path: Path) -> None:
    """A run stopped before its tests (an SMMU model mismatch) says why."""
    rep = Report(run_id="r2", target="qemu", dut={"kernel": "k1", "smmu_model": "s2"},
                 error="SMMU model mismatch: asked for s2")
    rep.write(tmp_path)
    doc = json.loads((tmp_path / "report.json").read_text())
    assert doc["error"] == "SMMU model mismatch: asked for s2" and doc["tests"] == []
    lines = (tmp_path / "summary.txt").read_text().splitlines()
    assert lines[0].endswith("kernel k1  SMMU s2")      # no test: the dut's
    assert lines[1] == "  RUN STOPPED: SMMU model mismatch: asked for s2"
    assert "error" not in sample().to_dict()


def test_status_validated() -> None:
    with pytest.raises(ValueError):
        TestResult("x", "error")


def test_ok() -> None:
    assert not sample().ok
    assert Report("r", "t", tests=[TestResult("a")]).ok
    assert not Report("r", "t").ok


def test_junit_rename(tmp_path: Path) -> None:
    p = tmp_path / "junit.xml"
    p.write_text('<?xml version="1.0"?><testsuites><testsuite name="smoke">'
                 '<testcase classname="m" name="test_fault_accounting"><properties>'
                 '<property name="scenario" value="fault-accounting"/></properties></testcase>'
                 '<testcase classname="m" name="test_plain"/></testsuite></testsuites>')
    rename_junit_cases(p)
    names = [c.get("name") for c in ET.parse(p).iter("testcase")]
    assert names == ["fault-accounting", "test_plain"]


def test_latest_link(tmp_path: Path) -> None:
    a, b = tmp_path / new_run_id(), tmp_path / (new_run_id() + "x")
    a.mkdir()
    b.mkdir()
    link_latest(tmp_path, a)
    link_latest(tmp_path, b)
    latest = tmp_path / "latest"
    assert latest.is_symlink() and latest.resolve() == b.resolve()
    assert not latest.readlink().is_absolute()


def test_run_ids_sort_by_time() -> None:
    a = new_run_id()
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{4}", a)


def test_ktap_needs_the_host_tool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ktap.log comes from the harness's one KTAP writer: without the host
    tool the report says so instead of writing a different document."""
    from smmu_hil_lab import paths
    from smmu_hil_lab.errors import LabError

    monkeypatch.setattr(paths, "BUILD", tmp_path / "nobuild")
    with pytest.raises(LabError, match="make tool"):
        sample().ktap()
