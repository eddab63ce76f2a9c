"""A kexec's blackout split into phases, from the console lines the lab
host saw (stamped with its own clock as they arrived) and the new kernel's
printk timestamps in them.

Boundaries, each a host time.time() (seconds since the epoch), in order:

- ``request``: the lab typed the kexec command (`smmu-hil dut quiesce &&
  kexec -e`); host clock.
- ``quiesced``: the console line `stopped N processes, M requests in flight
  after X ms` (user space stopped, block layer drained); host clock of the
  line's arrival.
- ``new_kernel``: the new kernel's first console line, `[    0.000000]
  Booting Linux ...`, at its own timestamp: the new kernel's printk clock
  zero put on the host clock (kernel_zero()). printk time starts when the
  arch timer registers as sched_clock (time_init(), after memory init), so
  the new kernel's earliest boot is inside the kexec phase.
- ``smmu_probe``: the first `arm-smmu-v3` line of the new kernel (its probe
  starting); printk clock.
- ``devices``: the last device (re-)probe line of the new kernel: `Adding
  to iommu group` (the device's IOMMU probe: its STE), `virtio_blk virtioN:
  [vdX]` (the disk bound), `smmu_hil_edu BDF:` (edu bound); printk clock.
- ``ready``: the `smmu-hil: DUT ready` line (echoed by the DUT's init, so
  it has no printk time); host clock of the line's arrival.
- ``disk``: the first disk I/O after the kexec completed (`smmu-hil clock
  --io`: the counter read when its 4 KiB O_DIRECT read returned); DUT
  counter, put on the host clock through the counter reading just before
  the kexec (whose host time is known to its command's round trip).
- ``nic``: the first successful iperf3 transfer's start (the NIC probe);
  DUT counter, on the host clock the same way.

Phases (seconds) are the differences of consecutive boundaries; PHASES
names them. A phase whose boundaries are not both known is None.
"""
from __future__ import annotations

import os
import re
import threading
import time
from typing import Any, Callable, Iterable, Optional

from .strategy import READY
from .workloads import median

CONSOLE_FILE = "liveupdate-console.jsonl"   # per kexec: its stamped console lines

# (key, label) of each phase in time order; the key is a record's
# phases[key] and the metric phase_<key>_s_median
PHASES = (("quiesce", "quiesce"), ("kexec", "kexec -e → new kernel"),
          ("boot_smmu", "boot → SMMU probe"), ("reprobe", "device re-probe"),
          ("init_ready", "init → DUT ready"), ("resume_disk", "ready → first disk I/O"),
          ("resume_nic", "→ first NIC transfer"))
# each phase's end boundary (its start is the previous phase's end, "request" first)
BOUNDARIES = ("request", "quiesced", "new_kernel", "smmu_probe", "devices", "ready",
              "disk", "nic")

# a kernel log record on the console, anywhere in a line (a shell escape or
# prompt may precede it): "[   12.345678] text"
KERNEL_RECORD = re.compile(r"\[\s*(\d+\.\d+)\] (.*)$")
QUIESCED = re.compile(r"stopped (\d+) processes, (\d+) requests in flight after ([\d.]+) ms")
NEW_KERNEL = re.compile(r"Booting Linux on physical CPU")
CONSOLE_ON = re.compile(r"printk: (?:legacy )?console \[\w+\] enabled")
SMMU_LINE = re.compile(r"^arm-smmu-v3 \S+: ")
DEVICE_LINES = (re.compile(r"Adding to iommu group \d+"),
                re.compile(r"^virtio_blk virtio\d+: \[\w+\]"),
                re.compile(r"^smmu_hil_edu \S+: "))
READY_LINE = re.compile(READY)


