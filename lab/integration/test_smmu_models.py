"""One real boot of the emulated DUT per SMMU model (nested, s1, s2): the
SMMU the DUT sees (IDR0 through `smmu-hil dut info`, and the driver's probe
line) is the model the lab asked QEMU for, and a machine whose SMMU is not
the one asked for is caught at boot. Needs QEMU >= 9.2 (`make setup`
installs QEMU 10), `make setup` and `make` (the Makefile's test-dut target).
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Iterator

import pytest

from smmu_hil_lab import smmu_model as sm
from smmu_hil_lab.agent import Agent
from smmu_hil_lab.targets.qemu import QemuTarget


@pytest.fixture
def boot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator:
    """Factory: a booted QemuTarget of model @model (extra QEMU arguments
    appended); shut down afterwards."""
    monkeypatch.delenv(sm.ENV, raising=False)
    made: list[QemuTarget] = []

    def make(model: str, *extra: str) -> tuple[QemuTarget, float]:
        t = QemuTarget(tmp_path / model, smmu_model=model)
        made.append(t)
        t.machine.extra_args += list(extra)
        start = time.monotonic()
        t.boot()
        return t, time.monotonic() - start

    yield make
    for t in made:
        t.shutdown()


@pytest.mark.parametrize("model", sm.MODELS)
def test_boot_gives_the_model_asked_for(boot, model: str) -> None:
    t, seconds = boot(model)
    info = Agent(t).info()
    seen = sm.observe_agent(info)
    assert len(seen) == 1, info.get("smmu")
    idr0 = int(info["smmu"][0]["idr"]["regs"]["IDR0"], 16)
    assert (bool(idr0 & 2), bool(idr0 & 1)) == sm.STAGES[model], hex(idr0)    # S1P, S2P
    # the driver probed the same stages
    log = t.run("dmesg", raw=True)[1]
    assert [s["model"] for s in sm.observe_dmesg(log)] == [model], log[-2000:]
    assert t.check_smmu_model(info) == model
    print(f"smmu model {model}: IDR0 0x{idr0:08x}, DUT ready in {seconds:.1f} s "
          f"(QEMU {t.describe()['qemu']})")


def test_a_stage_qemu_does_not_give_is_caught(boot) -> None:
    """QEMU takes a later -global over the model's and says nothing: the
    lab asked for s1, the SMMU is stage 2 only."""
    t, _ = boot("s1", "-global", "arm-smmuv3.stage=2")
    with pytest.raises(sm.SmmuModelMismatch, match=r"asked for s1 .* S1P=0 S2P=1 "
                       r"\(stage 2 only\)"):
        t.check_smmu_model(Agent(t).info())
