"""The console watchdog (background reader, panic and hang detection) and the
iteration loop that turns a fault into an iteration's failure, on a real pty
shell standing in for the DUT's console."""
from __future__ import annotations

import io
import time
from typing import Any, Iterator

import pytest

from smmu_hil_lab.drivers import ConsoleDriver, ConsoleTimeout
from smmu_hil_lab.resources import CommandSerialPort
from smmu_hil_lab.watchdog import ConsoleWatchdog, Fault, run_iterations


@pytest.fixture
def console() -> Iterator[tuple[ConsoleDriver, io.StringIO]]:
    log = io.StringIO()
    c = ConsoleDriver(CommandSerialPort(("sh", "-i"), env={"PS1": "dut# ", "ENV": ""}), log)
    c.open()
    c.expect("dut# ", 5)
    c.sync(5)
    yield c, log
    c.close()


def test_background_output_reaches_the_log(console: tuple[ConsoleDriver, io.StringIO]) -> None:
    c, log = console
    wd = ConsoleWatchdog(c)
    wd.start()
    try:
        c.sendline("(sleep 0.3; echo late-output-1; sleep 0.3; echo late-output-2) &")
        deadline = time.monotonic() + 5
        while "late-output-2" not in log.getvalue() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "late-output-2" in log.getvalue()   # read while no command ran
        assert wd.fault is None
        # commands still work beside the reader (and see no stale text)
        rc, out = c.run("echo after", 5)
        assert (rc, out.strip()) == (0, "after")
    finally:
        wd.stop()
    assert not wd.running


def test_panic_in_background_and_in_command_output(
        console: tuple[ConsoleDriver, io.StringIO]) -> None:
    c, _ = console
    wd = ConsoleWatchdog(c)
    wd.start()
    try:
        # %s keeps the typed line's echo from matching
        c.sendline("sleep 0.2; printf '[ 9.1] Kernel %s - not syncing: sysrq triggered\\n'"
                   " panic; printf 'Call trace:\\n  panic+0x0\\n'")
        f = wd.wait_fault(5)
        assert f is not None and f.kind == "panic"
        assert f.text == "Kernel panic - not syncing: sysrq triggered"
        deadline = time.monotonic() + 5
        while not f.tail and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "panic+0x0" in f.tail and "Kernel panic" in f.reason()
        wd.rearm()
        assert wd.fault is None
        # text a command reads is seen too (the listener, not the reader)
        c.run("printf 'Unable to %s kernel NULL\\n' handle", 5)
        f = wd.wait_fault(2)
        assert f is not None and f.text.startswith("Unable to handle kernel NULL")
    finally:
        wd.stop()


def test_hang_from_failing_probe_and_from_silence(
        console: tuple[ConsoleDriver, io.StringIO]) -> None:
    c, _ = console
    answers = {"ok": True}
    wd = ConsoleWatchdog(c, alive=lambda: answers["ok"], hang_s=0.5, probe_s=0.1)
    wd.start()
    try:
        assert wd.wait_fault(0.8) is None
        answers["ok"] = False
        f = wd.wait_fault(5)
        assert f is not None and f.kind == "hang" and "no answer" in f.text
    finally:
        wd.stop()
    quiet = ConsoleWatchdog(c, quiet_s=0.5)
    quiet.start()
    try:
        f = quiet.wait_fault(5)
        assert f is not None and f.kind == "hang" and "no console output" in f.text
    finally:
        quiet.stop()


def test_closed_console_is_reopened(console: tuple[ConsoleDriver, io.StringIO]) -> None:
    c, _ = console
    reopened: list[int] = []

    def reopen() -> None:
        reopened.append(1)
        c.open()

    wd = ConsoleWatchdog(c, reopen=reopen)
    wd.start()
    try:
        c.sendline("exit")
        deadline = time.monotonic() + 5
        while not reopened and time.monotonic() < deadline:
            time.sleep(0.05)
        assert reopened
        deadline = time.monotonic() + 5
        while not c.is_open and time.monotonic() < deadline:
            time.sleep(0.05)
        c.expect("dut# ", 5)
    finally:
        wd.stop()


class FakeWatchdog:
    """wait_fault() returns a scripted fault once."""

    def __init__(self) -> None:
        self.fault: Fault | None = None
        self.rearmed = 0

    def wait_fault(self, timeout: float) -> Fault | None:
        return self.fault

    def rearm(self) -> None:
        self.fault = None
        self.rearmed += 1


def test_run_iterations_records_fault_and_goes_on() -> None:
    wd = FakeWatchdog()
    recovered: list[Any] = []
    lines: list[str] = []

    def body(i: int, m: dict[str, Any]) -> None:
        m["i"] = i
        if i == 2:
            wd.fault = Fault("panic", time.monotonic(), "Kernel panic - not syncing: x",
                             "tail text")
            raise ConsoleTimeout("ssh: `x` did not finish")
        if i == 3:
            raise AssertionError("workload broke")

    def recover(f: Fault | None) -> float:
        recovered.append(f.kind if f else None)
        return 1.5

    its = run_iterations(4, body, wd, recover, lines.append, settle_s=0)  # type: ignore[arg-type]
    assert [it.status for it in its] == ["pass", "fail", "fail", "pass"]
    assert its[1].reason.startswith("DUT panic: Kernel panic") and "tail text" in its[1].reason
    assert its[2].reason == "AssertionError: workload broke"
    assert recovered == ["panic", None] and wd.rearmed == 2
    assert its[1].metrics == {"i": 2, "recover_s": 1.5}
    assert any("iteration 2/4: FAIL" in ln for ln in lines)
    assert any(ln.startswith("iteration 4/4: pass") for ln in lines)


def test_commands_keep_their_output_beside_the_reader(
        console: tuple[ConsoleDriver, io.StringIO]) -> None:
    c, _ = console
    wd = ConsoleWatchdog(c)
    wd.start()
    try:
        # the reader pumps between commands; no command may lose its output to it
        for i in range(60):
            assert c.run(f"echo out-{i}", 5) == (0, f"out-{i}\n")
    finally:
        wd.stop()
