"""Workloads the lab runs beside a scenario: fio with verify on the DUT's
disk, and iperf3 between the DUT and a peer on the lab host.

- Iperf3Peer (a driver of a resources.HostNetPeer): an `iperf3 -s` on the
  host, bound to the peer's address on a free port, started and stopped
  with timeouts. It runs under `timeout` (a bounded life even if the
  controller is killed) and dies with the controller (PR_SET_PDEATHSIG).
- Iperf3Client: on the DUT, `iperf3 -c ADDR -p PORT -t SECONDS -J` in a
  loop in the background until stopped; each run's JSON is parsed
  (parse_iperf3) for bytes, throughput and errors.
- Workloads: the fio and iperf3 workloads a scenario declares, started
  before it and stopped after; their metrics and problems (a problem fails
  the test).
"""
from __future__ import annotations

import contextlib
import ctypes
import json
import re
import shlex
import signal
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .agent import Fio, FioResult, job_running, stop_job
from .errors import ConsoleTimeout, LabError, PollTimeout, WorkloadError
from .poll import wait_until
from .resources import HostNetPeer
from .targets import Target

# fio during a scenario: random 4k writes, each block verified (crc32c) a
# few writes later, for as long as the scenario lasts (stopped with SIGINT).
FIO_VERIFY_ARGS = ("--rw=randwrite --bs=4k --size=64M --ioengine=libaio --iodepth=8 "
                   "--verify=crc32c --verify_backlog=32 --time_based --runtime=1800")
LAB_WORKLOADS = ("fio", "iperf3")      # workloads the lab runs (edu-dma is the agent's)
RC_MARK = "@@iperf3-rc"               # ends each client run's output: "@@iperf3-rc N@@"


# ------------------------------------------------------------------ host peer
def free_port(address: str = "127.0.0.1") -> int:
    """A TCP port on @address that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((address, 0))
        return int(s.getsockname()[1])


def listening(port: int, proc_net: Path = Path("/proc/net/tcp")) -> bool:
    """True when a socket listens on TCP @port (any IPv4 address)."""
    try:
        lines = proc_net.read_text().splitlines()[1:]
    except OSError:
        return False
    for line in lines:
        f = line.split()
        if len(f) > 3 and f[3] == "0A" and int(f[1].rsplit(":", 1)[1], 16) == port:
            return True
    return False


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the controller dies."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Iperf3Peer:
    """`iperf3 -s` on the lab host, bound to @net.bind on a free port.

    Use as a context manager or call start()/stop(). The server's own
    output goes to @log (or is discarded); with @json_interval (seconds) it
    is JSON (`-J -i N`): one document per finished test (iperf3 3.12 also
    writes the test a SIGTERM interrupts), timeline.iperf3_series() reads
    it. @max_s bounds its life even when stop() is never called.
    """

    def __init__(self, net: HostNetPeer, log: Path | None = None, max_s: float = 3600.0,
                 start_timeout: float = 10.0, stop_timeout: float = 5.0,
                 exe: str = "iperf3", json_interval: float | None = None) -> None:
        self.net = net
        self.log = log
        self.json_interval = json_interval
        self.max_s = max_s
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.exe = exe
        self.port: int | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self._logfh: IO[bytes] | None = None

    def argv(self, port: int) -> list[str]:
        """The server's command line on @port (under `timeout`)."""
        fmt = ["-J", "-i", str(self.json_interval)] if self.json_interval else []
        return ["timeout", "-k", "5", str(int(self.max_s)), self.exe, "-s",
                "-B", self.net.bind, "-p", str(port), *fmt]

    def start(self) -> int:
        """Start the server; return its port once it listens.

        Retries on a port taken meanwhile. Raises WorkloadError when iperf3
        is missing, exits, or does not listen within start_timeout.
        """
        if self.proc is not None:
            raise WorkloadError("iperf3 peer already started")
        last = ""
        for _ in range(3):
            port = free_port(self.net.bind)
            self._logfh = self.log.open("ab") if self.log else None
            try:
                self.proc = subprocess.Popen(
                    self.argv(port), stdin=subprocess.DEVNULL,
                    stdout=self._logfh or subprocess.DEVNULL, stderr=subprocess.STDOUT,
                    preexec_fn=_die_with_parent)
            except OSError as e:
                self._close_log()
                raise WorkloadError(f"cannot start iperf3: {e}") from e
            proc = self.proc
            try:
                if wait_until(lambda _left: proc.poll() is not None or listening(port),
                              self.start_timeout, 0.05) and proc.poll() is None:
                    self.port = port
                    return port
            except PollTimeout:
                pass
            last = (f"exited {self.proc.returncode}" if self.proc.poll() is not None
                    else f"not listening after {self.start_timeout:.0f}s")
            self.stop()
        raise WorkloadError(f"iperf3 server on {self.net.bind}: {last}"
                            + (f" (log {self.log})" if self.log else ""))

    def stop(self) -> None:
        """SIGTERM the server, then SIGKILL, each waited for stop_timeout
        seconds. Idempotent; never leaves the process behind."""
        p, self.proc, self.port = self.proc, None, None
        if p is not None and p.poll() is None:
            p.terminate()
            try:
                p.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(self.stop_timeout)
        self._close_log()

    def _close_log(self) -> None:
        if self._logfh is not None:
            self._logfh.close()
            self._logfh = None

    def __enter__(self) -> "Iperf3Peer":
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


