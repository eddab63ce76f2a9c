"""Every error the lab controller raises, in one place.

LabError is the base: `except LabError` catches any of them. The modules
that raise an error re-export it under its old name (`scenario.ScenarioError`,
`drivers.ConsoleTimeout`, ...), so callers may import it from either place;
new code imports from here. This module imports nothing of the package.
"""
from __future__ import annotations


class LabError(RuntimeError):
    """Base of the lab controller's errors."""


# ----------------------------------------------------- console and commands
class ConsoleTimeout(LabError):
    """An expected console output (or a command's end) did not arrive in time.

    `tail` holds the last console output, for reports.
    """

    def __init__(self, msg: str, tail: str = "") -> None:
        super().__init__(msg + (f"\n--- console tail ---\n{tail}" if tail else ""))
        self.tail = tail


class ConsoleClosed(ConsoleTimeout):
    """The console (or the command channel) went away: powered off, crashed,
    or SSH cannot connect."""


class CommandError(LabError):
    """A DUT command failed or printed something unusable."""


# ---------------------------------------------------------------- power
class PowerError(LabError):
    """A power action failed."""


class QMPError(LabError):
    """QMP returned an error or spoke out of protocol."""


# ------------------------------------------------------------- strategy
class StrategyError(LabError):
    """A target state could not be reached."""


class PollTimeout(LabError):
    """poll.wait_until() gave up: the condition did not hold in time."""


# ---------------------------------------------------------- files, runs
class ScenarioError(LabError):
    """A scenario file is unreadable or does not match the schema."""


class InventoryError(LabError):
    """The inventory file is malformed."""


class PlanError(LabError):
    """The plan file is malformed."""


class ImageError(LabError):
    """The DUT image cannot be assembled (set-up or build missing)."""


class RunDirError(LabError):
    """The directory is not a finished run (no or broken report.json)."""


class WorkloadError(LabError):
    """A workload could not be started or stopped."""


class LavaError(LabError):
    """A job cannot be generated, or LAVA's log cannot be read."""


class CompareError(LabError):
    """A report to compare is missing or malformed, or an option is bad."""
