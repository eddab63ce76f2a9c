"""The emulated DUT's SMMU model: which translation stages QEMU's SMMUv3 has.

    nested  stage 1 + stage 2 (and nesting)  -M virt,iommu=smmuv3 (QEMU >= 9.2)
    s1      stage 1 only                     -M virt-9.1,iommu=smmuv3 -global arm-smmuv3.stage=1
    s2      stage 2 only                     -M virt-9.1,iommu=smmuv3 -global arm-smmuv3.stage=2

The model is chosen by the inventory (`smmu_model:` of a qemu or emulated
DUT), else by the environment (SMMU_HIL_SMMU_MODEL, the Makefile's
SMMU_MODEL), else `nested`. QEMU accepts any `arm-smmuv3.stage` value
without a word (an unknown one acts as stage 1) and a QEMU older than 9.2
gives a stage-1 SMMU whatever the machine asks, so the lab checks at boot
what the DUT's SMMU reports (check()): SMMU_IDR0.S1P (bit 1) and S2P
(bit 0) from `smmu-hil dut info` (Arm IHI 0070, 6.3.1), or, when the agent
sees no SMMU, the arm-smmu-v3 driver's probe line (`features 0x...`:
ARM_SMMU_FEAT_TRANS_S1 bit 9, ARM_SMMU_FEAT_TRANS_S2 bit 10, the same on
every kernel the lab runs).
"""
from __future__ import annotations

import os
import re
from typing import Any, Mapping

from .errors import LabError

MODELS = ("nested", "s1", "s2")
DEFAULT = "nested"
ENV = "SMMU_HIL_SMMU_MODEL"
# the machine type whose SMMU still honours arm-smmuv3.stage (9.2 made
# `virt`'s SMMU nested whatever the property says)
STAGE_MACHINE = "virt-9.1"
MACHINE_OPTS = "iommu=smmuv3,gic-version=3"
# (S1P, S2P) of each model
STAGES = {"nested": (True, True), "s1": (True, False), "s2": (False, True)}
DESCRIPTION = {"nested": "stage 1 + stage 2 (nested)", "s1": "stage 1 only",
               "s2": "stage 2 only"}
# the arm-smmu-v3 driver's feature word at probe (arm_smmu_device_hw_probe)
DRIVER_FEAT_TRANS_S1 = 1 << 9
DRIVER_FEAT_TRANS_S2 = 1 << 10
_PROBE_LINE = re.compile(r"arm-smmu-v3 (\S+): .*\(features (0x[0-9a-fA-F]+)\)")


class SmmuModelError(LabError):
    """An unknown model name, or models chosen twice differently."""


class SmmuModelMismatch(LabError):
    """The DUT's SMMU is not the model the lab asked QEMU for."""


def validate(model: Any, where: str = "SMMU model") -> str:
    """@model if it is a known model name; raises SmmuModelError naming
    @where and the known names otherwise."""
    if not isinstance(model, str) or model not in MODELS:
        raise SmmuModelError(f"{where}: unknown SMMU model {model!r} "
                             f"(known: {', '.join(MODELS)})")
    return model


def from_env(env: Mapping[str, str] | None = None) -> str | None:
    """The model SMMU_HIL_SMMU_MODEL names (None when unset or empty).
    Raises SmmuModelError for an unknown name."""
    value = (os.environ if env is None else env).get(ENV, "")
    return validate(value, ENV) if value else None


