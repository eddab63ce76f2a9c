"""nested_vmm.judge(): the nested-update-safe verdict from the agent's VMM
report and the event monitor's records (scenarios/bugs/nested-update-safe.yaml)."""
from __future__ import annotations

import copy

import pytest

from smmu_hil_lab import nested_vmm, paths
from smmu_hil_lab.scenario import load

SID = 0x18

# What `smmu-hil -j vmm nested-moves` printed on the emulated DUT (QEMU
# 10.0.2 nested model, lab kernel 7.2.12): the vIOMMU refused.
SKIP = {
    "steps": [{"step": "bind vfio-pci", "ok": True, "detail": "smmu_hil_edu"},
              {"step": "VFIO_DEVICE_BIND_IOMMUFD", "ok": True},
              {"step": "IOMMU_HWPT_ALLOC nesting parent (S2)", "ok": True},
              {"step": "IOMMU_VIOMMU_ALLOC ARM_SMMUV3", "ok": False, "errno": 95,
               "error": "Operation not supported"}],
    "dev": "0000:00:03.0",
    "evidence": {"idr3": "0x00000000", "idr3_fwb": 0,
                 "iort_root_complexes": [{"segment": 0, "memory_access_flags": 3,
                                          "canwbs": False}]},
    "skip": "IOMMU_VIOMMU_ALLOC: EOPNOTSUPP: this SMMU offers no vIOMMU ...",
    "verdict": "skip",
}


def pair(transition: str, count: int, breaking: bool, match: str, steps: str) -> dict:
    return {"transition": transition, "kernel_steps": steps, "count": count,
            "breaking": breaking, "match": match,
            "oracle_update_safe": {"path": "hitless", "steps": " q1 | q0", "equal": not breaking},
            "oracle_no_update_safe": {"path": "breaking", "steps": " q0 | q1 | q0",
                                      "equal": breaking}}


def report(breaking: bool) -> dict:
    """300 replaces; on a kernel without update-safe bits the 200 replaces
    to and from the vSTE bypass (S2-only STE) are breaking."""
    steps = " q0 | q1 | q0" if breaking else " q1 | q0"
    match = "no-update-safe" if breaking else "update-safe"
    return {
        "steps": [], "dev": "0000:00:03.0",
        "moves": {"requested": 300, "done": 300, "ms": 812.4},
        "dma": {"round_trips": 4, "data_errors": 0, "timeouts": 0},
        "record": {"snapshots": 1500, "replaces": 300, "hitless": 100 if breaking else 300,
                   "breaking": 200 if breaking else 0,
                   "distinct": [pair("s2 -> nested", 100, breaking, match, steps),
                                pair("nested -> s2", 100, breaking, match, steps),
                                pair("nested -> nested", 100, False, "both", " q1")]},
        "verdict": "fail" if breaking else "pass",
    }


def cbad(n: int, sid: int = SID) -> list[dict]:
    return [{"name": "C_BAD_STE", "sid": sid, "id": 4}] * n


def test_stock_passes():
    j = nested_vmm.judge(report(False), [], SID)
    assert j.status == "pass" and j.reason == ""
    assert j.metrics["replaces"] == 300 and j.metrics["breaking"] == 0
    assert j.metrics["events_C_BAD_STE"] == 0 and j.metrics["moves"] == 300
    assert [p["match"] for p in j.metrics["pairs"]] == ["update-safe", "update-safe", "both"]
    assert j.metrics["pairs"][0]["oracle_no_update_safe"] == "breaking: q0 | q1 | q0"


def test_mutant_fails_on_the_recording_alone():
    """No event (edu met no V=0 window): the recorded V=0 steps decide."""
    j = nested_vmm.judge(report(True), [], SID)
    assert j.status == "fail"
    assert j.reason.startswith("200 of 300 replaces breaking (V=0 step recorded): s2 -> nested x100")
    assert "oracle with update-safe hitless: q1 | q0" in j.reason
    assert "nested -> nested" not in j.reason


def test_c_bad_ste_fails_even_with_a_clean_recording():
    j = nested_vmm.judge(report(False), cbad(3) + cbad(5, sid=0x10), SID)
    assert j.status == "fail" and j.reason == "3 C_BAD_STE on SID 0x18 under DMA"
    assert j.metrics["events_C_BAD_STE"] == 3 and j.metrics["events"] == 3


def test_both_reasons_and_dma_errors():
    r = report(True)
    r["dma"].update(data_errors=2, timeouts=1)
    j = nested_vmm.judge(r, cbad(1), SID)
    assert j.status == "fail"
    parts = j.reason.split("; ")
    assert parts[0].startswith("200 of 300") and parts[-2:] == [
        "1 C_BAD_STE on SID 0x18 under DMA", "edu DMA: 2 data errors, 1 timeouts"]


