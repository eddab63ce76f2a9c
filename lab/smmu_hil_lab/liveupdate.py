"""The live-update (kexec) test's logic that needs no DUT: STE/CD snapshot
diffs, blackout arithmetic and statistics, the per-iteration JSON-lines
log, the PMCG perf check, and the report's plot and table.

A snapshot is `smmu-hil dut streams -j`: one row per StreamID of each PCI
device with an IOMMU fwspec, {"bdf", "sid", "smmu", "ste": ENTRY | absent,
"cd": ENTRY | null, "error"/"errno" when the walk stopped}; an ENTRY is
{"pa", "config", "kind", "qwords", "fields": {ORACLE_FIELD_NAME: int}}.
The oracle lists only non-zero fields, so a field missing on one side is 0.
"""
from __future__ import annotations

import csv
import io
import json
import os
from collections import Counter
from pathlib import Path
from typing import Any, Iterable, Optional

from . import blackout as bo
from . import html_report
from .rundir import RunDir
from .workloads import median

TEST_NAME = "kexec-live-update"
# the tests that run this flow (their plots, tables and records):
# live-update-luo (scenarios/bugs, lab/smmu_hil_lab/luo.py) runs it with a
# LUO session around each kexec
FLOW_TESTS = (TEST_NAME, "live-update-luo")
ITERATIONS_FILE = "liveupdate-iterations.jsonl"
NO_PMCG = "no SMMUv3 PMCG on this DUT"
# issue 13's number: the blackout under load at most this many times the
# idle kexec's of the same run
LOAD_IDLE_GOAL = 1.5


# ------------------------------------------------------------------ diffs
def _key(row: dict[str, Any]) -> str:
    """A snapshot row's identity: "BDF/SID"."""
    return f"{row.get('bdf')}/{row.get('sid')}"


def _fields(entry: dict[str, Any] | None) -> dict[str, int]:
    return dict((entry or {}).get("fields") or {})


def diff_entry(prefix: str, before: dict[str, Any] | None,
               after: dict[str, Any] | None) -> dict[str, list[Any]]:
    """Field-by-field changes of one STE or CD: {"PREFIX.FIELD": [old, new]}
    (a field absent on one side is 0); a whole entry appearing or vanishing
    is "PREFIX": ["absent"/"present", ...]."""
    if before is None and after is None:
        return {}
    if before is None or after is None:
        return {prefix: ["absent" if before is None else "present",
                         "absent" if after is None else "present"]}
    b, a = _fields(before), _fields(after)
    return {f"{prefix}.{k}": [b.get(k, 0), a.get(k, 0)]
            for k in sorted(set(b) | set(a)) if b.get(k, 0) != a.get(k, 0)}


