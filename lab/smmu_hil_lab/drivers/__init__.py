"""Drivers: how to use the lab's resources (labgrid's split).

Each driver implements one or more of the protocols in protocols.py:

| driver | module | protocols |
|---|---|---|
| ConsoleDriver (pexpect; unix socket or a spawned program) | console.py | Console, Command |
| SOLConsoleDriver (`ipmitool ... sol activate`) | sol.py | Console, Command |
| SSHDriver | ssh.py | Command |
| QMPPowerDriver (QEMU through QMP) | qmp.py | Power |
| IPMIPowerDriver (`ipmitool ... chassis power`) | ipmi.py | Power |

The names below are re-exported so `from smmu_hil_lab.drivers import X`
works for every driver; errors live in errors.py.
"""
from ..errors import ConsoleClosed, ConsoleTimeout, LabError, PowerError, QMPError
from ..poll import wait_for_path
from .console import KERNEL_RECORD, ConsoleDriver, clean_output
from .ipmi import IPMIPowerDriver, ipmitool, ipmitool_argv, ipmitool_env
from .qmp import QMPClient, QMPPowerDriver, qmp_block_counters
from .sol import SOLConsoleDriver, sol_port
from .ssh import SSHDriver, ssh_argv

__all__ = ["KERNEL_RECORD", "ConsoleClosed", "ConsoleDriver", "ConsoleTimeout",
           "IPMIPowerDriver", "LabError", "PowerError", "QMPClient", "QMPError",
           "QMPPowerDriver", "SOLConsoleDriver", "SSHDriver", "clean_output", "ipmitool",
           "ipmitool_argv", "ipmitool_env", "qmp_block_counters", "sol_port", "ssh_argv",
           "wait_for_path"]
