"""The transitions suite: one test per scenarios/transitions/*.yaml.

Agent scenarios (the ones with `mode`) run on the DUT itself (`smmu-hil run`,
docs/scenarios.md), so a vendor can run them on a bare server; this suite
runs each through the agent and carries its status, reason and metrics into
the report. The lab runs the workloads a scenario declares besides the
agent's edu-dma (fio with verify on the disk, iperf3 to a peer on the host)
around it; a workload error fails the test. Raw mode needs the injector with
`allow_raw=1`, and breaking updates flood the event ring, so the suite loads
the injector and gives the event monitor a large ring first.

Scenarios that declare `devices` (kinds: edu, disk, nic) run once per
device under transition of those kinds (the target's list, or the
inventory's `devices`, lab/smmu_hil_lab/devices.py), named NAME@LABEL:
`smmu-hil run --device` on the DUT with the injector claiming that device,
the device's own traffic checking it (edu round trips; fio crc32c verify
on a disk; iperf3, ping and the interface counters on a NIC), measured
once without transitions for the throughput ratio. Breaking scenarios run
last on devices other than edu: a device whose emulation or driver cannot
recover from an aborted access stays broken, so the DUT is rebooted after.

Lab scenarios (no `mode`) have their own tests here: evtmon-cost,
raw-kill-restore.
"""
from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any, Callable

import pytest

from smmu_hil_lab import devices as devs, inventory, paths
from smmu_hil_lab.agent import Fio
from smmu_hil_lab.errors import ConsoleTimeout, LabError
from smmu_hil_lab.scenario import Scenario, is_lab_file, load
from smmu_hil_lab.targets import Target
from smmu_hil_lab.workloads import DeviceWorkload, Workloads, on_off_cost

SCENARIO_DIR = paths.SCENARIOS / "transitions"
_AGENT_FILES = {p.stem: load(p) for p in sorted(SCENARIO_DIR.glob("*.yaml")) if not is_lab_file(p)}
# scenario -> the device kinds it runs on (its `devices`); run per device
DEVICE_SCENARIOS = {n: tuple(s.param("devices")) for n, s in _AGENT_FILES.items()
                    if s.param("devices")}
# breaking: the scenario expects C_BAD_STE (a V=0 window the device meets)
BREAKING = {n for n, s in _AGENT_FILES.items()
            if "C_BAD_STE" in ((s.param("expect") or {}).get("expected_kinds") or [])}
AGENT_SCENARIOS = sorted(n for n in _AGENT_FILES if n not in DEVICE_SCENARIOS)
AGENT_DIR = "/opt/smmu-hil/scenarios/transitions"
MODULES = "/opt/smmu-hil/modules"
EVTMON = "smmu_hil_evtmon"
EVENT_RING = 262144          # records; a 1 ms V=0 window under edu DMA gives ~30 each
REC_SIZE = 65536             # recorder snapshots; driver-storm's 1,020 moves take ~15,000


def _prepare(dut: Target, bdf: str = "") -> None:
    """Load smmu_hil_inject (allow_raw=1) claiming @bdf (default: the edu
    device) and the event monitor with a large ring; nothing when they are
    loaded so already."""
    out = dut.run(f"cat /sys/module/{EVTMON}/parameters/ring_size 2>/dev/null || echo -; "
                  "cat /sys/module/smmu_hil_inject/parameters/bdf 2>/dev/null || echo @none; "
                  "cat /sys/module/smmu_hil_inject/parameters/rec_size 2>/dev/null || echo -")[1]
    vals = out.split()
    ring_ok = len(vals) == 3 and vals[0] == str(EVENT_RING)
    claimed = vals[1] if len(vals) == 3 else "@none"
    claimed = "" if claimed == "(null)" else claimed
    if ring_ok and claimed == bdf and vals[2] == str(REC_SIZE):
        return
    cmds = ["true"]
    if claimed != "@none":
        cmds.append("rmmod smmu_hil_inject")
    if not ring_ok:
        cmds.append(f"{{ rmmod {EVTMON} 2>/dev/null; true; }}")
        cmds.append(f"insmod {MODULES}/{EVTMON}.ko ring_size={EVENT_RING}")
    cmds.append(f"insmod {MODULES}/smmu_hil_inject.ko allow_raw=1 rec_size={REC_SIZE}"
                + (f" bdf={bdf}" if bdf else ""))
    rc, out = dut.run(" && ".join(cmds), timeout=60)
    assert rc == 0, f"cannot load the injector{' for ' + bdf if bdf else ''}: {out.strip()}"