def diff_snapshots(before: list[dict[str, Any]],
                   after: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per StreamID (both sides, by BDF/SID, in order): {"bdf", "sid",
    "changed": {FIELD: [old, new]}, "config": [old, new], "config_changed",
    "missing": "before"/"after"/None}. Rows without changes are kept (an
    empty "changed"): the table shows every device."""
    b = {_key(r): r for r in before}
    a = {_key(r): r for r in after}
    out = []
    for key in list(b) + [k for k in a if k not in b]:
        rb, ra = b.get(key), a.get(key)
        row = rb or ra or {}
        cfg = [((rb or {}).get("ste") or {}).get("config"),
               ((ra or {}).get("ste") or {}).get("config")]
        changed: dict[str, list[Any]] = {}
        if rb is not None and ra is not None:
            changed.update(diff_entry("STE", rb.get("ste"), ra.get("ste")))
            changed.update(diff_entry("CD", rb.get("cd"), ra.get("cd")))
            for side, r in (("before", rb), ("after", ra)):
                if r.get("error"):
                    changed[f"walk_error_{side}"] = [r.get("error"), r.get("errno")]
        out.append({"bdf": row.get("bdf"), "sid": row.get("sid"), "changed": changed,
                    "config": cfg, "config_changed": cfg[0] != cfg[1],
                    "missing": "before" if rb is None else "after" if ra is None else None})
    return out


def diff_summary(diffs: list[dict[str, Any]]) -> dict[str, Any]:
    """One iteration's diff in short: devices compared, devices with a
    change, devices whose STE Config changed (or that vanished/appeared),
    and the changed field names per BDF/SID."""
    return {"devices": len(diffs),
            "changed": sum(1 for d in diffs if d["changed"]),
            "config_changed": [f"{d['bdf']}/{d['sid']}" for d in diffs
                               if d["config_changed"] or d["missing"]],
            "fields": {f"{d['bdf']}/{d['sid']}": sorted(d["changed"]) for d in diffs
                       if d["changed"]}}


# ------------------------------------------------------------------ blackout
def _int(v: Any) -> int:
    return v if isinstance(v, int) else int(str(v), 0)


def ticks_ms(before: dict[str, Any], after: dict[str, Any]) -> float:
    """Milliseconds between two `smmu-hil clock` readings (arm64 virtual
    counter, which runs on across kexec). Raises ValueError when the counter
    went backwards or the frequency is 0."""
    freq = _int(before["cntfrq"])
    ticks = _int(after["cntvct"]) - _int(before["cntvct"])
    if freq <= 0 or ticks < 0:
        raise ValueError(f"bad counter readings: {ticks} ticks at {freq} Hz")
    return ticks / freq * 1000


def stats(prefix: str, values: Iterable[Optional[float]]) -> dict[str, Any]:
    """{PREFIX_min, PREFIX_median, PREFIX_max} (ms, 0.1 resolution) over the
    measured @values (None = not measured, left out); None each when none."""
    v = [float(x) for x in values if x is not None]
    if not v:
        return {f"{prefix}_min": None, f"{prefix}_median": None, f"{prefix}_max": None}
    return {f"{prefix}_min": round(min(v), 1), f"{prefix}_median": round(median(v), 1),
            f"{prefix}_max": round(max(v), 1)}


def summarize(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The test's metrics from its per-iteration records (the JSON lines):
    iterations, failed iterations, verify_errors, unexpected_events,
    blackout_ms (disk, per iteration), blackout_nic_ms, their statistics,
    ste_diffs (per iteration, diff_summary)."""
    disk = [r.get("blackout_disk_ms") for r in records]
    nic = [r.get("blackout_nic_ms") for r in records]
    m: dict[str, Any] = {
        "iterations": len(records),
        "failed_iterations": sum(1 for r in records if r.get("error")),
        "verify_errors": sum(int(r.get("verify_errors") or 0) for r in records),
        "unexpected_events": sum(int(r.get("unexpected_events") or 0) for r in records),
        "blackout_ms": disk, "blackout_nic_ms": nic}
    m.update(stats("blackout_disk_ms", disk))
    m.update(stats("blackout_nic_ms", nic))
    m["ste_diffs"] = [r.get("ste_diff_summary") for r in records]
    m.update(bo.phase_medians(records))
    return m


def idle_positions(n_idle: int, n: int) -> dict[int, int]:
    """Where @n_idle idle kexecs go among @n loaded iterations: {k: how
    many run before loaded iteration k+1} (k = @n: after the last), spread
    evenly from before the first to after the last. Raises ValueError for
    a negative count."""
    if n_idle < 0 or n < 0:
        raise ValueError(f"idle kexecs {n_idle}, iterations {n}: must be >= 0")
    if n_idle == 1:
        return {0: 1}
    return dict(Counter(round(k * n / (n_idle - 1)) for k in range(n_idle)))


def _median(values: Iterable[Any], digits: int = 3) -> Optional[float]:
    v = [float(x) for x in values if x is not None]
    return round(median(v), digits) if v else None


def summarize_idle(records: list[dict[str, Any]], idle: list[dict[str, Any]]) -> dict[str, Any]:
    """The idle baseline against the loaded iterations of the same run:
    idle_kexecs, failed_idle_kexecs, idle_blackout_disk_ms_median,
    idle_blackout_nic_ms_median, idle_kexec_to_ready_s_median,
    kexec_to_ready_s_median (loaded), blackout_load_idle_ratio (median disk
    blackout under load / idle, both on the DUT counter; None without both),
    blackout_nic_load_idle_ratio (the same for the NIC blackout),
    load_idle_goal_ratio (LOAD_IDLE_GOAL) and load_idle_goal_met, the idle
    phases (idle_phase_*_s_median), phase_extra_s (per phase: loaded median
    − idle median, seconds: where the extra time under load goes), and the
    host's CPU time used by others than the DUT during the kexecs
    (host_other_cpu_s_median, idle_host_other_cpu_s_median)."""
    ok = [r for r in idle if not r.get("error")]
    m: dict[str, Any] = {
        "idle_kexecs": len(idle), "failed_idle_kexecs": len(idle) - len(ok),
        "idle_blackout_disk_ms_median": _median((r.get("blackout_disk_ms") for r in ok), 1),
        "idle_blackout_nic_ms_median": _median((r.get("blackout_nic_ms") for r in ok), 1),
        "idle_kexec_to_ready_s_median": _median((r.get("kexec_to_ready_s") for r in ok), 2),
        "kexec_to_ready_s_median": _median((r.get("kexec_to_ready_s") for r in records), 2)}
    load = _median(r.get("blackout_disk_ms") for r in records)
    base = m["idle_blackout_disk_ms_median"]
    ratio = round(load / base, 2) if load is not None and base else None
    m["blackout_load_idle_ratio"] = ratio
    nic, nic_base = _median(r.get("blackout_nic_ms") for r in records), \
        m["idle_blackout_nic_ms_median"]
    m["blackout_nic_load_idle_ratio"] = round(nic / nic_base, 2) \
        if nic is not None and nic_base else None
    m["load_idle_goal_ratio"] = LOAD_IDLE_GOAL
    m["load_idle_goal_met"] = ratio is not None and ratio <= LOAD_IDLE_GOAL
    m.update(bo.phase_medians(ok, "idle_phase"))
    loaded = bo.phase_medians(records)
    extra = {}
    for key, _ in bo.PHASES:
        a, b = loaded[f"phase_{key}_s_median"], m[f"idle_phase_{key}_s_median"]
        extra[key] = round(a - b, 3) if a is not None and b is not None else None
    m["phase_extra_s"] = extra
    for prefix, recs in (("", records), ("idle_", ok)):
        m[f"{prefix}host_other_cpu_s_median"] = _median(
            (r.get("host_cpu") or {}).get("other_s") for r in recs)
    return m


# ------------------------------------------------------------------ JSON lines
def append_jsonl(path: Path, record: dict[str, Any]) -> None:
    """Append @record as one line and fsync: a killed controller loses
    nothing written before."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, sort_keys=True) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The records of @path; a torn last line (killed mid-write) is skipped."""
    out = []
    if not path.is_file():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict):
            out.append(rec)
    return out


