"""The `ssh` target: a server reached over SSH, powered through its BMC
(ipmitool lanplus), its console read over IPMI serial-over-LAN.

Drivers: SSHDriver (the Command protocol: commands run over SSH, no framing
needed), IPMIPowerDriver (Power), SOLConsoleDriver or, for a console server,
ConsoleDriver on a CommandSerialPort (Console: opened before power-on and
logged to console.log). SshStrategy binds the three; "ready" is SSH
answering.

An inventory DUT with `emulated: true` is the emulated SMMUv3 server run as
if it were a real one: the lab assembles its image with a per-run SSH key
pair and dropbear host key, and starts OpenIPMI's ipmi_sim on 127.0.0.1 as
its BMC (emulated.ipmi_sim.EmulatedBmc), whose chassis control starts and stops QEMU;
QEMU forwards a loopback port to the DUT's SSH server and serves its serial
port to ipmi_sim's SOL. Everything is torn down at shutdown().
"""
from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

from .. import image, paths, smmu_model as smmu_models
from ..drivers import (ConsoleDriver, IPMIPowerDriver, QMPClient, SOLConsoleDriver, SSHDriver,
                       qmp_block_counters)
from ..emulated.ipmi_sim import EmulatedBmc
from ..emulated.keys import make_keys
from ..errors import LabError
from ..inventory import AUTO, PER_RUN, Dut
from ..protocols import CommandProtocol
from ..resources import (DATA_DRIVE, BmcAccess, CommandSerialPort, HostNetPeer, QemuMachine,
                         QMPSocket, SshAccess, TcpSerialPort, qemu_version)
from ..strategy import SshStrategy
from ..watchdog import ConsoleWatchdog
from . import Target


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port of 127.0.0.1 free right now (TCP, or UDP with SOCK_DGRAM)."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def host_peer(dut: Dut) -> HostNetPeer | None:
    """The iperf3 peer of @dut: QEMU user networking's for an emulated DUT
    (the DUT's 10.0.2.2 is the lab host's loopback), else the inventory's
    workloads.peer_address (how the DUT reaches the lab host) and
    workloads.peer_bind (where the lab host listens, default 0.0.0.0);
    None when the inventory names no peer."""
    w = dut.workloads
    if "peer_address" in w:
        return HostNetPeer(bind=w.get("peer_bind", "0.0.0.0"), dut_address=w["peer_address"])
    return HostNetPeer() if dut.emulated else None


