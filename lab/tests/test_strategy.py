"""Strategies bind protocols, not targets: ShellStrategy / SshStrategy on
fake drivers, their bindings, their read-only state, and the import graph
(strategy.py imports no target)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from smmu_hil_lab.errors import ConsoleClosed, ConsoleTimeout, StrategyError
from smmu_hil_lab.protocols import CommandProtocol, ConsoleProtocol, PowerProtocol
from smmu_hil_lab.strategy import READY, READY_ON_CONSOLE, ShellStrategy, SshStrategy

LAB = Path(__file__).resolve().parents[1]


class FakePower:
    """PowerProtocol: records the calls."""

    def __init__(self) -> None:
        self.powered = False
        self.calls: list[str] = []

    def on(self) -> None:
        self.calls.append("on")
        self.powered = True

    def off(self) -> None:
        self.calls.append("off")
        self.powered = False

    def cycle(self) -> None:
        self.calls.append("cycle")
        self.powered = True

    def reset(self) -> None:
        self.calls.append("reset")

    def is_on(self) -> bool:
        return self.powered


class FakeConsole:
    """ConsoleProtocol: prints the ready line when expected."""

    def __init__(self, ready: str = "smmu-hil: DUT ready kernel=fake-1\r\n") -> None:
        self.is_open = False
        self.ready = ready
        self.typed: list[str] = []
        self.syncs = 0

    def open(self) -> None:
        self.is_open = True

    def close(self) -> None:
        self.is_open = False

    def sendline(self, line: str = "") -> None:
        self.typed.append(line)

    def sendcontrol(self, char: str) -> None:
        self.typed.append(f"^{char}")

    def expect(self, patterns, timeout):
        for p in patterns:
            m = re.search(p, self.ready)
            if m:
                return m
        raise ConsoleTimeout(f"no {patterns!r}", "tail")

    def tail(self, chars: int = 3000) -> str:
        return self.ready[-chars:]

    def sync(self, timeout: float = 10.0, attempts: int = 3) -> None:
        self.syncs += 1

    def add_listener(self, fn) -> None:
        pass

    def remove_listener(self, fn) -> None:
        pass

    def pump(self, timeout: float = 0.2, keep: int = 64 * 1024) -> int:
        return 0


class FakeSsh:
    """CommandProtocol: answers while `up`; `down_after` answers then goes."""

    def __init__(self, power: FakePower) -> None:
        self.power = power
        self.cmds: list[str] = []
        self.down_polls = 0     # how many more probes answer after a kexec request

    def run(self, cmd: str, timeout: float = 30.0, strip_kernel: bool = True):
        self.cmds.append(cmd)
        if self.down_polls > 0:
            self.down_polls -= 1
            if self.down_polls == 0:
                raise ConsoleClosed("ssh: connection refused")
        if not self.power.powered:
            raise ConsoleClosed("ssh: connection refused")
        if "kexec -e" in cmd:
            self.down_polls = 2
            return 0, ""
        return 0, ("6.1.0-fake" if cmd == "uname -r" else "")


def test_fakes_implement_the_protocols() -> None:
    p = FakePower()
    assert isinstance(p, PowerProtocol) and isinstance(FakeConsole(), ConsoleProtocol)
    assert isinstance(FakeSsh(p), CommandProtocol) and not isinstance(p, CommandProtocol)


def test_ready_line_needs_its_end() -> None:
    """A console read that stops inside the release is no ready line: the
    release is taken whole once the line's end arrived (a lab kernel's
    7.2.12-lab-48579504 was once reported as 7.2.12-)."""
    assert re.search(READY_ON_CONSOLE, "smmu-hil: DUT ready kernel=7.2.12-") is None
    m = re.search(READY_ON_CONSOLE, "smmu-hil: DUT ready kernel=7.2.12-lab-48579504\r\ndut# ")
    assert m and m.group(1) == "7.2.12-lab-48579504"
    # the LAVA console's lines come without their end: READY reads them
    assert re.search(READY, "smmu-hil: DUT ready kernel=6.1.0-57-arm64")[1] == "6.1.0-57-arm64"


def test_shell_strategy_binds_drivers_and_owns_its_state() -> None:
    power, con = FakePower(), FakeConsole()
    s = ShellStrategy(power, con, name="fake", power_on=lambda: (con.open(), power.on()))
    assert s.state == "off"
    with pytest.raises(AttributeError):
        s.state = "shell"       # type: ignore[misc]  # only the strategy changes it
    assert s.transition("shell") is True and s.state == "shell"
    assert s.kernel_release == "fake-1" and power.calls == ["off", "on"]
    assert s.transition("shell") is False       # alive: no reboot
    s.invalidate()
    assert s.state == "unknown"
    assert s.transition("shell") is False and s.state == "shell"  # the shell answered
    assert s.kexec("kexec -e") >= 0 and "SHL-KEXEC RETURNED" in con.typed[-1]
    s.transition("off")
    assert s.state == "off" and not con.is_open and not power.powered
    with pytest.raises(ValueError):
        s.transition("sideways")


def test_boot_failure_is_strategy_error_and_unknown() -> None:
    power, con = FakePower(), FakeConsole(ready="Booting Linux, then nothing")
    s = ShellStrategy(power, con, name="fake", boot_timeout=0.1)
    with pytest.raises(StrategyError, match="fake: boot to shell failed"):
        s.transition("shell")
    assert s.state == "unknown"


def test_kexec_that_returns_fails_fast() -> None:
    power = FakePower()
    con = FakeConsole(ready="SHL-KEXEC-RETURNED 1")
    s = ShellStrategy(power, con, name="fake")
    with pytest.raises(StrategyError, match="SHL-KEXEC-RETURNED 1"):
        s.kexec("kexec -e")
    assert s.state == "unknown"


def test_bindings_are_checked() -> None:
    power, con = FakePower(), FakeConsole()
    with pytest.raises(TypeError, match="binding 'console' needs a ConsoleProtocol"):
        ShellStrategy(power, object())        # type: ignore[arg-type]
    with pytest.raises(TypeError, match="binding 'command' needs a CommandProtocol"):
        SshStrategy(power, con, object())     # type: ignore[arg-type]
    with pytest.raises(TypeError, match="no binding 'shell'"):
        ShellStrategy(power, con, shell=con)  # type: ignore[call-arg]
    assert set(SshStrategy.bindings) == {"power", "console", "command"}


def test_ssh_strategy_over_a_command_channel() -> None:
    power, con = FakePower(), FakeConsole()
    ssh = FakeSsh(power)
    s = SshStrategy(power, con, ssh, name="ssh", power_on=lambda: (con.open(), power.on()),
                    boot_timeout=5)
    assert s.transition("shell") is True
    assert s.state == "shell" and s.kernel_release == "6.1.0-fake" and con.syncs == 0
    assert s.kexec("kexec -e") >= 0 and s.state == "shell"
    assert any("kexec -e" in c and c.endswith("&") for c in ssh.cmds)
    power.calls.clear()
    ssh.down_polls = 2          # the cycle takes SSH away for a moment
    assert s.power_cycle(timeout=5) >= 0 and power.calls == ["cycle"] and s.state == "shell"
    power.powered = False
    assert s.alive() is False
    with pytest.raises(ConsoleTimeout, match="ssh: no answer within 1s"):
        s.wait_up(1.0)


def test_kexec_that_never_goes_down_is_strategy_error() -> None:
    power, con = FakePower(), FakeConsole()
    ssh = FakeSsh(power)
    s = SshStrategy(power, con, ssh, name="ssh", power_on=power.on)
    s.transition("shell")
    ssh.run = lambda cmd, timeout=30.0, strip_kernel=True: (0, "")  # type: ignore[method-assign]
    s.wait_down = lambda timeout: (_ for _ in ()).throw(ConsoleTimeout("still up"))  # type: ignore[method-assign]
    with pytest.raises(StrategyError, match="did not take the DUT down"):
        s.kexec("kexec -e")
    assert s.state == "unknown"


def test_strategy_imports_no_target() -> None:
    """strategy.py and targets/ do not import each other both ways: the
    strategy module loads without any target module."""
    code = ("import sys, smmu_hil_lab.strategy; "
            "bad = [m for m in sys.modules if m.startswith('smmu_hil_lab.targets')]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], cwd=LAB, check=True)
    src = (LAB / "smmu_hil_lab" / "strategy.py").read_text()
    assert "targets" not in re.sub(r'""".*?"""', "", src, flags=re.S)
