"""`run`: one or more suites on one target, in one pytest session, into
results/<run-id>/; `run_plan`: a plan's phases (sessions on several
targets) into one run directory.

A suite is a pytest package lab/suites/<suite>/; its scenario files are
scenarios/<suite>/*.yaml (passed per suite as --shl-scenarios SUITE=DIR).
pytest writes each session's junit-N.xml (--junitxml), merged into
junit.xml; the lab plugin (pytest_plugin.py) writes report.json, ktap.log and summary.txt,
the target writes console.log, results/latest points at the run, and
report.html and kcidb.json are derived at the end (publish.py).
"""
from __future__ import annotations

import collections
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from . import inventory, paths, report, scenario, smmu_model
from .report import new_run_id
from .errors import LabError

SUITES = paths.REPO / "lab" / "suites"


def suite_dirs(suite: str) -> tuple[Path, Path]:
    """(pytest package, scenario directory) of @suite. Raises LabError."""
    tests, scens = SUITES / suite, paths.SCENARIOS / suite
    if not tests.is_dir():
        known = sorted(p.name for p in SUITES.iterdir() if p.is_dir() and p.name[0] != "_")
        raise scenario.ScenarioError(f"unknown suite {suite!r} (known: {', '.join(known)})")
    return tests, scens


def run(suites: str | list[str], results: Path, target: str | None = None,
        pytest_args: list[str] | None = None,
        inventory_file: Path | None = None,
        resume: Path | None = None,
        name_suffix: str = "", derive: bool = True,
        report_target: str | None = None) -> tuple[int, Path]:
    """Run @suites (a name, "smoke,transitions", or a list) on @target in one
    pytest session (one boot, one report); results go to @results/<run-id>/.

    Returns (exit status: 0 all passed or skipped, 1 a test failed, 2 the
    run itself broke, and the run directory). Raises ScenarioError for an
    unknown suite, InventoryError for a bad @inventory_file (whose first DUT
    is the target; its kind is the default @target).

    @resume: a run directory to continue instead of a new one: tests in its
    results.jsonl are not run again and the report covers them all.
    @name_suffix:
    appended to every test name (a suite run again on another target).
    @derive: write report.html and kcidb.json at the end. @report_target:
    the target(s) the report names (default @target). Raises
    smmu_model.SmmuModelError for an unknown SMMU model or one the
    environment and the inventory name differently.
    """
    names = suite_names(suites)
    args = []
    model = None
    if inventory_file is not None:
        dut = inventory.select(inventory_file)
        target = target or dut.target
        args.append(f"--shl-inventory={inventory_file.resolve()}")
        model = dut.smmu_model
    target = target or "qemu"
    smmu_model.resolve(model)       # an unknown or conflicting model: before any boot
    for suite in names:
        tests, scens = suite_dirs(suite)
        report_bad_scenarios(scens)
        args += [str(tests), f"--shl-scenarios={suite}={scens}"]
    if resume is not None:
        run_dir, run_id = resume.resolve(), resume.resolve().name
        if not run_dir.is_dir():
            raise scenario.ScenarioError(f"--resume {resume}: no such run directory")
        (run_dir / "report.json").unlink(missing_ok=True)   # rewritten at the end
        args.append("--shl-resume")
    else:
        run_id = new_run_id()
        run_dir = results.resolve() / run_id
        run_dir.mkdir(parents=True)
    label = ",".join(names)
    print(f"smmu-hil: run {run_id}: suite {label} on target {target} -> {run_dir}", flush=True)
    rc = session(args + list(pytest_args or []), run_dir, label, target,
                 name_suffix=name_suffix, report_target=report_target, derive=derive)
    return rc, run_dir


