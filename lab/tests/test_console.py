"""ConsoleDriver over a pexpect-spawned shell on a real pty (so typed
commands echo back, as on a serial console)."""
from __future__ import annotations

import io
import json

import pytest

from smmu_hil_lab.drivers import ConsoleClosed, ConsoleDriver, ConsoleTimeout, clean_output
from smmu_hil_lab.resources import CommandSerialPort


@pytest.fixture
def console():
    log = io.StringIO()
    c = ConsoleDriver(CommandSerialPort(("sh", "-i"), env={"PS1": "dut# ", "ENV": ""}), log)
    c.open()
    c.expect("dut# ", 5)
    c.sync(5)
    yield c
    c.close()


def test_run_status_and_output(console: ConsoleDriver) -> None:
    assert console.run("echo hello; echo world") == (0, "hello\nworld\n")
    assert console.run("false")[0] == 1
    assert console.run("exit_code() { return 7; }; exit_code")[0] == 7
    assert console.run("true") == (0, "")


def test_echo_of_markers_never_matches(console: ConsoleDriver) -> None:
    # output that looks like our markers' format strings is returned verbatim
    rc, out = console.run("printf '%s\\n' '@@%s-%s@@' SHL-B")
    assert rc == 0 and out == "@@%s-%s@@\nSHL-B\n"


def test_kernel_messages_inside_output_are_removed(console: ConsoleDriver) -> None:
    # a kernel record on its own line, and one in the middle of a JSON line
    cmd = ("printf '{\"a\": 1'; printf '[   12.345678] arm-smmu-v3: event 0x10\\n'; "
           "printf ', \"b\": [1, 2]}\\n'; printf '[    1.000000] another\\n'; echo tail")
    rc, out = console.run(cmd)
    assert rc == 0
    first, second = out.splitlines()
    assert json.loads(first) == {"a": 1, "b": [1, 2]}
    assert second == "tail"


def test_strip_kernel_off_keeps_dmesg_like_lines(console: ConsoleDriver) -> None:
    rc, out = console.run("echo '[    1.000000] x'", strip_kernel=False)
    assert out == "[    1.000000] x\n"


def test_background_command(console: ConsoleDriver) -> None:
    assert console.run("sleep 0.1 &")[0] == 0
    assert console.run("wait; echo done") == (0, "done\n")


def test_timeout_has_tail_and_recovers(console: ConsoleDriver) -> None:
    with pytest.raises(ConsoleTimeout) as ei:
        console.run("echo before-sleep; sleep 30", timeout=0.5)
    assert "before-sleep" in ei.value.tail
    console.sync(5)
    assert console.run("echo back") == (0, "back\n")


def test_closed_console(console: ConsoleDriver) -> None:
    with pytest.raises(ConsoleClosed):
        console.run("exit", timeout=5)
    assert not console.is_open


def test_multiline_rejected(console: ConsoleDriver) -> None:
    with pytest.raises(ValueError):
        console.run("echo a\necho b")


def test_logfile_gets_everything() -> None:
    log = io.StringIO()
    c = ConsoleDriver(CommandSerialPort(("sh", "-i"), env={"PS1": "dut# "}), log)
    c.open()
    try:
        c.run("echo logged-output", 5)
    finally:
        c.close()
    assert "logged-output" in log.getvalue()
    assert "logged-output" in c.tail()


@pytest.mark.parametrize("raw,want", [
    ("\r\nabc\r\n\r\n", "abc\n"),
    ("\r\n\r\n", ""),
    ("\r\nx[  1.5] k\r\ny\r\n\r\n", "xy\n"),
    ("\r\n[ 3.000000] only kernel\r\n\r\n", ""),
    ("\r\nline1\r\n\r\nline3\r\n\r\n", "line1\n\nline3\n"),
])
def test_clean_output(raw: str, want: str) -> None:
    assert clean_output(raw) == want
