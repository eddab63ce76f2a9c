"""IPMI power, SOL console and SSH commands for the `ssh` target; OpenIPMI's
ipmi_sim as the BMC of the emulated DUT.

- ipmitool_argv(): the ipmitool command line for a BMC (lanplus, always with
  a cipher suite: ipmitool 1.8.19 without -C waits ~10 s for a suite list
  ipmi_sim never sends).
- IPMIPowerDriver: on/off/cycle/reset/is_on through `ipmitool chassis power`.
- sol_port(): the `ipmitool ... sol activate` console (a CommandSerialPort).
- SSHDriver: `run(cmd, timeout) -> (rc, output)` over ssh (key, BatchMode,
  ConnectTimeout, a per-run known_hosts), the console driver's contract.
- EmulatedBmc: ipmi_sim on 127.0.0.1 configured per run, whose chassis
  control is this module's `chassis` command: power on starts QEMU (under
  `timeout`), off stops it, reset is QMP system_reset. Stopping ipmi_sim does
  not stop the VM, so stop() ends both.

Every wait has a timeout; every process it starts is bounded (`timeout`) and
dies with the controller (PR_SET_PDEATHSIG) where it is the controller's child.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .drivers import ConsoleClosed, ConsoleTimeout, PowerError, QMPClient, clean_output
from .resources import CommandSerialPort, QMPSocket


@dataclass(frozen=True)
class BmcAccess:
    """How to reach a BMC over IPMI v2 (lanplus)."""

    host: str
    port: int
    user: str
    password: str
    cipher_suite: int = 3


def ipmitool_argv(bmc: BmcAccess, *args: str) -> list[str]:
    """`ipmitool -I lanplus -H HOST -p PORT -U USER -E -C SUITE ARGS...`: the
    password comes from the environment (ipmitool_env()), so it never shows
    in the process list."""
    return ["ipmitool", "-I", "lanplus", "-H", bmc.host, "-p", str(bmc.port),
            "-U", bmc.user, "-E", "-C", str(bmc.cipher_suite), *args]


def ipmitool_env(bmc: BmcAccess) -> dict[str, str]:
    """The variables ipmitool_argv()'s `-E` reads: {"IPMI_PASSWORD": ...}."""
    return {"IPMI_PASSWORD": bmc.password}


def sol_port(bmc: BmcAccess) -> CommandSerialPort:
    """The BMC's serial-over-LAN console as a console resource."""
    return CommandSerialPort(tuple(ipmitool_argv(bmc, "sol", "activate")),
                             env=ipmitool_env(bmc))


class IPMIPowerDriver:
    """Power through a BMC: `ipmitool ... chassis power on|off|cycle|reset|status`.

    Same protocol as QMPPowerDriver (on, off, reset, is_on) plus cycle().
    Each ipmitool call is bounded by @timeout seconds.
    """

    def __init__(self, bmc: BmcAccess, timeout: float = 20.0) -> None:
        self.bmc = bmc
        self.timeout = timeout
        self.powered_on_at: float | None = None

    def ipmitool(self, *args: str) -> str:
        """Run ipmitool with @args; return its stdout. Raises PowerError."""
        argv = ipmitool_argv(self.bmc, *args)
        try:
            p = subprocess.run(argv, capture_output=True, text=True, timeout=self.timeout,
                               stdin=subprocess.DEVNULL,
                               env=dict(os.environ, **ipmitool_env(self.bmc)))
        except subprocess.TimeoutExpired:
            raise PowerError(f"ipmitool {' '.join(args)}: no answer within "
                             f"{self.timeout:.0f}s from {self.bmc.host}:{self.bmc.port}") from None
        except FileNotFoundError:
            raise PowerError("ipmitool not found: run `make setup`") from None
        if p.returncode != 0:
            raise PowerError(f"ipmitool {' '.join(args)} exited {p.returncode}: "
                             f"{(p.stderr or p.stdout).strip()[-500:]}")
        return p.stdout

    def _power(self, action: str) -> None:
        self.ipmitool("chassis", "power", action)
        if action != "off":
            self.powered_on_at = time.monotonic()

    def is_on(self) -> bool:
        """True when the BMC reports chassis power on. Raises PowerError."""
        out = self.ipmitool("chassis", "power", "status")
        if "is on" in out:
            return True
        if "is off" in out:
            return False
        raise PowerError(f"ipmitool chassis power status: unexpected {out.strip()!r}")

    def on(self) -> None:
        """Power on (ipmitool's `power on` is a no-op when on)."""
        self._power("on")

    def off(self) -> None:
        """Hard power off."""
        self._power("off")
        self.powered_on_at = None

    def cycle(self) -> None:
        """Power cycle (off, then on)."""
        self._power("cycle")

    def reset(self) -> None:
        """Hard reset."""
        self._power("reset")


