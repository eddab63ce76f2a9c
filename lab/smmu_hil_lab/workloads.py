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
from .errors import CommandError, ConsoleTimeout, LabError, PollTimeout, WorkloadError
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


# ------------------------------------------------------------------ devices under transition
PING_SUMMARY = re.compile(r"(\d+) packets transmitted, (\d+) (?:packets )?received")
NET_COUNTERS = ("rx_errors", "tx_errors", "rx_dropped", "tx_dropped")


def parse_ping(output: str) -> tuple[int, int] | None:
    """(transmitted, received) from ping's summary line, None without one."""
    m = PING_SUMMARY.search(output)
    return (int(m.group(1)), int(m.group(2))) if m else None


def ratio(with_: float, without: float) -> float | None:
    """with / without, rounded; None when there is no baseline."""
    return round(with_ / without, 3) if without > 0 else None


class DeviceWorkload:
    """The traffic that checks one device under transition (devices.py):
    its own integrity checks and counters, run once without transitions
    (the baseline) and then around them.

    Use baseline(), then start() / stop() around the scenario; `metrics`
    (throughput without and with, their ratio, the device's checks) and
    `problems` (what fails the test) are filled by stop(). With @breaking
    the workload may meet a V=0 window: its errors and a stuck device are
    reported as metrics (the device's recovery), not problems; only
    corrupted data (a verify failure) still is one.
    """

    ping = "ping"     # the DUT's ping (busybox); tests replace it

    def __init__(self, target: Target, device: Any, breaking: bool,
                 log_dir: Path | None = None, baseline_s: int = 5) -> None:
        self.t = target
        self.dev = device
        self.breaking = breaking
        self.log_dir = log_dir
        self.baseline_s = baseline_s
        self.metrics: dict[str, Any] = {}
        self.problems: list[str] = []
        self.without = 0.0
        self.fio = Fio(target, device.disk, "dev-fio") if device.kind == "disk" else None
        self.peer: Iperf3Peer | None = None
        self.client: Iperf3Client | None = None
        self._counters: dict[str, int] = {}

    # ------------------------------------------------------------ baseline
    def baseline(self) -> None:
        """Measure the workload's throughput without transitions.
        Raises WorkloadError when the device does not work to begin with."""
        if self.fio is not None:
            res = self.fio.run(f"{FIO_VERIFY_ARGS} --runtime={self.baseline_s}",
                               timeout=self.baseline_s + 120)
            if res.error or res.verify_errors or not res.write_bytes:
                raise WorkloadError(f"{self.dev.disk}: fio without transitions: error "
                                    f"{res.error}, {res.verify_errors} verify failures: "
                                    f"{res.log[-300:]}")
            self.without = float(res.metrics()["fio_mib_s"])
            self.metrics["throughput_unit"] = "MiB/s"
        elif self.dev.kind == "nic":
            peer = self._peer()
            client = Iperf3Client(self.t, self._net().dut_address, self._port(peer),
                                  self.baseline_s, max_runs=1, tag="dev-iperf3-base")
            client.start()
            r = client.stop()
            if r.errors or not r.bytes_received:
                raise WorkloadError(f"{self.dev.netdev}: iperf3 without transitions: "
                                    f"{'; '.join(r.errors[:2]) or 'no bytes'}")
            self.without = r.mbps
            self.metrics["throughput_unit"] = "Mbit/s"
        self.metrics["throughput_without"] = round(self.without, 2)

    def _net(self) -> HostNetPeer:
        net = self.t.host_peer
        if net is None:
            raise WorkloadError(f"target {self.t.name} has no host network peer for iperf3 "
                                "(workloads.peer_address in the inventory)")
        return net

    def _peer(self) -> Iperf3Peer:
        if self.peer is None:
            self.peer = Iperf3Peer(self._net(), log=self.log_dir / "iperf3-server.log"
                                   if self.log_dir else None)
            self.peer.start()
        return self.peer

    @staticmethod
    def _port(peer: Iperf3Peer) -> int:
        assert peer.port is not None
        return peer.port

    def _read_counters(self) -> dict[str, int]:
        stats = f"/sys/class/net/{shlex.quote(self.dev.netdev)}/statistics"
        out = self.t.run_check(" ; ".join(f"cat {stats}/{c}" for c in NET_COUNTERS))
        vals = out.split()
        if len(vals) != len(NET_COUNTERS):
            raise WorkloadError(f"{self.dev.netdev}: cannot read its counters: {out[-200:]}")
        return dict(zip(NET_COUNTERS, (int(v) for v in vals)))

    # ------------------------------------------------------------ around
    def start(self) -> None:
        """Start the workload for the transitions. Raises WorkloadError /
        CommandError."""
        if self.fio is not None:
            self.fio.start(FIO_VERIFY_ARGS)
        elif self.dev.kind == "nic":
            self._counters = self._read_counters()
            addr = shlex.quote(self._net().dut_address)
            self.t.run_check(f"({self.ping} -i 0.2 -c 100000 {addr} >/tmp/dev-ping.out 2>&1 &"
                             f" echo $! >/tmp/dev-ping.pid)")
            self.client = Iperf3Client(self.t, self._net().dut_address,
                                       self._port(self._peer()), 2, tag="dev-iperf3")
            self.client.start()

    def stop(self) -> None:
        """Stop the workload and judge it (metrics, problems). A stuck
        workload is killed. Raises ConsoleTimeout when the DUT is gone."""
        try:
            if self.fio is not None:
                self._stop_fio()
            elif self.dev.kind == "nic":
                self._stop_nic()
        finally:
            if self.peer is not None:
                self.peer.stop()
        with_ = self.metrics.get("throughput_with")
        if with_ is not None:
            self.metrics["throughput_ratio"] = ratio(with_, self.without)

    def _stop_fio(self) -> None:
        fio = self.fio
        assert fio is not None
        try:
            res = fio.stop(timeout=30)
            stuck = False
        except CommandError:
            # the device stopped answering (a breaking update's cost on a
            # device without recovery): fio waits for I/O that never ends
            self.t.run(f"kill -9 $(cat {fio.pid}) 2>/dev/null")
            res = FioResult(rc=-9, error=-1, verify_errors=fio._verify_errors(),
                            read_bytes=0, write_bytes=0, log="fio stuck: killed")
            stuck = True
        m = res.metrics()
        self.metrics.update(m)
        self.metrics["fio_stuck"] = stuck
        self.metrics["throughput_with"] = m["fio_mib_s"]
        if res.verify_errors:
            self.problems.append(f"fio: {res.verify_errors} corrupted blocks (verify failures) "
                                 f"on {self.dev.disk}: {res.log[-300:]}")
        elif not self.breaking:
            if stuck or res.error:
                self.problems.append(f"fio on {self.dev.disk}: "
                                     f"{'stuck' if stuck else f'error {res.error}'}: "
                                     f"{res.log[-300:]}")
            elif not res.write_bytes or not res.read_bytes:
                self.problems.append(f"fio on {self.dev.disk} wrote or verified nothing")

    def _stop_nic(self) -> None:
        client = self.client
        assert client is not None
        # after a breaking run the NIC may be dead: no long wait for the last run
        r = client.stop(grace=5.0 if self.breaking else 30.0)
        self.t.run("kill -INT $(cat /tmp/dev-ping.pid) 2>/dev/null; sleep 1")
        ping = parse_ping(self.t.run("cat /tmp/dev-ping.out")[1])
        after = self._read_counters()
        delta = {c: after[c] - self._counters.get(c, after[c]) for c in NET_COUNTERS}
        self.metrics.update(r.metrics())
        self.metrics["throughput_with"] = round(r.mbps, 2)
        self.metrics.update({f"{self.dev.netdev}_{c}": v for c, v in delta.items()})
        if ping:
            self.metrics["ping_sent"], self.metrics["ping_received"] = ping
        problems = [f"iperf3 {e}" for e in r.errors[:3]]
        problems += [f"{self.dev.netdev} {c} +{v}" for c, v in delta.items() if v]
        if ping is None:
            problems.append("ping printed no summary")
        elif ping[0] - ping[1] > 1:     # the one in flight when it was stopped
            problems.append(f"ping: {ping[0] - ping[1]} of {ping[0]} lost")
        if not self.breaking:
            self.problems += problems
        else:
            self.metrics["workload_errors"] = "; ".join(problems) or "none"

    # driver-mode moves unbind the driver: the disk workload stops around
    # them, a pattern written before is verified after
    PATTERN_ARGS = "--rw=write --bs=4k --size=16M --ioengine=libaio --iodepth=8 --verify=crc32c"

    def write_pattern(self) -> None:
        """Write a crc32c-verified pattern on the disk (before the moves).
        Raises WorkloadError."""
        assert self.fio is not None
        res = self.fio.run(f"{self.PATTERN_ARGS} --do_verify=0", timeout=300)
        if res.error or not res.write_bytes:
            raise WorkloadError(f"{self.dev.disk}: writing the pattern: error {res.error}: "
                                f"{res.log[-300:]}")
        self.metrics["pattern_mib"] = round(res.write_bytes / 2**20, 1)

    def verify_pattern(self, key: str) -> None:
        """Read back and verify the pattern (after the moves): metrics
        <key>_verify_errors, a problem for any failure."""
        assert self.fio is not None
        rc, _ = self.t.run(f"test -b {shlex.quote(self.dev.disk)}")
        if rc != 0:
            self.problems.append(f"{key}: {self.dev.disk} is gone")
            return
        res = self.fio.run(f"{self.PATTERN_ARGS} --verify_only", timeout=300)
        self.metrics[f"{key}_verify_errors"] = res.verify_errors
        self.metrics[f"{key}_mib_verified"] = round(res.read_bytes / 2**20, 1)
        if res.verify_errors or res.error or not res.read_bytes:
            self.problems.append(f"{key}: {res.verify_errors} corrupted blocks, error "
                                 f"{res.error}, {res.read_bytes} bytes verified: "
                                 f"{res.log[-300:]}")

    def healthy(self, timeout: float = 20.0) -> bool:
        """Whether the device still moves data (after a breaking run): a
        direct 4 KiB read of the disk, or a ping of the peer, within
        @timeout seconds (in the background: a stuck request cannot hang
        the shell)."""
        if self.fio is not None:
            probe = (f"fio --name=probe --filename={shlex.quote(self.dev.disk)} --rw=read "
                     "--bs=4k --size=4k --direct=1 --output=/dev/null")
        else:
            probe = f"{self.ping} -c 1 -W 2 {shlex.quote(self._net().dut_address)} >/dev/null"
        n = max(1, int(timeout / 0.5))
        rc, _ = self.t.run(f"rm -f /tmp/dev-probe.ok; ({probe} && touch /tmp/dev-probe.ok) "
                           f">/dev/null 2>&1 & n=0; while [ ! -e /tmp/dev-probe.ok ] && "
                           f"[ $n -lt {n} ]; do sleep 0.5; n=$((n+1)); done; "
                           "[ -e /tmp/dev-probe.ok ]", timeout + 30)
        return rc == 0


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


__all__ = ["DeviceWorkload", "FIO_VERIFY_ARGS", "Iperf3Client", "Iperf3Peer", "Iperf3Result",
           "Workloads", "WorkloadError", "free_port", "listening", "median", "on_off_cost",
           "parse_iperf3", "parse_ping", "ratio"]
