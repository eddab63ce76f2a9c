"""Bug library: missing-dma-wmb (bug 2, docs/bugs.md).

The barrier witness: the DMB/DSB instructions of the running kernel's
entry writer (the injector reads its code through kallsyms), the host's
disassembly of the same function in the kernel's vmlinux (binutils'
objdump) as a cross-check, and a kprobe on each store barrier while edu is
moved between domains: in every writer call that stored an entry, a store
barrier must execute before the entry's first store and first sync
(lab/smmu_hil_lab/entry_writer.py judge_witness). The verdict comes from
the running kernel's code and what it executed, never from its name.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pytest

from smmu_hil_lab import entry_writer, paths
from smmu_hil_lab.scenario import Scenario
from smmu_hil_lab.targets import Target


@pytest.mark.scenario("missing-dma-wmb")
def test_missing_dma_wmb(dut: Target, dut_info: dict[str, Any], scenario: Scenario,
                         metrics: dict[str, Any], log_dir: Path,
                         progress: Callable[[str], None]) -> None:
    """A store barrier in the writer, executed before the entry's stores
    in every recorded call; the host's objdump finds the same barriers."""
    vd = str(scenario.param("dev", "1234:11e8"))
    bdf = entry_writer.edu_device(dut, dut_info, vd)
    if bdf is None:
        pytest.skip(f"device {vd}: not bound to smmu_hil_edu (the scenario moves edu)")
    entry_writer.prepare(dut)
    bars = dut.run_json("smmu-hil -j inject barriers")
    why = entry_writer.skip_reason(bars)
    if why:
        pytest.skip(why)
    rel = dut.run_check("uname -r").strip()
    vmlinux = paths.cache_dir() / "kernel" / rel / "vmlinux"
    status, cross = entry_writer.cross_check(
        bars, entry_writer.run_objdump(vmlinux, bars["func"]))
    metrics.update(objdump_cross_check=status)
    count = int(scenario.param("count", 30))
    progress(f"recording {count} moves of {bdf} with kprobes on the writer's barriers")
    cyc, rep = entry_writer.record(dut, bdf, str(scenario.param("sequence")), count)
    (log_dir / "missing-dma-wmb.record.json").write_text(json.dumps(
        {"barriers": bars, "record": rep}, indent=1))
    problems, m = entry_writer.judge_witness(bars, rep)
    metrics.update(m)
    metrics.update(moves=cyc.get("transitions"), dma_errors=cyc.get("dma_errors"))
    assert not cross, "host cross-check: " + "; ".join(cross)
    if not problems and not m["witnessed_calls"]:
        pytest.skip("no recorded writer call stored an entry: nothing to witness")
    assert not problems, "; ".join(problems)
    assert cyc.get("dma_errors") == 0, f"{cyc.get('dma_errors')} edu round trips failed"
