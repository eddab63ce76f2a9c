"""ConsoleDriver: a serial console over pexpect, logged to console.log.

It implements the Console protocol (open, expect, sendline, tail, ...) and
the Command protocol: `run(cmd, timeout) -> (rc, output)` frames each
command's output between unique markers, so kernel messages printed on the
console in between cannot be mistaken for (or break) command output.

Every wait takes a timeout; nothing here blocks forever.
"""
from __future__ import annotations

import os
import re
import socket
import threading
import uuid
from typing import IO, Callable

import pexpect
import pexpect.fdpexpect

from ..errors import ConsoleClosed, ConsoleTimeout, LabError
from ..poll import wait_for_path
from ..resources import CommandSerialPort, SerialPort, UnixSocketSerialPort

# A kernel log record as printed on the console: "[   12.345678] text\n".
KERNEL_RECORD = re.compile(r"\[\s*\d+\.\d+\] [^\n]*\n")


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
            except OSError as e:
                raise self._gone(e) from None
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

    def _gone(self, e: OSError) -> ConsoleClosed:
        """The console's peer went away (@e: a reset or broken pipe): closed."""
        self.close()
        return ConsoleClosed(f"console closed: {e.strerror or e}", self.tail())

    def sendline(self, line: str = "") -> None:
        """Type @line and Enter. Raises ConsoleClosed when the console is
        not open or its peer is gone."""
        try:
            self._sp().sendline(line)
        except OSError as e:
            raise self._gone(e) from None

    def sendcontrol(self, char: str) -> None:
        """Send a control character, e.g. "c" for Ctrl-C. Raises
        ConsoleClosed as sendline() does."""
        sp = self._sp()
        try:
            sp.send(chr(ord(char.lower()) - ord("a") + 1))
        except OSError as e:
            raise self._gone(e) from None

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
        except OSError as e:
            raise self._gone(e) from None
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
            self.sendline(f"printf '\\n@@%s-%s@@\\n' SHL-B {tag}; {body}{sep} "
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
