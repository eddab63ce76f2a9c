"""report.html and kcidb.json of a run directory (publish.py, html_report.py,
kcidb.py, rundir.py) and the `report` verb."""
from __future__ import annotations

import base64
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import matplotlib.image
import pytest

from smmu_hil_lab import kcidb, publish, rundir
from smmu_hil_lab.__main__ import main
from smmu_hil_lab.report import Report, TestResult

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def make_run(path: Path) -> Path:
    """A run directory: report.json (pass, fail, skip), junit.xml, logs."""
    Report(run_id="20261122T010843Z-abcd", target="qemu",
           dut={"kernel": "6.1.0-56-arm64", "lock": {"linux-image-6.1.0-56-arm64:arm64": "6.1"},
                "smmu": [{"name": "smmu0", "features": ["S1P", "RIL"]}]},
           tests=[
               TestResult("boot", "pass", 8.5, "", {"boot_s": 6.5, "smmu_features": ["S1P"]}),
               TestResult("fault-accounting", "fail", 14.0, "captured 99 of 128\ndetail <b>",
                          {"injected": 128, "captured": 99, "stream_ids": [24]}),
               TestResult("driver-storm", "pass", 54.0, "",
                          {"transitions": 1020, "unexpected_events": 0, "dma_errors": 0,
                           "ok": True, "maybe": None}),
               TestResult("ats-eats", "skip", 0.1, "missing SMMU features: ATS", {}),
           ]).write(path)
    (path / "junit.xml").write_text(
        '<?xml version="1.0"?><testsuites><testsuite name="smoke,transitions" '
        'timestamp="2026-11-22T01:08:43.742399">'
        '<testcase classname="suites.smoke.test_smoke" name="boot"/>'
        '<testcase classname="suites.smoke.test_smoke" name="fault-accounting"/>'
        '<testcase classname="suites.transitions.test_transitions" name="driver-storm"/>'
        '<testcase classname="suites.transitions.test_transitions" name="ats-eats"/>'
        '</testsuite></testsuites>')
    (path / "console.log").write_text("boot line\n" + "x" * 40000 + "\nPANIC last line\n")
    (path / "dmesg").mkdir()
    (path / "dmesg" / "fault-accounting.log").write_text("[ 1.0] arm-smmu-v3: event 0x10\n")
    return path


