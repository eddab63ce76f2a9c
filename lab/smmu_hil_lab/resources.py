"""Resources: what exists in the lab, described, not used.

Following labgrid's split, a resource only says what is there (a machine
description, a serial endpoint, a QMP socket); drivers (drivers.py) know how to
use them and strategies (strategy.py) bring a target into a state.

The emulated DUT's resources:
- QemuMachine: the QEMU command line of issue 2's machine (virt, SMMUv3 of
  the chosen model: nested, s1 or s2, smmu_model.py; GICv3, 2 vCPUs, 1 GiB,
  virtio-blk/net behind the SMMU, edu, 9p share).
- UnixSocketSerialPort: the DUT's serial console, a QEMU socket chardev.
- CommandSerialPort: a console reached by running a program (ipmitool SOL on a
  real server, a fake shell in unit tests).
- QMPSocket: QEMU's machine protocol endpoint (power).
- HostNetPeer: where a traffic peer on the lab host listens and the address
  the DUT reaches it by (QEMU user networking: the DUT's 10.0.2.2:PORT is the
  host's 127.0.0.1:PORT).

A real server's (the ssh target's):
- BmcAccess: its BMC, reached over IPMI v2 (lanplus); the IPMI power driver
  and the SOL console driver use it (drivers/ipmi.py, drivers/sol.py).
- SshAccess: its SSH server (drivers/ssh.py).
"""
from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from . import smmu_model as smmu_models

EFI_FIRMWARE = Path("/usr/share/qemu-efi-aarch64/QEMU_EFI.fd")
DATA_DRIVE = "data"     # the -drive id of the DUT's data disk (QMP query-blockstats)
SCRATCH_DRIVE = "scratch"  # the -drive id of the scratch disk the transitions move
# The scratch disk's fixed PCI slot (its BDF does not depend on whether edu is
# there) and serial (/sys/block/vdX/serial on the DUT).
SCRATCH_SLOT = 5
SCRATCH_BDF = f"0000:00:{SCRATCH_SLOT:02x}.0"
SCRATCH_SERIAL = "smmu-hil-scratch"


def qemu_version(qemu: str = "qemu-system-aarch64") -> str | None:
    """The version @qemu prints ("10.0.2"); None when it is missing or says
    nothing usable."""
    exe = shutil.which(qemu)
    if exe is None:
        return None
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True,
                             timeout=30, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"version (\d+\.\d+(?:\.\d+)?)", out)
    return m.group(1) if m else None


# What QEMU prints on stderr that says nothing about the DUT (one regex per
# line): a QEMU 10 that meets QEMU 7.2's loadable modules (display, audio,
# USB: none of them in the lab's machine) in the host's module folder, as
# before set-up upgraded qemu-system-common, refuses each one once.
HARMLESS_QEMU_STDERR: tuple[str, ...] = (
    r"failed to (initialize|open) module: /usr/lib/[^ ]*/qemu/(audio|ui|chardev|hw-display|"
    r"hw-usb|hw-s390x)-[^ ]*\.so",
    r"^Only modules from the same build can be loaded\.$",
)


def qemu_stderr_problems(text: str) -> list[str]:
    """The lines of QEMU's stderr @text that are not known to be harmless
    (HARMLESS_QEMU_STDERR), empty lines dropped."""
    return [ln.strip() for ln in text.splitlines()
            if ln.strip() and not any(re.search(p, ln) for p in HARMLESS_QEMU_STDERR)]


@dataclass(frozen=True)
class UnixSocketSerialPort:
    """A serial console exported by QEMU as a unix stream socket (server side)."""

    path: Path


@dataclass(frozen=True)
class CommandSerialPort:
    """A console reached by running @argv (e.g. `ipmitool ... sol activate`)."""

    argv: tuple[str, ...]
    env: dict[str, str] | None = None


