"""The transitions suite: one test per scenarios/transitions/*.yaml.

These scenarios run on the DUT itself (`smmu-hil run`, docs/scenarios.md), so
a vendor can run them on a bare server; this suite runs each through the agent
and carries its status, reason and metrics into the report. Raw mode needs
the injector with `allow_raw=1`, and breaking updates flood the event ring, so
the suite loads the injector and gives the event monitor a large ring first.
"""
from __future__ import annotations

import json
from typing import Any

import pytest

from smmu_hil_lab import paths
from smmu_hil_lab.scenario import Scenario
from smmu_hil_lab.targets import Target

SCENARIOS = sorted(p.stem for p in (paths.SCENARIOS / "transitions").glob("*.yaml"))
MODULES = "/opt/smmu-hil/modules"
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
                                  for n in SCENARIOS])
def test_transition_scenario(name: str, dut: Target, scenario: Scenario,
                             metrics: dict[str, Any]) -> None:
    """Run one agent scenario on the DUT; its verdict is this test's."""
    _prepare(dut)
    rc, out = dut.run(f"smmu-hil run -j /opt/smmu-hil/scenarios/transitions/{name}.yaml",
                      timeout=900)
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
    assert t.get("status") == "pass", t.get("reason") or f"agent status {t.get('status')!r}"