def _edu_bound(dut: Target) -> bool:
    """Whether an edu device is bound to smmu_hil_edu on the DUT."""
    return dut.run("ls /sys/bus/pci/drivers/smmu_hil_edu/ 2>/dev/null | grep -q :")[0] == 0


def _run_agent(dut: Target, name: str, args: str, metrics: dict[str, Any]) -> dict[str, Any]:
    """`smmu-hil run -j ARGS` of scenario @name; its one test (name or name@DEV)."""
    rc, out = dut.run(f"smmu-hil run -j {args} {AGENT_DIR}/{name}.yaml", timeout=900)
    try:
        doc = json.loads(out)
    except json.JSONDecodeError:
        pytest.fail(f"`smmu-hil run` (rc {rc}) printed no JSON: {out.strip()[-500:]}")
    if "error" in doc:
        pytest.fail(f"smmu-hil run: {doc['error']}")
    tests = [t for t in doc.get("tests", [])
             if t.get("name") == name or str(t.get("name")).startswith(name + "@")]
    assert len(tests) == 1, f"`smmu-hil run` reported {len(tests)} results for {name}"
    t = tests[0]
    metrics.update(t.get("metrics") or {})
    metrics["dut_duration_s"] = t.get("duration_s")
    return t


def collection_devices(config: pytest.Config) -> list[devs.TransitionDevice]:
    """The devices under transition the suite generates tests for: the
    inventory DUT's `devices`, else the emulated DUT's (without edu on the
    qemu-noedu target); none for a real server without `devices`."""
    inv = config.getoption("shl_inventory", None)
    target = config.getoption("shl_target", "qemu")
    if inv:
        dut = inventory.select(inv)
        if dut.devices is not None:
            return list(dut.devices)
        if dut.target != "qemu":
            return []
    return devs.emulated_devices(edu=target != "qemu-noedu")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """test_device_transition: one test per (device scenario, device)."""
    if "device_label" not in metafunc.fixturenames:
        return
    pairs = devs.device_params(DEVICE_SCENARIOS, collection_devices(metafunc.config), BREAKING)
    metafunc.parametrize(("name", "device_label"), [
        pytest.param(n, d, marks=pytest.mark.scenario(n, device=d), id=f"{n}@{d}")
        for n, d in pairs])


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.scenario(n), id=n)
                                  for n in AGENT_SCENARIOS])
def test_transition_scenario(name: str, dut: Target, scenario: Scenario,
                             metrics: dict[str, Any], log_dir: Path,
                             progress: Callable[[str], None]) -> None:
    """Run one agent scenario on the DUT, with the lab's workloads around it;
    its verdict and the workloads' errors are this test's."""
    spec, args, claim = str(scenario.param("device", "edu")), "", ""
    if spec == "edu" and not _edu_bound(dut):
        pytest.skip("device edu: not bound to smmu_hil_edu (a DUT without edu: "
                    "docs/qualification-guide.md lists what runs without it)")
    if spec.startswith("workload."):
        # an inventory role: the lab knows which device plays it
        dev = devs.find(list(dut.transition_devices), spec)
        if dev is None or not dev.allow_transitions:
            pytest.skip(f"device {spec}: no device of target {dut.name} plays this role "
                        "with allow_transitions: true")
        args, claim = dev.agent_args(), ("" if dev.kind == "edu" else dev.pci)
    _prepare(dut, claim)
    wl = Workloads(dut, scenario.param("workloads") or [], log_dir=log_dir)
    if wl.names:
        progress(f"lab workloads: {', '.join(wl.names)}")
    with wl:
        t = _run_agent(dut, name, args, metrics)
    metrics.update(wl.metrics)
    if t.get("status") == "skip":
        pytest.skip(t.get("reason") or "skipped by the agent")
    problems = [] if t.get("status") == "pass" else \
        [t.get("reason") or f"agent status {t.get('status')!r}"]
    problems += wl.problems
    assert not problems, "; ".join(problems)


