"""`compare RUN_A RUN_B` (compare.py): regressions, improvements and other
changes between two synthetic report.json files, the tolerance options,
the environment lines, and missing or malformed input (exit status 2)."""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from smmu_hil_lab import compare, paths
from smmu_hil_lab.__main__ import main

LOCK = {"kernel_release": "6.1.0-57-arm64", "linux-image-6.1.0-57-arm64:arm64": "6.1.192-3",
        "fio:arm64": "3.33-3"}


def test(name: str, status: str = "pass", reason: str = "", **metrics: Any) -> dict[str, Any]:
    return {"name": name, "status": status, "duration_s": 1.0, "reason": reason,
            "metrics": metrics}


test.__test__ = False   # type: ignore[attr-defined]   (a helper, not a pytest test)


def run_a() -> dict[str, Any]:
    """The reference run: everything passes but one failure and one skip."""
    return {"run_id": "20261202T000000Z-aaaa", "target": "qemu",
            "dut": {"kernel": "6.1.0-57-arm64", "lock": dict(LOCK),
                    "smmu": [{"name": "smmu0", "features": ["S1P", "COHACC"]}]},
            "tests": [
                test("raw-hitless@edu", rate_per_s=575.0, transitions=3000, events=0,
                     unexpected_events=0, dma_errors=0, sid="0x18"),
                test("raw-rate@edu", rate_per_s=240000.0, transitions=1000000,
                     max_sync_ns=3_700_000),
                test("driver-storm", rate_per_s=22.0, dma_errors=0, events=0,
                     unexpected_events=0, dma_roundtrips=100),
                test("s2-transitions", transitions=12),
                test("recorder", recorded_updates=32),
                test("legality-conformance", "fail", "entry 4 disagrees", disagreements=1),
                test("raw-nested-update-safe", "skip", "missing SMMU features: NESTED"),
                test("dma-translated", events=0, transfers=10),
                test("raw-breaking-dwell@edu", events=71750, events_C_BAD_STE=71750,
                     unexpected_events=0, device_recovered=True),
                test("evtmon-cost", overhead_pct=1.9, goal_met=True, conclusive=False,
                     iops_on=1570),
            ]}


def run_b() -> dict[str, Any]:
    """run_a() one night later, with one of each kind of change."""
    b = copy.deepcopy(run_a())
    b["run_id"] = "20261203T000000Z-bbbb"
    t = {x["name"]: x for x in b["tests"]}
    t["raw-hitless@edu"].update(status="fail", reason="C_BAD_STE x3 on SID 0x18\ndetail")
    t["raw-hitless@edu"]["metrics"].update(events=3, unexpected_events=3, sid="0x10")
    t["raw-rate@edu"]["metrics"].update(rate_per_s=120000.0,        # -50 %: worse
                                        max_sync_ns=9_000_000)      # outlier: listed only
    t["driver-storm"]["metrics"].update(rate_per_s=23.0,            # +4.5 %: within
                                        dma_errors=2,               # 0 -> 2: worse
                                        dma_roundtrips=150)         # +50 %: neutral
    t["s2-transitions"].update(status="skip", reason="missing SMMU features: S2P",
                               metrics={})                          # lost coverage
    t["legality-conformance"].update(status="pass", reason="", metrics={"disagreements": 0})
    t["raw-nested-update-safe"].update(status="pass", reason="", metrics={})
    t["dma-translated"]["metrics"].update(events=2)        # no unexpected_events: worse
    t["raw-breaking-dwell@edu"]["metrics"].update(events=94300, events_C_BAD_STE=94300,
                                                  device_recovered=False)
    t["evtmon-cost"]["metrics"].update(goal_met=False, overhead_pct=9.5)
    b["tests"] = [x for x in b["tests"] if x["name"] != "recorder"] + [
        test("raw-field-flips@edu", rate_per_s=700.0),
        test("ats-eats", "fail", "EATS refused")]
    b["dut"]["kernel"] = "7.3.4+deb13-arm64"
    b["dut"]["smmu"] = [{"name": "smmu0", "features": ["S1P", "S2P", "NESTED"]}]
    b["dut"]["lock"]["linux-image-6.1.0-57-arm64:arm64"] = "6.1.192-4"
    b["dut"]["lock"]["iperf3:arm64"] = "3.12"
    b["smmu_model"] = "nested"
    b["qemu_version"] = "10.0.2"
    return b


