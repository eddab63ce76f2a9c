"""The lab suite: the lab's own plumbing on a DUT (targets, power, console).

`ssh-ipmi` needs the ssh target (`make run-ssh`: lab/inventory/emulated-ssh.yaml,
the emulated DUT behind ipmi_sim); on another target it is skipped.
"""
from __future__ import annotations

from typing import Any

import pytest

from smmu_hil_lab.agent import Agent, smmu_features
from smmu_hil_lab.scenario import Scenario
from smmu_hil_lab.targets import Target


@pytest.mark.scenario("ssh-ipmi")
def test_ssh_ipmi(lab_target: Target, dut: Target, scenario: Scenario,
                  metrics: dict[str, Any]) -> None:
    """IPMI power-on to SSH, the agent over SSH, an IPMI power cycle and back."""
    from smmu_hil_lab.targets.ssh import SshTarget
    if not isinstance(dut, SshTarget):
        pytest.skip(f"needs the ssh target (this run's is {dut.name})")
    metrics["power_on_to_ssh_s"] = round(lab_target.first_boot_s or 0.0, 2)
    assert dut.power.is_on(), "BMC reports power off while SSH answers"
    info = Agent(dut).info()
    feats = smmu_features(info)
    metrics["smmu_features"] = len(feats)
    assert feats, f"`smmu-hil dut info` over SSH shows no SMMU features: {info}"
    before = dut.run_check("cat /proc/sys/kernel/random/boot_id").strip()
    metrics["cycle_s"] = round(dut.power_cycle(float(scenario.param("cycle_timeout_s", 180))), 2)
    after = dut.run_check("cat /proc/sys/kernel/random/boot_id").strip()
    assert after != before, "the DUT did not reboot across the power cycle"
    assert Agent(dut).info().get("smmu"), "no SMMU after the power cycle"
    metrics["sol_ready_lines"] = dut.console.tail(200000).count("smmu-hil: DUT ready")
