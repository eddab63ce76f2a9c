"""The transitions suite: one test per scenarios/transitions/*.yaml.

Agent scenarios (the ones with `mode`) run on the DUT itself (`smmu-hil run`,
docs/scenarios.md), so a vendor can run them on a bare server; this suite
runs each through the agent and carries its status, reason and metrics into
the report. The lab runs the workloads a scenario declares besides the
agent's edu-dma (fio with verify on the disk, iperf3 to a peer on the host)
around it; a workload error fails the test. Raw mode needs the injector with
`allow_raw=1`, and breaking updates flood the event ring, so the suite loads
the injector and gives the event monitor a large ring first.

Lab scenarios (no `mode`) have their own tests here: evtmon-cost.
"""
from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any, Callable

import pytest

from smmu_hil_lab import paths
from smmu_hil_lab.agent import Fio
from smmu_hil_lab.scenario import Scenario, is_lab_file
from smmu_hil_lab.targets import Target
from smmu_hil_lab.workloads import Workloads, on_off_cost

AGENT_SCENARIOS = sorted(p.stem for p in (paths.SCENARIOS / "transitions").glob("*.yaml")
                         if not is_lab_file(p))
MODULES = "/opt/smmu-hil/modules"
EVTMON = "smmu_hil_evtmon"
EVENT_RING = 262144          # records; a 1 ms V=0 window under edu DMA gives ~30 each


def _prepare(dut: Target) -> None:
    """Load smmu_hil_inject (allow_raw=1) and a large event ring, once per boot."""
    rc, out = dut.run("grep -q '^smmu_hil_inject ' /proc/modules && echo loaded || echo absent")
    if "loaded" in out:
        return
    cmd = (f"rmmod smmu_hil_evtmon && insmod {MODULES}/smmu_hil_evtmon.ko ring_size={EVENT_RING}"
           f" && insmod {MODULES}/smmu_hil_inject.ko allow_raw=1")
    rc, out = dut.run(cmd, timeout=60)
    assert rc == 0, f"cannot load the injector: {out.strip()}"


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.scenario(n), id=n)
                                  for n in AGENT_SCENARIOS])
def test_transition_scenario(name: str, dut: Target, scenario: Scenario,
                             metrics: dict[str, Any], log_dir: Path,
                             progress: Callable[[str], None]) -> None:
    """Run one agent scenario on the DUT, with the lab's workloads around it;
    its verdict and the workloads' errors are this test's."""
    _prepare(dut)
    wl = Workloads(dut, scenario.param("workloads") or [], log_dir=log_dir)
    if wl.names:
        progress(f"lab workloads: {', '.join(wl.names)}")
    with wl:
        rc, out = dut.run(f"smmu-hil run -j /opt/smmu-hil/scenarios/transitions/{name}.yaml",
                          timeout=900)
    metrics.update(wl.metrics)
    try:
        doc = json.loads(out)
    except json.JSONDecodeError:
        pytest.fail(f"`smmu-hil run` (rc {rc}) printed no JSON: {out.strip()[-500:]}")
    tests = [t for t in doc.get("tests", []) if t.get("name") == name]
    assert len(tests) == 1, f"`smmu-hil run` reported {len(tests)} results for {name}"
    t = tests[0]
    metrics.update(t.get("metrics") or {})
    metrics["dut_duration_s"] = t.get("duration_s")
    if t.get("status") == "skip":
        pytest.skip(t.get("reason") or "skipped by the agent")
    problems = [] if t.get("status") == "pass" else \
        [t.get("reason") or f"agent status {t.get('status')!r}"]
    problems += wl.problems
    assert not problems, "; ".join(problems)


def evtmon_params(dut: Target) -> str:
    """The loaded event monitor's parameters as insmod arguments ("ring_size=4096"),
    unset string parameters left out. Raises CommandError when it is not loaded."""
    out = dut.run_check(f"cd /sys/module/{EVTMON}/parameters && "
                        "for f in *; do printf '%s=%s\\n' $f \"$(cat $f)\"; done")
    args = [line.strip() for line in out.splitlines()
            if "=" in line and line.split("=", 1)[1].strip() not in ("", "(null)")]
    return " ".join(shlex.quote(a) for a in args)


def set_evtmon(dut: Target, on: bool, params: str) -> None:
    """Load (with @params) or unload the event monitor. Raises CommandError."""
    loaded = dut.run(f"grep -q '^{EVTMON} ' /proc/modules")[0] == 0
    if on and not loaded:
        dut.run_check(f"insmod {MODULES}/{EVTMON}.ko {params}", 60)
    elif not on and loaded:
        dut.run_check(f"rmmod {EVTMON}", 60)


@pytest.mark.scenario("evtmon-cost")
def test_evtmon_cost(dut: Target, scenario: Scenario, metrics: dict[str, Any],
                     progress: Callable[[str], None]) -> None:
    """fio random-read IOPS with the event monitor loaded and unloaded,
    interleaved (on/off, off/on, ...: with an even number of rounds each
    state runs first as often as second); the overhead of the medians.
    Passes when every run measured; the goal is the metric goal_met."""
    _prepare(dut)
    params = evtmon_params(dut)
    rounds = int(scenario.param("rounds", 4))
    args = str(scenario.param("fio"))
    fio = Fio(dut, "/dev/vda", "fio-cost")
    iops: dict[bool, list[float]] = {True: [], False: []}
    try:
        for r in range(rounds):
            for on in ((True, False) if r % 2 == 0 else (False, True)):
                set_evtmon(dut, on, params)
                res = fio.run(args, timeout=120)
                assert res.rc == 0 and res.error == 0 and res.read_iops > 0, \
                    f"fio (evtmon {'on' if on else 'off'}) rc {res.rc} error {res.error}, " \
                    f"{res.read_iops} IOPS: {res.log[-300:]}"
                iops[on].append(res.read_iops)
                progress(f"round {r + 1} evtmon {'on ' if on else 'off'}: "
                         f"{res.read_iops:.0f} IOPS")
    finally:
        set_evtmon(dut, True, params)
    metrics["evtmon_params"] = params
    assert evtmon_params(dut) == params, "the event monitor came back with other parameters"
    metrics.update(on_off_cost(iops[True], iops[False], float(scenario.param("goal_pct", 2))))
