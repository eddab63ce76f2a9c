"""Targets: a DUT as the tests see it, built from resources, drivers and a
strategy.

Target is the interface the suites use: power, console, run, boot, kexec.
`qemu` is the emulated SMMUv3 server; `ssh` (targets/ssh.py) a server
reached over SSH, its console over IPMI SOL, its power over IPMI, described
by an inventory entry (inventory.Dut).
"""
from __future__ import annotations

import json
import shlex
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, Callable

from .. import smmu_model as smmu_models
from ..errors import CommandError, ConsoleTimeout, LabError
from ..devices import TransitionDevice
from ..protocols import CommandProtocol, ConsoleProtocol, PowerProtocol
from ..resources import HostNetPeer
from ..strategy import ShellStrategy

__all__ = ["TARGETS", "CommandError", "Target", "get_target", "kexec_exec_command"]


def kexec_exec_command(quiesce: bool = True) -> str:
    """The DUT shell command that executes the loaded kernel.

    With @quiesce, `smmu-hil dut quiesce` first stops user space and waits
    for the block requests in flight to drain, as `systemctl kexec` stops
    every unit first: a 6.1.y kernel whose device_shutdown() resets a
    virtio-blk with requests in its ring hangs in the CPU offline that
    follows (harness/agent/include/smmu_hil/quiesce.h). If kexec -e comes back,
    `dut thaw` continues what was stopped. Without @quiesce the bare
    `kexec -e` (reproduces that hang under I/O load).
    """
    if not quiesce:
        return "kexec -e"
    # the status stays kexec's (or quiesce's) for the caller's $?
    return "smmu-hil dut quiesce && kexec -e; r=$?; smmu-hil dut thaw >/dev/null; (exit $r)"


