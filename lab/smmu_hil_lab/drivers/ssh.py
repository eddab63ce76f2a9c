"""SSHDriver: the Command protocol over SSH (`run(cmd, timeout) -> (rc,
output)`, the console driver's contract, no framing needed)."""
from __future__ import annotations

import subprocess

from ..errors import ConsoleClosed, ConsoleTimeout
from ..resources import SshAccess
from .console import clean_output


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
    """Commands on the DUT over SSH (the Command protocol).

    @connect_timeout: seconds ssh waits for the connection; a probe that
    asks "does it answer?" should allow a few more (probe_timeout).
    """

    def __init__(self, ssh: SshAccess, connect_timeout: int = 5) -> None:
        self.ssh = ssh
        self.connect_timeout = connect_timeout

    @property
    def probe_timeout(self) -> float:
        """Seconds a `true` needs at most on a DUT that answers."""
        return self.connect_timeout + 5.0

    def run(self, cmd: str, timeout: float = 30.0,
            strip_kernel: bool = True) -> tuple[int, str]:
        """Run the one-line shell command @cmd: (exit status, stdout with
        stderr after it, "\\n" line ends, no trailing newline). @strip_kernel
        is accepted for the protocol; SSH output holds no kernel records.

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
