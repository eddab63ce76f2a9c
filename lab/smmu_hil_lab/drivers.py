"""Drivers: how to use the lab's resources.

- ConsoleDriver: a serial console over pexpect, logged to console.log, with
  `run(cmd, timeout) -> (rc, output)` framing each command's output between
  unique markers, so kernel messages printed on the console in between cannot
  be mistaken for (or break) command output.
- QMPClient / QMPPowerDriver: power on/off/reset of a QEMU machine through QMP
  (JSON over a unix socket), with a process kill as the fallback.

Every wait takes a timeout; nothing here blocks forever.
"""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import IO, Any, Callable, Protocol

import pexpect
import pexpect.fdpexpect

from .resources import CommandSerialPort, QemuMachine, QMPSocket, SerialPort, UnixSocketSerialPort

# A kernel log record as printed on the console: "[   12.345678] text\n".
KERNEL_RECORD = re.compile(r"\[\s*\d+\.\d+\] [^\n]*\n")


class LabError(RuntimeError):
    """Base of the lab controller's errors."""


class ConsoleTimeout(LabError):
    """An expected console output did not arrive in time.

    `tail` holds the last console output, for reports.
    """

    def __init__(self, msg: str, tail: str = "") -> None:
        super().__init__(msg + (f"\n--- console tail ---\n{tail}" if tail else ""))
        self.tail = tail


class ConsoleClosed(ConsoleTimeout):
    """The console went away (the machine powered off or crashed)."""


class PowerError(LabError):
    """A power action failed."""


def wait_for_path(path: Path, timeout: float, what: str, alive: Any = None) -> None:
    """Wait until @path exists.

    @alive: optional callable returning False when waiting is pointless (the
    process that should create it exited). Raises LabError on timeout.
    """
    deadline = time.monotonic() + timeout
    while not path.exists():
        if alive is not None and not alive():
            raise LabError(f"{what}: process exited before creating {path}")
        if time.monotonic() > deadline:
            raise LabError(f"{what}: {path} did not appear within {timeout:.0f}s")
        time.sleep(0.02)


class _Tee:
    """File-like object pexpect logs to: console.log plus an in-memory tail."""

    def __init__(self, logfile: IO[str] | None, keep: int = 64 * 1024) -> None:
        self.logfile = logfile
        self.keep = keep
        self.buf = ""
        # called with every chunk the console printed, whoever read it
        self.listeners: list[Callable[[str], None]] = []

    def write(self, data: str) -> None:
        if self.logfile is not None:
            self.logfile.write(data)
            self.logfile.flush()
        self.buf = (self.buf + data)[-self.keep:]
        for listen in list(self.listeners):
            listen(data)

    def flush(self) -> None:
        if self.logfile is not None:
            self.logfile.flush()


