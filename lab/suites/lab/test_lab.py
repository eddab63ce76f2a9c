"""The lab suite: the lab's own plumbing on a DUT (targets, power, console).

`ssh-ipmi`, `panic-recovery` and `protected-devices` need the ssh target (`make run-ssh`: lab/inventory/emulated-ssh.yaml,
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


@pytest.mark.scenario("panic-recovery")
def test_panic_recovery(dut: Target, scenario: Scenario, metrics: dict[str, Any],
                        progress: Any) -> None:
    """Iterations of a small workload; one forced panic is detected by the
    console watchdog, recorded as that iteration's failure and recovered by
    an IPMI power cycle; the run completes."""
    import time

    from smmu_hil_lab.targets.ssh import SshTarget
    from smmu_hil_lab.watchdog import Fault, run_iterations
    if not isinstance(dut, SshTarget):
        pytest.skip(f"needs the ssh target (this run's is {dut.name})")
    n = int(scenario.param("iterations", 4))
    forced = int(scenario.param("panic_iteration", 2))
    wd = dut.watchdog
    wd.hang_s = float(scenario.param("hang_s", 60))
    assert wd.running, "the console watchdog is not running"
    trigger: dict[str, float] = {}

    def body(i: int, m: dict[str, Any]) -> None:
        out = dut.run_check("dd if=/dev/vda of=/dev/null bs=1M count=8 iflag=direct 2>&1; "
                            "cat /proc/sys/kernel/random/boot_id", 60)
        m["boot_id"] = out.strip().splitlines()[-1]
        assert Agent(dut).info().get("smmu"), "no SMMU in `dut info`"
        if i == forced:
            dut.run_check("echo 1 > /proc/sys/kernel/sysrq", 15)
            # detached so ssh returns; the panic follows one second later
            dut.run_check("(sleep 1; echo c > /proc/sysrq-trigger) </dev/null >/dev/null "
                          "2>&1 &", 15)
            trigger["at"] = time.monotonic() + 1.0
            fault = wd.wait_fault(60)
            assert fault is None, "unreachable: the panic fails this iteration"
            raise AssertionError("forced panic not detected within 60 s")

    def recover(fault: Fault | None) -> float:
        if fault is not None and "at" in trigger and "detect_s" not in metrics:
            metrics["detect_s"] = round(fault.at - trigger["at"], 2)
        return dut.power_cycle(float(scenario.param("cycle_timeout_s", 180)))

    its = run_iterations(n, body, wd, recover, progress)
    failed = [it for it in its if it.status == "fail"]
    metrics["iterations"] = len(its)
    metrics["failed_iterations"] = len(failed)
    metrics["recover_s"] = next((it.metrics.get("recover_s") for it in failed), None)
    metrics["per_iteration"] = [{"iteration": it.index, "status": it.status,
                                 "elapsed_s": it.elapsed_s, "reason": it.reason,
                                 **it.metrics} for it in its]
    assert len(its) == n, f"{len(its)} of {n} iterations ran"
    assert [it.index for it in failed] == [forced], \
        f"failed iterations {[it.index for it in failed]}, expected [{forced}]: " + \
        "; ".join(it.reason.splitlines()[0] for it in failed)
    assert "Kernel panic - not syncing" in failed[0].reason, \
        f"no panic text in the reason: {failed[0].reason[:500]}"
    ids = [it.metrics.get("boot_id") for it in its]
    assert ids[forced] != ids[forced - 1], "the DUT did not reboot after the panic"


@pytest.mark.scenario("protected-devices")
def test_protected_devices(dut: Target, scenario: Scenario, metrics: dict[str, Any]) -> None:
    """`smmu-hil run --device` on the SSH NIC and on the root disk: one error
    each, naming the device and why; nothing runs."""
    import json
    import shlex

    from smmu_hil_lab.targets.ssh import SshTarget
    if not isinstance(dut, SshTarget):
        pytest.skip(f"needs the ssh target (this run's is {dut.name})")
    scn = "/opt/smmu-hil/scenarios/transitions/raw-hitless.yaml"
    disk = str(scenario.param("disk", "/dev/vda"))
    cases = {
        "ssh_nic": (f"smmu-hil -j run --device {shlex.quote(str(scenario.param('nic')))} {scn}",
                    "carries this SSH session"),
        # the emulated DUT's / is an initramfs: tell the agent it is on @disk
        "root_disk": (f"b=/sys/class/block/{shlex.quote(disk.rsplit('/', 1)[-1])}; "
                      "SMMU_HIL_ROOT_DEV=$(cat $b/dev) smmu-hil -j run --device "
                      f"$(basename $(dirname $(readlink -f $b/device))) {scn}",
                      "holds the root file system"),
    }
    problems = []
    for key, (cmd, why) in cases.items():
        rc, out = dut.run(cmd, 60)
        try:
            err = json.loads(out).get("error", "")
        except (json.JSONDecodeError, AttributeError):
            err = out.strip()
        metrics[f"{key}_rc"] = rc
        metrics[f"{key}_error"] = err
        if rc != 2 or why not in err or "refusing" not in err:
            problems.append(f"{key}: rc {rc}, want 2 with '{why}': {err[:300]}")
    assert not problems, "; ".join(problems)
