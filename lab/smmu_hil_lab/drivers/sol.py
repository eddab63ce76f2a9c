"""SOLConsoleDriver: a BMC's serial-over-LAN console (`ipmitool ... sol
activate`) as a ConsoleDriver (Console and Command protocols)."""
from __future__ import annotations

from typing import IO

from ..errors import PowerError
from ..resources import BmcAccess, CommandSerialPort
from .console import ConsoleDriver
from .ipmi import ipmitool, ipmitool_argv, ipmitool_env


def sol_port(bmc: BmcAccess) -> CommandSerialPort:
    """The BMC's serial-over-LAN console as a console resource."""
    return CommandSerialPort(tuple(ipmitool_argv(bmc, "sol", "activate")),
                             env=ipmitool_env(bmc))


class SOLConsoleDriver(ConsoleDriver):
    """The console of @bmc over IPMI SOL. open() first ends a SOL session
    left active (by a previous run, or one that dropped: a BMC serves one
    session, and `sol activate` fails while another is active)."""

    def __init__(self, bmc: BmcAccess, logfile: IO[str] | None = None,
                 timeout: float = 20.0, **kwargs: object) -> None:
        super().__init__(sol_port(bmc), logfile, **kwargs)  # type: ignore[arg-type]
        self.bmc = bmc
        self.timeout = timeout

    def deactivate(self) -> bool:
        """`sol deactivate`; False when no session was active (or the BMC
        did not answer)."""
        try:
            ipmitool(self.bmc, "sol", "deactivate", timeout=self.timeout)
            return True
        except PowerError:
            return False

    def open(self) -> None:
        """End a stale SOL session, then `sol activate` (no-op when open)."""
        if self.is_open:
            return
        self.deactivate()
        super().open()