def resolve(inventory: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """The model a run uses: the inventory's `smmu_model` (@inventory), the
    environment's SMMU_HIL_SMMU_MODEL, or DEFAULT. Raises SmmuModelError for
    an unknown name, or when both name a model and they differ (a run must
    not silently use another model than the one its caller asked for)."""
    chosen = from_env(env)
    if inventory is not None:
        validate(inventory, "inventory smmu_model")
        if chosen is not None and chosen != inventory:
            raise SmmuModelError(f"{ENV}={chosen} but the inventory DUT has smmu_model: "
                                 f"{inventory}; unset one of them")
        return inventory
    return chosen or DEFAULT


def machine_args(model: str) -> list[str]:
    """QEMU's -machine (and -global) arguments giving the SMMU @model.
    Raises SmmuModelError for an unknown model."""
    validate(model)
    if model == "nested":
        return ["-machine", f"virt,{MACHINE_OPTS}"]
    return ["-machine", f"{STAGE_MACHINE},{MACHINE_OPTS}",
            "-global", f"arm-smmuv3.stage={model[1]}"]


def hint(model: str, qemu_version: str | None) -> str:
    """How an emulated SMMU of @model was made, for a mismatch's message:
    the QEMU version (None: unknown) and the machine arguments."""
    return (f"QEMU {qemu_version or '?'} with {' '.join(machine_args(model))} (nested needs "
            f"QEMU 9.2 or later, s1 and s2 its {STAGE_MACHINE} machine; make setup installs "
            "QEMU 10)")


def from_qemu_args(args: list[str]) -> str | None:
    """The SMMU model a QEMU command line (@args, as machine_args() makes
    it) asks for: `virt` (9.2 and later) nested; `virt-9.1` (or older) the
    last -global arm-smmuv3.stage (1 by default; QEMU takes an unknown value
    for 1). None without -machine ...,iommu=smmuv3. What QEMU gave is only
    known from the SMMU itself (check())."""
    machine, stage = None, "1"
    for opt, val in zip(args, args[1:]):
        if opt in ("-machine", "-M"):
            machine = val
        elif opt == "-global" and val.startswith("arm-smmuv3.stage="):
            stage = val.split("=", 1)[1]
    if machine is None or "iommu=smmuv3" not in machine.split(",")[1:]:
        return None
    m = re.fullmatch(r"virt(?:-(\d+)\.(\d+))?", machine.split(",")[0])
    if m is None:
        return None
    if m.group(1) is None or (int(m.group(1)), int(m.group(2))) >= (9, 2) or stage == "nested":
        return "nested"
    return "s2" if stage == "2" else "s1"


def model_of(s1p: bool, s2p: bool) -> str | None:
    """The model name of an SMMU with these stages (None: no stage at all)."""
    for name, stages in STAGES.items():
        if stages == (bool(s1p), bool(s2p)):
            return name
    return None


def observe_agent(info: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The SMMUs of a `smmu-hil dut info` answer as [{"name", "s1p", "s2p",
    "model", "evidence"}] (evidence: "IDR0=0x..."); [] when it lists none."""
    out = []
    for s in info.get("smmu") or []:
        idr = s.get("idr") or {}
        feats = set(idr.get("features") or [])
        s1p, s2p = "S1P" in feats, "S2P" in feats
        out.append({"name": str(s.get("name") or "?"), "s1p": s1p, "s2p": s2p,
                    "model": model_of(s1p, s2p),
                    "evidence": f"IDR0={(idr.get('regs') or {}).get('IDR0', '?')}"})
    return out


def observe_dmesg(log: str) -> list[dict[str, Any]]:
    """The SMMUs the arm-smmu-v3 driver's probe lines in kernel log @log
    name, like observe_agent() (evidence: "driver features 0x...")."""
    out = []
    for m in _PROBE_LINE.finditer(log):
        word = int(m.group(2), 16)
        s1p, s2p = bool(word & DRIVER_FEAT_TRANS_S1), bool(word & DRIVER_FEAT_TRANS_S2)
        out.append({"name": m.group(1), "s1p": s1p, "s2p": s2p, "model": model_of(s1p, s2p),
                    "evidence": f"driver features {m.group(2)}"})
    return out


def check(asked: str, seen: list[dict[str, Any]], hint: str = "") -> str:
    """Compare the model the lab asked for with the SMMUs @seen
    (observe_agent() / observe_dmesg()). Returns the model on a match;
    raises SmmuModelMismatch with one message naming what was asked, what
    each SMMU reports and @hint (how the machine was made) otherwise, and
    when nothing was seen."""
    validate(asked)
    want = STAGES[asked]
    if not seen:
        raise SmmuModelMismatch(
            f"SMMU model {asked} ({DESCRIPTION[asked]}) asked, but neither `smmu-hil dut "
            f"info` nor the kernel log shows an SMMU{'; ' + hint if hint else ''}")
    bad = [s for s in seen if (s["s1p"], s["s2p"]) != want]
    if not bad:
        return asked
    got = "; ".join(f"{s['name']}: {s['evidence']}, S1P={int(s['s1p'])} S2P={int(s['s2p'])}"
                    f" ({DESCRIPTION.get(s['model'] or '', 'no translation stage')})"
                    for s in bad)
    raise SmmuModelMismatch(
        f"SMMU model mismatch: asked for {asked} ({DESCRIPTION[asked]}: S1P={int(want[0])} "
        f"S2P={int(want[1])}), the DUT's SMMU reports {got}. QEMU does not refuse a stage it "
        f"cannot give{'; ' + hint if hint else ''}")
