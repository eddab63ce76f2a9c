"""The nested-update-safe bug scenario's verdict (scenarios/bugs/nested-update-safe.yaml).

The DUT's agent acts as a minimal VMM (`smmu-hil -j vmm nested-moves
--record`, harness/agent/vmm.c): edu on vfio-pci, an S2 nesting parent, a
vIOMMU, nested HWPTs from vSTEs, replaces between them under edu DMA. Its
JSON carries the recorder's physical STE updates paired with the oracle's
plans with and without update-safe bits ("record"), or "skip" with the
reason the DUT cannot (no vIOMMU: the kernel's conditions and the DUT's
IDR3 / IORT evidence). The event monitor's records give the C_BAD_STEs.

The verdict comes from what the DUT did: a recorded breaking replace (a
sync saw V=0 between two valid STEs) or a C_BAD_STE on the device's
StreamID fails it; the recorder is the deterministic part (edu makes one
DMA access per 100 ms copy, so a V=0 window may or may not be met).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


class VmmOutputError(ValueError):
    """The agent's answer is not a nested-moves report."""


@dataclass
class Judgement:
    """@status: pass, fail or skip; @reason: why (empty on pass); @metrics: for the report."""

    status: str
    reason: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)


def event_counts(records: list[dict[str, Any]], sid: int | None = None) -> Counter[str]:
    """Event records by name ("C_BAD_STE": 3, ...); only @sid's when given."""
    return Counter(str(r.get("name", "?")) for r in records
                   if sid is None or r.get("sid") == sid)


