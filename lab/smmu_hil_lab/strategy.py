"""Strategies: bring a target into a state.

A strategy binds protocols (labgrid's `bindings`): it is given the drivers
it needs (power, console, and for SshStrategy a command channel) and a
power-on hook, never a Target, and it alone owns its state. Targets ask it:
transition("off" | "shell"), kexec(...), power_cycle(...) (SshStrategy), and
invalidate() when they saw the DUT stop answering; they read `state`.

States: "off", "shell" (booted, the ready line seen, the shell answering)
and "unknown" (something went wrong since: the next transition("shell")
checks the shell before it reboots).

- ShellStrategy: "shell" is the console's shell answering (the qemu
  target): power on, wait for `smmu-hil: DUT ready kernel=<release>`, sync
  the console shell.
- SshStrategy: "shell" is SSH answering (the ssh target): power on, wait
  until a command over SSH answers.

This module imports no target.
"""
from __future__ import annotations

import re
import time
from typing import Any, Callable

from .errors import ConsoleTimeout, LabError, StrategyError
from .poll import wait_until
from .protocols import CommandProtocol, ConsoleProtocol, PowerProtocol, check_bindings

READY = r"smmu-hil: DUT ready kernel=(\S+)"
# On the live console the release must be followed by the line's end:
# the console delivers what has arrived, and a read that stops inside the
# release would match a prefix of it ("7.2.12-" for "7.2.12-lab-48579504").
READY_ON_CONSOLE = READY + r"\s"
# printed by the typed kexec line only if `kexec -e` comes back
KEXEC_RETURNED = r"SHL-KEXEC-RETURNED \d+"

__all__ = ["READY", "READY_ON_CONSOLE", "KEXEC_RETURNED", "ShellStrategy", "SshStrategy", "StrategyError"]


class ShellStrategy:
    """off <-> shell for one DUT, on its console.

    Bindings: @power (PowerProtocol), @console (ConsoleProtocol).
    @power_on: powers the DUT on with the console attached in time (default
    power.on(); the qemu target opens the console while QEMU is paused).
    @name: the target's name, for messages.
    @boot_timeout: seconds from power-on (or kexec) to the ready line.
    @shell_timeout: seconds for the shell to answer once ready.
    """

    states = ("off", "shell")
    bindings: dict[str, Any] = {"power": PowerProtocol, "console": ConsoleProtocol}

    def __init__(self, power: PowerProtocol, console: ConsoleProtocol, name: str = "dut",
                 power_on: Callable[[], None] | None = None, boot_timeout: float = 180.0,
                 shell_timeout: float = 10.0, ready: str = READY_ON_CONSOLE,
                 **more: Any) -> None:
        unknown = sorted(set(more) - set(self.bindings))
        if unknown:
            raise TypeError(f"{type(self).__name__}: no binding {unknown[0]!r}")
        check_bindings(type(self).__name__, self.bindings,
                       {"power": power, "console": console, **more})
        self.power = power
        self.console = console
        self.name = name
        self._power_on = power_on or power.on
        self.boot_timeout = boot_timeout
        self.shell_timeout = shell_timeout
        self.ready = ready
        self._state = "off"
        self.last_boot_s: float | None = None
        self.kernel_release: str | None = None

    @property
    def state(self) -> str:
        """"off", "shell" or "unknown" (read-only: ask transition())."""
        return self._state

    def invalidate(self) -> None:
        """The DUT stopped answering (a command timed out, a kexec or power
        cycle failed): the state becomes "unknown", and the next
        transition("shell") checks the shell before it reboots."""
        self._state = "unknown"

    def transition(self, state: str) -> bool:
        """Reach @state ("off" or "shell").

        "shell" from "shell" or "unknown" first checks the shell (alive(),
        which interrupts a hung command); only a dead shell, kernel or
        machine is powered off and booted again. Returns True when it
        powered the DUT on. Raises ValueError for an unknown state and
        StrategyError (with the console tail) when booting or getting a
        shell fails in time.
        """
        if state not in self.states:
            raise ValueError(f"unknown state {state!r}; known: {', '.join(self.states)}")
        if state == "off":
            self.console.close()
            self.power.off()
            self._state = "off"
            return False
        if self._state in ("shell", "unknown") and self.alive():
            self._state = "shell"
            return False
        self.console.close()
        self.power.off()
        self._state = "unknown"
        t0 = time.monotonic()
        try:
            self._power_on()
            self._wait_ready(t0)
        except LabError as e:
            self._state = "unknown"
            raise StrategyError(f"{self.name}: boot to shell failed: {e}") from e
        return True

    def wait_ready(self, t0: float, failed: str | None = None,
                   timeout: float | None = None) -> float:
        """After a power-on or reset done outside the strategy: wait for the
        ready line and a shell; return seconds since @t0.

        @failed: a regex that, seen first, means the new system will not
        come. @timeout: instead of boot_timeout. Raises ConsoleTimeout /
        ConsoleClosed, StrategyError on @failed; the state is then "unknown".
        """
        try:
            return self._wait_ready(t0, failed, timeout)
        except LabError:
            self.invalidate()
            raise

    def _wait_ready(self, t0: float, failed: str | None = None,
                    timeout: float | None = None) -> float:
        con = self.console
        m = con.expect([self.ready] + ([failed] if failed else []),
                       timeout or self.boot_timeout)
        if failed and re.fullmatch(failed, m.group(0)):
            raise StrategyError(f"{self.name}: {m.group(0)}\n--- console tail ---\n"
                                f"{con.tail()}")
        self.kernel_release = m.group(1)
        self.last_boot_s = time.monotonic() - t0
        con.sync(self.shell_timeout)
        self._state = "shell"
        return self.last_boot_s

    def kexec(self, command: str) -> float:
        """shell -> shell through a new kernel: type @command (which ends in
        `kexec -e`) and wait for the ready line and the shell again.

        Returns seconds from typing it to DUT ready. Raises StrategyError at
        once when `kexec -e` returns (nothing loaded, refused), and
        ConsoleTimeout / ConsoleClosed when the new kernel does not come up
        in time; the state is then "unknown".
        """
        # printed only if kexec -e comes back; the typed echo reads differently
        self.console.sendline(f"{command}; printf '%s-%s %d\\n' SHL-KEXEC RETURNED $?")
        return self.wait_ready(time.monotonic(), failed=KEXEC_RETURNED)

    def alive(self) -> bool:
        """True when the console shell answers a no-op in time: up to four
        tries, Ctrl-C before all but the first (a shell slow under load is
        not a dead one; a reboot costs minutes)."""
        if not self.console.is_open or not self.power.is_on():
            return False
        try:
            self.console.sync(self.shell_timeout, attempts=4)
        except ConsoleTimeout:
            return False
        return True


