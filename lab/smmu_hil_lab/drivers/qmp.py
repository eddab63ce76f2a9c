"""QEMU's machine protocol: QMPClient (JSON over a unix socket) and
QMPPowerDriver, the Power protocol for a QEMU machine (on/off/cycle/reset,
with a process kill as the fallback).

Every wait takes a timeout; nothing here blocks forever.
"""
from __future__ import annotations

import json
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import IO, Any

from ..errors import LabError, PowerError, QMPError
from ..poll import wait_for_path
from ..resources import QemuMachine, QMPSocket, qemu_stderr_problems


class QMPClient:
    """A minimal QMP client: one JSON object per line, over a unix socket.

    Threads may share one client (a unix QMP socket serves one client at a
    time: a second connection gets no greeting until the first closes):
    execute() and close() are serialised by a lock.
    """

    def __init__(self, sock: QMPSocket, timeout: float = 10.0) -> None:
        self.sock_res = sock
        self.timeout = timeout
        self._sock: socket.socket | None = None
        self._rfile: IO[bytes] | None = None
        self.events: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def connect(self) -> dict[str, Any]:
        """Connect, read the greeting and negotiate capabilities.

        Returns the greeting. Raises QMPError / OSError / TimeoutError.
        """
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(str(self.sock_res.path))
        self._sock = s
        self._rfile = s.makefile("rb")
        greeting = self._read()
        if "QMP" not in greeting:
            raise QMPError(f"qmp: unexpected greeting {greeting!r}")
        self.execute("qmp_capabilities")
        return greeting

    def _read(self) -> dict[str, Any]:
        assert self._rfile is not None
        line = self._rfile.readline()
        if not line:
            raise QMPError("qmp: connection closed")
        msg = json.loads(line)
        if not isinstance(msg, dict):
            raise QMPError(f"qmp: not an object: {msg!r}")
        return msg

    def execute(self, command: str, arguments: dict[str, Any] | None = None) -> Any:
        """Run a QMP command and return its "return" value.

        Asynchronous events received meanwhile are appended to self.events.
        Raises QMPError on an "error" reply, a socket error or a closed
        connection.
        """
        req: dict[str, Any] = {"execute": command}
        if arguments:
            req["arguments"] = arguments
        with self._lock:
            return self._execute(command, req)

    def _execute(self, command: str, req: dict[str, Any]) -> Any:
        if self._sock is None:
            raise QMPError("qmp: not connected")
        try:
            self._sock.sendall(json.dumps(req).encode() + b"\n")
            while True:
                msg = self._read()
                if "event" in msg:
                    self.events.append(msg)
                    continue
                if "error" in msg:
                    err = msg["error"]
                    raise QMPError(f"qmp {command}: {err.get('class')}: {err.get('desc')}")
                if "return" in msg:
                    return msg["return"]
                raise QMPError(f"qmp {command}: unexpected reply {msg!r}")
        except OSError as e:
            raise QMPError(f"qmp {command}: {e}") from e

    def close(self) -> None:
        """Close the connection (idempotent; waits for a command in flight)."""
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._rfile is not None:
            self._rfile.close()
            self._rfile = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None


def qmp_block_counters(qmp: QMPClient, device: str) -> dict[str, int]:
    """Bytes read and written so far by QEMU drive @device (its -drive id):
    {"rd_bytes", "wr_bytes"} from `query-blockstats` (counters start at 0
    when QEMU starts). Raises QMPError when QMP fails or has no such drive."""
    for dev in qmp.execute("query-blockstats") or []:
        if dev.get("device") == device:
            st = dev.get("stats") or {}
            return {"rd_bytes": int(st.get("rd_bytes", 0)), "wr_bytes": int(st.get("wr_bytes", 0))}
    raise QMPError(f"qmp query-blockstats: no drive {device!r}")