def test_device_transition(name: str, device_label: str, dut: Target, scenario: Scenario,
                           metrics: dict[str, Any], log_dir: Path,
                           progress: Callable[[str], None]) -> None:
    """Run a device scenario on one device under transition with its own
    traffic checking it; throughput without and with transitions."""
    dev = devs.find(list(dut.transition_devices), device_label)
    if dev is None:
        pytest.skip(f"no device {device_label} on target {dut.name}")
    if not dev.allow_transitions:
        pytest.skip(f"device {device_label} ({dev.pci}): the inventory does not allow "
                    "transitions on it (allow_transitions: true)")
    if dev.kind == "edu" and not _edu_bound(dut):
        pytest.skip("device edu: not bound to smmu_hil_edu (a DUT without edu)")
    metrics.update({"device_label": dev.label, "device_role": dev.role or None})
    breaking = name in BREAKING
    if scenario.param("mode") == "raw" or dev.kind == "edu":
        _prepare(dut, "" if dev.kind == "edu" else dev.pci)
    if dev.kind == "edu":
        t = _run_agent(dut, name, dev.agent_args(), metrics)
        problems: list[str] = []
    elif scenario.param("mode") == "driver":
        # the moves unbind the driver: no traffic during them; the data
        # written before is verified after, then written and verified again
        if dev.kind != "disk":
            pytest.skip(f"device {dev.label}: driver-mode moves run on edu and disks")
        wl = DeviceWorkload(dut, dev, False, log_dir=log_dir)
        wl.write_pattern()
        t = _run_agent(dut, name, dev.agent_args(), metrics)
        wl.verify_pattern("after_moves")
        wl.write_pattern()
        wl.verify_pattern("rewritten")
        metrics.update(wl.metrics)
        problems = wl.problems
    else:
        wl = DeviceWorkload(dut, dev, breaking, log_dir=log_dir)
        wl.baseline()
        progress(f"{dev.label} without transitions: {wl.without:.1f} "
                 f"{wl.metrics['throughput_unit']}")
        wl.start()
        console_lost = False
        try:
            t = _run_agent(dut, name, dev.agent_args(), metrics)
        finally:
            try:
                wl.stop()
            except ConsoleTimeout as e:
                if not breaking:
                    raise
                # a workload stuck on the broken device took the shell with it
                console_lost = True
                wl.metrics["workload_errors"] = f"the DUT's shell stopped answering: {e}"
            metrics.update(wl.metrics)
        problems = wl.problems
        if breaking:
            ok = not console_lost and wl.healthy()
            metrics["device_recovered"] = ok
            if not ok:
                metrics["recovery"] = (f"none: {dev.label} stopped moving data after the V=0 "
                                       "windows; the DUT was rebooted")
                progress(f"{dev.label} does not recover: rebooting the DUT")
                try:
                    dut.boot()
                except LabError as e:
                    problems.append(f"reboot after the breaking run failed: {e}")
    if t.get("status") == "skip":
        pytest.skip(t.get("reason") or "skipped by the agent")
    problems = ([] if t.get("status") == "pass" else
                [t.get("reason") or f"agent status {t.get('status')!r}"]) + problems
    assert not problems, "; ".join(problems)


def evtmon_params(dut: Target) -> str:
    """The loaded event monitor's parameters as insmod arguments ("ring_size=4096"),
    unset string parameters left out. Raises CommandError when it is not loaded."""
    out = dut.run_check(f"cd /sys/module/{EVTMON}/parameters && "
                        "for f in *; do printf '%s=%s\\n' $f \"$(cat $f)\"; done")
    args = [line.strip() for line in out.splitlines()
            if "=" in line and line.split("=", 1)[1].strip() not in ("", "(null)")]
    return " ".join(shlex.quote(a) for a in args)


def set_evtmon(dut: Target, on: bool, params: str) -> None:
    """Load (with @params) or unload the event monitor. Raises CommandError."""
    loaded = dut.run(f"grep -q '^{EVTMON} ' /proc/modules")[0] == 0
    if on and not loaded:
        dut.run_check(f"insmod {MODULES}/{EVTMON}.ko {params}", 60)
    elif not on and loaded:
        dut.run_check(f"rmmod {EVTMON}", 60)


@pytest.mark.scenario("evtmon-cost")
def test_evtmon_cost(dut: Target, scenario: Scenario, metrics: dict[str, Any],
                     progress: Callable[[str], None]) -> None:
    """fio random-read IOPS with the event monitor loaded and unloaded,
    interleaved (on/off, off/on, ...: with an even number of rounds each
    state runs first as often as second); the overhead of the medians.
    Passes when every run measured; the goal is the metric goal_met."""
    _prepare(dut, "" if _edu_bound(dut) else next(
        (d.pci for d in dut.transition_devices if d.kind == "disk"), ""))
    params = evtmon_params(dut)
    rounds = int(scenario.param("rounds", 4))
    args = str(scenario.param("fio"))
    fio = Fio(dut, "/dev/vda", "fio-cost")
    iops: dict[bool, list[float]] = {True: [], False: []}
    try:
        for r in range(rounds):
            for on in ((True, False) if r % 2 == 0 else (False, True)):
                set_evtmon(dut, on, params)
                res = fio.run(args, timeout=120)
                assert res.rc == 0 and res.error == 0 and res.read_iops > 0, \
                    f"fio (evtmon {'on' if on else 'off'}) rc {res.rc} error {res.error}, " \
                    f"{res.read_iops} IOPS: {res.log[-300:]}"
                iops[on].append(res.read_iops)
                progress(f"round {r + 1} evtmon {'on ' if on else 'off'}: "
                         f"{res.read_iops:.0f} IOPS")
    finally:
        set_evtmon(dut, True, params)
    metrics["evtmon_params"] = params
    assert evtmon_params(dut) == params, "the event monitor came back with other parameters"
    metrics.update(on_off_cost(iops[True], iops[False], float(scenario.param("goal_pct", 2))))


