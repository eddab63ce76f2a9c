"""The live-update test's time series, measured on the lab host so they
survive the DUT's kexec, and the report's plots over time.

- NIC: the host's iperf3 servers run with JSON output (`iperf3 -s -J -i
  0.5`); iperf3 3.12 writes one JSON document per finished test, and at
  SIGTERM one more: the interrupted test's intervals so far and an "error"
  (only the "error" when no test ran). iperf3_series() turns each test's
  per-interval `sum`
  (seconds since the test started) and its `start.timestamp.timesecs` (whole
  seconds: the series is placed to within 1 s) into absolute times.
- Disk: BlockSampler, a thread reading Target.block_counters() (QEMU's QMP
  query-blockstats of the data drive) every 0.5 s.

Everything goes to <run-dir>/liveupdate-timeline.jsonl as it comes, one
object a line: {"test", "kind": "start" | "disk" | "disk-error" |
"disk-missing" | "nic", "t": host time.time(), ...}. The plots read it back
with the iteration records (liveupdate-iterations.jsonl, whose t_* fields
are host times of each iteration's steps).
"""
from __future__ import annotations

import json
import math
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any, Optional

from . import html_report
from . import liveupdate as lu
from .errors import LabError
from .rundir import RunDir
from .targets import Target

TIMELINE_FILE = "liveupdate-timeline.jsonl"
SAMPLE_S = 0.5                 # block counter sampling period
NIC_INTERVAL_S = 0.5           # the iperf3 server's reporting interval
# an iteration's steps (record fields, host time.time()) in time order
STEPS = (("t_load_start", "load start"), ("t_kexec_request", "kexec -e"),
         ("t_ready", "DUT ready"), ("t_nic_first_ok", "NIC first transfer"),
         ("t_end", "iteration end"))


# ------------------------------------------------------------------ iperf3
def iperf3_documents(text: str) -> list[dict[str, Any]]:
    """The JSON documents of @text, a stream of concatenated iperf3 -J
    outputs (whitespace between them). Text that is not JSON is skipped up to
    the next line starting with "{" (a torn document of a killed server)."""
    dec = json.JSONDecoder()
    out: list[dict[str, Any]] = []
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            break
        try:
            doc, i = dec.raw_decode(text, i)
        except json.JSONDecodeError:
            nxt = text.find("\n{", i + 1)
            if nxt < 0:
                break
            i = nxt + 1
            continue
        if isinstance(doc, dict):
            out.append(doc)
    return out


def iperf3_series(text: str) -> list[dict[str, Any]]:
    """Per interval of every test in iperf3 server JSON @text (documents in
    the order the servers wrote them): {"t", "t_end" (host seconds since the
    epoch: the test's start plus the interval's start/end), "mbps" (MB/s,
    10^6 bytes), "bytes", "iperf3_test" (the test's index in @text)}, in
    time order.

    A test starts within the second start.timestamp.timesecs names, and a
    server runs one test at a time: a test whose whole second began before
    the previous test ended starts when that one ended (else at timesecs).
    Documents without a start timestamp (an "error" only) add nothing."""
    out = []
    prev_end = None
    for k, doc in enumerate(iperf3_documents(text)):
        ts = ((doc.get("start") or {}).get("timestamp") or {}).get("timesecs")
        if ts is None:
            continue
        t0 = float(ts)
        if prev_end is not None and t0 < prev_end < t0 + 1:
            t0 = prev_end
        for iv in doc.get("intervals") or []:
            s = iv.get("sum") or {}
            if "start" not in s or "end" not in s:
                continue
            out.append({"t": t0 + float(s["start"]), "t_end": t0 + float(s["end"]),
                        "mbps": float(s.get("bits_per_second", 0.0)) / 8e6,
                        "bytes": int(s.get("bytes", 0)), "iperf3_test": k})
            prev_end = out[-1]["t_end"]
    return sorted(out, key=lambda r: r["t"])


# ------------------------------------------------------------------ the file
class Timeline:
    """Appends @test's samples to @path (one fsync'd JSON line each);
    threads may share it."""

    def __init__(self, path: Path, test: str) -> None:
        self.path = path
        self.test = test
        self._lock = threading.Lock()

    def append(self, kind: str, **fields: Any) -> None:
        """Append {"test", "kind": @kind, **@fields} (a "t" field is the host
        time.time() of the sample)."""
        with self._lock:
            lu.append_jsonl(self.path, {"test": self.test, "kind": kind, **fields})

    def add_iperf3(self, text: str) -> int:
        """Append the "nic" samples of iperf3 server JSON @text; returns how many."""
        series = iperf3_series(text)
        for s in series:
            self.append("nic", **s)
        return len(series)