# ------------------------------------------------------------------ DUT client
@dataclass
class Iperf3Result:
    """iperf3 client runs summed: bytes the server received, seconds, and
    every run's error (iperf3's own "error", a bad exit, missing JSON)."""

    runs: int = 0
    bytes_received: int = 0
    seconds: float = 0.0
    retransmits: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def mbps(self) -> float:
        """Throughput over all runs, in Mbit/s."""
        return self.bytes_received * 8 / self.seconds / 1e6 if self.seconds > 0 else 0.0

    def metrics(self) -> dict[str, Any]:
        """The report's iperf3 metrics."""
        return {"iperf3_mbps": round(self.mbps, 1), "iperf3_errors": len(self.errors),
                "iperf3_runs": self.runs,
                "iperf3_mib": round(self.bytes_received / 2**20, 1),
                "iperf3_retransmits": self.retransmits}


def parse_iperf3(output: str) -> Iperf3Result:
    """Parse the output of Iperf3Client's loop: per run, iperf3 -J's document
    followed by a "@@iperf3-rc N@@" line. A run that is not JSON, has an
    "error" key, exits non-zero or moved no bytes is an error.
    """
    res = Iperf3Result()
    parts = re.split(r"@@iperf3-rc (-?\d+)@@", output)
    for body, rc_text in zip(parts[0::2], parts[1::2]):
        rc = int(rc_text)
        res.runs += 1
        body = body.strip()
        try:
            doc = json.loads(body[body.index("{"):]) if "{" in body else None
        except json.JSONDecodeError:
            doc = None
        if not isinstance(doc, dict):
            res.errors.append(f"run {res.runs}: no JSON (rc {rc}): {body[-200:]!r}")
            continue
        if doc.get("error"):
            res.errors.append(f"run {res.runs}: {doc['error']}")
            continue
        end = doc.get("end") or {}
        recv, sent = end.get("sum_received") or {}, end.get("sum_sent") or {}
        res.bytes_received += int(recv.get("bytes", 0))
        res.seconds += float(recv.get("seconds", 0.0))
        res.retransmits += int(sent.get("retransmits", 0) or 0)
        if rc != 0:
            res.errors.append(f"run {res.runs}: iperf3 exited {rc}")
        elif not recv.get("bytes"):
            res.errors.append(f"run {res.runs}: no bytes received")
    return res


