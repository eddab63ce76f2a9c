"""The DUT side as the tests use it: the `smmu-hil` agent's JSON commands and
fio, run through a Target.

Everything returns parsed JSON (dicts) or small dataclasses; a command that
fails or prints something unusable raises targets.CommandError.
"""
from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import Any

from .errors import CommandError
from .targets import Target

AGENT = "smmu-hil"
FIO_VERIFY_FAILURES = "verify failed|verify: bad|verify type mismatch"


def pci_id(value: Any) -> int:
    """A PCI vendor/device ID as an int, from 0x1234, "1234" or "0x1234".

    Raises ValueError for anything else.
    """
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return int(value, 16)
    raise ValueError(f"not a PCI ID: {value!r}")


def find_pci(info: dict[str, Any], vendor_device: str) -> dict[str, Any] | None:
    """The first PCI device of `dut info` whose IDs are @vendor_device ("1234:11e8")."""
    vend, _, dev = vendor_device.partition(":")
    want = (int(vend, 16), int(dev, 16))
    for d in info.get("pci", []):
        try:
            if (pci_id(d.get("vendor")), pci_id(d.get("device"))) == want:
                return d
        except ValueError:
            continue
    return None


def smmu_features(info: dict[str, Any]) -> list[str]:
    """Union of the feature names of every SMMU in `dut info`, sorted."""
    feats: set[str] = set()
    for s in info.get("smmu", []):
        feats.update(s.get("idr", {}).get("features", []))
    return sorted(feats)


class Agent:
    """`smmu-hil ... -j` on a target."""

    def __init__(self, target: Target) -> None:
        self.t = target

    def _j(self, args: str, timeout: float = 60.0) -> Any:
        return self.t.run_json(f"{AGENT} -j {args}", timeout)

    def info(self) -> dict[str, Any]:
        """`dut info`: kernel, SMMUs (IDRs, features), PCI devices."""
        return self._j("dut info")

    def events(self, clear: bool = False) -> dict[str, Any]:
        """`events` (consumes the records read). @clear also resets counters."""
        return self._j("events" + (" --clear" if clear else ""))

    def events_clear(self) -> None:
        """`events clear`: drop captured records."""
        self.t.run_check(f"{AGENT} events clear")

    def events_stats(self) -> dict[str, Any]:
        """`events stats`: captured / dropped / overflow counters."""
        return self._j("events stats")

    def dma_roundtrip(self, dev: str, length: int, count: int,
                      timeout: float = 120.0) -> dict[str, Any]:
        """`dma roundtrip`: {"dev", "transfers", "errors", "bytes", "domain"}."""
        return self._j(f"dma roundtrip --dev {dev} --len {length} --count {count}", timeout)

    def dma_fault(self, dev: str, count: int, timeout: float = 120.0,
                  length: int | None = None) -> dict[str, Any]:
        """`dma fault`: {"dev", "injected", "iova_base", "stride", "len"}; each
        copy reads @length bytes (default 4: one access, one record)."""
        extra = f" --len {length}" if length is not None else ""
        return self._j(f"dma fault --dev {dev} --count {count}{extra}", timeout)

    def events_hold(self, ms: int) -> dict[str, Any]:
        """`events hold --ms MS` (test only; 0 releases): {"ms", "held"}."""
        return self._j(f"events hold --ms {ms}")

    def domain_cycle(self, dev: str, sequence: str, count: int,
                     timeout: float = 600.0) -> dict[str, Any]:
        """`domain cycle --dma-between`: {"transitions", "dma_errors", ...}."""
        return self._j(f"domain cycle --dev {dev} --sequence {sequence} --count {count}"
                       " --dma-between", timeout)

    def clock(self, io: str | None = None) -> dict[str, Any]:
        """`clock [--io DEV]`: {"cntvct", "cntfrq", "monotonic_ns"}."""
        return self._j("clock" + (f" --io {io}" if io else ""))


def event_loss(ev: dict[str, Any]) -> str:
    """The event loss an `events` / `events stats` answer reports, as the
    judges' reason ("event loss: 3 record(s) dropped by the event monitor's
    ring, 1 SMMU event-queue overflow(s)"), or "" when nothing was lost.
    Ring drops and SMMU event-queue overflows alike mean records whose kind
    and StreamID nobody saw: a judge that finds any fails its test."""
    dropped, overflows = int(ev.get("dropped") or 0), int(ev.get("overflows") or 0)
    parts = []
    if dropped:
        parts.append(f"{dropped} record(s) dropped by the event monitor's ring")
    if overflows:
        parts.append(f"{overflows} SMMU event-queue overflow(s)")
    return "event loss: " + ", ".join(parts) if parts else ""


def job_running(target: Target, pidfile: str) -> bool:
    """True while the DUT background job whose PID is in @pidfile runs."""
    rc, _ = target.run(f"kill -0 $(cat {pidfile}) 2>/dev/null")
    return rc == 0


