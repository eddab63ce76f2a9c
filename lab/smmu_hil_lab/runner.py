"""`run`: one suite on one target, through pytest, into results/<run-id>/.

The suite is a pytest package lab/suites/<suite>/; its scenario files are
scenarios/<suite>/*.yaml. pytest writes junit.xml itself (--junitxml); the
lab plugin (pytest_plugin.py) writes report.json, ktap.log and summary.txt,
the target writes console.log, and results/latest points at the run.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from . import paths, scenario
from .report import new_run_id

SUITES = paths.REPO / "lab" / "suites"


def suite_dirs(suite: str) -> tuple[Path, Path]:
    """(pytest package, scenario directory) of @suite. Raises LabError."""
    tests, scens = SUITES / suite, paths.SCENARIOS / suite
    if not tests.is_dir():
        known = sorted(p.name for p in SUITES.iterdir() if p.is_dir() and p.name[0] != "_")
        raise scenario.ScenarioError(f"unknown suite {suite!r} (known: {', '.join(known)})")
    return tests, scens


def run(suite: str, results: Path, target: str = "qemu",
        pytest_args: list[str] | None = None) -> tuple[int, Path]:
    """Run @suite on @target; results go to @results/<run-id>/.

    Returns (exit status: 0 all passed or skipped, 1 a test failed, 2 the
    run itself broke, and the run directory). Raises ScenarioError for an
    unknown suite.
    """
    tests, scens = suite_dirs(suite)
    try:
        _, bad = scenario.load_suite(scens)
    except scenario.ScenarioError as e:
        print(f"smmu_hil_lab: {e}", file=sys.stderr)
        bad = []
    for e in bad:
        print(f"smmu_hil_lab: scenario error: {e}", file=sys.stderr)
    run_id = new_run_id()
    run_dir = results.resolve() / run_id
    run_dir.mkdir(parents=True)
    print(f"smmu-hil: run {run_id}: suite {suite} on target {target} -> {run_dir}", flush=True)
    args = [str(tests), "-p", "smmu_hil_lab.pytest_plugin",
            f"--shl-target={target}", f"--shl-run-dir={run_dir}", f"--shl-run-id={run_id}",
            f"--shl-scenarios={scens}", f"--junitxml={run_dir / 'junit.xml'}",
            "-o", f"junit_suite_name={suite}", "-o", "junit_family=xunit1",
            "-o", "console_output_style=classic", "-p", "no:cacheprovider",
            "--rootdir", str(paths.REPO / "lab"), "-q", "--tb=short"] + list(pytest_args or [])
    rc = int(pytest.main(args))
    if not (run_dir / "report.json").exists():
        return 2, run_dir
    return (0 if rc == 0 else 1 if rc == 1 else 2), run_dir
