"""The lava suite: a LAVA job's results as smmu-hil tests.

Nothing runs on a DUT here: `python3 -m smmu_hil_lab lava run` has run the
job with lava-run, and each test replays one LAVA test case (a scenario of
the agent with its measurements as metrics, a console or kexec check, and
the job's own result) so the lab's plugin writes report.json, ktap.log,
summary.txt and junit.xml as for any run (docs/lava.md).
"""
from __future__ import annotations

from typing import Any

import pytest
import yaml

from smmu_hil_lab import lava
from smmu_hil_lab.pytest_plugin import collector
from smmu_hil_lab.report import TestResult


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One test per LAVA result of --shl-lava-log (scenario names as ids)."""
    if "lava_test" not in metafunc.fixturenames:
        return
    log = metafunc.config.getoption("shl_lava_log")
    job = metafunc.config.getoption("shl_lava_job")
    if log is None or job is None:
        raise pytest.UsageError("the lava suite needs --shl-lava-log and --shl-lava-job")
    expected = lava.expected_scenarios(yaml.safe_load(job.read_text(encoding="utf-8")))
    tests = lava.report_tests(lava.parse_log(log.read_text(encoding="utf-8")), expected)
    seconds = metafunc.config.getoption("shl_lava_seconds")
    for t in tests:
        if t.name == lava.JOB_TEST and seconds is not None:
            t.metrics["lava_run_s"] = seconds
    metafunc.parametrize("lava_test", [pytest.param(t, marks=pytest.mark.scenario(t.name),
                                                    id=t.name) for t in tests])


@pytest.fixture(scope="session", autouse=True)
def lava_dut(request: pytest.FixtureRequest) -> None:
    """The report's dut and every test's dut_kernel and smmu_model: the
    kernel the DUT announced on LAVA's console, the SMMU model LAVA's QEMU
    command line asked for."""
    log = request.config.getoption("shl_lava_log")
    res = lava.parse_log(log.read_text(encoding="utf-8"))
    col = collector(request.config)
    col.dut_kernel, col.smmu_model = lava.dut_kernel(res), lava.smmu_model(res)
    if col.dut_kernel:
        col.report.dut = {"kernel": col.dut_kernel, "smmu_model": col.smmu_model}


def test_lava_result(lava_test: TestResult, metrics: dict[str, Any]) -> None:
    """The LAVA test case's result and measurements are this test's."""
    metrics.update(lava_test.metrics)
    if lava_test.status == "skip":
        pytest.skip(lava_test.reason)
    assert lava_test.status == "pass", lava_test.reason