class BlockSampler:
    """A thread appending @target.block_counters() to @timeline every
    @period seconds until stop(): "disk" samples {"t", "rd_bytes",
    "wr_bytes"}; a read error as "disk-error" {"t", "error"} (once until a
    read works again); a target without counters as one "disk-missing"
    {"why"}, after which the thread ends."""

    def __init__(self, target: Target, timeline: Timeline, period: float = SAMPLE_S) -> None:
        self.target = target
        self.timeline = timeline
        self.period = period
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="block-sampler", daemon=True)

    def start(self) -> "BlockSampler":
        """Start sampling (returns self)."""
        self._thread.start()
        return self

    def stop(self, timeout: float = 15.0) -> None:
        """Stop and wait for the thread (at most @timeout seconds: a QMP
        read in flight ends within its own timeout)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        last_error = None
        while not self._stop.is_set():
            t0 = time.monotonic()
            try:
                c = self.target.block_counters()
            except LabError as e:
                if str(e) != last_error:
                    self.timeline.append("disk-error", t=time.time(), error=str(e))
                    last_error = str(e)
            else:
                if c is None:
                    self.timeline.append("disk-missing", why=self.target.block_counters_missing())
                    return
                self.timeline.append("disk", t=time.time(), **c)
                self.samples += 1
                last_error = None
            self._stop.wait(max(0.0, self.period - (time.monotonic() - t0)))

    def __enter__(self) -> "BlockSampler":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def disk_rates(samples: list[dict[str, Any]], gap_s: float = 4 * SAMPLE_S
               ) -> list[tuple[float, float, float]]:
    """(t, read MB/s, write MB/s) between consecutive "disk" @samples, at the
    later sample's time; NaN rates where the samples are more than @gap_s
    apart or a counter went back (QEMU restarted): the plot shows a gap."""
    nan = float("nan")
    out = []
    s = sorted(samples, key=lambda r: r["t"])
    for a, b in zip(s, s[1:]):
        dt = b["t"] - a["t"]
        dr, dw = b["rd_bytes"] - a["rd_bytes"], b["wr_bytes"] - a["wr_bytes"]
        if dt <= 0:
            continue
        if dt > gap_s or dr < 0 or dw < 0:
            out.append((b["t"], nan, nan))
        else:
            out.append((b["t"], dr / dt / 1e6, dw / dt / 1e6))
    return out


# ------------------------------------------------------------------ report
def read_timeline(rd: RunDir, test: str) -> dict[str, list[dict[str, Any]]]:
    """The timeline entries of @test in run @rd, by kind."""
    out: dict[str, list[dict[str, Any]]] = {}
    for e in lu.read_jsonl(rd.path / TIMELINE_FILE):
        if e.get("test") == test:
            out.setdefault(str(e.get("kind")), []).append(e)
    return out


def _origin(tl: dict[str, list[dict[str, Any]]], recs: list[dict[str, Any]]) -> float | None:
    """Time zero of the plots: the test's "start" entry, else its earliest time."""
    if tl.get("start"):
        return float(tl["start"][0]["t"])
    ts = [float(e["t"]) for k in tl.values() for e in k if "t" in e] + \
        [float(r[f]) for r in recs for f, _ in STEPS if r.get(f) is not None]
    return min(ts) if ts else None


def _set_xlim(ax: Any, tl: dict[str, list[dict[str, Any]]], recs: list[dict[str, Any]],
              t0: float) -> None:
    """The same x range in both plots: from the test's start to its last
    time (a sample's or a record's), a second of margin each side."""
    ts = [float(e.get("t_end", e["t"])) for k in tl.values() for e in k if "t" in e] + \
        [float(r[f]) for r in recs for f, _ in STEPS if r.get(f) is not None]
    ax.set_xlim(-1, max(ts, default=t0) - t0 + 1)


def _kexec_spans(axes: list[Any], recs: list[dict[str, Any]], t0: float,
                 label_ax: Any) -> int:
    """Shade each iteration's kexec (request → DUT ready, or → iteration end
    when the DUT never came back) on every axis in @axes and label it on
    @label_ax. Returns the number of kexecs shaded."""
    n = 0
    for r in recs:
        a = r.get("t_kexec_request")
        b = r.get("t_ready")
        failed = b is None
        b = b if b is not None else r.get("t_end")
        if a is None or b is None:
            continue
        n += 1
        for ax in axes:
            ax.axvspan(a - t0, b - t0, color="#c62828" if failed else "#ef6c00",
                       alpha=0.18, lw=0, gid="kexec-span")
        label_ax.annotate(f"kexec {r.get('iteration')}" + (" (no DUT)" if failed else ""),
                          (a - t0, 1.0), xycoords=("data", "axes fraction"),
                          xytext=(2, -2), textcoords="offset points", va="top",
                          fontsize=7, color="#8a3c00")
    return n