def write_run(root: Path, name: str, doc: Any) -> Path:
    d = root / name
    d.mkdir()
    (d / "report.json").write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return d


def changes(cmp: compare.Comparison, kind: str) -> list[tuple[str, str, str]]:
    return [(c.what, c.test, c.metric) for c in cmp.of(kind)]


def test_every_kind_of_change(tmp_path: Path) -> None:
    cmp = compare.compare(compare.load(write_run(tmp_path, "a", run_a())),
                          compare.load(write_run(tmp_path, "b", run_b())))
    assert changes(cmp, "regression") == [
        ("status", "raw-hitless@edu", ""),                 # pass -> fail
        ("status", "s2-transitions", ""),                  # pass -> skip
        ("added", "ats-eats", ""),                         # new and failing
        ("removed", "recorder", ""),
        ("metric", "raw-hitless@edu", "unexpected_events"),
        ("metric", "raw-rate@edu", "rate_per_s"),
        ("metric", "driver-storm", "dma_errors"),
        ("metric", "dma-translated", "events"),
        ("metric", "raw-breaking-dwell@edu", "device_recovered")]
    assert changes(cmp, "improvement") == [
        ("status", "legality-conformance", ""), ("status", "raw-nested-update-safe", ""),
        ("metric", "legality-conformance", "disagreements")]
    other = changes(cmp, "change")
    assert [c for c in other if c[0] != "environment"] == [
        ("added", "raw-field-flips@edu", ""),
        ("metric", "raw-hitless@edu", "events"),           # judged by unexpected_events
        ("metric", "raw-rate@edu", "max_sync_ns"),
        ("metric", "driver-storm", "dma_roundtrips"),
        ("metric", "raw-breaking-dwell@edu", "events"),
        ("metric", "raw-breaking-dwell@edu", "events_C_BAD_STE"),
        ("metric", "evtmon-cost", "overhead_pct"),         # conclusive=false: not judged
        ("metric", "evtmon-cost", "goal_met")]
    assert cmp.unchanged == 0
    rate = next(c for c in cmp.regressions if c.metric == "rate_per_s")
    assert (rate.a, rate.b, rate.rel_change, rate.direction, rate.tolerance) == \
        (240000.0, 120000.0, -0.5, compare.HIGHER_IS_BETTER, 0.2)
    errs = next(c for c in cmp.regressions if c.metric == "dma_errors")
    assert errs.rel_change is None and errs.direction == compare.LOWER_IS_BETTER
    hitless = cmp.regressions[0]
    assert hitless.reason == "C_BAD_STE x3 on SID 0x18"       # B's first reason line


def test_environment_differences(tmp_path: Path) -> None:
    cmp = compare.compare(compare.load(write_run(tmp_path, "a", run_a())),
                          compare.load(write_run(tmp_path, "b", run_b())))
    env = {c.test: (c.a, c.b) for c in cmp.changes if c.what == "environment"}
    assert env == {"kernels": (["6.1.0-57-arm64"], ["7.3.4+deb13-arm64"]),
                   "smmu_models": ([], ["nested"]),
                   "qemu": (None, "10.0.2"),
                   "smmu_features": (["COHACC"], ["NESTED", "S2P"]),
                   "lock:iperf3:arm64": (None, "3.12"),
                   "lock:linux-image-6.1.0-57-arm64:arm64": ("6.1.192-3", "6.1.192-4")}
    # per-test properties and a QEMU in dut.lock count too
    a, b = run_a(), run_a()
    for t in b["tests"]:
        t["dut_kernel"], t["smmu_model"] = "6.12.95+bpo-arm64", "s2"
    a["dut"]["lock"]["qemu-system-arm:amd64"] = "1:7.2+dfsg-7"
    cmp = compare.compare(compare.load(write_run(tmp_path, "c", a)),
                          compare.load(write_run(tmp_path, "d", b)))
    env = {c.test: (c.a, c.b) for c in cmp.changes if c.what == "environment"}
    assert env["kernels"] == (["6.1.0-57-arm64"], ["6.1.0-57-arm64", "6.12.95+bpo-arm64"])
    assert env["smmu_models"] == ([], ["s2"])
    assert env["qemu"] == ("qemu-system-arm 1:7.2+dfsg-7", None)