class Iperf3Client:
    """iperf3 clients on the DUT, back to back in the background, each
    @seconds long, until stop(). @max_runs bounds the loop on its own."""

    def __init__(self, target: Target, address: str, port: int, seconds: int = 5,
                 max_runs: int = 360, tag: str = "iperf3") -> None:
        self.t = target
        self.cmd = f"iperf3 -c {shlex.quote(address)} -p {int(port)} -t {int(seconds)} -J"
        self.seconds = seconds
        self.max_runs = max_runs
        self.out, self.pid, self.stopfile = (f"/tmp/{tag}.out", f"/tmp/{tag}.pid",
                                             f"/tmp/{tag}.stop")

    def start(self) -> None:
        """Start the loop in the background. Raises CommandError."""
        loop = (f"n=0; while [ ! -e {self.stopfile} ] && [ $n -lt {self.max_runs} ]; do "
                f"{self.cmd}; r=$?; echo; echo \"{RC_MARK} $r@@\"; n=$((n+1)); done")
        self.t.run_check(f"rm -f {self.stopfile} {self.out}; ({loop}) >{self.out} 2>&1 & "
                         f"echo $! >{self.pid}")

    def running(self) -> bool:
        """True while the loop runs."""
        return job_running(self.t, self.pid)

    def stop(self, grace: float = 30.0) -> Iperf3Result:
        """Let the current run finish (no new one starts), then parse every
        run's output. After @seconds + @grace the loop is killed (the
        unfinished run then counts as an error). Raises CommandError when it
        cannot be ended.
        """
        if not stop_job(self.t, self.pid, f"touch {self.stopfile}", self.seconds + grace):
            self.t.run(f"kill $(cat {self.pid}) 2>/dev/null; killall iperf3 2>/dev/null")
            res = parse_iperf3(self.t.run(f"cat {self.out}", 60)[1])
            res.errors.append(f"the iperf3 loop did not end within {self.seconds + grace:.0f}s")
            return res
        _, out = self.t.run(f"cat {self.out}", 60)
        return parse_iperf3(out)