class SshStrategy(ShellStrategy):
    """ShellStrategy whose "shell" is a command channel answering (SSH), not
    the console.

    Bindings: @power, @console (opened by the power-on hook, read by the
    watchdog) and @command (CommandProtocol: SSHDriver).
    @probe_timeout: seconds one `true` may take on a DUT that answers;
    @down_probe_timeout: the same while waiting for it to go away.
    """

    bindings = {**ShellStrategy.bindings, "command": CommandProtocol}

    def __init__(self, power: PowerProtocol, console: ConsoleProtocol,
                 command: CommandProtocol, probe_timeout: float = 10.0,
                 down_probe_timeout: float = 7.0, **kwargs: Any) -> None:
        super().__init__(power, console, command=command, **kwargs)
        self.command = command
        self.probe_timeout = probe_timeout
        self.down_probe_timeout = down_probe_timeout

    def _wait_ready(self, t0: float, failed: str | None = None,
                    timeout: float | None = None) -> float:
        """Wait until a command answers; return seconds since @t0. Raises
        ConsoleTimeout."""
        left = (timeout or self.boot_timeout) - (time.monotonic() - t0)
        self.wait_up(max(left, 1.0))
        self.last_boot_s = time.monotonic() - t0
        rc, out = self.command.run("uname -r", self.shell_timeout)
        self.kernel_release = out.strip() if rc == 0 else None
        self._state = "shell"
        return self.last_boot_s

    def alive(self) -> bool:
        """True when `true` runs over the command channel in time (two
        tries)."""
        for _ in range(2):
            try:
                if self.command.run("true", self.shell_timeout)[0] == 0:
                    return True
            except ConsoleTimeout:
                pass
        return False

    def wait_up(self, timeout: float) -> float:
        """Poll `true` (every second) until the DUT answers; returns seconds
        waited. Raises ConsoleTimeout after @timeout seconds."""
        t0 = time.monotonic()
        last = [""]

        def answers(left: float) -> bool:
            if left <= 0:
                return False
            try:
                rc, out = self.command.run("true", min(left, self.probe_timeout))
            except ConsoleTimeout as e:
                last[0] = str(e)
                return False
            last[0] = f"status {rc}: {out[-200:]}"
            return rc == 0

        wait_until(answers, timeout, 1.0, fail=lambda: ConsoleTimeout(
            f"ssh: no answer within {timeout:.0f}s ({last[0]})"))
        return time.monotonic() - t0

    def wait_down(self, timeout: float) -> float:
        """Poll `true` (every 0.5 s) until the DUT stops answering; returns
        seconds waited. Raises ConsoleTimeout when it still answers after
        @timeout seconds."""
        t0 = time.monotonic()

        def gone(_left: float) -> bool:
            try:
                self.command.run("true", self.down_probe_timeout)
            except ConsoleTimeout:  # ConsoleClosed too
                return True
            return False

        wait_until(gone, timeout, 0.5, fail=lambda: ConsoleTimeout(
            f"ssh: still answering after {timeout:.0f}s"))
        return time.monotonic() - t0

    def kexec(self, command: str) -> float:
        """Start @command (ending in `kexec -e`) detached over the command
        channel, wait for the DUT to go and come back.

        Returns seconds from the request to a command answering. Raises
        StrategyError when the DUT never goes away (kexec -e refused); the
        state is then "unknown".
        """
        t0 = time.monotonic()
        self.command.run(f"(sleep 1; {command}) </dev/null >/dev/null 2>&1 &", 15)
        try:
            self.wait_down(30)
        except ConsoleTimeout as e:
            self.invalidate()
            raise StrategyError(f"{self.name}: kexec -e did not take the DUT down: {e}")
        return self.wait_ready(t0)

    def power_cycle(self, timeout: float | None = None) -> float:
        """Power cycle through the power driver; wait for the DUT to go and
        come back (within @timeout, default boot_timeout). Returns seconds
        from the cycle request to a command answering. Raises PowerError,
        ConsoleTimeout; the state is then "unknown"."""
        t0 = time.monotonic()
        self.invalidate()
        self.power.cycle()
        self.wait_down(30)
        return self.wait_ready(t0, timeout=timeout)
