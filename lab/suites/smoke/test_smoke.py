"""The smoke suite: one test per scenarios/smoke/*.yaml, in this order.

Each test reads its parameters from its scenario, drives the DUT through the
`smmu-hil` agent and fio, and puts its numbers in `metrics`. A DUT that hangs
or crashes fails the running test (the console tail is the reason); the next
test gets a rebooted DUT.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

import pytest

from smmu_hil_lab import kunit
from smmu_hil_lab.agent import Agent, Fio, event_loss, find_pci, smmu_features
from smmu_hil_lab.scenario import Scenario
from smmu_hil_lab.targets import Target

scenario = pytest.mark.scenario


def _int(v: Any) -> int:
    """An integer from JSON: int, or a string in any base ("0x1000")."""
    return v if isinstance(v, int) else int(str(v), 0)


def _device(info: dict[str, Any], s: Scenario) -> dict[str, Any]:
    vd = s.param("dev", "1234:11e8")
    d = find_pci(info, vd)
    assert d is not None, f"PCI device {vd} not found by `smmu-hil dut info`"
    return d


@scenario("boot")
def test_boot(lab_target: Target, dut: Target, dut_info: dict[str, Any], scenario: Scenario,
              metrics: dict[str, Any]) -> None:
    """The SMMU probed and the DUT's PCI devices sit in IOMMU groups."""
    metrics["boot_s"] = round(lab_target.first_boot_s or 0.0, 2)
    feats = smmu_features(dut_info)
    metrics["smmu_features"] = feats
    metrics["smmus"] = len(dut_info.get("smmu", []))
    assert dut_info.get("smmu"), "no SMMU listed by `dut info`: the SMMU did not probe"
    assert feats, "the SMMU's IDR registers decode to no features"
    problems = []
    grouped = 0
    for vd in scenario.param("grouped", []):
        d = find_pci(dut_info, vd)
        if d is None:
            problems.append(f"{vd}: not on the PCI bus")
        elif d.get("iommu_group") in (None, "", -1):
            problems.append(f"{vd} at {d.get('bdf')}: in no IOMMU group")
        elif not d.get("stream_ids"):
            problems.append(f"{vd} at {d.get('bdf')}: no StreamID")
        else:
            grouped += 1
    metrics["grouped_devices"] = grouped
    assert not problems, "; ".join(problems)


@scenario("kunit-arm-smmu-v3")
def test_kunit_arm_smmu_v3(dut: Target, scenario: Scenario, metrics: dict[str, Any],
                           log_dir: Path, test_name: str) -> None:
    """arm-smmu-v3's KUnit suite on the DUT: every case in metric
    kunit_cases ({"case", "status", "reason"}); any failed case fails the
    test. Skipped on a kernel without KUnit or the module (kunit.skip_reason)."""
    module, suite = scenario.param("module", kunit.SMMU_V3_MODULE), \
        scenario.param("suite", kunit.SMMU_V3_SUITE)
    rel = dut.run_check("uname -r").strip()
    has_kunit = dut.run(f"test -d {kunit.DEBUGFS}")[0] == 0
    rc, found = dut.run(f"find /lib/modules/{rel} -name '{module}.ko*' | head -1")
    why = kunit.skip_reason(rel, has_kunit, found.strip() or None)
    if why:
        pytest.skip(why)
    # a rerun on the same boot: the suite runs when the module loads
    dut.run(f"rmmod {module} 2>/dev/null")
    t0 = time.monotonic()
    dut.run_check(f"modprobe {module}", timeout=300)
    metrics["load_s"] = round(time.monotonic() - t0, 2)
    results = f"{kunit.DEBUGFS}/{suite}/results"
    rc, text = dut.run(f"cat {results}", timeout=60, raw=True)
    if rc == 0 and not kunit.ran_cases(text, suite):
        # kunit.autorun=0: the suite waits for its debugfs "run" file
        metrics["run_by"] = "debugfs"
        dut.run_check(f"echo 1 > {kunit.DEBUGFS}/{suite}/run", timeout=300)
        rc, text = dut.run(f"cat {results}", timeout=60, raw=True)
    dut.run(f"rmmod {module}")
    # one file per test name: a plan's phases (kernels) each keep their own
    (log_dir / f"{test_name}.ktap").write_text(text)
    assert rc == 0, f"no KUnit results for {suite} in debugfs: {text.strip()[-500:]}"
    res, rows = kunit.suite_cases(text, suite)
    metrics["kunit_suite"] = suite
    metrics["kunit_cases"] = rows
    for st in ("pass", "fail", "skip"):
        metrics[f"cases_{st}"] = sum(r["status"] == st for r in rows)
    failed = [r["case"] for r in rows if r["status"] == "fail"]
    assert not failed, f"KUnit {suite}: {len(failed)} of {len(rows)} failed: {', '.join(failed)}"
    assert res.status != "fail", f"KUnit {suite} failed: {'; '.join(res.diagnostics[-3:])}"