class SshTarget(Target):
    """A DUT from the inventory reached over SSH and powered over IPMI."""

    name = "ssh"

    def __init__(self, log_dir: Path, dut: Dut, boot_timeout: float = 180.0,
                 work: Path | None = None) -> None:
        """Describe (and for an emulated DUT, prepare and start the BMC of)
        @dut. Raises LabError / image.ImageError."""
        super().__init__(log_dir)
        if dut.target != "ssh" or dut.ssh is None:
            raise LabError(f"{dut.name}: not an ssh target")
        self.dut = dut
        self.tmp = Path(tempfile.mkdtemp(prefix="shl-ssh-"))
        self.bmc_sim: EmulatedBmc | None = None
        # emulated: the run's initramfs (with its SSH keys) on the 9p share,
        # for kexec; removed at shutdown
        self._shared_initrd: Path | None = None
        # the emulated VM's second QMP monitor (block counters) and its client
        self._stats_sock: QMPSocket | None = None
        self._stats: QMPClient | None = None
        self._console_log = (log_dir / "console.log").open("a", encoding="utf-8",
                                                             errors="replace")
        try:
            self._setup(work, boot_timeout)
        except BaseException:
            self._release()
            raise

    def _setup(self, work: Path | None, boot_timeout: float) -> None:
        dut, ssh = self.dut, self.dut.ssh
        assert ssh is not None
        ssh_port = free_port() if ssh.port == AUTO else int(ssh.port)
        bmc_port = free_port(socket.SOCK_DGRAM) if dut.power.port == AUTO else int(dut.power.port)
        host_key = None
        if ssh.key == PER_RUN:
            key, host_key = make_keys(self.tmp)
        else:
            key = Path(ssh.key).expanduser()
        self.bmc = BmcAccess(dut.power.host, bmc_port, dut.power.user, dut.power.password,
                             dut.power.cipher_suite)
        self.ssh = SSHDriver(SshAccess(ssh.host, ssh_port, ssh.user, key,
                                       self.tmp / "known_hosts"))
        if dut.emulated:
            self._emulate(work, ssh_port, key, host_key)
        self.host_peer = host_peer(dut)
        self.disk = dut.workloads.get("disk", self.disk)
        if dut.devices is not None:
            self.transition_devices = dut.devices
        self.power = IPMIPowerDriver(self.bmc)
        self.console = (SOLConsoleDriver(self.bmc, self._console_log)
                        if dut.console.kind == "sol"
                        else ConsoleDriver(CommandSerialPort(dut.console.argv), self._console_log))
        self.strategy = SshStrategy(self.power, self.console, self.ssh, name=self.name,
                                    power_on=self.power_on, boot_timeout=boot_timeout,
                                    probe_timeout=self.ssh.probe_timeout,
                                    down_probe_timeout=self.ssh.connect_timeout + 2)
        # reads SOL into console.log while tests run; panic or no SSH answer
        # (hang_s: seconds without an SSH answer that make a hang; tests may set it)
        self.watchdog = ConsoleWatchdog(self.console, alive=self._ssh_answers, hang_s=60.0,
                                        reopen=self._reopen_console)
        self._reopened_at = 0.0

    def _emulate(self, work: Path | None, ssh_port: int, key: Path,
                 host_key: Path | None) -> None:
        """The emulated server: image with the run's keys, QEMU under ipmi_sim
        (its SMMU model: the inventory's smmu_model, else the environment's,
        else nested)."""
        self.smmu_model = smmu_models.resolve(self.dut.smmu_model)
        img = image.build_image(work or paths.BUILD / "dut")
        stage = self.tmp / "stage"
        (stage / "root/.ssh").mkdir(parents=True)
        (stage / "root").chmod(0o700)
        (stage / "root/.ssh").chmod(0o700)
        auth = stage / "root/.ssh/authorized_keys"
        auth.write_text(key.with_name(key.name + ".pub").read_text())
        auth.chmod(0o600)
        if host_key is not None:
            (stage / "etc/dropbear").mkdir(parents=True)
            shutil.copy2(host_key, stage / "etc/dropbear/dropbear_ed25519_host_key")
        initrd = self.tmp / "initrd.cpio"
        overlay = self.tmp / "ssh.cpio"
        image.overlay_cpio(stage, overlay)
        with initrd.open("wb") as fh:
            with img.initrd.open("rb") as b:
                shutil.copyfileobj(b, fh)
            fh.write(b"\0" * ((-fh.tell()) % 4))
            fh.write(overlay.read_bytes())
        # kexec must boot an initramfs with the keys too, or the new kernel
        # comes up without dropbear: put this one on the DUT's 9p share
        self._shared_initrd = img.share / f"initrd-{self.tmp.name}.cpio"
        try:
            os.link(initrd, self._shared_initrd)
        except OSError:
            shutil.copyfile(initrd, self._shared_initrd)
        disk = self.tmp / "data.img"
        with disk.open("wb") as fh:
            fh.truncate(img.data_disk.stat().st_size)
        sol = free_port()
        qmp = QMPSocket(self.tmp / "qmp.sock")
        # the chassis control's reset connects to qmp.sock; samplers use their own
        self._stats_sock = QMPSocket(self.tmp / "stats.sock")
        machine = QemuMachine(
            kernel=img.kernel, initrd=initrd, data_disk=disk, share=img.share,
            serial=TcpSerialPort("127.0.0.1", sol), qmp=qmp, stats_qmp=self._stats_sock,
            ssh_port=ssh_port, smmu_model=self.smmu_model,
            paused=False, no_reboot=False,
            # panic=0: a panicked DUT stays down until the lab power-cycles it
            # through the BMC (the watchdog, not an auto-reboot, drives recovery)
            append="console=ttyAMA0 panic=0 smmu_hil_edu.dma_bits=40")
        self.kernel_release = img.kernel_release
        self.bmc_sim = EmulatedBmc(self.bmc, machine.argv(), qmp, sol, self.tmp,
                                   self.log_dir / "ipmi_sim.log", self.log_dir / "qemu.log")
        self.bmc_sim.start()

    # ------------------------------------------------------------- hooks
    @property
    def command(self) -> CommandProtocol:
        """Commands run over SSH."""
        return self.ssh

    def power_on(self) -> None:
        """Open the console (SOL: ending a stale session first), power on,
        start the watchdog."""
        self.console.open()
        self.power.on()
        self.watchdog.start()

    def _ssh_answers(self) -> bool:
        """The watchdog's probe: SSH runs `true` (only while in "shell")."""
        if self.strategy.state != "shell":
            return True
        try:
            return self.ssh.run("true", self.ssh.probe_timeout)[0] == 0
        except LabError:
            return False

    def _reopen_console(self) -> None:
        """Reopen a console (SOL session) that ended (at most every 5 s, only
        while up); the SOL driver ends the stale session first."""
        if self.strategy.state != "shell" or time.monotonic() - self._reopened_at < 5:
            return
        self._reopened_at = time.monotonic()
        try:
            self.console.open()
        except LabError:
            pass

    def smmu_model_hint(self) -> str:
        """An emulated DUT: the QEMU version and machine arguments."""
        if self.smmu_model is None:
            return ""
        return smmu_models.hint(self.smmu_model, qemu_version())

    def kexec_files(self) -> tuple[str, str]:
        """The inventory's kexec kernel and initramfs (DUT-side paths); for
        an emulated DUT the initramfs is the run's own (with its SSH keys),
        on the 9p share."""
        k = self.dut.kexec
        if self._shared_initrd is not None and "kernel" in k:
            return k["kernel"], f"/mnt/host/{self._shared_initrd.name}"
        if "kernel" not in k or "initrd" not in k:
            raise LabError(f"{self.dut.name}: inventory has no kexec kernel/initrd")
        return k["kernel"], k["initrd"]

    def block_counters(self) -> dict[str, int] | None:
        """An emulated DUT: the data drive's counters from its VM's second
        QMP monitor (connected on first use, again after the VM restarted);
        raises LabError while the VM is off. A real server: None."""
        if self._stats_sock is None:
            return None
        try:
            if self._stats is None:
                q = QMPClient(self._stats_sock, timeout=5)
                try:
                    q.connect()
                except (OSError, TimeoutError) as e:
                    q.close()
                    raise LabError(f"stats QMP: {e}") from e
                self._stats = q
            return qmp_block_counters(self._stats, DATA_DRIVE)
        except LabError:
            if self._stats is not None:
                self._stats.close()
                self._stats = None
            raise

    def block_counters_missing(self) -> str:
        """A real server's disk is only visible from the DUT."""
        return (f"target {self.name} ({self.dut.name}): a real server; the lab host "
                "cannot see its disk counters")

    def describe(self) -> dict[str, Any]:
        """Name, DUT, BMC and SSH endpoints for the report."""
        return {"name": self.name, "dut": self.dut.name, "emulated": self.dut.emulated,
                "smmu_model": self.smmu_model, "bmc": f"{self.bmc.host}:{self.bmc.port}",
                "ssh": f"{self.ssh.ssh.host}:{self.ssh.ssh.port}"}

    def power_cycle(self, timeout: float | None = None) -> float:
        """Power cycle through the BMC; wait for SSH to go and come back
        (the watchdog's probe paused meanwhile). Returns seconds from the
        cycle request to SSH answering."""
        self.watchdog.paused = True
        try:
            return self.strategy.power_cycle(timeout)
        finally:
            self.watchdog.paused = False

    def shutdown(self) -> None:
        """Power off through the BMC; stop ipmi_sim and the VM (emulated)."""
        self.watchdog.stop()
        try:
            super().shutdown()
        except LabError:
            pass  # the emulated BMC's stop() below still ends the VM
        finally:
            self._release()

    def _release(self) -> None:
        if self._stats is not None:
            self._stats.close()
            self._stats = None
        try:
            if self.bmc_sim is not None:
                self.bmc_sim.stop()
        finally:
            self._console_log.close()
            shutil.rmtree(self.tmp, ignore_errors=True)
            if self._shared_initrd is not None:
                self._shared_initrd.unlink(missing_ok=True)