# ---------------------------------------------------------------------- SSH
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


def ssh_argv(ssh: SshAccess, cmd: str, connect_timeout: int = 5) -> list[str]:
    """The ssh command line running @cmd on the DUT (batch mode, the run's key
    and known_hosts, host key not checked: a lab DUT's key changes with its
    image)."""
    return ["ssh", "-i", str(ssh.key), "-p", str(ssh.port),
            "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
            "-o", f"ConnectTimeout={connect_timeout}",
            "-o", "StrictHostKeyChecking=no", "-o", f"UserKnownHostsFile={ssh.known_hosts}",
            "-o", "LogLevel=ERROR", "-o", "ServerAliveInterval=5",
            "-o", "ServerAliveCountMax=3", "-T",
            f"{ssh.user}@{ssh.host}", ssh.prefix + cmd]


class SSHDriver:
    """Commands on the DUT over SSH with the console driver's contract."""

    def __init__(self, ssh: SshAccess, connect_timeout: int = 5) -> None:
        self.ssh = ssh
        self.connect_timeout = connect_timeout

    def run(self, cmd: str, timeout: float = 30.0,
            strip_kernel: bool = True) -> tuple[int, str]:
        """Run the one-line shell command @cmd: (exit status, stdout with
        stderr after it, "\\n" line ends, no trailing newline).

        Raises ConsoleTimeout when it does not finish in @timeout seconds
        (ssh is killed), ConsoleClosed when ssh cannot connect (status 255
        with nothing printed).
        """
        if "\n" in cmd:
            raise ValueError("ssh run: one line only (join commands with ';')")
        try:
            p = subprocess.run(ssh_argv(self.ssh, cmd, self.connect_timeout),
                               capture_output=True, text=True, errors="replace",
                               timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise ConsoleTimeout(f"ssh: `{cmd}` did not finish within {timeout:.0f}s") from None
        if p.returncode == 255 and not p.stdout:
            raise ConsoleClosed(f"ssh {self.ssh.user}@{self.ssh.host}:{self.ssh.port}: "
                                f"{p.stderr.strip()[-500:]}")
        return p.returncode, clean_output(p.stdout + p.stderr, strip_kernel=False)

    def wait_up(self, timeout: float) -> float:
        """Poll `true` until the DUT answers; returns seconds waited.

        Raises ConsoleTimeout after @timeout seconds.
        """
        t0 = time.monotonic()
        last = ""
        while True:
            left = timeout - (time.monotonic() - t0)
            if left <= 0:
                raise ConsoleTimeout(f"ssh: no answer within {timeout:.0f}s ({last})")
            try:
                rc, out = self.run("true", min(left, self.connect_timeout + 5))
                if rc == 0:
                    return time.monotonic() - t0
                last = f"status {rc}: {out[-200:]}"
            except ConsoleTimeout as e:
                last = str(e)
            time.sleep(min(1.0, max(0.0, timeout - (time.monotonic() - t0))))

    def wait_down(self, timeout: float) -> float:
        """Poll until the DUT stops answering; returns seconds waited.

        Raises ConsoleTimeout when it still answers after @timeout seconds.
        """
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            try:
                self.run("true", self.connect_timeout + 2)
            except ConsoleTimeout:  # ConsoleClosed too
                return time.monotonic() - t0
            time.sleep(0.5)
        raise ConsoleTimeout(f"ssh: still answering after {timeout:.0f}s")


def make_keys(directory: Path) -> tuple[Path, Path]:
    """A per-run client key pair (ssh-keygen, ed25519) and a dropbear host key
    (dropbearkey) in @directory. Returns (client private key, host key).
    Raises subprocess.CalledProcessError / FileNotFoundError."""
    key = directory / "id_ed25519"
    host = directory / "dropbear_ed25519_host_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "smmu-hil-lab",
                    "-f", str(key)], check=True, timeout=30, stdin=subprocess.DEVNULL)
    subprocess.run(["dropbearkey", "-t", "ed25519", "-f", str(host)], check=True,
                   timeout=30, capture_output=True)
    return key, host


# -------------------------------------------------------------- ipmi_sim
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
        lab_dir = Path(__file__).resolve().parents[1]
        chassis = (f"/usr/bin/env PYTHONPATH={lab_dir} {sys.executable} -m smmu_hil_lab.ipmi "
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
        deadline = time.monotonic() + timeout
        while True:
            try:
                drv.is_on()
                return
            except PowerError as e:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise PowerError(f"ipmi_sim did not come up: {e}") from e
            time.sleep(0.3)

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
        deadline = time.monotonic() + stop_timeout
        while _pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if not _pid_alive(pid):
            break
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
    print("usage: python3 -m smmu_hil_lab.ipmi chassis STATE get|set|check ...", file=sys.stderr)
    sys.exit(2)
