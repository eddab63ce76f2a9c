"""IPMIPowerDriver: the Power protocol through a BMC (`ipmitool -I lanplus
chassis power ...`), and the ipmitool command line every IPMI user shares
(the SOL console driver, LAVA's device dictionary).

ipmitool_argv() always gives a cipher suite: ipmitool 1.8.19 without -C
waits ~10 s for a suite list ipmi_sim never sends. Every ipmitool call is
bounded by a timeout.
"""
from __future__ import annotations

import os
import subprocess
import time

from ..errors import PowerError
from ..resources import BmcAccess


def ipmitool_argv(bmc: BmcAccess, *args: str) -> list[str]:
    """`ipmitool -I lanplus -H HOST -p PORT -U USER -E -C SUITE ARGS...`: the
    password comes from the environment (ipmitool_env()), so it never shows
    in the process list."""
    return ["ipmitool", "-I", "lanplus", "-H", bmc.host, "-p", str(bmc.port),
            "-U", bmc.user, "-E", "-C", str(bmc.cipher_suite), *args]


def ipmitool_env(bmc: BmcAccess) -> dict[str, str]:
    """The variables ipmitool_argv()'s `-E` reads: {"IPMI_PASSWORD": ...}."""
    return {"IPMI_PASSWORD": bmc.password}


def ipmitool(bmc: BmcAccess, *args: str, timeout: float = 20.0) -> str:
    """Run ipmitool against @bmc with @args; return its stdout.

    Raises PowerError when it fails, is missing or takes over @timeout s."""
    argv = ipmitool_argv(bmc, *args)
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL, env=dict(os.environ, **ipmitool_env(bmc)))
    except subprocess.TimeoutExpired:
        raise PowerError(f"ipmitool {' '.join(args)}: no answer within "
                         f"{timeout:.0f}s from {bmc.host}:{bmc.port}") from None
    except FileNotFoundError:
        raise PowerError("ipmitool not found: run `make setup`") from None
    if p.returncode != 0:
        raise PowerError(f"ipmitool {' '.join(args)} exited {p.returncode}: "
                         f"{(p.stderr or p.stdout).strip()[-500:]}")
    return p.stdout


class IPMIPowerDriver:
    """The Power protocol through a BMC: `ipmitool ... chassis power
    on|off|cycle|reset|status`. Each ipmitool call is bounded by @timeout
    seconds.
    """

    def __init__(self, bmc: BmcAccess, timeout: float = 20.0) -> None:
        self.bmc = bmc
        self.timeout = timeout
        self.powered_on_at: float | None = None

    def ipmitool(self, *args: str) -> str:
        """Run ipmitool with @args; return its stdout. Raises PowerError."""
        return ipmitool(self.bmc, *args, timeout=self.timeout)

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
