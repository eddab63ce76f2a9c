"""The `qemu` target: issue 2's emulated SMMUv3 server.

Resources: a QemuMachine (boot files from image.build_image), its serial
console socket and its QMP socket. Drivers: ConsoleDriver on the socket,
QMPPowerDriver. The console attaches while QEMU is still paused (-S), so the
console log has every byte from the firmware on.
"""
from __future__ import annotations

import shutil
import signal
import tempfile
from pathlib import Path
from typing import Any

from .. import image, paths, reaper, smmu_model as smmu_models
from ..devices import TransitionDevice, emulated_devices
from ..drivers import ConsoleDriver, QMPPowerDriver, qmp_block_counters
from ..errors import LabError
from ..resources import (DATA_DRIVE, HostNetPeer, QemuMachine, QMPSocket, UnixSocketSerialPort,
                         qemu_version)
from ..strategy import ShellStrategy
from . import Target


class QemuTarget(Target):
    """The emulated DUT. Files: @work holds the 9p share (kernel,
    initramfs); the sockets and a sparse data disk live in a private
    /tmp/shl-qemu-* directory removed at shutdown, or by the reaper when the
    controller is killed (QEMU with it); console.log and qemu.log go to
    @log_dir.
    """

    name = "qemu"
    # QEMU user networking: the DUT's 10.0.2.2 is the host's loopback
    host_peer = HostNetPeer()

    def __init__(self, log_dir: Path, work: Path | None = None, append: str = "",
                 boot_timeout: float = 180.0, machine: QemuMachine | None = None,
                 edu: bool = True,
                 devices: tuple[TransitionDevice, ...] | None = None,
                 smmu_model: str | None = None) -> None:
        """Assemble the DUT image into @work (default <build>/dut) and describe
        the machine; nothing starts yet.

        @append: extra kernel command line. @machine: use this machine
        instead (tests pass a fake QEMU). @edu: with QEMU's edu device
        (False: the transition suite runs on the virtio devices only).
        @devices: the devices under transition (default: emulated_devices()).
        @smmu_model: the SMMU's stages, nested, s1 or s2 (the inventory's
        smmu_model; None: $SMMU_HIL_SMMU_MODEL, else nested; see
        smmu_model.resolve()).
        Raises image.ImageError when set-up or the build is missing,
        smmu_model.SmmuModelError for an unknown or conflicting model.
        """
        super().__init__(log_dir)
        if machine is not None:
            edu = machine.edu
            smmu_model = machine.smmu_model
        else:
            smmu_model = smmu_models.resolve(smmu_model)
        if edu is False:
            self.name = "qemu-noedu"
        self.transition_devices = tuple(devices if devices is not None
                                        else emulated_devices(edu))
        self.kernel_release: str | None = None
        img = image.build_image(work or paths.BUILD / "dut") if machine is None else None
        reaper.reap_stale()     # what killed controllers left (their QEMU, their files)
        self.sockdir = Path(tempfile.mkdtemp(prefix=reaper.PREFIX))
        if img is not None:
            self.kernel_release = img.kernel_release
            # A private data disk: QEMU locks its images, and two runs (a
            # developer's `make run`, CI's test-dut) must not share one.
            disk = self.sockdir / "data.img"
            scratch = self.sockdir / "scratch.img"
            for f in (disk, scratch):
                with f.open("wb") as fh:
                    fh.truncate(img.data_disk.stat().st_size)
            # unix socket paths must stay short (108 bytes): keep them in /tmp.
            machine = QemuMachine(
                kernel=img.kernel, initrd=img.initrd, data_disk=disk,
                share=img.share, scratch_disk=scratch, edu=edu, smmu_model=smmu_model,
                serial=UnixSocketSerialPort(self.sockdir / "console.sock"),
                qmp=QMPSocket(self.sockdir / "qmp.sock"),
                append=f"console=ttyAMA0 panic=-1 smmu_hil_edu.dma_bits=40 {append}".strip())
        assert machine is not None
        self.machine = machine
        self.smmu_model = machine.smmu_model
        # a SIGKILLed controller runs no shutdown(): the watcher stops QEMU
        # and removes the directory (reaper.py)
        reaper.claim(self.sockdir, str(machine.qmp.path))
        reaper.watch(self.sockdir)
        self._console_log = (log_dir / "console.log").open("a", encoding="utf-8",
                                                             errors="replace")
        self.console = ConsoleDriver(self.machine.serial, self._console_log)
        self.power = QMPPowerDriver(self.machine, stderr_log=log_dir / "qemu.log",
                                    pidfile=self.sockdir / reaper.PIDFILE)
        self.power.before_cont.append(self.console.open)
        self.strategy = ShellStrategy(self.power, self.console, name=self.name,
                                      power_on=self.power_on, boot_timeout=boot_timeout)

    def power_on(self) -> None:
        """Start QEMU paused, attach the console, let it run."""
        self.power.on()

    def dut_exit(self) -> str | None:
        """"DUT exited (signal N: NAME)" or "DUT exited (status N)" when the
        QEMU process ended without the lab powering it off; else None."""
        rc = self.power.exit_status()
        if rc is None:
            return None
        if rc < 0:
            try:
                name = signal.Signals(-rc).name
            except ValueError:
                name = "unknown"
            return f"DUT exited (signal {-rc}: {name})"
        return f"DUT exited (status {rc})"

    def host_pid(self) -> int | None:
        """QEMU's pid while it runs."""
        proc = self.power.proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def kexec_files(self) -> tuple[str, str]:
        """The boot files as the DUT sees them on the 9p share."""
        return "/mnt/host/Image", "/mnt/host/initrd.cpio"

    def block_counters(self) -> dict[str, int]:
        """The data drive's QMP block counters, through the power driver's
        QMP client (QEMU's one QMP socket serves one client; the client
        serialises the threads). Raises LabError while QEMU is off or QMP fails."""
        qmp = self.power.qmp
        if qmp is None:
            raise LabError("QEMU is off")
        return qmp_block_counters(qmp, DATA_DRIVE)

    def smmu_model_hint(self) -> str:
        """The QEMU version and the machine arguments that made the SMMU."""
        return smmu_models.hint(self.smmu_model, qemu_version(self.machine.qemu))

    def describe(self) -> dict[str, Any]:
        """Name, machine, SMMU model and kernel release for the report."""
        return {"name": self.name,
                "machine": "qemu " + " ".join(smmu_models.machine_args(self.smmu_model)[1::2]),
                "smmu_model": self.smmu_model, "qemu": qemu_version(self.machine.qemu),
                "kernel_release": self.kernel_release, "edu": self.machine.edu,
                "transition_devices": [d.label for d in self.transition_devices]}

    def shutdown(self) -> None:
        """Power off, close the log, remove the sockets and the data disk."""
        try:
            super().shutdown()
        finally:
            self._console_log.close()
            shutil.rmtree(self.sockdir, ignore_errors=True)