# ------------------------------------------------------------------ both
class Workloads:
    """The lab's workloads a scenario declares (fio, iperf3; others, like
    edu-dma, are the agent's), on @target during a scenario.

    start() before the scenario, stop() after (also as a context manager:
    stop() runs whatever happens). stop() fills `metrics` and `problems`;
    a problem (a verify error, a workload that died early, an iperf3 error)
    should fail the test.
    """

    def __init__(self, target: Target, names: list[str] | tuple[str, ...],
                 log_dir: Path | None = None, fio_args: str = FIO_VERIFY_ARGS,
                 iperf3_seconds: int = 5, tag: str = "wl") -> None:
        self.t = target
        self.names = [n for n in names if n in LAB_WORKLOADS]
        self.fio = Fio(target, "/dev/vda", f"{tag}-fio") if "fio" in self.names else None
        self.tag = tag
        self.fio_args = fio_args
        self.peer: Iperf3Peer | None = None
        self.client: Iperf3Client | None = None
        self.iperf3_seconds = iperf3_seconds
        self.log_dir = log_dir
        self.metrics: dict[str, Any] = {}
        self.problems: list[str] = []
        self._started = False

    def start(self) -> None:
        """Start fio on the DUT, the host's iperf3 server and the DUT's
        iperf3 loop. Raises WorkloadError / CommandError (anything already
        started is stopped first)."""
        self._started = True
        try:
            if self.fio is not None:
                self.fio.start(self.fio_args)
            if "iperf3" in self.names:
                net = self.t.host_peer
                if net is None:
                    raise WorkloadError(f"target {self.t.name} has no host network peer "
                                        "for iperf3")
                self.peer = Iperf3Peer(net, log=self.log_dir / "iperf3-server.log"
                                       if self.log_dir else None)
                port = self.peer.start()
                self.client = Iperf3Client(self.t, net.dut_address, port, self.iperf3_seconds,
                                           tag=f"{self.tag}-iperf3")
                self.client.start()
        except BaseException:
            with contextlib.suppress(LabError):     # keep the original error
                self.stop()
            raise

    def stop(self) -> None:
        """Stop and collect everything started. A workload that cannot be
        stopped or read is a problem and the others are still stopped; a DUT
        that does not answer raises at once (ConsoleTimeout). The host
        server is always stopped."""
        if not self._started:
            return
        self._started = False
        try:
            for name, stop in (("fio", self._stop_fio), ("iperf3", self._stop_iperf3)):
                try:
                    stop()
                except ConsoleTimeout:
                    raise
                except LabError as e:
                    self.problems.append(f"{name}: {e}")
        finally:
            if self.peer is not None:
                self.peer.stop()

    def _stop_iperf3(self) -> None:
        if self.client is None:
            return
        alive = self.client.running()
        r = self.client.stop()
        self.metrics.update(r.metrics())
        self.problems += [f"iperf3 {e}" for e in r.errors[:3]]
        if r.runs == 0 or not alive:
            self.problems.append(f"iperf3 ended before the scenario did ({r.runs} runs)")

    def _stop_fio(self) -> None:
        fio = self.fio
        if fio is None:
            return
        alive = fio.running()
        res: FioResult = fio.stop()
        self.metrics.update(res.metrics())
        if not alive:
            self.problems.append(f"fio ended before the scenario did: {res.log[-300:]}")
        if res.verify_errors or res.error:
            self.problems.append(f"fio: {res.verify_errors} verify failures, error "
                                 f"{res.error}: {res.log[-300:]}")
        elif res.read_bytes == 0:
            self.problems.append("fio verified nothing (no verify reads)")

    def __enter__(self) -> "Workloads":
        self.start()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.stop()
            return
        # the scenario failed (a dead DUT, say): stop what can be stopped,
        # keep the original error
        with contextlib.suppress(LabError):
            self.stop()


# ------------------------------------------------------------------ on/off cost
def median(values: list[float]) -> float:
    """The median of @values (the mean of the middle two for an even count).

    Raises ValueError for no values.
    """
    if not values:
        raise ValueError("median of nothing")
    v = sorted(values)
    mid = len(v) // 2
    return v[mid] if len(v) % 2 else (v[mid - 1] + v[mid]) / 2


def on_off_cost(on: list[float], off: list[float], goal_pct: float) -> dict[str, Any]:
    """The cost of something switched on, from rates (IOPS) measured with it
    on and off: medians, overhead_pct = (off - on) / off * 100 (negative when
    "on" was faster), goal_met = overhead_pct <= @goal_pct, spread_pct, the
    larger relative range (max - min) / median of the two states (the noise
    the overhead has to be read against), and conclusive = spread_pct <=
    @goal_pct (only then can the runs tell a cost of @goal_pct from noise).
    Raises ValueError when a
    state has no sample or "off" is not positive.
    """
    m_on, m_off = median(on), median(off)
    if m_off <= 0:
        raise ValueError(f"median rate with it off is {m_off}")
    overhead = (m_off - m_on) / m_off * 100
    spread = max((max(v) - min(v)) / median(v) * 100 if median(v) > 0 else 0.0
                 for v in (on, off))
    return {"iops_on": round(m_on), "iops_off": round(m_off),
            "overhead_pct": round(overhead, 2), "goal_pct": goal_pct,
            "goal_met": overhead <= goal_pct, "spread_pct": round(spread, 1),
            "conclusive": spread <= goal_pct,
            "iops_on_rounds": [round(x) for x in on], "iops_off_rounds": [round(x) for x in off]}


__all__ = ["FIO_VERIFY_ARGS", "Iperf3Client", "Iperf3Peer", "Iperf3Result",
           "Workloads", "WorkloadError", "free_port", "listening", "median", "on_off_cost",
           "parse_iperf3"]
