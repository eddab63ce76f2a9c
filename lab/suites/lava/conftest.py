"""The lava suite's options: the lava-run log and the job it ran."""
from __future__ import annotations

from pathlib import Path

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    """--shl-lava-log (lava-run's stderr), --shl-lava-job (the job YAML),
    --shl-lava-seconds (lava-run's wall time)."""
    g = parser.getgroup("smmu-hil")
    g.addoption("--shl-lava-log", type=Path, default=None, help="lava-run's log (its stderr)")
    g.addoption("--shl-lava-job", type=Path, default=None, help="the LAVA job it ran")
    g.addoption("--shl-lava-seconds", type=float, default=None,
                help="lava-run's wall time (the lava-job test's metric lava_run_s)")