KILL_SCENARIO = ("name: kill-probe", "mode: raw", "entry: ste",
                 "transitions: [{{S1ContextPtr: shadow_cd, S1DSS: 1}}]",
                 "repeat: {repeat}", "dwell_us: {dwell_us}",
                 "expect: {{expected_kinds: [C_BAD_STE], dma_errors: allowed}}")


def _live_ste(dut: Target) -> list[str]:
    """The claimed device's live STE qwords (`smmu-hil inject show -j`)."""
    q = dut.run_json("smmu-hil -j inject show")["ste"]["q"]
    return q.split(",") if isinstance(q, str) else [str(x) for x in q]


@pytest.mark.scenario("raw-kill-restore")
def test_raw_kill_restore(dut: Target, scenario: Scenario, metrics: dict[str, Any],
                          progress: Callable[[str], None]) -> None:
    """SIGKILL the agent in the middle of a raw breaking sequence with long
    dwells, on each edu/disk device under transition without traffic: the
    device's STE must be the driver's again, and raw mode still usable."""
    targets = [d for d in dut.transition_devices if d.allow_transitions and
               (d.kind == "disk" or (d.kind == "edu" and _edu_bound(dut)))]
    if not targets:
        pytest.skip(f"target {dut.name}: no edu or disk device under transition")
    lines = [x.format(repeat=int(scenario.param("repeat", 100)),
                      dwell_us=int(scenario.param("dwell_us", 100000))) for x in KILL_SCENARIO]
    dut.run_check(f"printf '%s\\n' {' '.join(shlex.quote(x) for x in lines)} "
                  ">/tmp/kill-probe.yaml")
    wait = float(scenario.param("kill_after_s", 3))
    problems = []
    for d in targets:
        _prepare(dut, "" if d.kind == "edu" else d.pci)
        before = _live_ste(dut)
        rc, out = dut.run(
            f"(smmu-hil run {d.agent_args()} /tmp/kill-probe.yaml >/tmp/kill-probe.out 2>&1 &"
            f" echo $! >/tmp/kill-probe.pid); sleep {wait}; p=$(cat /tmp/kill-probe.pid); "
            "kill -0 $p && kill -9 $p && echo killed-mid-run; n=0; "
            "while kill -0 $p 2>/dev/null && [ $n -lt 50 ]; do sleep 0.2; n=$((n+1)); done; "
            "! kill -0 $p 2>/dev/null && echo gone", timeout=60)
        after = _live_ste(dut)
        killed, gone = "killed-mid-run" in out, "gone" in out
        restored = after == before
        metrics[f"{d.label}_killed_mid_run"] = killed
        metrics[f"{d.label}_agent_gone"] = gone
        metrics[f"{d.label}_ste_before"] = ",".join(before[:2])
        metrics[f"{d.label}_ste_after"] = ",".join(after[:2])
        metrics[f"{d.label}_restored"] = restored
        progress(f"{d.label}: killed mid-run {killed}, STE restored {restored}")
        if not killed:
            problems.append(f"{d.label}: the agent was not running after {wait:.0f}s "
                            f"(kill came too late): {dut.run('cat /tmp/kill-probe.out')[1][-300:]}")
        if not gone:
            problems.append(f"{d.label}: the killed agent did not exit within 10s")
        if not restored:
            problems.append(f"{d.label}: STE {after} after the kill, {before} before")
        # raw mode still works (a failed restore would refuse it: -EIO)
        rc, out = dut.run(f"smmu-hil run {d.agent_args()} {AGENT_DIR}/raw-hitless.yaml",
                          timeout=300)
        metrics[f"{d.label}_raw_after_kill"] = "pass" if rc == 0 else f"rc {rc}"
        if rc != 0:
            problems.append(f"{d.label}: raw-hitless after the kill: rc {rc}: {out[-300:]}")
    assert not problems, "; ".join(problems)
