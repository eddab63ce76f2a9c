"""OpenIPMI's ipmi_sim as the BMC of the emulated DUT (the ssh target with
an inventory entry `emulated: true`).

- EmulatedBmc: ipmi_sim on 127.0.0.1 configured per run, whose chassis
  control is this module's `chassis` command (`python3 -m
  smmu_hil_lab.emulated.ipmi_sim chassis STATE ...`): power on starts QEMU
  (under `timeout`), off stops it, reset is QMP system_reset. Stopping
  ipmi_sim does not stop the VM, so stop() ends both.
- start_reaper(): a detached watcher that stops the VM when the controller
  was SIGKILLed.

Every process it starts is bounded (`timeout`) and dies with the controller
(PR_SET_PDEATHSIG) where it is the controller's child; every wait goes
through poll.wait_until().
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from ..drivers.ipmi import IPMIPowerDriver
from ..drivers.qmp import QMPClient
from ..errors import PollTimeout, PowerError
from ..poll import wait_until
from ..resources import BmcAccess, QMPSocket


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the controller dies."""
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _pid_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class EmulatedBmc:
    """ipmi_sim on 127.0.0.1:@bmc.port as the BMC of a QEMU DUT.

    @qemu_argv: the machine (its serial a TCP server on @sol_port that waits
    for ipmi_sim's SOL connection; @qmp its QMP socket, for reset).
    @workdir: config and chassis state; ipmi_sim logs to @log, QEMU to
    @qemu_log (default @log). @max_s bounds ipmi_sim and QEMU.
    """

    def __init__(self, bmc: BmcAccess, qemu_argv: list[str], qmp: QMPSocket, sol_port: int,
                 workdir: Path, log: Path, qemu_log: Path | None = None,
                 max_s: int = 7200) -> None:
        self.bmc = bmc
        self.workdir = workdir
        self.log = log
        self.max_s = max_s
        self.proc: subprocess.Popen[bytes] | None = None
        self.state = workdir / "chassis.json"
        self.state.write_text(json.dumps({
            "argv": ["timeout", "-k", "5", str(max_s), *qemu_argv],
            "qmp": str(qmp.path), "pidfile": str(workdir / "qemu.pid"), "log": str(qemu_log or log),
            # a killed controller must not leave the VM running (see chassis_power)
            "owner": os.getpid(), "max_s": max_s}))
        lab_dir = Path(__file__).resolve().parents[2]
        chassis = (f"/usr/bin/env PYTHONPATH={lab_dir} {sys.executable} -m smmu_hil_lab.emulated.ipmi_sim "
                   f"chassis {self.state}")
        (workdir / "sim").mkdir(exist_ok=True)
        (workdir / "lan.conf").write_text(f"""\
name "smmu-hil"
set_working_mc 0x20
  startlan 1
    addr {bmc.host} {bmc.port}
    priv_limit admin
    allowed_auths_callback none md2 md5 straight
    allowed_auths_user none md2 md5 straight
    allowed_auths_operator none md2 md5 straight
    allowed_auths_admin none md2 md5 straight
    guid a123456789abcdefa123456789abcdef
  endlan
  chassis_control "{chassis}"
  sol "tcp:127.0.0.1:{sol_port}" 115200
  user 1 true  ""  "{bmc.password}" user 10 none md2 md5 straight
  user 2 true  "{bmc.user}" "{bmc.password}" admin 10 none md2 md5 straight
""")
        (workdir / "sim.emu").write_text(
            "mc_setbmc 0x20\n"
            "mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr\n"
            "sel_enable 0x20 1000 0x0a\n"
            "mc_enable 0x20\n")

    def start(self, timeout: float = 15.0) -> None:
        """Start ipmi_sim and wait until it answers `chassis power status`.

        Raises PowerError (ipmi_sim is stopped again).
        """
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                ["timeout", "-k", "5", str(self.max_s), "ipmi_sim", "-n",
                 "-c", str(self.workdir / "lan.conf"), "-f", str(self.workdir / "sim.emu"),
                 "-s", str(self.workdir / "sim")],
                stdin=subprocess.DEVNULL, stdout=out, stderr=out, cwd=self.workdir,
                start_new_session=True, preexec_fn=_die_with_parent)
        drv = IPMIPowerDriver(self.bmc, timeout=5)
        last: list[PowerError] = []

        def answers(_left: float) -> bool:
            try:
                drv.is_on()
                return True
            except PowerError as e:
                last[:] = [e]
                if self.proc is None or self.proc.poll() is not None:
                    raise
                return False

        try:
            wait_until(answers, timeout, 0.3, fail=lambda: last[0])
        except PowerError as e:
            self.stop()
            raise PowerError(f"ipmi_sim did not come up: {e}") from e

    def stop(self) -> None:
        """Stop ipmi_sim, then the VM it powered (idempotent)."""
        proc, self.proc = self.proc, None
        if proc is not None:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                if proc.poll() is not None:
                    break
                try:
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    continue
        chassis_power(json.loads(self.state.read_text()), False)