def session(args: list[str], run_dir: Path, label: str, target: str,
            name_suffix: str = "",
            report_target: str | None = None, derive: bool = True) -> int:
    """One pytest session with the lab plugin over @args (suite directories
    and options) into @run_dir (its name is the run id). pytest's junit file
    is the session's own junit-N.xml (suite name @label); junit.xml is
    rewritten as the merge of all sessions' (report.merge_junit), so a
    resumed run or a plan's phases give one junit.xml of every test.
    Then, with @derive, report.html and kcidb.json. @name_suffix is appended to every test name, @report_target
    is the target(s) the report names (default @target). Returns 0 all
    passed or skipped, 1 a test failed, 2 the run broke (no report.json)."""
    junit = run_dir / f"junit-{len(report.session_junit_files(run_dir)) + 1}.xml"
    args = args + ["-p", "smmu_hil_lab.pytest_plugin",
                   f"--shl-target={target}", f"--shl-run-dir={run_dir}",
                   f"--shl-run-id={run_dir.name}", f"--junitxml={junit}",
                   f"--shl-name-suffix={name_suffix}",
                   f"--shl-report-target={report_target or target}",
                   "-o", f"junit_suite_name={label}", "-o", "junit_family=xunit1",
                   "-o", "console_output_style=classic", "-p", "no:cacheprovider",
                   "--rootdir", str(paths.REPO / "lab"), "-q", "--tb=short"]
    rc = int(pytest.main(args))
    from .pytest_plugin import RESULTS_JSONL, read_records   # after pytest loaded it
    parts = [p for p in report.session_junit_files(run_dir) if _junit_ok(p)]
    records = read_records(run_dir / RESULTS_JSONL)
    if parts or records:
        report.merge_junit(parts, run_dir / "junit.xml", records)
    if not (run_dir / "report.json").exists():
        return 2
    if derive:
        write_derived(run_dir)
    return 0 if rc == 0 else 1 if rc == 1 else 2


def _junit_ok(path: Path) -> bool:
    """True when @path is a parsable junit file (a killed session may leave
    an empty or torn one)."""
    import xml.etree.ElementTree as ET
    try:
        ET.parse(path)
    except (ET.ParseError, OSError):
        return False
    return True


def run_plan(plan_file: Path, results: Path, pytest_args: list[str] | None = None,
             resume: Path | None = None) -> tuple[int, Path]:
    """Run a plan's phases (plan.load) one after the other into one run
    directory: each phase is a run() on its own target that continues the
    run (like --resume), so report.json, ktap.log and summary.txt cover every
    phase and so does junit.xml (session()), report.json's
    target names every target. Returns (the worst exit status, run dir);
    for a plan with lab-kernel variants (plan.Plan.variants) the status is
    its sensitivity matrix's (sensitivity.judge_run: 0 OK, 1 not).
    Raises PlanError, ScenarioError, InventoryError, SmmuModelError before
    anything runs.
    """
    from . import plan as planmod
    p = planmod.load(plan_file)
    for ph in p.phases:     # every error before the first boot
        for suite in ph.suites:
            suite_dirs(suite)
        dut = inventory.select(ph.inventory) if ph.inventory is not None else None
        with mock.patch.dict(os.environ, ph.env):
            smmu_model.resolve(dut.smmu_model if dut is not None else None)
    if resume is not None:
        run_dir = resume.resolve()
    else:
        run_dir = results.resolve() / new_run_id()
        run_dir.mkdir(parents=True)
    print(f"smmu-hil: plan {p.name}: {len(p.phases)} phase(s) -> {run_dir}", flush=True)
    if p.variants:
        from . import sensitivity
        print(sensitivity.preflight(p), flush=True)
    label = "+".join(dict.fromkeys(_phase_target(ph) for ph in p.phases))
    worst = 0
    for i, ph in enumerate(p.phases, 1):
        print(f"smmu-hil: phase {i}/{len(p.phases)}: {','.join(ph.suites)}{ph.name_suffix}"
              f"{f' ({ph.inventory.name})' if ph.inventory else ''}", flush=True)
        t0 = time.monotonic()
        with mock.patch.dict(os.environ, ph.env):   # this phase's env only
            broke = run_phase_setup(ph, run_dir, i) if ph.setup else None
            setup_name = f"setup{ph.name_suffix or f'-phase-{i}'}"
            if broke is None and ph.setup and resume is not None:
                clear_failure(run_dir, setup_name)   # it failed before, not now
            if broke is None:
                rc, _ = run(ph.suites, results, ph.target,
                            (pytest_args or []) + ph.pytest_args(), ph.inventory,
                            resume=run_dir, name_suffix=ph.name_suffix,
                            derive=False, report_target=label)
            else:
                rc = 1
                record_failure(run_dir, setup_name, broke, label, time.monotonic() - t0)
        print(f"smmu-hil: phase {i}/{len(p.phases)} done in {time.monotonic() - t0:.0f} s",
              flush=True)
        worst = max(worst, rc)
    if p.variants and (run_dir / "report.json").exists():
        # a sensitivity plan: its matrix is the verdict (a bug scenario
        # failing on its mutant is what it is for), not its tests' statuses
        from . import sensitivity
        worst = sensitivity.judge_run(run_dir, p)
    if (run_dir / "report.json").exists():
        write_derived(run_dir)
    return worst, run_dir


SETUP_TAIL_LINES = 20