class ConsoleStamper:
    """Collects the console's complete lines with the host time.time() at
    which each arrived (the end of the chunk that completed it), from
    start() to stop(). Thread-safe: the console's reader calls feed()."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.lines: list[tuple[float, str]] = []
        self._part = ""
        self._lock = threading.Lock()
        self._console: Any = None

    def feed(self, text: str) -> None:
        """Take a chunk @text the console printed (a listener)."""
        t = self.clock()
        with self._lock:
            buf = self._part + text.replace("\r", "")
            *done, self._part = buf.split("\n")
            self.lines += [(t, line) for line in done]

    def start(self, console: Any) -> "ConsoleStamper":
        """Listen to @console (ConsoleProtocol.add_listener); returns self."""
        self._console = console
        console.add_listener(self.feed)
        return self

    def stop(self) -> list[tuple[float, str]]:
        """Stop listening; returns the stamped lines (an unfinished last
        line too, at the time of the stop)."""
        if self._console is not None:
            self._console.remove_listener(self.feed)
            self._console = None
        with self._lock:
            if self._part:
                self.lines.append((self.clock(), self._part))
                self._part = ""
            return list(self.lines)


def kernel_record(line: str) -> Optional[tuple[float, str]]:
    """(printk seconds, text) of a console line holding a kernel log record;
    None for any other line."""
    m = KERNEL_RECORD.search(line)
    return (float(m.group(1)), m.group(2)) if m else None


def kernel_zero(records: Iterable[tuple[float, float]]) -> Optional[float]:
    """The new kernel's printk clock zero on the host clock, from its
    console records (host arrival time, printk seconds): every record
    arrives after it was printed, so arrival − printk time is at least the
    zero, and the smallest such difference is the best estimate (records
    printed before the console was registered arrive in one burst later
    and do not win). None without records."""
    diffs = [h - s for h, s in records]
    return min(diffs) if diffs else None


def boundaries(lines: list[tuple[float, str]], request: float) -> dict[str, Any]:
    """The boundaries the console shows of one kexec, from its stamped
    @lines (ConsoleStamper, host time order) and the host time @request of
    the kexec command: {"quiesced", "new_kernel", "smmu_probe", "devices",
    "ready" (host times or None), "zero" (the new kernel's printk zero on
    the host clock), "console_on_s", "smmu_probe_s", "devices_s" (printk
    seconds), "console_flush_s" (the first new-kernel line's arrival after
    the zero: the console's registration and its backlog),
    "quiesce_drain_ms", "quiesce_stopped" (the quiesce's own report),
    "device_lines" (how many)}. Lines before @request are ignored; so are
    kernel records before the new kernel's first line (the old kernel's).
    """
    out: dict[str, Any] = {k: None for k in (
        "quiesced", "new_kernel", "smmu_probe", "devices", "ready", "zero", "console_on_s",
        "smmu_probe_s", "devices_s", "console_flush_s", "quiesce_drain_ms",
        "quiesce_stopped")}
    out["device_lines"] = 0
    new: list[tuple[float, float, str]] = []   # (host, printk s, text) of the new kernel
    first_host = None
    for host, line in lines:
        if host < request:
            continue
        if out["quiesced"] is None and first_host is None:
            m = QUIESCED.search(line)
            if m:
                out["quiesced"] = host
                out["quiesce_stopped"] = int(m.group(1))
                out["quiesce_drain_ms"] = float(m.group(3))
                continue
        rec = kernel_record(line)
        if first_host is None:
            if rec is None or not (NEW_KERNEL.search(rec[1]) or rec[0] == 0.0):
                continue
            first_host = host
        if out["ready"] is None and READY_LINE.search(line):
            out["ready"] = host
            break
        if rec is not None:
            new.append((host, rec[0], rec[1]))
    if first_host is None:
        return out
    zero = kernel_zero((h, s) for h, s, _ in new)
    out["zero"] = zero
    out["new_kernel"] = zero
    out["console_flush_s"] = round(first_host - zero, 3) if zero is not None else None
    for _, s, text in new:
        if out["console_on_s"] is None and CONSOLE_ON.search(text):
            out["console_on_s"] = s
        if out["smmu_probe_s"] is None and SMMU_LINE.search(text):
            out["smmu_probe_s"] = s
        if any(rx.search(text) for rx in DEVICE_LINES):
            out["devices_s"] = s if out["devices_s"] is None else max(out["devices_s"], s)
            out["device_lines"] += 1
    if zero is not None:
        for key in ("smmu_probe", "devices"):
            if out[f"{key}_s"] is not None:
                out[key] = zero + out[f"{key}_s"]
    return out


def phases(bounds: dict[str, Optional[float]]) -> dict[str, Optional[float]]:
    """Seconds of each phase (PHASES keys) from the host times of the
    BOUNDARIES in @bounds (a missing one is None): a phase runs from the
    last known boundary before it to its own end, so a missing boundary
    merges its phase into the next (None) rather than losing the time.
    Rounded to ms."""
    out: dict[str, Optional[float]] = {}
    prev = bounds.get("request")
    for (key, _), end in zip(PHASES, BOUNDARIES[1:]):
        t = bounds.get(end)
        if t is None or prev is None:
            out[key] = None
            continue
        out[key] = round(t - prev, 3)
        prev = t
    return out


def split(lines: list[tuple[float, str]], rec: dict[str, Any]) -> dict[str, Any]:
    """One kexec's phase split for its iteration record @rec (host times
    t_kexec_request, t_disk_back, t_nic_back): {"phases": {PHASE: s},
    "boundaries": {BOUNDARY: host time}, plus boundaries()'s printk times
    and quiesce report}. Raises KeyError without t_kexec_request."""
    request = float(rec["t_kexec_request"])
    b = boundaries(lines, request)
    bounds = {"request": request, "disk": rec.get("t_disk_back"),
              "nic": rec.get("t_nic_back"),
              **{k: b[k] for k in BOUNDARIES if k in b}}
    extra = {k: v for k, v in b.items() if k not in BOUNDARIES and k != "zero"}
    return {"phases": phases(bounds),
            "boundaries": {k: (round(v, 3) if v is not None else None)
                           for k, v in bounds.items()}, **extra}


def phase_medians(records: list[dict[str, Any]], prefix: str = "phase") -> dict[str, Any]:
    """{PREFIX_KEY_s_median: median seconds} of each phase over @records
    (their "phases"; None where no record measured it)."""
    out: dict[str, Any] = {}
    for key, _ in PHASES:
        v = [r["phases"][key] for r in records
             if isinstance(r.get("phases"), dict) and r["phases"].get(key) is not None]
        out[f"{prefix}_{key}_s_median"] = round(median(v), 3) if v else None
    return out




# ------------------------------------------------------------------ host CPU
def host_cpu(pid: Optional[int] = None, proc: str = "/proc",
             clock: Callable[[], float] = time.time) -> dict[str, Any]:
    """The lab host's CPU time so far (Linux /proc/stat, proc(5)): {"t"
    (host time), "ncpu", "busy_s" (all CPUs, not idle or iowait), "nice_s"
    (niced user time, e.g. a build under nice), "pid_s" (user + system
    time of process @pid, e.g. the DUT's QEMU; None without one or when it
    is gone)}. Raises OSError when /proc/stat cannot be read."""
    hz = _clk_tck()
    with open(f"{proc}/stat", encoding="ascii") as fh:
        lines = fh.read().splitlines()
    f = [int(x) for x in lines[0].split()[1:]]
    f += [0] * (8 - len(f))
    idle = f[3] + f[4]
    out: dict[str, Any] = {"t": clock(), "ncpu": sum(1 for x in lines if re.match(r"cpu\d", x)),
                           "busy_s": (sum(f[:8]) - idle) / hz, "nice_s": f[1] / hz,
                           "pid_s": None}
    if pid is not None:
        try:
            with open(f"{proc}/{pid}/stat", encoding="ascii", errors="replace") as fh:
                # fields after the command name (which may hold spaces): utime is
                # field 14, stime 15 (1-based), i.e. 12 and 13 after ") "
                rest = fh.read().rsplit(")", 1)[1].split()
            out["pid_s"] = (int(rest[11]) + int(rest[12])) / hz
        except (OSError, IndexError, ValueError):
            pass
    return out


def _clk_tck() -> int:
    return int(os.sysconf("SC_CLK_TCK"))


def host_cpu_delta(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """What the host's CPUs did between two host_cpu() readings @a and @b:
    {"wall_s", "capacity_s" (wall × CPUs), "busy_s", "nice_s", "dut_s" (the
    DUT process's CPU time, None when unknown), "other_s" (busy time of
    everything else: the lab itself, other QEMUs, builds)}, seconds to ms."""
    r = (lambda v: round(v, 3) if v is not None else None)
    wall = b["t"] - a["t"]
    busy = b["busy_s"] - a["busy_s"]
    dut = (b["pid_s"] - a["pid_s"]) if a.get("pid_s") is not None and \
        b.get("pid_s") is not None else None
    return {"wall_s": r(wall), "capacity_s": r(wall * b["ncpu"]), "busy_s": r(busy),
            "nice_s": r(b["nice_s"] - a["nice_s"]), "dut_s": r(dut),
            "other_s": r(busy - dut) if dut is not None else None}


__all__ = ["BOUNDARIES", "CONSOLE_FILE", "PHASES", "ConsoleStamper", "boundaries", "host_cpu", "host_cpu_delta",
           "kernel_record", "kernel_zero", "phase_medians", "phases", "split"]