class QMPPowerDriver:
    """The Power protocol for a QEMU machine: on = start QEMU (paused) then
    `cont`, off = QMP `quit` with SIGTERM/SIGKILL as the fallback, cycle =
    off then on, reset = `system_reset`.

    @before_cont: called between starting QEMU and letting the CPUs run, so
    the console can attach without losing early output. @pidfile: where
    each QEMU's pid is written (the reaper's qemu.pid; its directory must
    exist).
    """

    def __init__(self, machine: QemuMachine, start_timeout: float = 15.0,
                 stop_timeout: float = 10.0, stderr_log: Path | None = None,
                 pidfile: Path | None = None) -> None:
        self.machine = machine
        self.pidfile = pidfile      # QEMU's pid, for the reaper (reaper.py)
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.stderr_log = stderr_log
        self.proc: subprocess.Popen[bytes] | None = None
        self.qmp: QMPClient | None = None
        self.before_cont: list[Any] = []
        self.powered_on_at: float | None = None

    def is_on(self) -> bool:
        """True while the QEMU process runs."""
        return self.proc is not None and self.proc.poll() is None

    def exit_status(self) -> int | None:
        """The return code (negative: the signal) of a QEMU that ended while
        the driver held it on, i.e. not through off(); None while it runs
        or after off()."""
        return self.proc.poll() if self.proc is not None else None

    def on(self) -> None:
        """Start QEMU paused, connect QMP, run the before_cont hooks, `cont`.

        Raises PowerError when QEMU does not come up in time.
        """
        if self.is_on():
            return
        for p in (self.machine.serial.path, self.machine.qmp.path):
            p.unlink(missing_ok=True)
        argv = self.machine.argv()
        err_from = self.stderr_log.stat().st_size if self.stderr_log and \
            self.stderr_log.exists() else 0
        err = self.stderr_log.open("ab") if self.stderr_log else subprocess.DEVNULL
        try:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=err,
                                         stderr=err, start_new_session=True)
        finally:
            if self.stderr_log:
                err.close()  # type: ignore[union-attr]
        if self.pidfile is not None:
            tmp = self.pidfile.with_name(self.pidfile.name + ".tmp")
            tmp.write_text(str(self.proc.pid))
            tmp.replace(self.pidfile)
        try:
            wait_for_path(self.machine.qmp.path, self.start_timeout, "qemu", self.is_on)
            self.qmp = QMPClient(self.machine.qmp, timeout=self.start_timeout)
            self._connect(time.monotonic() + self.start_timeout)
            for hook in self.before_cont:
                hook()
            self.qmp.execute("cont")
            self.powered_on_at = time.monotonic()
        except (LabError, OSError, TimeoutError) as e:
            self._kill()
            said = self._stderr_since(err_from)
            raise PowerError(f"power on failed: {e}" +
                             (f"; QEMU said: {said}" if said else "")) from e

    def _stderr_since(self, offset: int, limit: int = 2000) -> str:
        """What QEMU wrote to stderr_log from byte @offset on (its last
        @limit characters, one line), known-harmless lines left out
        (resources.qemu_stderr_problems())."""
        if self.stderr_log is None:
            return ""
        try:
            with self.stderr_log.open("rb") as f:
                f.seek(offset)
                text = f.read().decode("utf-8", errors="replace")
        except OSError:
            return ""
        return " | ".join(qemu_stderr_problems(text))[-limit:]

    def _connect(self, deadline: float) -> None:
        """Connect QMP; the socket file exists from bind() on but refuses
        until QEMU listens: retry that until @deadline (while QEMU runs)."""
        assert self.qmp is not None
        while True:
            try:
                self.qmp.connect()
                return
            except ConnectionRefusedError:
                self.qmp.close()
                if time.monotonic() > deadline or not self.is_on():
                    raise
                time.sleep(0.05)

    def reset(self) -> None:
        """system_reset through QMP. Raises PowerError when off or on failure.

        On a machine started with -no-reboot (QemuMachine.no_reboot, the lab
        target's default) QEMU turns every reset into its exit: the machine
        is then off and the target powers it on again (ensure_shell()); the
        lab's recovery paths do exactly that and never call reset()."""
        if not self.is_on() or self.qmp is None:
            raise PowerError("reset: machine is off")
        try:
            self.qmp.execute("system_reset")
        except (QMPError, OSError) as e:
            raise PowerError(f"reset failed: {e}") from e
        self.powered_on_at = time.monotonic()

    def off(self) -> None:
        """QMP `quit`, then SIGTERM, then SIGKILL, each with a timeout."""
        if self.proc is None:
            return
        if self.proc.poll() is None and self.qmp is not None:
            try:
                self.qmp.execute("quit")
            except (QMPError, OSError):
                pass
            try:
                self.proc.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                pass
        self._kill()

    def cycle(self) -> None:
        """Power cycle: off(), then on() (a fresh QEMU process)."""
        self.off()
        self.on()

    def _kill(self) -> None:
        if self.qmp is not None:
            self.qmp.close()
            self.qmp = None
        proc, self.proc = self.proc, None
        if proc is None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if proc.poll() is not None:
                break
            proc.send_signal(sig)
            try:
                proc.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                continue
        self.powered_on_at = None
