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


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """A replayed test lasts as long as it ran on the DUT (its metric
    dut_duration_s), not the replay's microseconds: set the call report's
    duration before the lab's plugin (an outer wrapper) reads it."""
    outcome = yield
    rep = outcome.get_result()
    test = getattr(item, "callspec", None) and item.callspec.params.get("lava_test")
    if rep.when == "call" and test is not None:
        rep.duration = float(test.metrics.get("dut_duration_s", rep.duration))