def test_no_recording_or_nothing_recorded_fails():
    r = report(False)
    del r["record"]
    assert nested_vmm.judge(r, [], SID).reason == "no recording of the physical STE writes"
    r = report(False)
    r["record"].update(replaces=0, hitless=0, distinct=[])
    j = nested_vmm.judge(r, [], SID)
    assert j.status == "fail" and "saw no replace" in j.reason


def test_refused_replace_fails_with_the_agents_reason():
    r = report(False)
    r.update(verdict="fail", reason="a replace was refused")
    r["moves"]["done"] = 7
    j = nested_vmm.judge(r, [], SID)
    assert j.status == "fail" and j.reason == "a replace was refused"


def test_skip_keeps_the_evidence():
    j = nested_vmm.judge(copy.deepcopy(SKIP), [], SID)
    assert j.status == "skip" and j.reason.startswith("IOMMU_VIOMMU_ALLOC: EOPNOTSUPP")
    assert j.metrics["viommu_evidence"]["iort_root_complexes"][0]["canwbs"] is False
    assert j.metrics["vmm_steps"][-1] == "IOMMU_VIOMMU_ALLOC ARM_SMMUV3: Operation not supported"


def test_viommu_skip_names_the_way_out():
    j = nested_vmm.judge(copy.deepcopy(SKIP), [], SID)
    ev = j.metrics["viommu_evidence"]
    # the emulated DUT without the option: the kernel's reason, then the option
    v = nested_vmm.viommu_skip(j.reason, ev, None, emulated=True)
    assert v.status == "skip" and v.reason.startswith(j.reason)
    assert "IORT_CANWBS=1" in v.reason and "SMMU_HIL_IORT_CANWBS=1" in v.reason
    # a real server: firmware CANWBS or S2FWB
    v = nested_vmm.viommu_skip(j.reason, ev, None, emulated=False)
    assert v.status == "skip" and "IORT_CANWBS" not in v.reason
    assert "CANWBS" in v.reason and "IDR3.FWB" in v.reason
    # the option taken, or the IORT showing CANWBS, and still no vIOMMU: a failure
    v = nested_vmm.viommu_skip(j.reason, ev, "CANWBS", emulated=True)
    assert v.status == "fail" and "IORT upgrade CANWBS taken" in v.reason
    ev2 = copy.deepcopy(ev)
    ev2["iort_root_complexes"][0]["canwbs"] = True
    assert nested_vmm.viommu_skip(j.reason, ev2, None, emulated=False).status == "fail"


@pytest.mark.parametrize("bad", [[], "x", {"error": "no edu device"}, {"steps": []}])
def test_not_a_report(bad):
    with pytest.raises(nested_vmm.VmmOutputError):
        nested_vmm.judge(bad, [], SID)


def test_event_counts_by_sid():
    recs = cbad(2) + [{"name": "F_TRANSLATION", "sid": SID}] + cbad(1, sid=0x10)
    assert nested_vmm.event_counts(recs, SID) == {"C_BAD_STE": 2, "F_TRANSLATION": 1}
    assert nested_vmm.event_counts(recs)["C_BAD_STE"] == 3


def test_the_scenario_names_its_bug_and_mutant():
    s = load(paths.SCENARIOS / "bugs" / "nested-update-safe.yaml")
    assert s.requires == ("S1P", "S2P", "NESTED")
    assert s.bug["mutant"] == "kernel-config/mutants/a-no-update-safe.patch"
    assert s.bug["verdicts"] == {"stock": "pass", "mutant": "fail"}
    assert (paths.REPO / s.bug["mutant"]).is_file()


# `vmm nested-moves --s2-selftest --moves 200 --dwell-us 5000 --record` on the
# emulated DUT (lab kernel 7.2.12-lab-48579504)
SELFTEST = {
    "steps": [], "dev": "0000:00:03.0", "mode": "s2-selftest",
    "moves": {"requested": 200, "done": 200, "ms": 1121.04},
    "dma": {"round_trips": 6, "data_errors": 0, "timeouts": 0},
    "record": {"snapshots": 1802, "replaces": 200, "hitless": 0, "breaking": 200,
               "distinct": [{"transition": "s2 -> s2", "kernel_steps": " q0 | q2,q3 | q0",
                             "syncs": 3, "count": 200, "breaking": True, "match": "both"}]},
    "verdict": "pass",
}


def test_selftest_summary():
    st = nested_vmm.selftest_summary(SELFTEST)
    assert st == {"moves": 200, "dma_round_trips": 6, "dma_errors": 0, "replaces": 200,
                  "breaking": 200, "recorded": ["s2 -> s2 x200: q0 | q2,q3 | q0 (both)"]}
    assert nested_vmm.selftest_summary({"error": "vfio-pci is not loaded"}) == {
        "error": "vfio-pci is not loaded"}
    assert "error" in nested_vmm.selftest_summary(report(False))
    assert nested_vmm.selftest_summary(SKIP)["error"].startswith("IOMMU_VIOMMU_ALLOC")
