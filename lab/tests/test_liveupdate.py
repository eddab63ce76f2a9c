"""Unit tests of the live-update logic: snapshot diffs, blackout arithmetic
and statistics, the JSON-lines log, the PMCG check, the report's plot/table."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from smmu_hil_lab import html_report, liveupdate as lu
from smmu_hil_lab.rundir import RunDir


def _row(bdf: str, sid: int, config: str = "s1", ste: dict[str, int] | None = None,
         cd: dict[str, int] | None = None) -> dict[str, Any]:
    return {"bdf": bdf, "sid": sid, "smmu": "arm-smmu-v3.0.auto",
            "ste": {"config": config, "pa": "0x1000", "fields": ste or {}},
            "cd": None if cd is None else {"config": "cd", "pa": "0x2000", "fields": cd}}


def test_diff_reports_changed_fields_per_device() -> None:
    before = [_row("0000:00:01.0", 8, ste={"V": 1, "Config": 5, "S1ContextPtr": 0x100},
                   cd={"ASID": 4, "TTB0": 0x800}),
              _row("0000:00:02.0", 16, "bypass", ste={"V": 1, "Config": 4})]
    after = [_row("0000:00:01.0", 8, ste={"V": 1, "Config": 5, "S1ContextPtr": 0x200},
                  cd={"ASID": 1, "TTB0": 0x800}),
             _row("0000:00:02.0", 16, "bypass", ste={"V": 1, "Config": 4})]
    d = lu.diff_snapshots(before, after)
    assert d[0]["changed"] == {"STE.S1ContextPtr": [0x100, 0x200], "CD.ASID": [4, 1]}
    assert not d[0]["config_changed"] and d[0]["missing"] is None
    assert d[1]["changed"] == {}
    s = lu.diff_summary(d)
    assert s == {"devices": 2, "changed": 1, "config_changed": [],
                 "fields": {"0000:00:01.0/8": ["CD.ASID", "STE.S1ContextPtr"]}}


def test_diff_absent_field_is_zero_and_config_change_is_flagged() -> None:
    before = [_row("0000:00:03.0", 24, "s1", ste={"V": 1, "Config": 5, "S1DSS": 2},
                   cd={"ASID": 4})]
    after = [_row("0000:00:03.0", 24, "bypass", ste={"V": 1, "Config": 4})]
    d = lu.diff_snapshots(before, after)[0]
    assert d["changed"] == {"STE.Config": [5, 4], "STE.S1DSS": [2, 0],
                            "CD": ["present", "absent"]}
    assert d["config_changed"] and d["config"] == ["s1", "bypass"]
    assert lu.diff_summary([d])["config_changed"] == ["0000:00:03.0/24"]


def test_diff_device_vanished_or_appeared_and_walk_errors() -> None:
    before = [_row("0000:00:01.0", 8), {"bdf": "0000:00:04.0", "sid": 32, "smmu": "x",
                                        "error": "ste", "errno": -2}]
    after = [{"bdf": "0000:00:04.0", "sid": 32, "smmu": "x", "error": "ste", "errno": -2},
             _row("0000:00:05.0", 40)]
    d = {x["bdf"]: x for x in lu.diff_snapshots(before, after)}
    assert d["0000:00:01.0"]["missing"] == "after"
    assert d["0000:00:05.0"]["missing"] == "before"
    assert d["0000:00:04.0"]["changed"] == {"walk_error_before": ["ste", -2],
                                            "walk_error_after": ["ste", -2]}
    assert sorted(lu.diff_summary(list(d.values()))["config_changed"]) == \
        ["0000:00:01.0/8", "0000:00:05.0/40"]


def test_ticks_ms_and_bad_counters() -> None:
    assert lu.ticks_ms({"cntvct": "0x100", "cntfrq": 62500000},
                       {"cntvct": 0x100 + 62500000 // 2, "cntfrq": 62500000}) == 500.0
    with pytest.raises(ValueError):
        lu.ticks_ms({"cntvct": 10, "cntfrq": 1000}, {"cntvct": 5})
    with pytest.raises(ValueError):
        lu.ticks_ms({"cntvct": 1, "cntfrq": 0}, {"cntvct": 5})


def test_stats_skip_unmeasured_and_even_median() -> None:
    assert lu.stats("b", [300.0, None, 100.0, 200.04, 400.0]) == \
        {"b_min": 100.0, "b_median": 250.0, "b_max": 400.0}
    assert lu.stats("b", [None]) == {"b_min": None, "b_median": None, "b_max": None}
    assert lu.stats("b", [7]) == {"b_min": 7.0, "b_median": 7.0, "b_max": 7.0}


def test_summarize_records() -> None:
    recs = [{"iteration": 1, "blackout_disk_ms": 900.0, "blackout_nic_ms": 1200.0,
             "verify_errors": 0, "unexpected_events": 0,
             "ste_diff_summary": {"devices": 2, "changed": 1}},
            {"iteration": 2, "error": "ConsoleTimeout: dead"},
            {"iteration": 3, "blackout_disk_ms": 1100.0, "blackout_nic_ms": 1300.0,
             "verify_errors": 2, "unexpected_events": 1,
             "ste_diff_summary": {"devices": 2, "changed": 2}}]
    m = lu.summarize(recs)
    assert m["iterations"] == 3 and m["failed_iterations"] == 1
    assert m["verify_errors"] == 2 and m["unexpected_events"] == 1
    assert m["blackout_ms"] == [900.0, None, 1100.0]
    assert (m["blackout_disk_ms_min"], m["blackout_disk_ms_median"],
            m["blackout_disk_ms_max"]) == (900.0, 1000.0, 1100.0)
    assert m["blackout_nic_ms_median"] == 1250.0
    assert m["ste_diffs"][1] is None and m["ste_diffs"][2]["changed"] == 2


def test_jsonl_append_and_torn_line(tmp_path: Path) -> None:
    p = tmp_path / "run" / lu.ITERATIONS_FILE
    lu.append_jsonl(p, {"iteration": 1})
    lu.append_jsonl(p, {"iteration": 2, "blackout_disk_ms": 1.5})
    with p.open("a") as fh:
        fh.write('{"iteration": 3, "blacko')       # killed mid-write
    assert [r["iteration"] for r in lu.read_jsonl(p)] == [1, 2]
    assert lu.read_jsonl(tmp_path / "none.jsonl") == []


def test_pmcg_devices() -> None:
    assert lu.pmcg_devices("armv8_pmuv3_0 breakpoint software tracepoint") == []
    assert lu.pmcg_devices("smmuv3_pmcg_ff88840 kprobe smmuv3_pmcg_ff88440") == \
        ["smmuv3_pmcg_ff88440", "smmuv3_pmcg_ff88840"]


def test_report_plot_and_table_registered(tmp_path: Path) -> None:
    assert lu.plot_blackout in html_report.TEST_PLOTS
    assert lu.table_diffs in html_report.TEST_TABLES
    d = lu.diff_snapshots([_row("0000:00:01.0", 8, ste={"S1ContextPtr": 1})],
                          [_row("0000:00:01.0", 8, ste={"S1ContextPtr": 2})])
    lu.append_jsonl(tmp_path / lu.ITERATIONS_FILE, {"iteration": 1, "ste_diffs": d})
    test = {"name": lu.TEST_NAME, "status": "pass",
            "metrics": {"blackout_ms": [900.0, 1000.0], "blackout_nic_ms": [None, 1200.0]}}
    rd = RunDir(path=tmp_path, report={"tests": [test]})
    title, head, rows = lu.table_diffs(rd, test)
    assert head[0] == "iteration" and rows == [[1, "0000:00:01.0", "0x8", "s1→s1", "",
                                                "STE.S1ContextPtr 0x1→0x2"]]
    got = lu.plot_blackout(rd, test)
    assert got is not None and got[0].startswith("Blackout")
    assert lu.plot_blackout(rd, {"name": "other", "metrics": {}}) is None
    failed = {"name": lu.TEST_NAME, "metrics": {"blackout_ms": [None, None],
                                                "blackout_nic_ms": [None, None]}}
    assert lu.plot_blackout(rd, failed) is None      # every iteration failed: no plot
    page = html_report.render(RunDir(path=tmp_path, report={"tests": [test]}))
    assert "STE.S1ContextPtr 0x1→0x2" in page and "Blackout per kexec iteration" in page
    json.dumps(rows)


def test_perf_stat_csv_rows() -> None:
    # perf 6.1 `perf stat -x, -a -e ...` on stderr (2>&1), one row per event:
    # value, unit, event, run time (ns), run %, metric value, metric unit
    # (the first two rows as the emulated DUT printed them: TCG counts no
    # instructions)
    text = ("2080818872,,cycles,2082715600,100.00,,\n"
            "<not supported>,,instructions,0,100.00,,\n"
            "7654321,,armv8_pmuv3_0/inst_retired/,2004103728,100.00,0.62,insn per cycle\n"
            "<not supported>,,smmuv3_pmcg_100020/tlb_miss/,0,100.00,,\n"
            "<not counted>,,smmuv3_pmcg_100020/transaction/,0,0.00,,\n"
            "# started on Sun Nov 22 03:00:00 2026\n"
            "\n"
            "perf: some warning, with a comma\n")
    got = lu.perf_stat_csv(text)
    assert got == {"cycles": 2080818872.0, "instructions": None,
                   "armv8_pmuv3_0/inst_retired/": 7654321.0,
                   "smmuv3_pmcg_100020/tlb_miss/": None,
                   "smmuv3_pmcg_100020/transaction/": None}
    assert lu.perf_stat_csv("") == {}