def _pairs(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The distinct recorded replaces, each with both oracle plans, for the report."""
    out = []
    for d in record.get("distinct", []):
        safe = d.get("oracle_update_safe") or {}
        plain = d.get("oracle_no_update_safe") or {}
        out.append({"transition": d.get("transition"), "count": d.get("count"),
                    "kernel_steps": d.get("kernel_steps"), "breaking": d.get("breaking"),
                    "match": d.get("match"),
                    "oracle_update_safe": f"{safe.get('path')}:{safe.get('steps')}",
                    "oracle_no_update_safe": f"{plain.get('path')}:{plain.get('steps')}"})
    return out


def judge(vmm: Any, records: list[dict[str, Any]], sid: int | None) -> Judgement:
    """The verdict on one nested-moves run: @vmm the agent's JSON, @records
    the event monitor's records taken after it, @sid the device's StreamID.

    Raises VmmOutputError when @vmm is neither a skip nor a report.
    """
    if not isinstance(vmm, dict):
        raise VmmOutputError(f"not a JSON object: {vmm!r:.200}")
    if "error" in vmm:
        raise VmmOutputError(f"the agent failed: {vmm['error']}")
    steps = vmm.get("steps") or []
    m: dict[str, Any] = {"vmm_steps": [f"{s.get('step')}: {'ok' if s.get('ok') else s.get('error')}"
                                       for s in steps if isinstance(s, dict)]}
    if "skip" in vmm:
        if isinstance(vmm.get("evidence"), dict):
            m["viommu_evidence"] = vmm["evidence"]
        return Judgement("skip", str(vmm["skip"]), m)
    if "verdict" not in vmm or "moves" not in vmm:
        raise VmmOutputError(f"no verdict or moves in the agent's answer: {sorted(vmm)}")
    ev = event_counts(records, sid)
    moves = vmm["moves"]
    m.update(moves=moves.get("done"), moves_requested=moves.get("requested"),
             moves_ms=round(float(moves.get("ms", 0.0)), 1),
             events=sum(ev.values()), events_C_BAD_STE=ev.get("C_BAD_STE", 0))
    dma = vmm.get("dma") or {}
    m.update(dma_round_trips=dma.get("round_trips"), dma_errors=dma.get("data_errors"),
             dma_timeouts=dma.get("timeouts"))
    rec = vmm.get("record")
    problems = []
    if not isinstance(rec, dict):
        problems.append("no recording of the physical STE writes")
    else:
        m.update(replaces=rec.get("replaces"), hitless=rec.get("hitless"),
                 breaking=rec.get("breaking"), pairs=_pairs(rec))
        broken = [p for p in m["pairs"] if p["breaking"]]
        if rec.get("breaking"):
            problems.append(f"{rec['breaking']} of {rec.get('replaces')} replaces breaking (V=0 "
                            "step recorded): " + "; ".join(
                                f"{p['transition']} x{p['count']}: kernel{p['kernel_steps']}, "
                                f"oracle with update-safe {p['oracle_update_safe']}, without "
                                f"{p['oracle_no_update_safe']}" for p in broken))
        elif not rec.get("replaces"):
            problems.append("the recorder saw no replace (nothing was judged)")
    if ev.get("C_BAD_STE"):
        problems.append(f"{ev['C_BAD_STE']} C_BAD_STE on SID "
                        f"{hex(sid) if sid is not None else '?'} under DMA")
    if vmm.get("verdict") == "fail" and vmm.get("reason") and not problems:
        problems.append(str(vmm["reason"]))
    if dma.get("data_errors") or dma.get("timeouts"):
        problems.append(f"edu DMA: {dma.get('data_errors')} data errors, "
                        f"{dma.get('timeouts')} timeouts")
    return Judgement("fail" if problems else "pass", "; ".join(problems), m)


IORT_OPTION = ("IORT_CANWBS=1 (env SMMU_HIL_IORT_CANWBS=1: QEMU's own IORT upgraded to declare "
               "CANWBS on the root complex through the kernel's ACPI table upgrade via "
               "initrd; docs/lab.md)")


def viommu_skip(reason: str, evidence: dict[str, Any] | None, iort_upgrade: str | None,
                emulated: bool) -> Judgement:
    """What a run without a vIOMMU (the agent's skip @reason and its
    @evidence: idr3_fwb, iort_root_complexes[].canwbs) means on this DUT:
    @iort_upgrade the target's IORT upgrade ("CANWBS" when the running kernel
    took it, else None), @emulated True for the QEMU DUT.

    A skip naming the way out (the emulated DUT's IORT option; a real
    server's firmware CANWBS or an SMMU with S2FWB), or a fail when the DUT
    declares CANWBS (the option taken, or the IORT shows it) and the kernel
    still refuses the vIOMMU: the option cannot then be what it promises."""
    ev = evidence or {}
    rcs = ev.get("iort_root_complexes") or []
    canwbs = bool(rcs) and all(bool(r.get("canwbs")) for r in rcs)
    if iort_upgrade or canwbs:
        return Judgement("fail", f"{reason}; yet the DUT declares CANWBS ("
                         f"{'IORT upgrade ' + iort_upgrade + ' taken' if iort_upgrade else 'IORT'}"
                         f", root complexes {rcs}): the kernel refused the vIOMMU for "
                         "another reason")
    if emulated:
        return Judgement("skip", f"{reason}; the emulated DUT gets CANWBS with {IORT_OPTION}")
    return Judgement("skip", f"{reason}; a real server needs firmware whose IORT declares "
                     "CANWBS for the device's root complex, or an SMMU with SMMU_IDR3.FWB")


def selftest_summary(vmm: Any) -> dict[str, Any]:
    """What `vmm nested-moves --s2-selftest --record` showed of the VMM's
    machinery where the DUT has no vIOMMU (replaces between two stage 2s:
    breaking by design, reported, never judged): moves, DMA round trips and
    errors, and the recorded transitions with the oracle's match; or
    {"error": ...} when it did not run."""
    if not isinstance(vmm, dict) or vmm.get("mode") != "s2-selftest":
        err = vmm.get("error") or vmm.get("skip") if isinstance(vmm, dict) else None
        return {"error": str(err or f"not a selftest report: {vmm!r:.200}")}
    rec = vmm.get("record") or {}
    dma = vmm.get("dma") or {}
    return {"moves": (vmm.get("moves") or {}).get("done"),
            "dma_round_trips": dma.get("round_trips"), "dma_errors": dma.get("data_errors"),
            "replaces": rec.get("replaces"), "breaking": rec.get("breaking"),
            "recorded": [f"{d.get('transition')} x{d.get('count')}:{d.get('kernel_steps')} "
                         f"({d.get('match')})" for d in rec.get("distinct", [])]}