def test_text_puts_regressions_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = write_run(tmp_path, "a", run_a()), write_run(tmp_path, "b", run_b())
    assert main(["compare", str(a), str(b)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("A: 20261202T000000Z-aaaa  target qemu  kernel 6.1.0-57-arm64  "
                             "SMMU ?  QEMU ?  pass 8 fail 1 skip 1")
    assert out[1].startswith("B: 20261203T000000Z-bbbb  target qemu  kernel "
                             "7.3.4+deb13-arm64  SMMU nested  QEMU 10.0.2  pass 8 fail 2 skip 1")
    assert out[2] == "REGRESSIONS (9):"
    assert out[3].split() == ["raw-hitless@edu", "pass", "->", "FAIL", "C_BAD_STE", "x3", "on",
                              "SID", "0x18"]
    assert out[4].split()[:4] == ["s2-transitions", "pass", "->", "SKIP"]
    assert out[5].split() == ["ats-eats", "new", "in", "B:", "FAIL", "EATS", "refused"]
    assert out[6].split() == ["recorder", "missing", "in", "B", "(was", "pass", "in", "A)"]
    assert "raw-rate@edu" in out[8] and \
        "rate_per_s 240,000 -> 120,000 (-50%, higher is better, tolerance 20%)" in out[8]
    assert "dma_errors 0 -> 2 (from 0, lower is better" in out[9]
    assert "device_recovered True -> False (higher is better)" in out[11]
    assert out[12] == "IMPROVEMENTS (3):"
    env = out.index("ENVIRONMENT (6):")
    assert out[env + 1:env + 5] == ["  kernels: 6.1.0-57-arm64 -> 7.3.4+deb13-arm64",
                                    "  smmu_models: none -> nested", "  qemu: none -> 10.0.2",
                                    "  smmu_features: -COHACC +NESTED +S2P"]
    other = out.index("OTHER CHANGES (8):")
    assert "raw-field-flips@edu" in out[other + 1] and "new in B: PASS" in out[other + 1]
    assert out[other + 2] == ("  ... 7 metric(s) without a better direction moved beyond the "
                              "tolerance (--all)")
    assert out[-1] == ("compare: 9 regressions, 3 improvement(s), 8 other change(s), "
                       "0 test(s) unchanged (tolerance 20%)")
    assert main(["compare", "--all", str(a), str(b)]) == 1
    full = capsys.readouterr().out
    assert "driver-storm            dma_roundtrips 100 -> 150 (+50%, no better direction" in full
    assert "(--all)" not in full


def test_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = write_run(tmp_path, "a", run_a()), write_run(tmp_path, "b", run_b())
    assert main(["compare", "-j", str(a), str(b / "report.json")]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["counts"] == {"regression": 9, "improvement": 3, "change": 14}
    assert len(doc["changes"]) == 8 and len(doc["environment"]) == 6
    assert doc["regressions"][0] == {
        "what": "status", "test": "raw-hitless@edu", "a": "pass", "b": "fail", "metric": "",
        "rel_change": None, "direction": 0, "tolerance": None,
        "reason": "C_BAD_STE x3 on SID 0x18"}
    assert doc["b"]["summary"] == {"pass": 8, "fail": 2, "skip": 1}
    assert doc["tolerance"] == 0.2


def test_same_run_has_no_regression(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = write_run(tmp_path, "a", run_a())
    assert main(["compare", str(a), str(a)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[2] == "REGRESSIONS: none"
    assert out[-1] == ("compare: 0 regressions, 0 improvement(s), 0 other change(s), "
                       "10 test(s) unchanged (tolerance 20%)")


@pytest.mark.parametrize("opts, regressions", [
    ([], 1),
    (["--tolerance", "0.6"], 0),                       # -50 % is within 60 %
    (["--tolerance", "60%"], 0),
    (["--tolerance", "0.5"], 0),                       # exactly the tolerance: not beyond
    (["--metric-tolerance", "rate_*=0.6"], 0),
    (["--metric-tolerance", "rate_*=0.6", "--metric-tolerance", "rate_per_s=10%"], 1),
    (["--tolerance", "0.6", "--metric-tolerance", "*_per_s=0.1"], 1),
    (["--tolerance", "0"], 1),
])
def test_tolerance(tmp_path: Path, opts: list[str], regressions: int,
                   capsys: pytest.CaptureFixture[str]) -> None:
    a, b = run_a(), run_a()
    b["tests"][1]["metrics"]["rate_per_s"] = 120000.0      # raw-rate@edu, -50 %
    ra, rb = write_run(tmp_path, "a", a), write_run(tmp_path, "b", b)
    assert main(["compare", *opts, str(ra), str(rb)]) == regressions
    assert ("rate_per_s 240,000 -> 120,000" in capsys.readouterr().out) == bool(regressions)


@pytest.mark.parametrize("opts, error", [
    (["--tolerance", "x"], "tolerance 'x': a fraction (0.2) or a percentage (20%)"),
    (["--tolerance", "-0.1"], "tolerance '-0.1': must be a finite number >= 0"),
    (["--tolerance", "nan"], "must be a finite number"),
    (["--metric-tolerance", "rate_per_s"], "write METRIC=TOLERANCE"),
    (["--metric-tolerance", "=0.1"], "write METRIC=TOLERANCE"),
    (["--metric-tolerance", "rate_per_s=lots"], "tolerance 'lots'"),
])
def test_bad_options(tmp_path: Path, opts: list[str], error: str,
                     capsys: pytest.CaptureFixture[str]) -> None:
    a = write_run(tmp_path, "a", run_a())
    assert main(["compare", *opts, str(a), str(a)]) == 2
    err = capsys.readouterr()
    assert err.out == "" and err.err.startswith("smmu_hil_lab: compare: ") and error in err.err


def bad_test(**kv: Any) -> dict[str, Any]:
    doc = run_a()
    doc["tests"][2] = {**doc["tests"][2], **kv}
    return doc


@pytest.mark.parametrize("doc, error", [
    ("", "report.json: not JSON: Expecting value"),
    ('{"tests": [', "report.json: not JSON"),
    ("[1, 2]", "report.json: not a report.json: no 'tests' list"),
    ('{"run_id": "x"}', "no 'tests' list"),
    ('{"tests": {}}', "no 'tests' list"),
    ('{"tests": [7]}', "report.json: tests[0]: not an object"),
    (bad_test(name=""), "tests[2]: no name"),
    (bad_test(name=None), "tests[2]: no name"),
    (bad_test(status="error"), "tests[2] (driver-storm): status 'error' is not one of pass, "
                               "fail, skip"),
    (bad_test(status=None), "status None"),
    (bad_test(metrics=[1]), "tests[2] (driver-storm): metrics is not an object"),
    (bad_test(name="raw-hitless@edu"), "tests[2]: a second test named 'raw-hitless@edu'"),
    ({"tests": [], "dut": "6.1"}, "dut is not an object"),
])
def test_malformed_report(tmp_path: Path, doc: Any, error: str,
                          capsys: pytest.CaptureFixture[str]) -> None:
    good = write_run(tmp_path, "good", run_a())
    bad = write_run(tmp_path, "bad", doc)
    for args in ([str(good), str(bad)], [str(bad), str(good)]):
        assert main(["compare", *args]) == 2
        err = capsys.readouterr()
        assert err.out == ""
        assert err.err.startswith(f"smmu_hil_lab: compare: {bad}/report.json: ")
        assert error in err.err, err.err


def test_missing_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write_run(tmp_path, "good", run_a())
    (tmp_path / "empty").mkdir()
    (tmp_path / "binary").mkdir()
    (tmp_path / "binary" / "report.json").write_bytes(b"\xff\xfe{")
    assert main(["compare", str(good), str(tmp_path / "nope")]) == 2
    assert f"compare: {tmp_path}/nope: no such run directory or report.json" in \
        capsys.readouterr().err
    assert main(["compare", str(tmp_path / "empty"), str(good)]) == 2
    assert f"{tmp_path}/empty/report.json: cannot read: No such file or directory" in \
        capsys.readouterr().err
    assert main(["compare", str(tmp_path / "binary"), str(good)]) == 2
    assert "binary/report.json: not UTF-8 text" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:                  # argparse: a usage error
        main(["compare", str(good)])
    assert e.value.code == 2
    assert "the following arguments are required: RUN_B" in capsys.readouterr().err


def test_run_ids_under_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(paths, "RESULTS", tmp_path)
    write_run(tmp_path, "20261202T000000Z-aaaa", run_a())
    write_run(tmp_path, "20261203T000000Z-bbbb", run_b())
    (tmp_path / "latest").symlink_to("20261203T000000Z-bbbb")
    monkeypatch.chdir(tmp_path.parent)
    assert main(["compare", "20261202T000000Z-aaaa", "latest"]) == 1
    out = capsys.readouterr().out
    assert f"({tmp_path}/latest/report.json)" in out and "REGRESSIONS (9):" in out


def test_matrix_runs_compare_each_combination_with_itself(tmp_path: Path) -> None:
    """Two matrix runs: the same scenario on two combinations is two tests;
    a failure on one combination is that combination's regression only."""
    def matrix(fail_on: str) -> dict[str, Any]:
        tests = []
        for combo in ("[7.x,nested]", "[6.1,s1]"):
            tests.append(test(f"raw-hitless@edu{combo}", "fail" if combo == fail_on else "pass",
                              rate_per_s=500.0))
        return {"run_id": "r", "target": "qemu", "tests": tests}
    cmp = compare.compare(compare.load(write_run(tmp_path, "a", matrix(""))),
                          compare.load(write_run(tmp_path, "b", matrix("[6.1,s1]"))))
    assert [(c.test, c.a, c.b) for c in cmp.regressions] == \
        [("raw-hitless@edu[6.1,s1]", "pass", "fail")]
    assert cmp.unchanged == 1


@pytest.mark.parametrize("metric, test_metrics, want", [
    ("dma_errors", {}, compare.LOWER_IS_BETTER),
    ("eth0_rx_errors", {}, compare.LOWER_IS_BETTER),
    ("events_dropped", {"unexpected_events": 0}, compare.LOWER_IS_BETTER),
    ("events_overflows", {}, compare.LOWER_IS_BETTER),
    ("unexpected_events", {}, compare.LOWER_IS_BETTER),
    ("events", {}, compare.LOWER_IS_BETTER),
    ("events", {"unexpected_events": 0}, compare.NEUTRAL),
    ("events_C_BAD_STE", {"unexpected_events": 0}, compare.NEUTRAL),
    ("fio_stuck", {}, compare.LOWER_IS_BETTER),
    ("ns_per_sync", {}, compare.LOWER_IS_BETTER),
    ("max_sync_ns", {}, compare.NEUTRAL),
    ("blackout_disk_ms_median", {}, compare.LOWER_IS_BETTER),
    ("rate_per_s", {}, compare.HIGHER_IS_BETTER),
    ("throughput_ratio", {}, compare.HIGHER_IS_BETTER),
    ("fio_write_iops", {}, compare.HIGHER_IS_BETTER),
    ("iperf3_mbps", {}, compare.HIGHER_IS_BETTER),
    ("device_recovered", {}, compare.HIGHER_IS_BETTER),
    ("edu_restored", {}, compare.HIGHER_IS_BETTER),
    ("transitions", {}, compare.NEUTRAL),
    ("dma_roundtrips", {}, compare.NEUTRAL),
    ("overhead_pct", {}, compare.NEUTRAL),
])
def test_directions(metric: str, test_metrics: dict[str, Any], want: int) -> None:
    assert compare.direction(metric, test_metrics) == want


def test_metric_values_compared() -> None:
    """Numbers and booleans present on both sides; not strings, lists,
    NaN, a number against a boolean, or a metric on one side only."""
    a = {"n": 10, "s": "x", "l": [1], "nan": float("nan"), "mixed": 1, "gone": 5, "b": True}
    b = {"n": 10, "s": "y", "l": [2], "nan": 1.0, "mixed": False, "new": 7, "b": True}
    assert compare.compare_metrics("t", a, b, 0.2, []) == []
    got = compare.compare_metrics("t", {"n": 0.0, "f": False}, {"n": 0.5, "f": True}, 0.2, [])
    assert [(c.metric, c.rel_change) for c in got] == [("n", None), ("f", None)]