@dataclass(frozen=True)
class TcpSerialPort:
    """A serial console QEMU serves on a TCP port of @host (a BMC's SOL
    connects there). With @wait, QEMU does not start the guest before a
    client connects, so no early output is lost."""

    host: str
    port: int
    wait: bool = True


SerialPort = UnixSocketSerialPort | CommandSerialPort


@dataclass(frozen=True)
class QMPSocket:
    """QEMU's QMP endpoint: a unix stream socket QEMU listens on."""

    path: Path


@dataclass(frozen=True)
class BmcAccess:
    """How to reach a BMC over IPMI v2 (lanplus)."""

    host: str
    port: int
    user: str
    password: str
    cipher_suite: int = 3


@dataclass(frozen=True)
class SshAccess:
    """How to reach the DUT's SSH server."""

    host: str
    port: int
    user: str
    key: Path
    known_hosts: Path
    # prepended to every command (where the lab deploys the agent)
    prefix: str = "PATH=/opt/smmu-hil/bin:$PATH; export PATH; "


@dataclass(frozen=True)
class HostNetPeer:
    """A network peer on the lab host for the DUT's traffic workloads.

    A server binds to @bind on the host; the DUT connects to @dut_address.
    The default is QEMU's user network, where guest connections to 10.0.2.2
    reach the host's loopback: no traffic leaves the host.
    """

    bind: str = "127.0.0.1"
    dut_address: str = "10.0.2.2"


