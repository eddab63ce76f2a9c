"""Strategies: bring a target into a state.

ShellStrategy knows two states, "off" and "shell" (booted, `smmu-hil: DUT
ready` seen, the console shell answering). It is target-agnostic: the target
supplies power-on (with the console attached at the right moment) and the
console; the strategy owns the waits and their timeouts.
"""
from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

from .drivers import ConsoleTimeout, LabError

if TYPE_CHECKING:
    from .targets import Target

READY = r"smmu-hil: DUT ready kernel=(\S+)"


class StrategyError(LabError):
    """A state could not be reached."""


class ShellStrategy:
    """off <-> shell for one target.

    @boot_timeout: seconds from power-on (or kexec) to the ready line.
    @shell_timeout: seconds for the shell to answer once ready.
    """

    states = ("off", "shell")

    def __init__(self, target: "Target", boot_timeout: float = 180.0,
                 shell_timeout: float = 10.0, ready: str = READY) -> None:
        self.target = target
        self.boot_timeout = boot_timeout
        self.shell_timeout = shell_timeout
        self.ready = ready
        self.state = "off"
        self.last_boot_s: float | None = None
        self.kernel_release: str | None = None

    def transition(self, state: str) -> None:
        """Reach @state ("off" or "shell").

        Raises ValueError for an unknown state and StrategyError (with the
        console tail) when booting or getting a shell fails in time.
        """
        if state not in self.states:
            raise ValueError(f"unknown state {state!r}; known: {', '.join(self.states)}")
        if state == "off":
            self.target.console.close()
            self.target.power.off()
            self.state = "off"
            return
        if self.state in ("shell", "unknown") and self.alive():
            self.state = "shell"
            return
        self.target.console.close()
        self.target.power.off()
        t0 = time.monotonic()
        try:
            self.target.power_on()
            self.wait_ready(t0)
        except LabError as e:
            self.state = "unknown"
            raise StrategyError(f"{self.target.name}: boot to shell failed: {e}") from e

    def wait_ready(self, t0: float, failed: str | None = None) -> float:
        """Wait for the ready line and a shell; return seconds since @t0.

        Used after power-on and after kexec -e. @failed: a regex that, seen
        first, means the new system will not come (e.g. kexec -e returned).
        Raises ConsoleTimeout / ConsoleClosed, StrategyError on @failed.
        """
        con = self.target.console
        m = con.expect([self.ready] + ([failed] if failed else []), self.boot_timeout)
        if failed and re.fullmatch(failed, m.group(0)):
            raise StrategyError(f"{self.target.name}: {m.group(0)}\n--- console tail ---\n"
                                f"{con.tail()}")
        self.kernel_release = m.group(1)
        self.last_boot_s = time.monotonic() - t0
        con.sync(self.shell_timeout)
        self.state = "shell"
        return self.last_boot_s

    def alive(self) -> bool:
        """True when the console shell answers a no-op in time."""
        if not self.target.console.is_open or not self.target.power.is_on():
            return False
        try:
            self.target.console.sync(self.shell_timeout, attempts=2)
        except ConsoleTimeout:
            return False
        return True