@scenario("dma-translated")
def test_dma_translated(agent: Agent, dut_info: dict[str, Any], scenario: Scenario,
                        metrics: dict[str, Any]) -> None:
    """edu round trips through the default (stage 1) DMA domain, no events."""
    dev = _device(dut_info, scenario)["bdf"]
    count = int(scenario.param("count", 32))
    agent.events_clear()
    r = agent.dma_roundtrip(dev, int(scenario.param("len", 4000)), count)
    metrics.update(transfers=r.get("transfers"), errors=r.get("errors"), bytes=r.get("bytes"),
                   domain=r.get("domain"))
    ev = agent.events()
    records = ev.get("records", [])
    metrics.update(events=len(records), dropped=ev.get("dropped", 0),
                   overflows=ev.get("overflows", 0))
    assert not event_loss(ev), event_loss(ev)
    assert str(r.get("domain", "")).lower().startswith("dma"), \
        f"edu is in a {r.get('domain')!r} domain, not the default DMA (translated) domain"
    assert r.get("transfers") == count and r.get("errors") == 0, \
        f"{r.get('errors')} of {r.get('transfers')} round trips failed the data check"
    assert not records, f"{len(records)} unexpected events, first: {records[0]}"


def _read_faults(agent: Agent, sids: set[int], expected: set[int], injected: int,
                 settle_s: float) -> dict[str, int]:
    """Read events until every injected fault is accounted for or @settle_s
    passes. Returns captured / unexpected / dropped / overflows counts.
    """
    out = {"captured": 0, "unexpected": 0, "dropped": 0, "overflows": 0}
    deadline = time.monotonic() + settle_s
    while True:
        ev = agent.events()
        for rec in ev.get("records", []):
            if (rec.get("name") == "F_TRANSLATION" and rec.get("sid") in sids
                    and _int(rec.get("input_addr", -1)) in expected):
                out["captured"] += 1
            else:
                out["unexpected"] += 1
        out["dropped"] = max(out["dropped"], int(ev.get("dropped", 0)))
        out["overflows"] = max(out["overflows"], int(ev.get("overflows", 0)))
        if out["captured"] + out["unexpected"] >= injected or time.monotonic() > deadline:
            return out


@scenario("fault-accounting")
def test_fault_accounting(agent: Agent, dut_info: dict[str, Any], scenario: Scenario,
                          metrics: dict[str, Any]) -> None:
    """Every DMA to an unmapped IOVA is exactly one F_TRANSLATION record."""
    edu = _device(dut_info, scenario)
    sids = {_int(s) for s in edu.get("stream_ids", [])}
    assert sids, f"no StreamID known for {edu.get('bdf')}"
    agent.events_clear()
    f = agent.dma_fault(edu["bdf"], int(scenario.param("count", 128)))
    injected = int(f["injected"])
    base, stride = _int(f["iova_base"]), _int(f["stride"])
    expected = {base + i * stride for i in range(injected)}
    counts = _read_faults(agent, sids, expected, injected,
                          float(scenario.param("settle_s", 10)))
    metrics.update(injected=injected, **counts, stream_ids=sorted(sids))
    assert injected >= 100, f"only {injected} faults injected (need >= 100)"
    assert not event_loss(counts), event_loss(counts)
    assert counts["captured"] == injected, \
        f"captured {counts['captured']} F_TRANSLATION records for {injected} faults " \
        f"({counts['unexpected']} other records)"