# ------------------------------------------------------------------ perf
CPU_EVENTS = ("cycles", "instructions")


def perf_stat_csv(text: str) -> dict[str, Optional[float]]:
    """`perf stat -x,` output (one CSV row per event: value, unit, event,
    run time, run percentage, ...; tools/perf/Documentation/perf-stat.txt)
    as {event: value}; "<not supported>" / "<not counted>" give None.
    Lines that are not such rows (comments, blank, errors) are ignored."""
    out: dict[str, Optional[float]] = {}
    for row in csv.reader(io.StringIO(text)):
        if len(row) < 3 or not row[2] or row[0].startswith("#"):
            continue
        try:
            out[row[2]] = float(row[0])
        except ValueError:
            if row[0].startswith("<not"):
                out[row[2]] = None
    return out


def pmcg_devices(event_source_listing: str) -> list[str]:
    """The SMMUv3 PMCG perf PMUs (smmuv3_pmcg_*) in a listing of
    /sys/bus/event_source/devices."""
    return sorted(n for n in event_source_listing.split() if n.startswith("smmuv3_pmcg"))


# ------------------------------------------------------------------ report
def is_test(name: str) -> bool:
    """True for a live-update flow test's report name (FLOW_TESTS), or
    with a plan phase's suffix (kexec-live-update@ssh)."""
    return name.split("@", 1)[0] in FLOW_TESTS


def records(rd: RunDir, t: dict[str, Any]) -> list[dict[str, Any]]:
    """The iteration records of report entry @t in run @rd (a run of several
    phases holds each variant's: a record's "test" names its test; records
    without one belong to any); [] for another test."""
    name = str(t.get("name"))
    if not is_test(name):
        return []
    return [r for r in read_jsonl(rd.path / ITERATIONS_FILE) if r.get("test", name) == name]


def plot_blackout(rd: RunDir, t: dict[str, Any]) -> Any:
    """Disk and NIC blackout per iteration (ms), from the test's metrics;
    None when no iteration measured one (every iteration failed)."""
    m = t.get("metrics") or {}
    if not is_test(str(t.get("name"))) or \
            all(v is None for v in (m.get("blackout_ms") or []) + (m.get("blackout_nic_ms") or [])):
        return None
    plt = html_report.plt
    disk, nic = m.get("blackout_ms") or [], m.get("blackout_nic_ms") or []
    fig, ax = plt.subplots(figsize=(9, 3.2))
    xs = list(range(1, len(disk) + 1))
    ax.plot(xs, [d if d is not None else float("nan") for d in disk], "o-", label="disk")
    if any(v is not None for v in nic):
        ax.plot(list(range(1, len(nic) + 1)),
                [d if d is not None else float("nan") for d in nic], "s--", label="NIC")
    ax.set_xlabel("iteration")
    ax.set_ylabel("blackout (ms)")
    ax.set_xticks(xs)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return "Blackout per kexec iteration", fig