class ConsoleDriver:
    """A shell on a serial console, driven with pexpect.

    The console log (everything the DUT printed) goes to @logfile; the driver
    keeps a tail for failure reports. Call open() before use.
    """

    def __init__(self, port: SerialPort, logfile: IO[str] | None = None,
                 prompt: str = "dut# ", connect_timeout: float = 10.0) -> None:
        self.port = port
        self.prompt = prompt
        self.connect_timeout = connect_timeout
        self._tee = _Tee(logfile)
        self._spawn: pexpect.spawnbase.SpawnBase | None = None
        self._sock: socket.socket | None = None
        # held while reading (expect, pump) and closing: a background reader
        # (watchdog.ConsoleWatchdog) and the test's commands share the console
        self._io = threading.RLock()

    def add_listener(self, fn: Callable[[str], None]) -> None:
        """Call @fn(text) with everything the console prints from now on."""
        self._tee.listeners.append(fn)

    def remove_listener(self, fn: Callable[[str], None]) -> None:
        """Undo add_listener() (no error when absent)."""
        if fn in self._tee.listeners:
            self._tee.listeners.remove(fn)

    def pump(self, timeout: float = 0.2, keep: int = 64 * 1024) -> int:
        """Read what the console printed, waiting up to @timeout seconds (for
        a background reader: output lands in console.log and the listeners
        while no command runs). The text stays in the pexpect buffer (its last
        @keep characters) so a later expect() still sees it.

        Returns the characters read (0 when busy or quiet). Raises
        ConsoleClosed when the console is not open or closes.
        """
        if not self._io.acquire(timeout=timeout):
            return 0  # a command is reading; the listeners get its text
        try:
            sp = self._sp()
            try:
                data = sp.read_nonblocking(4096, timeout)
            except pexpect.TIMEOUT:
                return 0
            except pexpect.EOF:
                self.close()
                raise ConsoleClosed("console closed", self.tail()) from None
            sp.buffer = (sp.buffer + data)[-keep:]
            return len(data)
        finally:
            self._io.release()

    # -------------------------------------------------------------- lifecycle
    def open(self) -> None:
        """Connect to the console. Raises ConsoleTimeout when it cannot."""
        if self._spawn is not None:
            return
        if isinstance(self.port, UnixSocketSerialPort):
            wait_for_path(self.port.path, self.connect_timeout, "console")
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(self.connect_timeout)
            try:
                sock.connect(str(self.port.path))
            except OSError as e:
                sock.close()
                raise ConsoleTimeout(f"console: cannot connect to {self.port.path}: {e}") from e
            sock.setblocking(True)
            self._sock = sock
            self._spawn = pexpect.fdpexpect.fdspawn(sock.fileno(), encoding="utf-8",
                                                    codec_errors="replace", timeout=30)
        elif isinstance(self.port, CommandSerialPort):
            env = dict(os.environ, **(self.port.env or {}))
            self._spawn = pexpect.spawn(self.port.argv[0], list(self.port.argv[1:]), env=env,
                                        encoding="utf-8", codec_errors="replace",
                                        timeout=30, echo=True)
        else:  # pragma: no cover - typing guard
            raise LabError(f"console: unknown port {self.port!r}")
        self._spawn.logfile_read = self._tee
        self._spawn.delaybeforesend = None

    def close(self) -> None:
        """Disconnect from the console (idempotent)."""
        with self._io:
            self._close()

    def _close(self) -> None:
        sp, self._spawn = self._spawn, None
        if sp is not None:
            try:
                if isinstance(sp, pexpect.spawn):
                    sp.close(force=True)
            except Exception:  # noqa: BLE001 - best effort on teardown
                pass
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    @property
    def is_open(self) -> bool:
        """True when connected."""
        return self._spawn is not None

    def tail(self, chars: int = 3000) -> str:
        """The last @chars characters the console printed."""
        return self._tee.buf[-chars:]

    # ------------------------------------------------------------- primitives
    def _sp(self) -> pexpect.spawnbase.SpawnBase:
        if self._spawn is None:
            raise ConsoleClosed("console is not open")
        return self._spawn

    def sendline(self, line: str = "") -> None:
        """Type @line and Enter."""
        self._sp().sendline(line)

    def sendcontrol(self, char: str) -> None:
        """Send a control character, e.g. "c" for Ctrl-C."""
        sp = self._sp()
        sp.send(chr(ord(char.lower()) - ord("a") + 1))

    def expect(self, patterns: str | list[str], timeout: float) -> re.Match[str]:
        """Wait for a regex (or any of a list) on the console.

        Returns the match. Raises ConsoleTimeout (with the console tail) after
        @timeout seconds, ConsoleClosed when the console closes first.
        """
        pats = [patterns] if isinstance(patterns, str) else list(patterns)
        with self._io:
            return self._expect(pats, timeout)

    def _expect(self, pats: list[str], timeout: float) -> re.Match[str]:
        sp = self._sp()
        try:
            sp.expect(pats, timeout=timeout)
        except pexpect.TIMEOUT:
            raise ConsoleTimeout(f"console: no {pats!r} within {timeout:.0f}s",
                                 self.tail()) from None
        except pexpect.EOF:
            self.close()
            raise ConsoleClosed(f"console closed while waiting for {pats!r}",
                                self.tail()) from None
        return sp.match

    # -------------------------------------------------------------- commands
    def run(self, cmd: str, timeout: float = 30.0,
            strip_kernel: bool = True) -> tuple[int, str]:
        """Run the one-line shell command @cmd in the console's shell.

        The output is framed by a begin and an end marker carrying a fresh
        id; the end marker also carries the exit status. The command line is
        typed as one line (typed-ahead lines would be echoed into the output);
        its echo never matches a marker because the markers are printed with
        printf %s. Kernel log records that land inside the frame are removed
        (see clean_output) unless @strip_kernel is False.

        Returns (exit status, output with "\\n" line ends).
        Raises ValueError when @cmd has a newline, ConsoleTimeout when the end
        marker does not arrive in @timeout seconds (the command still runs or
        the DUT hung), ConsoleClosed when the console goes away.
        """
        if "\n" in cmd:
            raise ValueError("console run: one line only (join commands with ';')")
        tag = uuid.uuid4().hex[:12]
        begin = f"@@SHL-B-{tag}@@"
        end_re = rf"@@SHL-E-{tag}-(\d+)@@"
        body = cmd.rstrip()
        sep = "" if body.endswith("&") else ";"
        # one hold of the console from typing to the end marker: a background
        # pump() between the two expects would move text past pexpect's
        # `before` and lose the command's output
        with self._io:
            self._sp().sendline(f"printf '\\n@@%s-%s@@\\n' SHL-B {tag}; {body}{sep} "
                                f"printf '\\n@@%s-%s-%d@@\\n' SHL-E {tag} $?")
            self._expect([re.escape(begin)], timeout)
            m = self._expect([end_re], timeout)
            return int(m.group(1)), clean_output(self._sp().before, strip_kernel)

    def sync(self, timeout: float = 10.0, attempts: int = 3) -> None:
        """Get the shell into a known state: run a no-op; when it does not
        answer within a few seconds, interrupt (Ctrl-C) and try again.

        Raises ConsoleTimeout when the shell does not answer, ConsoleClosed
        when the console went away.
        """
        last: ConsoleTimeout | None = None
        for attempt in range(attempts):
            if attempt:
                self.sendcontrol("c")
            self.sendline("")
            try:
                self.run("true", timeout if attempt else min(timeout, 3.0))
                return
            except ConsoleClosed:
                raise
            except ConsoleTimeout as e:
                last = e
        assert last is not None
        raise last


