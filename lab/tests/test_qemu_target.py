"""The real QemuTarget, QMPPowerDriver, ConsoleDriver (unix socket) and
ShellStrategy against tests/fake_qemu.py."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from smmu_hil_lab.drivers import (ConsoleTimeout, QMPClient, QMPError, QMPPowerDriver,
                                  wait_for_path)
from smmu_hil_lab.strategy import StrategyError

from conftest import fake_machine


def test_boot_run_and_log(make_target, tmp_path: Path) -> None:
    t = make_target()
    boot_s = t.boot()
    assert 0 < boot_s < 10
    assert t.first_boot_s == boot_s
    assert t.strategy.state == "shell" and t.strategy.kernel_release == "fake"
    assert t.run("echo hi") == (0, "hi\n")
    assert t.run_json("echo '{\"x\": [1]}'") == {"x": [1]}
    t.shutdown()
    log = (tmp_path / "logs" / "console.log").read_text()
    assert "UEFI firmware (fake)" in log  # attached before the CPUs ran
    assert not t.power.is_on()


def test_hang_fails_command_then_reboots(make_target) -> None:
    t = make_target()
    t.boot()
    with pytest.raises(ConsoleTimeout) as ei:
        t.run("echo about-to-hang; sleep 60", timeout=1)
    assert "about-to-hang" in ei.value.tail
    assert t.strategy.state == "unknown"
    assert t.ensure_shell() is False  # Ctrl-C ended the hung command
    assert t.run("echo still-here") == (0, "still-here\n")
    t.console.sendline("kill -STOP $$")  # the shell stops answering entirely
    assert t.ensure_shell() is True
    assert t.run("echo alive") == (0, "alive\n")
    assert t.ensure_shell() is False


def test_crashed_shell_is_rebooted(make_target) -> None:
    t = make_target()
    t.boot()
    with pytest.raises(ConsoleTimeout):
        t.run("kill -9 $$", timeout=1)
    assert t.ensure_shell() is True
    assert t.run("echo ok")[1] == "ok\n"


def test_no_ready_line_times_out_with_tail(make_target) -> None:
    t = make_target("--no-ready", boot_timeout=1.0)
    t0 = time.monotonic()
    with pytest.raises(StrategyError) as ei:
        t.boot()
    assert time.monotonic() - t0 < 8
    assert "Booting Linux (fake)" in str(ei.value)


def test_off_kills_when_quit_is_ignored(make_target) -> None:
    t = make_target("--ignore-quit")
    t.boot()
    proc = t.power.proc
    assert proc is not None
    t.power.off()
    assert proc.poll() is not None and not t.power.is_on()


def test_reset_reboots(make_target) -> None:
    t = make_target()
    t.boot()
    t.power.reset()
    t.strategy.wait_ready(time.monotonic())
    assert t.run("echo after-reset")[1] == "after-reset\n"


def test_kexec_waits_for_ready_again(make_target) -> None:
    t = make_target()
    t.boot()
    assert t.kexec() >= 0
    assert t.strategy.kernel_release == "fake-kexec"
    assert t.run("echo new-kernel")[1] == "new-kernel\n"


def test_kexec_quiesces_first_and_thaws_when_refused(make_target, tmp_path: Path) -> None:
    t = make_target()
    t.boot()
    log = tmp_path / "agent-calls"
    t.run(f"export FAKE_AGENT_LOG={log} FAKE_QUIESCE_FAIL=1")
    with pytest.raises(StrategyError, match="SHL-KEXEC-RETURNED"):
        t.kexec_exec()
    # quiesce failed: no kexec -e, the stopped processes continued
    assert log.read_text().splitlines() == ["dut quiesce", "dut thaw"]
    assert t.ensure_shell() is False
    t.run("unset FAKE_QUIESCE_FAIL")
    assert t.kexec_exec() >= 0
    assert log.read_text().splitlines()[-1] == "dut quiesce"
    assert t.strategy.kernel_release == "fake-kexec"


def test_kexec_without_quiesce_is_bare(make_target, tmp_path: Path) -> None:
    t = make_target()
    t.boot()
    log = tmp_path / "agent-calls"
    t.run(f"export FAKE_AGENT_LOG={log}")
    assert t.kexec_exec(quiesce=False) >= 0
    assert not log.exists()


def test_kexec_that_returns_fails_fast(make_target) -> None:
    t = make_target()
    t.boot()
    t.run("export FAKE_KEXEC_FAIL=1")
    t0 = time.monotonic()
    with pytest.raises(StrategyError, match="SHL-KEXEC-RETURNED 1"):
        t.kexec_exec()  # as if nothing had been loaded
    assert time.monotonic() - t0 < 5
    assert t.ensure_shell() is False  # the old system is still there


def test_kernel_noise_never_breaks_parsing(make_target) -> None:
    t = make_target("--kernel-noise")
    t.boot()
    for i in range(30):
        doc = t.run_json(f"printf '{{\"i\": %d, \"s\": \"%s\"}}\\n' {i} x$(seq 1 40 | tr -d '\\n')")
        assert doc["i"] == i


def test_qmp_client_errors_and_events(sockdir: Path) -> None:
    m = fake_machine(sockdir)
    proc = subprocess.Popen(m.argv())
    try:
        wait_for_path(m.qmp.path, 10, "fake qemu")
        c = QMPClient(m.qmp)
        assert "QMP" in c.connect()
        assert c.execute("query-status")["status"] == "prelaunch"
        with pytest.raises(QMPError, match="CommandNotFound"):
            c.execute("no-such-command")
        c.execute("cont")
        assert any(e["event"] == "RESUME" for e in c.events)
        c.execute("quit")
        with pytest.raises(QMPError):
            c.execute("query-status")
        c.close()
    finally:
        proc.kill()
        proc.wait()


def test_power_on_fails_cleanly_when_qemu_exits(sockdir: Path) -> None:
    m = fake_machine(sockdir, "--bogus-flag")  # fake_qemu exits with a usage error
    p = QMPPowerDriver(m, start_timeout=5)
    with pytest.raises(Exception, match="power on failed"):
        p.on()
    assert not p.is_on()


def test_power_on_failure_says_what_qemu_said(sockdir: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The error carries QEMU's stderr of this start (argparse's usage error
    here), not an earlier start's and not the lines known to be harmless."""
    from smmu_hil_lab import resources
    from smmu_hil_lab.drivers import qmp
    log = tmp_path / "qemu.log"
    log.write_text("an earlier start's complaint\n")
    monkeypatch.setattr(resources, "HARMLESS_QEMU_STDERR", (r"^usage: ",))
    p = QMPPowerDriver(fake_machine(sockdir, "--bogus-flag"), start_timeout=5, stderr_log=log)
    with pytest.raises(Exception) as e:
        p.on()
    msg = str(e.value)
    assert "QEMU said: " in msg and "unrecognized arguments: --bogus-flag" in msg, msg
    assert "earlier start" not in msg and "usage:" not in msg
    assert qmp.qemu_stderr_problems("x: warning\n\nusage: y\n") == ["x: warning"]