# ------------------------------------------- chassis control (run by ipmi_sim)
def _qemu_pid(st: dict[str, Any]) -> int | None:
    try:
        pid = int(Path(st["pidfile"]).read_text())
    except (OSError, ValueError):
        return None
    return pid if _pid_alive(pid) else None


def chassis_power(st: dict[str, Any], on: bool, stop_timeout: float = 10.0) -> None:
    """Power the VM described by @st on (start QEMU, detached) or off
    (SIGTERM to its process group, then SIGKILL, each waited for)."""
    pid = _qemu_pid(st)
    if on:
        if pid is not None:
            return
        with open(st["log"], "ab") as out:
            p = subprocess.Popen(st["argv"], stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                 start_new_session=True)
        Path(st["pidfile"]).write_text(str(p.pid))
        if st.get("owner"):
            start_reaper(int(st["owner"]), p.pid, int(st.get("max_s", 7200)))
        return
    if pid is None:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            break
        try:
            wait_until(lambda _left: not _pid_alive(pid), stop_timeout, 0.05)
            break
        except PollTimeout:
            continue
    Path(st["pidfile"]).unlink(missing_ok=True)


def start_reaper(owner: int, pgid: int, max_s: int, poll_s: float = 2.0) -> None:
    """A detached watcher (bounded by `timeout` @max_s) that SIGTERMs the VM's
    process group @pgid when the controller @owner is gone (a SIGKILLed
    controller cannot stop it; ipmi_sim dies with it, the VM would not). It
    ends by itself when the VM goes; the group is only signalled while its
    leader is still a QEMU (`qemu-system` in its command line), so a reused
    pid is never hit."""
    script = ('is_vm() { grep -q qemu-system "/proc/$2/cmdline" 2>/dev/null; }; '
              f'while kill -0 "$1" 2>/dev/null && is_vm "$@"; do sleep {poll_s}; done; '
              'if is_vm "$@"; then kill -TERM "-$2"; fi')
    subprocess.Popen(["timeout", "-k", "5", str(max_s), "sh", "-c", script, "shl-reaper",
                      str(owner), str(pgid)], stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     start_new_session=True)


def chassis_main(argv: list[str]) -> int:
    """ipmi_sim's chassis_control: `STATE get NAME...` prints NAME:VALUE
    lines; `STATE set NAME VALUE...` acts (power 0/1, reset 1); `STATE check
    ...` accepts. Returns the exit status."""
    st = json.loads(Path(argv[0]).read_text())
    op, args = argv[1], argv[2:]
    if op == "get":
        for name in args:
            if name == "power":
                print(f"power:{1 if _qemu_pid(st) else 0}")
            elif name == "boot":
                print("boot:default")
            else:
                print(f"{name}:0")
        return 0
    if op == "set":
        for name, value in zip(args[::2], args[1::2]):
            if name == "power":
                chassis_power(st, value.strip() not in ("0", ""))
            elif name == "reset" and value.strip() not in ("0", ""):
                if _qemu_pid(st) is None:
                    return 1
                q = QMPClient(QMPSocket(Path(st["qmp"])), timeout=5)
                try:
                    q.connect()
                    q.execute("system_reset")
                finally:
                    q.close()
        return 0
    return 0 if op == "check" else 1


if __name__ == "__main__":
    if len(sys.argv) > 3 and sys.argv[1] == "chassis":
        sys.exit(chassis_main(sys.argv[2:]))
    print("usage: python3 -m smmu_hil_lab.emulated.ipmi_sim chassis STATE get|set|check ...", file=sys.stderr)
    sys.exit(2)