def clean_output(raw: str, strip_kernel: bool = True) -> str:
    """Normalise the console text between a command's markers.

    CRLF becomes LF; the newline after the begin marker and the one printed
    before the end marker are removed. With @strip_kernel, kernel log records
    ("[ 12.345678] text" up to its line end) are cut out wherever they landed,
    even in the middle of a line of command output, which rejoins that line.
    """
    text = raw.replace("\r\n", "\n").replace("\r", "")
    if strip_kernel:
        text = KERNEL_RECORD.sub("", text)
    if text.startswith("\n"):
        text = text[1:]
    if text.endswith("\n"):
        text = text[:-1]
    return text


# ---------------------------------------------------------------------- QMP
class QMPError(LabError):
    """QMP returned an error or spoke out of protocol."""


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


class PowerDriver(Protocol):
    """What a target needs from power control (QMP here, IPMI later)."""

    def on(self) -> None:
        """Power the DUT on (no-op when on)."""

    def off(self) -> None:
        """Power the DUT off (no-op when off)."""

    def reset(self) -> None:
        """Hard reset."""

    def is_on(self) -> bool:
        """True while powered."""


class QMPPowerDriver:
    """Power for a QEMU machine: on = start QEMU (paused) then `cont`,
    off = QMP `quit` with SIGTERM/SIGKILL as the fallback, reset =
    `system_reset`.

    @before_cont: called between starting QEMU and letting the CPUs run, so
    the console can attach without losing early output.
    """

    def __init__(self, machine: QemuMachine, start_timeout: float = 15.0,
                 stop_timeout: float = 10.0, stderr_log: Path | None = None) -> None:
        self.machine = machine
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

    def on(self) -> None:
        """Start QEMU paused, connect QMP, run the before_cont hooks, `cont`.

        Raises PowerError when QEMU does not come up in time.
        """
        if self.is_on():
            return
        for p in (self.machine.serial.path, self.machine.qmp.path):
            p.unlink(missing_ok=True)
        argv = self.machine.argv()
        err = self.stderr_log.open("ab") if self.stderr_log else subprocess.DEVNULL
        try:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=err,
                                         stderr=err, start_new_session=True)
        finally:
            if self.stderr_log:
                err.close()  # type: ignore[union-attr]
        try:
            wait_for_path(self.machine.qmp.path, self.start_timeout, "qemu", self.is_on)
            self.qmp = QMPClient(self.machine.qmp, timeout=self.start_timeout)
            self.qmp.connect()
            for hook in self.before_cont:
                hook()
            self.qmp.execute("cont")
            self.powered_on_at = time.monotonic()
        except (LabError, OSError, TimeoutError) as e:
            self._kill()
            raise PowerError(f"power on failed: {e}") from e

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