def stop_job(target: Target, pidfile: str, stop_cmd: str, timeout: float) -> bool:
    """Run @stop_cmd on the DUT (ask the job in @pidfile to end), then wait
    up to @timeout seconds for the job to be gone. Returns True when it is."""
    polls = max(1, int(timeout / 0.2))
    rc, _ = target.run(
        f"{stop_cmd}; p=$(cat {pidfile}); n=0; "
        f"while kill -0 $p 2>/dev/null && [ $n -lt {polls} ]; do sleep 0.2; n=$((n+1)); done; "
        f"! kill -0 $p 2>/dev/null", timeout + 10)
    return rc == 0


@dataclass
class FioResult:
    """What a fio run left: exit status, job error, verify failures, bytes,
    IOPS and the job's run time."""

    rc: int
    error: int
    verify_errors: int
    read_bytes: int
    write_bytes: int
    log: str
    read_iops: float = 0.0
    write_iops: float = 0.0
    runtime_ms: int = 0

    def metrics(self, prefix: str = "fio_") -> dict[str, Any]:
        """The report's fio metrics: verify errors, job error, MiB written and
        verified (read back), write IOPS and MiB/s over the job's run time."""
        secs = self.runtime_ms / 1000
        return {f"{prefix}verify_errors": self.verify_errors, f"{prefix}error": self.error,
                f"{prefix}mib_written": round(self.write_bytes / 2**20, 1),
                f"{prefix}mib_verified": round(self.read_bytes / 2**20, 1),
                f"{prefix}write_iops": round(self.write_iops),
                f"{prefix}mib_s": round((self.read_bytes + self.write_bytes) / 2**20 / secs, 2)
                if secs > 0 else 0.0}


def parse_fio(rc: int, output: str, verify_errors: int) -> FioResult:
    """Build a FioResult from fio's --output-format=json output.

    fio puts log lines ("fio: terminating on signal 2", verify failures)
    before the JSON document in the same stream; the document starts at the
    first line that is "{". Without a document (fio died early) the result
    has error -1 and the output as log. Raises CommandError when the
    document does not parse.
    """
    if output.startswith("{"):
        start = 0
    else:
        start = output.find("\n{\n") + 1
        if start == 0:
            # fio died before reporting (killed while starting, bad options)
            return FioResult(rc=rc, error=-1, verify_errors=verify_errors, read_bytes=0,
                             write_bytes=0, log=output.strip() or "fio printed nothing")
    try:
        doc, _ = json.JSONDecoder().raw_decode(output[start:])
    except json.JSONDecodeError as e:
        raise CommandError(f"fio report is not JSON ({e}): {output[-2000:]}") from e
    jobs = doc.get("jobs") or [{}]
    job = jobs[0]
    rd, wr = job.get("read", {}), job.get("write", {})
    return FioResult(rc=rc, error=int(job.get("error", 0)), verify_errors=verify_errors,
                     read_bytes=int(rd.get("io_bytes", 0)),
                     write_bytes=int(wr.get("io_bytes", 0)),
                     log=output[:start].strip(),
                     read_iops=float(rd.get("iops", 0.0)), write_iops=float(wr.get("iops", 0.0)),
                     runtime_ms=int(job.get("job_runtime", 0)))


class Fio:
    """fio on the DUT's disk, in the foreground or in the background."""

    def __init__(self, target: Target, filename: str = "/dev/vda", tag: str = "fio") -> None:
        self.t = target
        self.filename = filename
        self.out = f"/tmp/{tag}.out"
        self.pid = f"/tmp/{tag}.pid"

    def _cmd(self, args: str) -> str:
        return (f"fio --name=shl --filename={shlex.quote(self.filename)} --direct=1 "
                f"--eta=never --output-format=json {args}")

    def _verify_errors(self) -> int:
        rc, out = self.t.run(f"grep -cE '{FIO_VERIFY_FAILURES}' {self.out}")
        return int(out.strip() or 0) if rc in (0, 1) else 0

    def run(self, args: str, timeout: float = 300.0) -> FioResult:
        """Run fio with @args to completion. Raises CommandError."""
        rc, _ = self.t.run(f"{self._cmd(args)} >{self.out} 2>&1", timeout)
        return self.collect(rc)

    def start(self, args: str) -> None:
        """Start fio with @args in the background (stop() ends it)."""
        self.t.run_check(f"{self._cmd(args)} >{self.out} 2>&1 & echo $! >{self.pid}")

    def running(self) -> bool:
        """True while the background fio runs."""
        return job_running(self.t, self.pid)

    def stop(self, timeout: float = 60.0) -> FioResult:
        """SIGINT the background fio (it stops cleanly, still reporting), wait.

        Raises CommandError when it does not end within @timeout seconds.
        """
        if not stop_job(self.t, self.pid, f"kill -INT $(cat {self.pid}) 2>/dev/null", timeout):
            raise CommandError(f"fio did not stop within {timeout:.0f}s")
        return self.collect(0)

    def collect(self, rc: int) -> FioResult:
        """Parse the output file of the last run."""
        _, out = self.t.run(f"cat {self.out}", 60)
        return parse_fio(rc, out, self._verify_errors())
