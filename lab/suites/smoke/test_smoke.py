"""The smoke suite: one test per scenarios/smoke/*.yaml, in this order.

Each test reads its parameters from its scenario, drives the DUT through the
`smmu-hil` agent and fio, and puts its numbers in `metrics`. A DUT that hangs
or crashes fails the running test (the console tail is the reason); the next
test gets a rebooted DUT.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from smmu_hil_lab import kunit, overflow
from smmu_hil_lab.agent import AGENT, Agent, Fio, event_loss, find_pci, smmu_features
from smmu_hil_lab.errors import CommandError
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


EVTMON = "smmu_hil_evtmon"
EVTMON_KO = "/opt/smmu-hil/modules/smmu_hil_evtmon.ko"


# the monitor's boot parameters, as the DUT's init passes them: from the
# kernel command line (smmu_hil_evtmon.PARAM=VALUE)
EVTMON_BOOT_PARAMS = ('p=; for a in $(cat /proc/cmdline); do case "$a" in '
                      f'{EVTMON}.*=*) p="$p ${{a#{EVTMON}.}}";; esac; done')


def _evtmon_reload(dut: Target, params: str) -> None:
    """Reload the event monitor with @params (module parameters)."""
    dut.run_check(f"rmmod {EVTMON} && insmod {EVTMON_KO} {params}".strip(), timeout=60)


def _evtmon_restore(dut: Target) -> None:
    """The event monitor back as the DUT booted it; never raises (a finally)."""
    dut.run(f"{AGENT} events hold --ms 0; rmmod {EVTMON}; {EVTMON_BOOT_PARAMS}; "
            f"insmod {EVTMON_KO} $p", timeout=60)


def _drained(agent: Agent, settle_s: float) -> dict[str, Any]:
    """`events stats` once the captured count stopped moving for two looks
    in a row (the driver drained the queue), or when @settle_s passed."""
    deadline = time.monotonic() + settle_s
    last, still = -1, 0
    while True:
        st = agent.events_stats()
        n = int(st.get("captured", 0))
        still = still + 1 if n == last else 0
        last = n
        if still >= 2 or time.monotonic() > deadline:
            return st
        time.sleep(1.0)


def _storm(agent: Agent, dev: str, chunks: int, extra: int, chunk: int, length: int,
           hold_ms: int, progress: Callable[[str], None]) -> tuple[int, int, dict[str, Any]]:
    """Faulting copies of @length bytes in chunks of @chunk, the hold renewed
    before each (its timer never ends the storm), until an overflow is
    counted and then @extra chunks more, at most @chunks + @extra. Returns
    (copies, chunks run after the first overflow, or -1 without one, the
    last `events stats`)."""
    copies, st, first = 0, {}, None
    for i in range(chunks + extra):
        agent.events_hold(hold_ms)
        copies += int(agent.dma_fault(dev, chunk, timeout=300, length=length)["injected"])
        st = agent.events_stats()
        progress(f"storm: {copies} copies, {int(st.get('overflows', 0))} overflow(s)")
        if first is None and int(st.get("overflows", 0)):
            first = i
        if first is not None and i - first >= extra:
            break
    return copies, -1 if first is None else i - first, st


# the agent's judge on a full queue: raw-breaking-dwell, short, every dwell
# long enough for edu's DMA loop to meet the V=0 window (C_BAD_STE records)
AGENT_LOSS_RUN = (
    "sed 's/^name: .*/name: evtq-loss/; s/^repeat: .*/repeat: 20/; s/^dwell_us: .*/dwell_us: 100000/' "
    "/opt/smmu-hil/scenarios/transitions/raw-breaking-dwell.yaml > /tmp/evtq-loss.yaml && "
    "insmod /opt/smmu-hil/modules/smmu_hil_inject.ko allow_raw=1 && "
    f"{{ {AGENT} -j run /tmp/evtq-loss.yaml; rmmod smmu_hil_inject; }}")


@scenario("evtq-overflow")
def test_evtq_overflow(dut: Target, agent: Agent, dut_info: dict[str, Any],
                       scenario: Scenario, metrics: dict[str, Any],
                       progress: Callable[[str], None]) -> None:
    """A real SMMU event-queue overflow, forced, is counted and judged as
    event loss with its count, by the lab's judge (overflow.judge_overflow)
    and by the agent's (`smmu-hil run` of a scenario that meets the full
    queue, overflow.check_agent_verdict)."""
    dev = _device(dut_info, scenario)["bdf"]
    length, chunk = int(scenario.param("len", 4095)), int(scenario.param("chunk", 32))
    max_copies, hold_ms = int(scenario.param("max_copies", 2048)), int(scenario.param("hold_ms", 60000))
    settle_s = float(scenario.param("settle_s", 120))
    rc, klog = dut.run("dmesg | grep 'entries for evtq'", timeout=60, raw=True)
    entries = overflow.evtq_entries(klog) if rc == 0 else None
    metrics["queue_entries"] = entries
    ring = 1 << 20 if entries is None else max(4096, min(1 << 20, 2 * entries))
    t0 = time.monotonic()
    _evtmon_reload(dut, f"ring_size={ring} evtq_hold_max_ms={hold_ms}")
    agent_test: dict[str, Any] = {}
    try:
        # records one copy yields, measured with the interrupt on
        agent.events_clear()
        agent.dma_fault(dev, 1, length=length)
        per_copy = int(_drained(agent, 30).get("captured", 0))
        metrics["records_per_copy"] = per_copy
        chunks = overflow.storm_chunks(entries, per_copy, chunk, max_copies)
        agent.events_clear()
        try:
            held = agent.events_hold(hold_ms)
        except CommandError as e:
            if "no SMMU event-queue interrupt" in str(e):
                pytest.skip(f"the driver takes events on no interrupt the monitor can hold: {e}")
            raise
        metrics["interrupts_held"] = held.get("held")
        # chunks still run after the first overflow: each copy into the full
        # queue is a new abort the driver acknowledges before the next, so the
        # monitor must count them one by one, not the flag's parity
        t_storm = time.monotonic()
        copies, after, st = _storm(agent, dev, chunks, int(scenario.param("after_overflow", 1)),
                                   chunk, length, hold_ms, progress)
        metrics["chunks_after_overflow"] = after
        metrics["storm_s"] = round(time.monotonic() - t_storm, 1)
        agent.events_hold(0)
        st = _drained(agent, settle_s)
        stats_at = {"driver_loss_messages": dut.run(
            "dmesg | grep -cE 'EVTQ write aborted|EVTQ overflow detected'")[1].strip()}
        if scenario.param("agent_judge", True):
            # the queue full again (counted afresh), then a scenario the agent
            # judges meets it
            agent.events_clear()
            _, after2, _ = _storm(agent, dev, chunks, 0, chunk, length, hold_ms, progress)
            if after2 >= 0:
                agent.events_hold(hold_ms)
                rc, out = dut.run(AGENT_LOSS_RUN, timeout=300)
                agent.events_hold(0)
                _drained(agent, settle_s)
                try:
                    agent_test = json.loads(out)["tests"][0]
                except (ValueError, KeyError, IndexError, TypeError):
                    agent_test = {"status": "error", "reason": f"rc {rc}: {out.strip()[-300:]}"}
    finally:
        dut.run("rmmod smmu_hil_inject 2>/dev/null")
        _evtmon_restore(dut)
    metrics["run_s"] = round(time.monotonic() - t0, 1)
    injected = copies * per_copy
    res = overflow.judge_overflow(st, injected, entries, min_overflows=2 if after > 0 else 1)
    lines = stats_at["driver_loss_messages"]
    metrics.update(copies=copies, injected=injected, captured=st.get("captured"),
                   dropped=st.get("dropped"), overflows=st.get("overflows"),
                   evtq_aborts=st.get("evtq_aborts"), lost=res.lost,
                   verdict="fail" if res.reason else "pass", reason=res.reason,
                   driver_loss_messages=int(lines) if lines.isdigit() else None)
    progress(f"judged: {res.reason or 'no event loss'}")
    problems = list(res.problems)
    if agent_test:
        am = agent_test.get("metrics") or {}
        metrics.update(agent_verdict=agent_test.get("status"), agent_reason=agent_test.get("reason"),
                       agent_overflows=am.get("events_overflows"))
        progress(f"agent judged: {agent_test.get('status')}: {agent_test.get('reason')}")
        if agent_test.get("status") != "skip":      # raw-breaking-dwell needs S1P
            problems += overflow.check_agent_verdict(agent_test)
    elif scenario.param("agent_judge", True):
        problems.append("the queue did not fill again for the agent's judge")
    assert not problems, "; ".join(problems)


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