class Page(HTMLParser):
    """Collects headings' text, table cells and img sources."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.imgs: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "img":
            self.imgs.append(dict(attrs).get("src") or "")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parsed(page: str) -> Page:
    """@page (report.html's text) through Page."""
    p = Page()
    p.feed(page)
    p.close()
    return p


def _png_ok(data: bytes) -> bool:
    """@data decodes as a PNG image (matplotlib's reader) of some size."""
    img = matplotlib.image.imread(io.BytesIO(data), format="png")
    return data.startswith(PNG_MAGIC) and img.shape[0] > 100 and img.shape[1] > 100


def test_html(tmp_path: Path) -> None:
    publish.write_all(make_run(tmp_path))
    text = (tmp_path / "report.html").read_text()
    p = Page()
    p.feed(text)
    p.close()
    body = " ".join(p.text)
    for name in ("boot", "fault-accounting", "driver-storm", "ats-eats"):
        assert name in body
    assert "captured 99 of 128" in body and "detail <b>" in body  # escaped, shown as text
    assert "<b>" not in p.tags
    assert "missing SMMU features: ATS" in body
    assert len(p.imgs) >= 2          # durations; transitions and events
    for src in p.imgs:
        assert src.startswith("data:image/png;base64,")
        assert _png_ok(base64.b64decode(src.split(",", 1)[1]))
    # self-contained: nothing fetched from elsewhere
    assert not re.search(r'(src|href)="(?!data:|#)', text)


def test_kcidb_shape(tmp_path: Path) -> None:
    publish.write_all(make_run(tmp_path))
    doc = json.loads((tmp_path / "kcidb.json").read_text())
    assert set(doc) == {"version", "checkouts", "builds", "tests"}
    assert doc["version"]["major"] == 5 and isinstance(doc["version"]["minor"], int)
    (co,), (b,) = doc["checkouts"], doc["builds"]
    assert b["checkout_id"] == co["id"]
    tests = doc["tests"]
    assert len(tests) == 4 and len({t["id"] for t in tests}) == 4
    for obj in [co, b] + tests:
        assert obj["origin"] == "smmu_hil" and obj["id"].startswith("smmu_hil:")
    by_path = {t["path"]: t for t in tests}
    assert set(by_path) == {"smmu_hil.smoke.boot", "smmu_hil.smoke.fault_accounting",
                            "smmu_hil.transitions.driver_storm", "smmu_hil.transitions.ats_eats"}
    for t in tests:
        assert t["build_id"] == b["id"]
        assert t["status"] in {"FAIL", "ERROR", "MISS", "PASS", "DONE", "SKIP"}
        assert re.fullmatch(r"[a-zA-Z0-9_-]+(\.[a-zA-Z0-9_-]+)*", t["path"])
        assert t["start_time"].endswith("+00:00") and t["environment"]["comment"]
        assert isinstance(t["duration"], float)
    fail = by_path["smmu_hil.smoke.fault_accounting"]
    assert fail["status"] == "FAIL" and fail["misc"]["metrics"]["captured"] == 99
    assert fail["log_excerpt"].startswith("captured 99 of 128")
    assert "arm-smmu-v3: event" in fail["log_excerpt"]
    assert "log_excerpt" not in by_path["smmu_hil.smoke.boot"]
    assert by_path["smmu_hil.transitions.ats_eats"]["status"] == "SKIP"
    # start times follow the durations of the tests before
    assert by_path["smmu_hil.smoke.fault_accounting"]["start_time"].startswith(
        "2026-11-22T01:08:52.2")
    assert "null" not in json.dumps(doc)


def test_log_excerpt_limit(tmp_path: Path) -> None:
    rd = rundir.load(make_run(tmp_path))
    (tmp_path / "dmesg" / "fault-accounting.log").unlink()
    ex = rd.log_excerpt("fault-accounting")
    assert len(ex.encode()) <= rundir.LOG_EXCERPT_MAX
    assert ex.startswith("captured 99") and ex.endswith("PANIC last line\n")
    assert len(rd.log_excerpt("fault-accounting", limit=5).encode()) == 5


def test_without_junit(tmp_path: Path) -> None:
    make_run(tmp_path)
    (tmp_path / "junit.xml").unlink()
    doc = kcidb.document(rundir.load(tmp_path))
    assert doc["tests"][0]["path"] == "smmu_hil.lab.boot"
    assert doc["tests"][0]["start_time"].startswith("2026-11-22T01:08:43")


def test_report_verb(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = make_run(tmp_path / "run")
    assert main(["report", str(run)]) == 0
    assert (run / "report.html").is_file() and (run / "kcidb.json").is_file()
    assert main(["report", str(tmp_path / "none")]) == 2
    assert "no usable report.json" in capsys.readouterr().err


def test_runner_writes_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from smmu_hil_lab.runner import write_derived
    assert write_derived(make_run(tmp_path / "run"))
    assert (tmp_path / "run" / "report.html").is_file()
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "report.json").write_text("{")
    assert not write_derived(tmp_path / "broken")
    assert "not written" in capsys.readouterr().err


def test_html_escapes_script_in_reason_name_and_metrics(tmp_path: Path) -> None:
    """report.html comes from autoescaped templates: a reason (or test name,
    metric, run id) holding markup is shown as text, never run."""
    from smmu_hil_lab import html_report
    from smmu_hil_lab.rundir import RunDir
    evil = "<script>alert('x')</script>"
    rd = RunDir(path=tmp_path, report={
        "run_id": f"r{evil}", "target": "qemu",
        "tests": [{"name": "t<img src=x onerror=alert(1)>", "status": "fail",
                   "duration_s": 1.0, "reason": f"boom {evil}\nline 2 {evil}",
                   "metrics": {f"k{evil}": evil, "n": [evil]}}]})
    page = html_report.render(rd)
    assert "<script" not in page.lower() and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    p = Page()
    p.feed(page)
    p.close()
    assert "script" not in p.tags and all(src.startswith("data:") for src in p.imgs)
    body = " ".join(p.text)
    assert f"boom {evil}" in body and f"line 2 {evil}" in body     # the text survives


def test_html_conformance_table(tmp_path: Path) -> None:
    """A legality corpus's `conformance` metric becomes a table of report.html:
    each item's oracle prediction and rule, the SMMU's answer and the verdict."""
    from smmu_hil_lab import html_report
    from smmu_hil_lab.rundir import RunDir
    rows = [{"n": 1, "line": 24, "entry": "ste", "item": "s2 + S2T0SZ=0x28 S2SL0=0",
             "oracle": "C_BAD_STE", "rule": "ste-s2t0sz-range", "smmu": "C_BAD_STE",
             "events": "C_BAD_STE x40", "verdict": "agree", "reason": None},
            {"n": 2, "line": 25, "entry": "cd", "item": "cd + AA64=0", "oracle": None,
             "rule": None, "smmu": None, "events": None, "verdict": "skip",
             "reason": "the SMMU lacks S2P"}]
    test = {"name": "legality-conformance", "status": "pass", "duration_s": 3.0,
            "metrics": {"conformance": rows, "entries": 2, "agreements": 1,
                        "disagreements": 0, "skipped_entries": 1, "profile": "qemu"}}
    rd = RunDir(path=tmp_path, report={"tests": [test]})
    title, head, got = html_report.table_conformance(rd, test)
    assert title.startswith("Legality conformance: 2 entries, 1 agree, 0 disagree, 1 skipped")
    assert head[4:7] == ["oracle", "rule", "SMMU"]
    assert got[0][3:] == ["s2 + S2T0SZ=0x28 S2SL0=0", "C_BAD_STE", "ste-s2t0sz-range",
                          "C_BAD_STE", "C_BAD_STE x40", "agree"]
    assert got[1][-2:] == ["the SMMU lacks S2P", "skip"]
    assert html_report.table_conformance(rd, {"name": "x", "metrics": {}}) is None
    page = html_report.render(rd)
    assert "Legality conformance: 2 entries" in page and "ste-s2t0sz-range" in page


def test_each_test_names_its_kernel_and_smmu_model(tmp_path: Path) -> None:
    """A plan's phases on two kernels and SMMU models: report.html's header
    names both, each test's row its own; kcidb.json has a build per kernel
    and each test's misc and environment name its kernel and model."""
    Report(run_id="20261122T010843Z-abcd", target="qemu",
           dut={"kernel": "6.1.0-56-arm64", "smmu_model": "s1",
                "lock": {"linux-image-6.1.0-56-arm64:arm64": "6.1"}},
           tests=[TestResult("s2-transitions", "pass", 3.0, dut_kernel="7.3.4+deb13-arm64",
                             smmu_model="nested"),
                  TestResult("driver-storm", "pass", 4.0, dut_kernel="6.1.0-56-arm64",
                             smmu_model="s1"),
                  TestResult("old-record", "skip", 0.0, "recorded before the fields")],
           ).write(tmp_path)
    publish.write_all(tmp_path)
    p = Page()
    p.feed((tmp_path / "report.html").read_text())
    body = " ".join(" ".join(p.text).split())
    assert "kernel 7.3.4+deb13-arm64, 6.1.0-56-arm64 SMMU model nested, s1" in body
    assert "suite lab, kernel 7.3.4+deb13-arm64, SMMU nested, 3.0 s" in body
    assert "suite lab, kernel 6.1.0-56-arm64, SMMU s1, 4.0 s" in body
    assert "suite lab, kernel ?, SMMU ?, 0.0 s" in body
    doc = json.loads((tmp_path / "kcidb.json").read_text())
    builds = {b["comment"]: b for b in doc["builds"]}
    assert set(builds) == {"kernel 7.3.4+deb13-arm64", "kernel 6.1.0-56-arm64"}
    assert builds["kernel 6.1.0-56-arm64"]["misc"]["packages"]   # the lock is this kernel's
    assert builds["kernel 7.3.4+deb13-arm64"]["misc"] == {}
    tests = {t["misc"]["name"]: t for t in doc["tests"]}
    s2 = tests["s2-transitions"]
    assert s2["build_id"] == builds["kernel 7.3.4+deb13-arm64"]["id"]
    assert (s2["misc"]["dut_kernel"], s2["misc"]["smmu_model"]) == ("7.3.4+deb13-arm64",
                                                                    "nested")
    assert s2["environment"]["comment"] == "target qemu, kernel 7.3.4+deb13-arm64, SMMU nested"
    # a test that names neither: the run's kernel and model
    old = tests["old-record"]
    assert (old["misc"]["dut_kernel"], old["misc"]["smmu_model"]) == ("6.1.0-56-arm64", "s1")
    assert old["build_id"] == builds["kernel 6.1.0-56-arm64"]["id"]


def test_kernel_vs_oracle_table(tmp_path: Path) -> None:
    """A recorder scenario's kernel_vs_oracle metric becomes a table in
    report.html: one row per distinct transition, a difference and its
    explanation in the verdict; a test without the metric has no table."""
    from smmu_hil_lab import html_report
    from smmu_hil_lab.rundir import RunDir
    rows = [{"transition": "STE s1 -> bypass", "kernel_steps": " q0 | q1",
             "oracle_steps": " q0 | q1", "count": 12, "verdict": "equal"},
            {"transition": "CD cd -> cd", "kernel_steps": " q0 | q1 | q0",
             "oracle_steps": " q0 | q1", "count": 3, "verdict": "differs",
             "difference": "kernel 3 sync(s), oracle 2", "explanation": None}]
    t = {"name": "recorder", "status": "fail", "duration_s": 2.0, "reason": "",
         "metrics": {"kernel_vs_oracle": rows}}
    rd = RunDir(path=tmp_path, report={"run_id": "r", "target": "qemu", "tests": [t]})
    title, head, out = html_report.table_kernel_vs_oracle(rd, t)
    assert "kernel vs oracle" in title and head[0] == "transition"
    assert out[0] == ["STE s1 -> bypass", "q0 | q1", "q0 | q1", 12, "equal"]
    assert out[1][4] == "differs: kernel 3 sync(s), oracle 2"
    assert html_report.table_kernel_vs_oracle(rd, {"name": "x", "metrics": {}}) is None
    body = " ".join(parsed(html_report.render(rd)).text)
    assert "STE s1 -> bypass" in body and "differs: kernel 3 sync(s), oracle 2" in body


def test_kunit_table(tmp_path: Path) -> None:
    """The smoke suite's kunit_cases metric becomes a table in report.html:
    one row per KUnit case with its status and reason; none without it."""
    from smmu_hil_lab import html_report
    from smmu_hil_lab.rundir import RunDir
    rows = [{"case": "arm_smmu_v3_write_ste_test_bypass_to_abort", "status": "pass", "reason": ""},
            {"case": "arm_smmu_v3_write_ste_test_abort_to_bypass", "status": "fail",
             "reason": "EXPECTATION FAILED at arm-smmu-v3-test.c:176"}]
    t = {"name": "kunit-arm-smmu-v3", "status": "fail", "duration_s": 3.0, "reason": "",
         "metrics": {"kunit_suite": "arm-smmu-v3-kunit-test", "kunit_cases": rows,
                     "cases_pass": 1, "cases_fail": 1, "cases_skip": 0}}
    rd = RunDir(path=tmp_path, report={"run_id": "r", "target": "qemu", "tests": [t]})
    title, head, out = html_report.table_kunit(rd, t)
    assert title == "KUnit arm-smmu-v3-kunit-test: 2 cases, 1 pass, 1 fail, 0 skip"
    assert head == ["#", "case", "status", "reason"]
    assert out[1] == [2, "arm_smmu_v3_write_ste_test_abort_to_bypass", "fail",
                      "EXPECTATION FAILED at arm-smmu-v3-test.c:176"]
    assert html_report.table_kunit(rd, {"name": "x", "metrics": {}}) is None
    body = " ".join(parsed(html_report.render(rd)).text)
    assert "arm_smmu_v3_write_ste_test_abort_to_bypass" in body and "KUnit arm-smmu-v3" in body
