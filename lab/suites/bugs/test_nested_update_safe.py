"""The bug library's nested-update-safe (bug 1, scenarios/bugs/nested-update-safe.yaml).

The agent as a minimal VMM replaces edu between nested vSTE HWPTs under
edu DMA (`smmu-hil vmm nested-moves --record`); the recorder's physical STE
updates, paired with the oracle's plans with and without update-safe bits,
and the event monitor's C_BAD_STEs give the verdict (nested_vmm.judge()).
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from smmu_hil_lab import nested_vmm
from smmu_hil_lab.agent import AGENT, Agent, event_loss, find_pci
from smmu_hil_lab.scenario import Scenario
from smmu_hil_lab.targets import Target

scenario = pytest.mark.scenario

MODULES = "/opt/smmu-hil/modules"
REC_SIZE = 65536        # recorder snapshots: 300 replaces make ~1,500


def _int(v: Any) -> int:
    return v if isinstance(v, int) else int(str(v), 0)


@scenario("nested-update-safe")
def test_nested_update_safe(dut: Target, agent: Agent, dut_info: dict[str, Any],
                            scenario: Scenario, metrics: dict[str, Any], log_dir: Path) -> None:
    """Replaces between nested HWPTs: hitless on every recorded update and
    no C_BAD_STE, or skipped with the DUT's reason (no vIOMMU)."""
    vd = scenario.param("dev", "1234:11e8")
    edu = find_pci(dut_info, vd)
    assert edu is not None, f"PCI device {vd} not found by `smmu-hil dut info`"
    bdf = edu["bdf"]
    sids = [_int(s) for s in edu.get("stream_ids", [])]
    sid = sids[0] if sids else None
    rc, out = dut.run("modprobe vfio-pci")
    if rc != 0:
        pytest.skip("no vfio-pci module on the DUT (the emulated DUT's image carries every "
                    "module only for DUT_KERNEL=lab; a server needs vfio-pci installed): "
                    f"{out.strip()}")
    rc, out = dut.run("test -c /dev/iommu")
    if rc != 0:
        pytest.skip("the DUT kernel has no /dev/iommu (CONFIG_IOMMUFD)")
    # the recorder on edu's STE (the module claims the device whatever its driver)
    dut.run("rmmod smmu_hil_inject 2>/dev/null")
    dut.run_check(f"insmod {MODULES}/smmu_hil_inject.ko bdf={bdf} rec_size={REC_SIZE}")
    agent.events_clear()
    moves, dwell = int(scenario.param("moves", 300)), int(scenario.param("dwell_us", 1000))
    cmd = (f"{AGENT} -j vmm nested-moves --dev {bdf} --moves {moves} --dwell-us {dwell} "
           f"--vsid {_int(scenario.param('vsid', 0x18))} --record")
    t0 = time.monotonic()
    rc, out = dut.run(cmd, timeout=120 + moves * (dwell / 1e6 + 0.05))
    metrics["run_s"] = round(time.monotonic() - t0, 2)
    (log_dir / "vmm-nested-moves.json").write_text(out)
    try:
        vmm = json.loads(out)
    except json.JSONDecodeError as e:
        raise AssertionError(f"`{cmd}` (rc {rc}) printed no JSON: {out.strip()[-1000:]}") from e
    ev = agent.events()
    records = ev.get("records", [])
    (log_dir / "events.json").write_text(json.dumps(records))
    dut.run("rmmod smmu_hil_inject")
    j = nested_vmm.judge(vmm, records, sid)
    metrics.update(j.metrics)
    metrics["agent_rc"] = rc
    iort_upgrade = getattr(dut, "iort_upgrade", None)
    if iort_upgrade:
        metrics["iort_upgrade"] = iort_upgrade
    if j.status == "skip" and j.metrics.get("viommu_evidence"):
        v = nested_vmm.viommu_skip(j.reason, j.metrics["viommu_evidence"], iort_upgrade,
                                   emulated=dut.name.startswith("qemu"))
        assert v.status == "skip", v.reason
        j.reason = v.reason
    if j.status == "skip":
        if j.metrics.get("viommu_evidence"):
            # no vIOMMU: show that the VMM itself works (VFIO, DMA, recorder)
            # with replaces between two stage 2s; breaking by design, not judged
            agent.events_clear()
            dut.run_check(f"insmod {MODULES}/smmu_hil_inject.ko bdf={bdf} rec_size={REC_SIZE}")
            rc2, out2 = dut.run(f"{AGENT} -j vmm nested-moves --dev {bdf} --moves 60 "
                                f"--dwell-us {dwell} --s2-selftest --record", timeout=300)
            dut.run("rmmod smmu_hil_inject")
            (log_dir / "vmm-s2-selftest.json").write_text(out2)
            try:
                st = nested_vmm.selftest_summary(json.loads(out2))
            except json.JSONDecodeError:
                st = {"error": f"rc {rc2}: {out2.strip()[-300:]}"}
            st["events_C_BAD_STE"] = nested_vmm.event_counts(
                agent.events().get("records", []), sid).get("C_BAD_STE", 0)
            metrics["s2_selftest"] = st
        pytest.skip(j.reason)
    assert not event_loss(ev), event_loss(ev)
    assert j.status == "pass", j.reason
