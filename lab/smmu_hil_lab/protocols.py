"""The protocols between targets, strategies and drivers (labgrid's
protocols): what a strategy or a test needs from a driver, not which
driver it is.

- PowerProtocol: on, off, cycle, reset, is_on (QMPPowerDriver,
  IPMIPowerDriver).
- ConsoleProtocol: a serial console: open/close, type, expect, the tail of
  what it printed, listeners for everything it prints, a background pump,
  and sync() (get its shell to answer) (ConsoleDriver, SOLConsoleDriver).
- CommandProtocol: run(cmd, timeout) -> (exit status, output) on the DUT
  (ConsoleDriver: framed on the console; SSHDriver: over SSH).

A strategy declares the protocols it binds in `bindings` and is handed the
implementations (check_bindings() verifies them); it never sees a Target.
The protocols are runtime-checkable: isinstance() checks the methods are
there, not their signatures.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Protocol, runtime_checkable


@runtime_checkable
class PowerProtocol(Protocol):
    """Power control of a DUT."""

    def on(self) -> None:
        """Power the DUT on (no-op when on). Raises PowerError."""

    def off(self) -> None:
        """Power the DUT off (no-op when off). Raises PowerError."""

    def cycle(self) -> None:
        """Power off, then on. Raises PowerError."""

    def reset(self) -> None:
        """Hard reset. Raises PowerError."""

    def is_on(self) -> bool:
        """True while powered."""


@runtime_checkable
class ConsoleProtocol(Protocol):
    """A serial console with a shell on it."""

    @property
    def is_open(self) -> bool:
        """True when connected."""

    def open(self) -> None:
        """Connect (no-op when open). Raises ConsoleTimeout."""

    def close(self) -> None:
        """Disconnect (idempotent)."""

    def sendline(self, line: str = "") -> None:
        """Type @line and Enter."""

    def sendcontrol(self, char: str) -> None:
        """Send a control character ("c": Ctrl-C)."""

    def expect(self, patterns: str | list[str], timeout: float) -> re.Match[str]:
        """Wait for a regex (or any of a list). Raises ConsoleTimeout /
        ConsoleClosed."""

    def tail(self, chars: int = 3000) -> str:
        """The last @chars characters the console printed."""

    def sync(self, timeout: float = 10.0, attempts: int = 3) -> None:
        """Get the shell to answer a no-op (Ctrl-C between attempts).
        Raises ConsoleTimeout / ConsoleClosed."""

    def add_listener(self, fn: Callable[[str], None]) -> None:
        """Call @fn(text) with everything the console prints from now on."""

    def remove_listener(self, fn: Callable[[str], None]) -> None:
        """Undo add_listener()."""

    def pump(self, timeout: float = 0.2, keep: int = 64 * 1024) -> int:
        """Read what the console printed while no command reads it."""


@runtime_checkable
class CommandProtocol(Protocol):
    """One-line shell commands on the DUT."""

    def run(self, cmd: str, timeout: float = 30.0,
            strip_kernel: bool = True) -> tuple[int, str]:
        """Run @cmd: (exit status, output). Raises ConsoleTimeout when it
        does not finish in @timeout seconds, ConsoleClosed when the channel
        is gone."""


def check_bindings(owner: str, bindings: dict[str, Any], given: dict[str, Any]) -> None:
    """Check that each binding of @bindings ({name: protocol}) is given an
    implementation in @given. Raises TypeError naming @owner and the
    binding."""
    for name, proto in bindings.items():
        impl = given.get(name)
        if not isinstance(impl, proto):
            raise TypeError(f"{owner}: binding {name!r} needs a {proto.__name__}, "
                            f"got {type(impl).__name__}")
