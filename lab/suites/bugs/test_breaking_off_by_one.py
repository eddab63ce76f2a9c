"""Bug library: breaking-off-by-one (bug 3, docs/bugs.md).

The kernel's entry writer (arm_smmu_write_entry) is recorded while edu is
moved between the identity, DMA and paging domains with an edu round trip
after each move and fio verifying the virtio disk; every breaking update
is held against the oracle's plan and checked at every store
(lab/smmu_hil_lab/entry_writer.py judge_breaking). The verdict comes from
what the recorder saw the running kernel do.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pytest

from smmu_hil_lab import entry_writer
from smmu_hil_lab.agent import Agent, Fio, event_loss
from smmu_hil_lab.scenario import Scenario
from smmu_hil_lab.targets import Target


@pytest.mark.scenario("breaking-off-by-one")
def test_breaking_off_by_one(dut: Target, agent: Agent, dut_info: dict[str, Any],
                             scenario: Scenario, metrics: dict[str, Any], log_dir: Path,
                             progress: Callable[[str], None]) -> None:
    """Every breaking writer call: the plan's steps, a V=0 step, the target
    at the end, no torn entry between two stores; no event, no DMA error."""
    vd = str(scenario.param("dev", "1234:11e8"))
    bdf = entry_writer.edu_device(dut, dut_info, vd)
    if bdf is None:
        pytest.skip(f"device {vd}: not bound to smmu_hil_edu (the scenario moves edu)")
    entry_writer.prepare(dut)
    show = dut.run_json("smmu-hil -j inject show")
    if not show.get("writer"):
        pytest.skip("the kernel has no entry writer (arm_smmu_write_entry): 6.1 rewrites "
                    "STEs inline, the recorder sees no per-call plan to compare")
    count = int(scenario.param("count", 60))
    fio = Fio(dut, "/dev/vda", "fio-obo")
    agent.events_clear()
    fio.start(f"{scenario.param('fio')} --time_based --runtime={scenario.param('fio_max_s', 600)}")
    progress(f"fio running; recording {count} moves of {bdf} ({scenario.param('sequence')})")
    try:
        cyc, rep = entry_writer.record(dut, bdf, str(scenario.param("sequence")), count)
        fio_alive = fio.running()
    finally:
        res = fio.stop()
        metrics.update(res.metrics())
    ev = agent.events()
    records = ev.get("records", [])
    (log_dir / "breaking-off-by-one.record.json").write_text(json.dumps(rep, indent=1))
    problems, m = entry_writer.judge_breaking(rep)
    metrics.update(m)
    metrics.update(moves=cyc.get("transitions"), dma_errors=cyc.get("dma_errors"),
                   elapsed_s=cyc.get("elapsed_s"), events=len(records),
                   recorded_snapshots=rep.get("snapshots"))
    assert not event_loss(ev), event_loss(ev)
    if not problems and not m["breaking_calls"]:
        pytest.skip(f"no breaking update among {m['writer_calls']} recorded writer calls: "
                    "the driver found a hitless way for every move on this DUT")
    assert not problems, "; ".join(problems[:6])
    assert fio_alive, f"fio ended before the moves did: {res.log[-500:]}"
    assert cyc.get("dma_errors") == 0, f"{cyc.get('dma_errors')} edu round trips failed"
    assert res.verify_errors == 0 and res.error == 0, \
        f"fio: {res.verify_errors} verify failures, error {res.error}: {res.log[-500:]}"
    assert not records, f"{len(records)} unexpected events, first: {records[0]}"