def test_qemu_module_warnings_are_filtered_not_others() -> None:
    """QEMU 10 meeting QEMU 7.2's modules (as seen here before the upgrade of
    qemu-system-common) says so per module: harmless; anything else stays."""
    from smmu_hil_lab.resources import qemu_stderr_problems
    text = ("qemu-system-aarch64: failed to initialize module: "
            "/usr/lib/x86_64-linux-gnu/qemu/ui-opengl.so\n"
            "Only modules from the same build can be loaded.\n"
            "qemu-system-aarch64: failed to open module: /usr/lib/x86_64-linux-gnu/qemu/"
            "audio-alsa.so: undefined symbol: audio_calloc\n"
            "qemu-system-aarch64: failed to open module: /usr/lib/x86_64-linux-gnu/qemu/"
            "block-curl.so: undefined symbol: x\n"
            "qemu-system-aarch64: -machine virt-9.1: unsupported machine type\n")
    assert qemu_stderr_problems(text) == [
        "qemu-system-aarch64: failed to open module: /usr/lib/x86_64-linux-gnu/qemu/"
        "block-curl.so: undefined symbol: x",
        "qemu-system-aarch64: -machine virt-9.1: unsupported machine type"]


def test_real_machine_argv_has_the_issue_devices(tmp_path: Path) -> None:
    from smmu_hil_lab.resources import QemuMachine, QMPSocket, UnixSocketSerialPort
    for f in ("k", "i", "d"):
        (tmp_path / f).write_text("")
    m = QemuMachine(kernel=tmp_path / "k", initrd=tmp_path / "i", data_disk=tmp_path / "d",
                    share=tmp_path, serial=UnixSocketSerialPort(tmp_path / "c"),
                    qmp=QMPSocket(tmp_path / "q"), qemu=sys.executable)
    argv = " ".join(m.argv())
    for want in ("iommu=smmuv3", "gic-version=3", "-smp 2", "-m 1024", "-device edu,dma_mask=0xffffffffff", " -S ",
                 "virtio-blk-pci,drive=data,disable-legacy=on,iommu_platform=on",
                 "virtio-net-pci,netdev=net0,disable-legacy=on,iommu_platform=on"):
        assert want in argv
    assert json.dumps(argv)


def test_interactive_argv_is_the_same_machine(tmp_path: Path) -> None:
    """qemu-run.sh's machine: the lab's hardware, console on stdio, no pause, no QMP."""
    from smmu_hil_lab.resources import QemuMachine, QMPSocket, UnixSocketSerialPort
    for f in ("k", "i", "d"):
        (tmp_path / f).write_text("")
    common = dict(kernel=tmp_path / "k", initrd=tmp_path / "i", data_disk=tmp_path / "d",
                  share=tmp_path, qemu=sys.executable)
    lab = QemuMachine(serial=UnixSocketSerialPort(tmp_path / "c"), qmp=QMPSocket(tmp_path / "q"),
                      **common).argv()
    term = QemuMachine(**common).interactive_argv()
    assert "-S" not in term and "-qmp" not in term and "-serial" not in term
    assert "-nographic" in term
    # Every hardware argument of the lab's machine is there, in the same order.
    hw = [a for a in lab if a in term]
    assert hw == [a for a in term if a in lab]
    assert "edu,dma_mask=0xffffffffff" in term and "virt,iommu=smmuv3,gic-version=3" in term
    with pytest.raises(ValueError, match="serial socket"):
        QemuMachine(**common).argv()