PHASE_COLORS = ("#8d6e63", "#ef6c00", "#1565c0", "#2e7d32", "#6a1b9a", "#00838f", "#9e9d24")


def plot_phases(rd: RunDir, t: dict[str, Any]) -> Any:
    """Each kexec's blackout split into phases (blackout.PHASES), one
    stacked bar per kexec in time order, idle ones hatched and labelled; a
    black tick at the disk blackout the DUT counter measured (from the
    reading before the kexec to the first disk I/O after). None when no
    record has phases."""
    recs = sorted((r for r in records(rd, t) if isinstance(r.get("phases"), dict)),
                  key=lambda r: float(r.get("t_kexec_request") or 0))
    if not recs:
        return None
    plt = html_report.plt
    fig, ax = plt.subplots(figsize=(10, 4))
    xs = list(range(len(recs)))
    bottom = [0.0] * len(recs)
    for (key, label), color in zip(bo.PHASES, PHASE_COLORS):
        # a phase a few ms below 0 (the NIC probe's one-transfer estimate) draws nothing
        h = [max(0.0, float(r["phases"].get(key) or 0.0)) for r in recs]
        ax.bar(xs, h, bottom=bottom, color=color, label=label, width=0.7,
               edgecolor="white", lw=0.5)
        bottom = [b + v for b, v in zip(bottom, h)]
    for x, r in zip(xs, recs):
        if r.get("idle"):
            ax.bar([x], [bottom[x]], width=0.7, fill=False, hatch="//", edgecolor="#555",
                   lw=0)
        if r.get("blackout_disk_ms") is not None:
            ax.plot([x - 0.4, x + 0.4], [r["blackout_disk_ms"] / 1000] * 2, "k-", lw=1.5,
                    gid="disk-blackout")
        if r.get("error"):
            ax.annotate("failed", (x, bottom[x]), ha="center", va="bottom", fontsize=7,
                        color="#c62828")
    ax.plot([], [], "k-", lw=1.5, label="disk blackout (DUT counter)")
    ax.set_xticks(xs, [str(r.get("iteration")) for r in recs], fontsize=7,
                  rotation=45 if len(recs) > 12 else 0)
    ax.set_xlabel("kexec (in time order; idle = no workloads, hatched)")
    ax.set_ylabel("seconds")
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    m = t.get("metrics") or {}
    ratio = m.get("blackout_load_idle_ratio")
    title = "Blackout by phase per kexec"
    if ratio is not None:
        title += (f" (median disk blackout under load {ratio}× idle, goal ≤ "
                  f"{m.get('load_idle_goal_ratio', LOAD_IDLE_GOAL)}×)")
    return title, fig


def _fmt_change(old: Any, new: Any) -> str:
    f = (lambda v: hex(v) if isinstance(v, int) and not isinstance(v, bool) else str(v))
    return f"{f(old)}→{f(new)}"


def table_diffs(rd: RunDir, t: dict[str, Any]) -> Any:
    """Per iteration and StreamID: STE Config before/after and the STE/CD
    fields that changed across kexec (from the iteration records)."""
    recs = records(rd, t)
    rows: list[list[Any]] = []
    for r in recs:
        for d in r.get("ste_diffs") or []:
            changes = "; ".join(f"{k} {_fmt_change(*v)}" for k, v in d["changed"].items())
            flag = "CONFIG CHANGED" if d.get("config_changed") or d.get("missing") else ""
            rows.append([r.get("iteration"), d.get("bdf"), hex(int(d.get("sid") or 0)),
                         f"{d['config'][0]}→{d['config'][1]}", flag, changes or "-"])
    if not rows:
        return None
    return ("STE/CD diff per iteration (before → after kexec)",
            ["iteration", "device", "sid", "config", "flag", "changed fields"], rows)


def register() -> None:
    """Add the blackout plots and the diff table to report.html (once)."""
    for plot in (plot_blackout, plot_phases):
        if plot not in html_report.TEST_PLOTS:
            html_report.TEST_PLOTS.append(plot)
    if table_diffs not in html_report.TEST_TABLES:
        html_report.TEST_TABLES.append(table_diffs)


register()