def run_phase_setup(ph: Any, run_dir: Path, index: int) -> str | None:
    """Run plan phase @ph's `setup` command (Phase.setup_argv()) from the
    repository root with the current environment (run_plan() has applied the
    phase's env), its output echoed and kept in @run_dir/setup-<index>.log.
    Returns None on success, else why it failed (the exit status or the
    error starting it, then the output's last lines)."""
    argv = ph.setup_argv()
    log_path = run_dir / f"setup-{index}.log"
    print(f"smmu-hil: phase {index} set-up: {shlex.join(argv)}", flush=True)
    tail: collections.deque[str] = collections.deque(maxlen=SETUP_TAIL_LINES)
    try:
        with log_path.open("w", encoding="utf-8") as log, \
                subprocess.Popen(argv, cwd=paths.REPO, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                 text=True, errors="replace") as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                sys.stdout.write(line)
                log.write(line)
                tail.append(line.rstrip("\n"))
            rc = proc.wait()
    except OSError as e:
        return f"set-up `{shlex.join(argv)}` did not start: {e}"
    if rc == 0:
        return None
    return (f"set-up `{shlex.join(argv)}` exited {rc}; the phase's suites did not run "
            f"(output: {log_path.name})\n" + "\n".join(tail))


def clear_failure(run_dir: Path, name: str) -> None:
    """When @run_dir's results.jsonl has a failed record @name (a plan
    phase's set-up that failed before the run was resumed), append a passing
    one: the report shows the set-up's latest outcome."""
    from .pytest_plugin import RESULTS_JSONL, append_result, read_records
    if read_records(run_dir / RESULTS_JSONL).get(name, {}).get("status") == "fail":
        append_result(run_dir / RESULTS_JSONL,
                      report.TestResult(name, reason="set-up passed when the run was resumed"),
                      suite="plan")


def record_failure(run_dir: Path, name: str, reason: str, target: str,
                   duration_s: float) -> None:
    """Record a failed test @name with @reason in @run_dir's results.jsonl
    and report.json (read back from results.jsonl, so a later phase's
    session keeps it too): how a plan phase that could not run shows in
    the report."""
    from .pytest_plugin import RESULTS_JSONL, append_result, read_records, read_results
    res = report.TestResult(name, status="fail", duration_s=round(duration_s, 3),
                            reason=reason)
    append_result(run_dir / RESULTS_JSONL, res, suite="plan")
    old: dict[str, Any] = {}
    try:
        old = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    rep = report.Report(run_id=run_dir.name, target=str(old.get("target") or target),
                        dut=old.get("dut") if isinstance(old.get("dut"), dict) else {},
                        tests=list(read_results(run_dir / RESULTS_JSONL).values()))
    try:
        rep.write(run_dir)
    except LabError as e:   # ktap.log needs the host tool; report.json is written first
        print(f"smmu_hil_lab: {e}", file=sys.stderr)
    report.merge_junit([p for p in report.session_junit_files(run_dir) if _junit_ok(p)],
                       run_dir / "junit.xml", read_records(run_dir / RESULTS_JSONL))


def _phase_target(ph: Any) -> str:
    """The target name a plan phase runs on."""
    if ph.target:
        return str(ph.target)
    return inventory.select(ph.inventory).target if ph.inventory else "qemu"


def suite_names(suites: str | list[str]) -> list[str]:
    """Suite names from "a,b" or a list, in order, without repeats.

    Raises ScenarioError when none is named.
    """
    items = suites.split(",") if isinstance(suites, str) else list(suites)
    names = list(dict.fromkeys(s.strip() for s in items if s.strip()))
    if not names:
        raise scenario.ScenarioError("no suite named")
    return names


def report_bad_scenarios(directory: Path) -> None:
    """Print the errors of @directory's malformed scenario files (their tests
    fail when they run)."""
    try:
        _, bad = scenario.load_suite(directory)
    except scenario.ScenarioError as e:
        print(f"smmu_hil_lab: {e}", file=sys.stderr)
        bad = []
    for e in bad:
        print(f"smmu_hil_lab: scenario error: {e}", file=sys.stderr)


def write_derived(run_dir: Path) -> bool:
    """report.html and kcidb.json of a finished run (publish.write_all); a
    failure is printed, not raised: the run's own results stand. Returns
    True when both were written."""
    from . import publish
    try:
        for f in publish.write_all(run_dir):
            print(f"smmu-hil: wrote {f}", flush=True)
        return True
    except Exception as e:  # noqa: BLE001 - never lose a run over its page
        print(f"smmu_hil_lab: report.html/kcidb.json not written: {e}", file=sys.stderr)
        return False