@dataclass
class QemuMachine:
    """The emulated SMMUv3 server: everything needed to start its QEMU.

    The machine starts paused (-S) so the controller can attach the console
    before the first instruction runs; the power driver then sends `cont`.
    """

    kernel: Path
    initrd: Path
    data_disk: Path
    share: Path
    serial: UnixSocketSerialPort | TcpSerialPort | None = None   # argv() needs both;
    qmp: QMPSocket | None = None                 # interactive_argv() uses stdio, no QMP
    # a second QMP monitor for a sampler that must not take the first one
    # from its owner (a unix QMP socket serves one client at a time)
    stats_qmp: QMPSocket | None = None
    # forward the host's 127.0.0.1:ssh_port to the DUT's port 22 (ssh target)
    ssh_port: int | None = None
    paused: bool = True                          # -S: wait for QMP `cont`
    no_reboot: bool = True                       # a reset or panic ends QEMU
    append: str = "console=ttyAMA0 smmu_hil_edu.dma_bits=40"
    memory_mib: int = 1024
    cpus: int = 2
    firmware: Path | None = EFI_FIRMWARE
    qemu: str = "qemu-system-aarch64"
    extra_args: list[str] = field(default_factory=list)
    # QEMU's edu DMA device (False: a DUT without it, as a real server)
    edu: bool = True
    # a second virtio-blk disk behind the SMMU (slot SCRATCH_SLOT) whose STE
    # the transition suite moves under fio; never the data disk
    scratch_disk: Path | None = None
    # the SMMU's translation stages: nested, s1 or s2 (smmu_model.py)
    smmu_model: str = smmu_models.DEFAULT

    def __post_init__(self) -> None:
        smmu_models.validate(self.smmu_model, "QemuMachine.smmu_model")

    def argv(self) -> list[str]:
        """The QEMU command line for the lab (list of arguments, executable first):
        started paused, console on the serial socket, QMP for power.

        Raises FileNotFoundError when QEMU or a boot file is missing, ValueError
        when the machine has no serial socket or QMP socket.
        """
        if self.serial is None or self.qmp is None:
            raise ValueError("a lab-controlled machine needs a serial socket and a QMP socket")
        exe = self._executable()
        if isinstance(self.serial, TcpSerialPort):
            chardev = (f"socket,id=con0,host={self.serial.host},port={self.serial.port},"
                       f"server=on,wait={'on' if self.serial.wait else 'off'}")
        else:
            chardev = f"socket,id=con0,path={self.serial.path},server=on,wait=off"
        return [exe, *self._hardware_args(),
                "-nographic", *(["-S"] if self.paused else []),
                *(["-no-reboot"] if self.no_reboot else []),
                "-chardev", chardev,
                "-serial", "chardev:con0",
                "-monitor", "none",
                "-qmp", f"unix:{self.qmp.path},server=on,wait=off",
                *(["-qmp", f"unix:{self.stats_qmp.path},server=on,wait=off"]
                  if self.stats_qmp else []),
                *self.extra_args]

    def interactive_argv(self) -> list[str]:
        """The same machine for a person at a terminal (lab/dut/qemu-run.sh):
        console and QEMU monitor on stdio (Ctrl-A X quits), running at once,
        no QMP. Raises FileNotFoundError like argv().
        """
        return [self._executable(), *self._hardware_args(), "-nographic", *self.extra_args]

    def _executable(self) -> str:
        exe = shutil.which(self.qemu)
        if exe is None:
            raise FileNotFoundError(f"{self.qemu} not found: run `make setup`")
        for f in (self.kernel, self.initrd, self.data_disk,
                  *([self.scratch_disk] if self.scratch_disk else [])):
            if not f.exists():
                raise FileNotFoundError(f"{f} is missing")
        return exe

    def _hardware_args(self) -> list[str]:
        """The machine itself: CPU, memory, firmware, boot files, devices."""
        return self.device_args(boot_files=True)

    def boot_args(self) -> list[str]:
        """The boot files: -kernel, -initrd and -append (the kernel command line)."""
        return ["-kernel", str(self.kernel), "-initrd", str(self.initrd), "-append", self.append]

    def device_args(self, boot_files: bool = False) -> list[str]:
        """The hardware without the console, QMP and (unless @boot_files) the
        boot files: firmware, machine, CPU, memory, disks and devices. A LAVA
        device dictionary's qemu options are these (lab/smmu_hil_lab/lava.py),
        its jobs supply the boot files."""
        args = [
            *smmu_models.machine_args(self.smmu_model),
            "-cpu", "cortex-a57", "-smp", str(self.cpus), "-m", str(self.memory_mib),
            *(self.boot_args() if boot_files else []),
            "-drive", f"if=none,id={DATA_DRIVE},file={self.data_disk},format=raw,cache=unsafe",
            "-device", f"virtio-blk-pci,drive={DATA_DRIVE},disable-legacy=on,iommu_platform=on",
            "-netdev", "user,id=net0" + (f",hostfwd=tcp:127.0.0.1:{self.ssh_port}-:22"
                                         if self.ssh_port else ""),
            "-device", "virtio-net-pci,netdev=net0,disable-legacy=on,iommu_platform=on,romfile=",
            # edu clamps DMA addresses to dma_mask (28 bits by default); an
            # identity domain hands it physical addresses above 1 GiB, so the
            # device is 40 bits wide (smmu_hil_edu.dma_bits=40, see append).
            *(["-device", "edu,dma_mask=0xffffffffff"] if self.edu else []),
            "-fsdev", f"local,id=hostshare,path={self.share},security_model=none",
            "-device", "virtio-9p-pci,fsdev=hostshare,mount_tag=smmu-hil",
        ]
        if self.scratch_disk is not None:
            args += ["-drive", f"if=none,id={SCRATCH_DRIVE},file={self.scratch_disk},"
                               "format=raw,cache=unsafe",
                     "-device", f"virtio-blk-pci,drive={SCRATCH_DRIVE},addr={SCRATCH_SLOT:#x},"
                                f"serial={SCRATCH_SERIAL},disable-legacy=on,iommu_platform=on"]
        if self.firmware is not None:
            # UEFI boot: kexec into a second kernel hangs under device-tree
            # boot with the GICv3 ITS on (see docs/lab.md).
            args[:0] = ["-bios", str(self.firmware)]
        return args
