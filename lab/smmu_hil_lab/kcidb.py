"""KCIDB v5 JSON (kcidb.json) of a run, for KernelCI's results database.

One checkout (the DUT kernel's release; the lab does not build it), one
build (Debian's arm64 kernel package as locked by set-up), one test per
report entry:

    id        "smmu_hil:<run-id>:<suite>.<test>"
    path      "smmu_hil.<suite>.<test>" (dashes become underscores)
    status    PASS / FAIL / SKIP
    start_time, duration (s), environment.comment (the target, kernel and
              SMMU model), misc.dut_kernel, misc.smmu_model
              (the kernel release and SMMU model the test ran on; a test on
              another kernel than the run's gets that kernel's build),
    log_excerpt (failures: reason + log tail, <= 16 KiB), misc.metrics
"""
from __future__ import annotations

import re
from typing import Any

from .rundir import RunDir

ORIGIN = "smmu_hil"
VERSION = {"major": 5, "minor": 0}
# an expected failure (xfail) is a FAIL the report waives (KCIDB's "waived")
STATUS = {"pass": "PASS", "fail": "FAIL", "skip": "SKIP", "xfail": "FAIL"}


def _ident(text: str) -> str:
    """A KCIDB test path component: [a-zA-Z0-9_] only."""
    return re.sub(r"[^a-zA-Z0-9_]", "_", text) or "_"


def document(rd: RunDir) -> dict[str, Any]:
    """The KCIDB v5 document of run @rd."""
    rep = rd.report
    run_id = str(rep.get("run_id", rd.path.name))
    dut = rep.get("dut") or {}
    kernel = str(dut.get("kernel") or "unknown")
    lock = dut.get("lock") or {}
    checkout_id = f"{ORIGIN}:{run_id}"
    build_id = f"{ORIGIN}:{run_id}:{kernel}"
    started = rd.started.isoformat() if rd.started else None
    checkout: dict[str, Any] = {"id": checkout_id, "origin": ORIGIN,
                                "comment": f"kernel {kernel}", "misc": {"run_id": run_id}}
    build: dict[str, Any] = {"id": build_id, "checkout_id": checkout_id, "origin": ORIGIN,
                             "architecture": "arm64", "status": "PASS",
                             "comment": f"kernel {kernel}",
                             "misc": {"packages": {k: v for k, v in lock.items()
                                                   if k.startswith("linux-")}}}
    if started:
        checkout["start_time"] = build["start_time"] = started
    starts = rd.start_times()
    target = str(rep.get("target", "?"))
    tests = []
    builds: dict[str, dict[str, Any]] = {}
    for t in rd.tests:
        name, suite = str(t["name"]), rd.suite(str(t["name"]))
        # the kernel and SMMU model this test ran on (a plan's phases differ)
        tkernel = str(t.get("dut_kernel") or kernel)
        model = str(t.get("smmu_model") or dut.get("smmu_model") or "unknown")
        if tkernel not in builds:
            # report.json's lock is the last session's kernel's
            builds[tkernel] = build if tkernel == kernel else \
                {**build, "id": f"{ORIGIN}:{run_id}:{tkernel}", "comment": f"kernel {tkernel}",
                 "misc": {}}
        entry: dict[str, Any] = {
            "id": f"{ORIGIN}:{run_id}:{suite}.{name}",
            "build_id": builds[tkernel]["id"],
            "origin": ORIGIN,
            "path": f"{ORIGIN}.{_ident(suite)}.{_ident(name)}",
            "status": STATUS[t["status"]],
            "duration": float(t.get("duration_s") or 0.0),
            "environment": {"comment": f"target {target}, kernel {tkernel}, SMMU {model}"},
            "misc": {"metrics": _jsonable(t.get("metrics") or {}), "name": name,
                     "suite": suite, "dut_kernel": tkernel, "smmu_model": model},
        }
        if t["status"] == "xfail":
            entry["waived"] = True
        if name in starts:
            entry["start_time"] = starts[name].isoformat()
        if t.get("reason"):
            entry["comment"] = str(t["reason"]).splitlines()[0][:500]
        if t["status"] == "fail":
            entry["log_excerpt"] = rd.log_excerpt(name)
        tests.append(entry)
    return {"version": dict(VERSION), "checkouts": [checkout],
            "builds": list(builds.values()) or [build], "tests": tests}


def _jsonable(value: Any) -> Any:
    """@value as plain JSON data, None-valued entries dropped (KCIDB allows
    no nulls); other types become strings."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value if v is not None]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