class Target(ABC):
    """A device under test.

    Subclasses provide `power` (PowerProtocol), `console` (ConsoleProtocol),
    power_on() and kexec_files(), and a `strategy` bound to those drivers
    (not to the target) that brings the target to "shell"; `command`
    (CommandProtocol, default the console) runs the commands. The target
    asks the strategy for every state change and never sets its state.
    """

    name: str = "abstract"
    power: PowerProtocol
    console: ConsoleProtocol
    strategy: ShellStrategy
    # where a host-side traffic peer (iperf3) listens and how the DUT reaches
    # it; None: the DUT cannot reach the lab host (iperf3 workloads fail)
    host_peer: HostNetPeer | None = None
    # the block device the disk workloads (fio) use
    disk: str = "/dev/vda"
    # the devices the transition suite may move (devices.py); none by default
    transition_devices: tuple[TransitionDevice, ...] = ()
    # the SMMU model (smmu_model.py) the lab gave an emulated DUT's QEMU;
    # None on a real server, whose SMMU is what it is
    smmu_model: str | None = None

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.first_boot_s: float | None = None
        log_dir.mkdir(parents=True, exist_ok=True)

    @property
    def command(self) -> CommandProtocol:
        """How run() reaches the DUT's shell: the console (framed commands)
        unless a subclass has another channel (SSH)."""
        return self.console  # type: ignore[return-value]

    # ------------------------------------------------------------- hooks
    @abstractmethod
    def power_on(self) -> None:
        """Power the DUT on with the console attached before it prints.

        Raises LabError on failure.
        """

    @abstractmethod
    def kexec_files(self) -> tuple[str, str]:
        """DUT-side paths of the kernel Image and initramfs to kexec into."""

    def describe(self) -> dict[str, Any]:
        """Target facts for the report (name, and subclass extras)."""
        return {"name": self.name}

    def smmu_model_hint(self) -> str:
        """How the DUT's SMMU model was made, for a mismatch's message
        ("QEMU 10.0.2, -machine virt,..."); "" when the lab did not make it."""
        return ""

    def check_smmu_model(self, info: dict[str, Any] | None) -> str | None:
        """The DUT's SMMU model as it reports it (nested, s1, s2), checked
        against the model the lab asked for (self.smmu_model).

        @info: a `smmu-hil dut info` answer (None: the agent did not
        answer). Its SMMUs' IDR0 S1P/S2P decide; when it lists none, the
        arm-smmu-v3 driver's probe line in `dmesg` does. Returns None when
        neither shows an SMMU and no model was asked for. Raises
        smmu_model.SmmuModelMismatch when a model was asked for and the
        SMMU is another one (or cannot be seen).
        """
        seen = smmu_models.observe_agent(info or {})
        if not seen:
            try:
                rc, log = self.run("dmesg", 30.0, raw=True)
            except LabError:
                rc, log = 1, ""
            seen = smmu_models.observe_dmesg(log) if rc == 0 else []
        if self.smmu_model is not None:
            return smmu_models.check(self.smmu_model, seen, self.smmu_model_hint())
        models = {s["model"] for s in seen}
        return models.pop() if len(models) == 1 else None

    def block_counters(self) -> dict[str, int] | None:
        """Bytes the DUT's data disk has read and written so far, seen from
        the lab host (not the DUT, so it survives kexec): {"rd_bytes",
        "wr_bytes"}; None when this target has no such view (a real server).
        Safe to call from another thread. Raises LabError when the counters
        exist but cannot be read right now (machine off)."""
        return None

    def block_counters_missing(self) -> str:
        """Why block_counters() is None here (for the report)."""
        return f"target {self.name}: the lab host cannot see the DUT's disk counters"

    def host_pid(self) -> int | None:
        """The lab host's process that is the DUT (an emulated DUT's QEMU),
        whose CPU time the live-update test accounts; None for a real
        server (or while the emulated one is off)."""
        return None

    def dut_exit(self) -> str | None:
        """Why the DUT went away by itself, when it did (an emulated DUT's
        process that exited or was killed: "DUT exited (signal 9: SIGKILL)");
        None while it runs, after a power-off the lab asked for, and on
        targets that cannot tell (real servers: the watchdog sees a hang)."""
        return None

    def is_ready(self) -> bool:
        """True when the last command found a shell (no hang or crash since)."""
        return self.strategy.state == "shell"

    def running_kernel(self) -> str | None:
        """The kernel release the last ready line named, if any."""
        return self.strategy.kernel_release

    # ------------------------------------------------------------- states
    def boot(self) -> float:
        """Power-cycle into a fresh shell. Returns seconds to DUT ready.

        Raises StrategyError.
        """
        self.strategy.transition("off")
        self.strategy.transition("shell")
        assert self.strategy.last_boot_s is not None
        if self.first_boot_s is None:
            self.first_boot_s = self.strategy.last_boot_s
        return self.strategy.last_boot_s

    def ensure_shell(self) -> bool:
        """Make sure a shell answers, rebooting when it does not.

        A hung command is interrupted (Ctrl-C) by the strategy's check; only
        a dead shell, kernel or machine costs a reboot. Returns True when a
        reboot was needed. Raises StrategyError.
        """
        return self.strategy.transition("shell")

    def shutdown(self) -> None:
        """Power off and release everything (idempotent)."""
        self.strategy.transition("off")

    # ------------------------------------------------------------ commands
    def run(self, cmd: str, timeout: float = 60.0, raw: bool = False) -> tuple[int, str]:
        """Run a one-line shell command on the DUT: (exit status, output).

        @raw: keep lines that look like kernel log records (for `dmesg`);
        by default they are removed from console output.
        Raises ConsoleTimeout / ConsoleClosed when the DUT does not answer;
        the strategy is told (invalidate()), so the next ensure_shell()
        recovers or reboots it.
        """
        try:
            return self.command.run(cmd, timeout, strip_kernel=not raw)
        except ConsoleTimeout:
            self.strategy.invalidate()
            raise

    def run_check(self, cmd: str, timeout: float = 60.0) -> str:
        """run(); raise CommandError with the output unless the status is 0."""
        rc, out = self.run(cmd, timeout)
        if rc != 0:
            raise CommandError(f"`{cmd}` exited {rc}: {out.strip()[-2000:]}")
        return out

    def run_json(self, cmd: str, timeout: float = 60.0) -> Any:
        """run_check() a command that prints one JSON document; parse it.

        Raises CommandError when the status is not 0 or the output is not
        JSON.
        """
        out = self.run_check(cmd, timeout)
        try:
            return json.loads(out)
        except json.JSONDecodeError as e:
            raise CommandError(f"`{cmd}`: output is not JSON ({e}): {out[:2000]!r}") from e

    # --------------------------------------------------------------- kexec
    def kexec_load(self, append: str | None = None, no_checks: bool = True,
                   timeout: float = 120.0, file_load: bool = False) -> None:
        """Load the target's kernel and initramfs for kexec (`kexec -l`).

        @append: kernel command line; None reuses the running one.
        @no_checks: kexec -i, skipping the purgatory checksum (about 8 s
        faster under emulation). @file_load: `kexec -s` (kexec_file_load:
        the kernel loads the files and, with KHO on, hands its state over;
        LUO needs it); -i does not apply. Raises CommandError when loading
        fails.
        """
        kernel, initrd = self.kexec_files()
        cmdline = "--reuse-cmdline" if append is None else f"--append={shlex.quote(append)}"
        opts = " -s" if file_load else " -i" if no_checks else ""
        self.run_check(f"kexec{opts} -l {kernel} --initrd={initrd} {cmdline}", timeout)

    def kexec_exec(self, quiesce: bool = True) -> float:
        """`kexec -e` the loaded kernel and wait for the shell again.

        @quiesce: stop user space and drain the block layer first
        (kexec_exec_command()). Returns seconds from `kexec -e` to DUT
        ready. Raises StrategyError
        at once when `kexec -e` returns (nothing loaded, refused), and
        ConsoleTimeout / ConsoleClosed when the new kernel does not come up
        in time; the state becomes "unknown" (ensure_shell() recovers).
        """
        return self.strategy.kexec(kexec_exec_command(quiesce))

    def kexec(self, append: str | None = None, no_checks: bool = True,
              quiesce: bool = True) -> float:
        """kexec_load() then kexec_exec(); returns kexec_exec()'s seconds."""
        self.kexec_load(append, no_checks)
        return self.kexec_exec(quiesce)