def _step_xy(series: list[dict[str, Any]], gap_s: float = 0.3
             ) -> tuple[list[float], list[float]]:
    """Flat segments for intervals {"t", "t_end", "mbps"}, NaN between
    intervals further apart than @gap_s (no data there) or overlapping."""
    xs: list[float] = []
    ys: list[float] = []
    prev_end = None
    for s in series:
        if prev_end is not None and not -1e-6 < s["t"] - prev_end <= gap_s:
            xs.append(prev_end)
            ys.append(float("nan"))
        xs += [s["t"], s["t_end"]]
        ys += [s["mbps"], s["mbps"]]
        prev_end = s["t_end"]
    return xs, ys


def _lone(series: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The intervals of @series (time order) that are a whole iperf3 test:
    no interval of the same test ends where they start or starts where
    they end."""
    def joined(a: dict[str, Any], b: dict[str, Any]) -> bool:
        return a.get("iperf3_test") == b.get("iperf3_test") and abs(a["t_end"] - b["t"]) < 1e-6
    return [s for i, s in enumerate(series)
            if not (i > 0 and joined(series[i - 1], s))
            and not (i + 1 < len(series) and joined(s, series[i + 1]))]


def _headroom(ax: Any, values: list[float]) -> None:
    """y from 0 to 1.3 × the largest of @values (room for labels and legend)."""
    top = max((v for v in values if not math.isnan(v)), default=0.0)
    ax.set_ylim(0, top * 1.3 if top > 0 else 1.0)


def _note(ax: Any, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center",
            fontsize=9, color="#555", wrap=True,
            bbox={"facecolor": "white", "edgecolor": "#bbb", "alpha": 0.9})


def plot_throughput(rd: RunDir, t: dict[str, Any]) -> Optional[tuple[str, Any]]:
    """Disk (QMP block counters) and NIC (host iperf3 server) throughput in
    MB/s over the seconds since the test started, kexecs shaded. None when
    @t is not the live-update test or it recorded no timeline."""
    name = str(t.get("name"))
    if not lu.is_test(name):
        return None
    tl = read_timeline(rd, name)
    recs = lu.records(rd, t)
    t0 = _origin(tl, recs)
    if t0 is None:
        return None
    plt = html_report.plt
    fig, (ax_d, ax_n) = plt.subplots(2, 1, sharex=True, figsize=(10, 5.6))
    rates = disk_rates(tl.get("disk", []))
    if rates:
        xs = [r[0] - t0 for r in rates]
        ax_d.plot(xs, [r[2] for r in rates], "-", lw=1.2, color="#1565c0", label="write")
        ax_d.plot(xs, [r[1] for r in rates], "--", lw=1.2, color="#2e7d32", label="read")
        ax_d.legend(fontsize=7, loc="upper right", ncol=2)
        _headroom(ax_d, [v for r in rates for v in r[1:]])
    elif tl.get("disk-missing"):
        _note(ax_d, "no disk throughput: " + str(tl["disk-missing"][0].get("why")))
    else:
        errs = tl.get("disk-error", [])
        _note(ax_d, "no disk samples" + (f": {errs[0].get('error')}" if errs else ""))
    ax_d.set_ylabel(f"disk MB/s\n(QMP, {SAMPLE_S} s)")
    nic = tl.get("nic", [])
    if nic:
        xs, ys = _step_xy([{**s, "t": s["t"] - t0, "t_end": s["t_end"] - t0} for s in nic])
        ax_n.plot(xs, ys, "-", lw=1.2, color="#6a1b9a", label="iperf3 received")
        # short tests (the probe's 64 KiB transfers) would be specks: a dot each
        short = [s for s in _lone(nic) if s["t_end"] - s["t"] < 0.25]
        ax_n.plot([(s["t"] + s["t_end"]) / 2 - t0 for s in short], [s["mbps"] for s in short],
                  ".", ms=5, color="#6a1b9a")
        _headroom(ax_n, ys)
        ax_n.text(0.005, 0.98, "host iperf3 server; test starts known to 1 s",
                  transform=ax_n.transAxes, fontsize=7, va="top", color="#555")
    else:
        _note(ax_n, "no NIC samples (no iperf3 server output recorded)")
    for r in recs:
        if r.get("t_nic_first_ok") is not None:
            ax_n.axvline(r["t_nic_first_ok"] - t0, color="#2e7d32", ls=":", lw=1,
                         gid="nic-back")
    ax_n.set_ylabel(f"NIC MB/s\n(iperf3, {NIC_INTERVAL_S} s)")
    n = _kexec_spans([ax_d, ax_n], recs, t0, ax_d)
    _set_xlim(ax_n, tl, recs, t0)
    ax_n.set_xlabel("seconds since the test started (shaded: kexec -e → DUT ready; "
                    "dotted: first NIC transfer after)")
    for ax in (ax_d, ax_n):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return f"Disk and NIC throughput over time ({n} kexec{'' if n == 1 else 's'})", fig


def _event_types(r: dict[str, Any], side: str) -> Counter[str]:
    """Events of one read of iteration record @r by type: the record's
    event_types_SIDE, else its count as "event" (type unknown)."""
    types = r.get(f"event_types_{side}")
    if isinstance(types, dict):
        return Counter({str(k): int(v) for k, v in types.items()})
    n = int(r.get(f"events_{side}") or 0)
    return Counter({"event (type not recorded)": n} if n else {})


def plot_events(rd: RunDir, t: dict[str, Any]) -> Optional[tuple[str, Any]]:
    """Event timeline: each iteration's steps (load start, kexec -e, DUT
    ready, first NIC transfer, end) and the SMMU event records read from the
    event queue before and after each kexec, by type, over the seconds since
    the test started, kexecs shaded. None when @t is not the live-update test
    or its records carry no times."""
    name = str(t.get("name"))
    if not lu.is_test(name):
        return None
    recs = lu.records(rd, t)
    tl = read_timeline(rd, name)
    if not any(r.get(f) is not None for r in recs for f, _ in STEPS):
        return None
    t0 = _origin(tl, recs)
    assert t0 is not None
    plt = html_report.plt
    fig, (ax_s, ax_e) = plt.subplots(2, 1, sharex=True, figsize=(10, 4.6),
                                     gridspec_kw={"height_ratios": [1, 1.3]})
    for row, (field, label) in enumerate(STEPS):
        xs = [r[field] - t0 for r in recs if r.get(field) is not None]
        ax_s.plot(xs, [row] * len(xs), "|", ms=12, mew=2, label=label)
    ax_s.set_yticks(range(len(STEPS)), [label for _, label in STEPS], fontsize=8)
    ax_s.set_ylim(len(STEPS) - 0.5, -0.5)
    reads = [(r[f"t_events_{side}"], _event_types(r, side)) for r in recs
             for side in ("before", "after") if r.get(f"t_events_{side}") is not None]
    types = sorted({k for _, c in reads for k in c})
    total = sum(sum(c.values()) for _, c in reads)
    if reads:
        ax_e.plot([x - t0 for x, _ in reads], [0] * len(reads), "k^", ms=5,
                  label="event queue read")
    bottom = [0.0] * len(reads)
    for typ in types:
        h = [float(c.get(typ, 0)) for _, c in reads]
        ax_e.bar([x - t0 for x, _ in reads], h, width=1.0, bottom=bottom, label=typ)
        bottom = [b + v for b, v in zip(bottom, h)]
    if total == 0:
        _note(ax_e, f"0 SMMU events in {len(reads)} event queue reads "
                    f"({len(recs)} iterations, before and after each kexec)")
        ax_e.set_ylim(-0.5, 1.5)
    else:
        ax_e.set_ylim(bottom=0)
    if reads or types:
        ax_e.legend(fontsize=7, loc="upper right")
    ax_e.set_ylabel("SMMU events\nper read")
    _kexec_spans([ax_s, ax_e], recs, t0, ax_s)
    _set_xlim(ax_e, tl, recs, t0)
    ax_e.set_xlabel("seconds since the test started (shaded: kexec -e → DUT ready)")
    for ax in (ax_s, ax_e):
        ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    return f"Event timeline ({total} SMMU events)", fig


def register() -> None:
    """Add the live-update test's report parts to report.html (once): the
    blackout plot and diff table (liveupdate.register()), then the throughput
    and event timeline plots."""
    lu.register()
    for plot in (plot_throughput, plot_events):
        if plot not in html_report.TEST_PLOTS:
            html_report.TEST_PLOTS.append(plot)


register()
