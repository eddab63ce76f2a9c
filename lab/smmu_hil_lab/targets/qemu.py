"""The `qemu` target: issue 2's emulated SMMUv3 server.

Resources: a QemuMachine (boot files from image.build_image), its serial
console socket and its QMP socket. Drivers: ConsoleDriver on the socket,
QMPPowerDriver. The console attaches while QEMU is still paused (-S), so the
console log has every byte from the firmware on.
"""
from __future__ import annotations

import os
import shutil
import signal
import tempfile
from pathlib import Path
from typing import Any

from .. import image, iort, paths, reaper, smmu_model as smmu_models
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
                 smmu_model: str | None = None, iort_canwbs: bool | None = None) -> None:
        """Assemble the DUT image into @work (default <build>/dut) and describe
        the machine; nothing starts yet.

        @append: extra kernel command line. @machine: use this machine
        instead (tests pass a fake QEMU). @edu: with QEMU's edu device
        (False: the transition suite runs on the virtio devices only).
        @devices: the devices under transition (default: emulated_devices()).
        @smmu_model: the SMMU's stages, nested, s1 or s2 (the inventory's
        smmu_model; None: $SMMU_HIL_SMMU_MODEL, else nested; see
        smmu_model.resolve()).
        @iort_canwbs: boot with QEMU's IORT upgraded to declare CANWBS on the
        PCI root complex (iort.py; None: $SMMU_HIL_IORT_CANWBS).
        Raises image.ImageError when set-up or the build is missing,
        smmu_model.SmmuModelError for an unknown or conflicting model,
        iort.IortError for a bad $SMMU_HIL_IORT_CANWBS.
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
        self.iort_canwbs = iort.enabled() if iort_canwbs is None else iort_canwbs
        # "CANWBS" once the running kernel took the upgraded IORT (the report's
        # iort_upgrade); the upgrade's files once prepared
        self.iort_upgrade: str | None = None
        self.iort_info: dict[str, Any] = {}
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

    def boot(self) -> float:
        """Power-cycle into a fresh shell (Target.boot). With the IORT option
        first prepare the upgraded IORT (capturing QEMU's own with one plain
        boot when the cache has none for this QEMU and machine), and after
        the boot check that the kernel took it. Raises StrategyError, or
        iort.IortError when the upgrade cannot be made or was not taken."""
        if self.iort_canwbs and not self.iort_info:
            self._prepare_iort()
        s = super().boot()
        if self.iort_canwbs:
            self._check_iort()
        return s

    def ensure_shell(self) -> bool:
        """Target.ensure_shell; after a reboot, the IORT check again."""
        rebooted = super().ensure_shell()
        if rebooted and self.iort_canwbs:
            self._check_iort()
        return rebooted

    def _iort_machine_args(self) -> list[str]:
        """What shapes QEMU's ACPI tables: firmware, machine, CPUs, memory."""
        m = self.machine
        return [*(["-bios", str(m.firmware)] if m.firmware else []),
                *smmu_models.machine_args(m.smmu_model), "-cpu", "cortex-a57",
                "-smp", str(m.cpus), "-m", str(m.memory_mib)]

    def _prepare_iort(self) -> None:
        """Find (or capture and upgrade) the IORT for this QEMU and machine in
        <cache>/iort/<key>/ and put its cpio in front of the initramfs."""
        if self.machine.firmware is None:
            raise iort.IortError(f"{iort.ENV}=1 needs the UEFI (ACPI) boot: this machine "
                                 "boots with a device tree, which has no IORT")
        key = iort.cache_key(qemu_version(self.machine.qemu), self._iort_machine_args())
        d = paths.cache_dir() / "iort" / key
        orig_f, up_f = d / "IORT.orig.aml", d / "IORT.aml"
        if not orig_f.exists():
            # one plain boot: QEMU's own table as the DUT's kernel sees it
            super().boot()
            rc, out = self.run(f"od -An -v -tx1 {iort.SYSFS_TABLE}", timeout=60)
            self.strategy.transition("off")
            if rc != 0:
                raise iort.IortError(f"reading {iort.SYSFS_TABLE} on the DUT failed "
                                     f"(rc {rc}): {out.strip()[-300:]}")
            d.mkdir(parents=True, exist_ok=True)
            tmp = orig_f.with_name(f"{orig_f.name}.{os.getpid()}.tmp")
            tmp.write_bytes(iort.parse_od(out))
            tmp.replace(orig_f)
            (d / "machine.txt").write_text(" ".join(self._iort_machine_args()) + "\n")
        up = iort.canwbs_upgrade(orig_f.read_bytes())
        if not up_f.exists() or up_f.read_bytes() != up.table:
            up_f.write_bytes(up.table)
            (d / "IORT.dsl").write_text(up.dsl)
        cpio = self.sockdir / "iort.cpio"
        iort.table_cpio(up.table, cpio)
        iort.prepend(cpio, self.machine.initrd, self.machine.initrd)
        self.iort_info = {"table": str(up_f), "oem_revision": list(up.oem_revision),
                          "memory_flags": [f"{o:#x}: {a:#04x} -> {b:#04x}"
                                           for o, a, b in up.flags]}

    def _check_iort(self) -> None:
        """The running kernel's log must show the IORT upgrade."""
        rc, out = self.run("dmesg | grep -E 'ACPI: (Table Upgrade|OVERRIDE)|ACPI table found "
                           "in initrd'; cat /proc/sys/kernel/tainted", timeout=60, raw=True)
        m = iort.UPGRADE_LINE.search(out)
        if rc != 0 or m is None:
            self.iort_upgrade = None
            found = [ln.strip() for ln in out.splitlines() if "ACPI" in ln and
                     ("OVERRIDE" in ln or "initrd" in ln or "Upgrade" in ln)]
            raise iort.IortError(
                f"{iort.ENV}=1 but the DUT kernel did not take the upgraded IORT (no "
                "'ACPI: Table Upgrade: override [IORT-...]' in dmesg; it needs "
                "CONFIG_ACPI_TABLE_UPGRADE=y, the lab kernel has it). ACPI initrd lines: "
                f"{found or 'none'}")
        self.iort_upgrade = iort.PROPERTY[1]
        self.iort_info["dmesg"] = m.group(0)
        taint = out.strip().splitlines()[-1].strip()
        # TAINT_OVERRIDDEN_ACPI_TABLE is bit 8 ('A'); 7.2 sets it only for a
        # built-in custom DSDT, not an initrd upgrade: reported, not required
        self.iort_info["tainted"] = (f"{taint} (TAINT_OVERRIDDEN_ACPI_TABLE="
                                     f"{int(taint) >> 8 & 1})" if taint.isdigit() else taint)

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
                "transition_devices": [d.label for d in self.transition_devices],
                **({iort.PROPERTY[0]: self.iort_upgrade or "expected, not seen",
                    "iort": self.iort_info} if self.iort_canwbs else {})}

    def shutdown(self) -> None:
        """Power off, close the log, remove the sockets and the data disk."""
        try:
            super().shutdown()
        finally:
            self._console_log.close()
            shutil.rmtree(self.sockdir, ignore_errors=True)