def _qemu(log_dir: Path, dut: Any = None, **kwargs: Any) -> Target:
    from .qemu import QemuTarget
    if dut is not None and dut.devices is not None:
        kwargs.setdefault("devices", dut.devices)
    if dut is not None and dut.smmu_model is not None:
        kwargs.setdefault("smmu_model", dut.smmu_model)
    return QemuTarget(log_dir, **kwargs)


def _qemu_noedu(log_dir: Path, dut: Any = None, **kwargs: Any) -> Target:
    """The emulated DUT without QEMU's edu device, as a real server."""
    return _qemu(log_dir, dut, edu=False, **kwargs)


def _ssh(log_dir: Path, dut: Any = None, **kwargs: Any) -> Target:
    from .ssh import SshTarget
    if dut is None:
        raise LabError("the ssh target needs an inventory (--inventory FILE)")
    return SshTarget(log_dir, dut, **kwargs)


# name -> factory(log_dir, dut=<inventory.Dut or None>, **kwargs); tests add fakes.
TARGETS: dict[str, Callable[..., Target]] = {"qemu": _qemu, "qemu-noedu": _qemu_noedu,
                                             "ssh": _ssh}


def get_target(name: str, log_dir: Path, **kwargs: Any) -> Target:
    """Build the target called @name with its logs in @log_dir.

    Raises LabError for an unknown name (and whatever the factory raises,
    e.g. image.ImageError when the DUT image cannot be assembled).
    """
    try:
        factory = TARGETS[name]
    except KeyError:
        raise LabError(f"unknown target {name!r} (known: {', '.join(sorted(TARGETS))})") from None
    return factory(log_dir, **kwargs)