@scenario("transitions-under-dma")
def test_transitions_under_dma(dut: Target, agent: Agent, dut_info: dict[str, Any],
                               scenario: Scenario, metrics: dict[str, Any],
                               progress: Callable[[str], None]) -> None:
    """STE transitions of edu with DMA between them, fio verifying meanwhile."""
    dev = _device(dut_info, scenario)["bdf"]
    count = int(scenario.param("count", 200))
    fio = Fio(dut, "/dev/vda", "fio-bg")
    agent.events_clear()
    fio.start(f"{scenario.param('fio')} --time_based --runtime={scenario.param('fio_max_s', 600)}")
    progress(f"fio running; {count} transitions of {dev} ({scenario.param('sequence')})")
    try:
        c = agent.domain_cycle(dev, str(scenario.param("sequence")), count,
                               timeout=float(scenario.param("timeout_s", 900)))
        metrics.update(transitions=c.get("transitions"), dma_errors=c.get("dma_errors"),
                       elapsed_s=c.get("elapsed_s"), per_type=c.get("per_type"))
        fio_alive = fio.running()
    finally:
        # always stop fio and account for it, even when the cycle failed
        res = fio.stop()
        metrics.update(res.metrics())
    ev = agent.events()
    records = ev.get("records", [])
    metrics.update(unexpected_events=len(records), dropped=ev.get("dropped", 0),
                   overflows=ev.get("overflows", 0))
    assert not event_loss(ev), event_loss(ev)
    assert fio_alive, f"fio ended before the transitions did: {res.log[-500:]}"
    assert int(c.get("transitions", 0)) >= count, \
        f"{c.get('transitions')} transitions done, {count} asked"
    assert c.get("dma_errors") == 0, f"{c.get('dma_errors')} DMA errors between transitions"
    assert res.verify_errors == 0 and res.error == 0, \
        f"fio: {res.verify_errors} verify failures, error {res.error}: {res.log[-500:]}"
    assert res.read_bytes > 0, "fio verified nothing (no verify reads)"
    assert not records, f"{len(records)} unexpected events, first: {records[0]}"


@scenario("kexec")
def test_kexec(dut: Target, agent: Agent, scenario: Scenario, metrics: dict[str, Any],
               progress: Callable[[str], None]) -> None:
    """Data written before kexec verifies after it; the SMMU probes again.

    The new kernel is loaded first, so the blackout (last disk I/O before to
    first after, on the virtual counter) covers only `kexec -e` to the first
    read of the new system.
    """
    fio = Fio(dut, "/dev/vda", "fio-kexec")
    args = str(scenario.param("fio"))
    w = fio.run(f"{args} --do_verify=0")
    assert w.rc == 0 and w.error == 0, f"fio write failed: {w.log[-500:]}"
    dut.kexec_load()
    before = agent.clock(io="/dev/vda")
    progress("kexec -e")
    metrics["kexec_to_ready_s"] = round(dut.kexec_exec(), 2)
    after = agent.clock(io="/dev/vda")
    ticks = _int(after["cntvct"]) - _int(before["cntvct"])
    metrics["blackout_ms"] = round(ticks / _int(before["cntfrq"]) * 1000, 1)
    info = agent.info()
    # the driver's probe line: "ias 44-bit, oas 44-bit (features 0x...)" up
    # to 6.x, "oas 44-bit (features 0x...)" on 7.x
    rc, probe = dut.run("dmesg | grep -c 'arm-smmu-v3.*(features 0x'")
    metrics["smmu_reprobed"] = bool(info.get("smmu")) and rc == 0 and int(probe or 0) > 0
    v = fio.run(f"{args} --verify_only")
    metrics["verify_errors"] = v.verify_errors + (1 if v.error and not v.verify_errors else 0)
    metrics["verified_mib"] = round(v.read_bytes / 2**20, 1)
    assert metrics["blackout_ms"] > 0, "the counter did not advance across kexec"
    assert metrics["smmu_reprobed"], "the SMMU did not probe after kexec"
    assert v.rc == 0 and metrics["verify_errors"] == 0, \
        f"fio verify after kexec: {v.verify_errors} failures, error {v.error}: {v.log[-500:]}"
    assert v.read_bytes >= w.write_bytes > 0, \
        f"fio verified {v.read_bytes} of {w.write_bytes} bytes written before kexec"
