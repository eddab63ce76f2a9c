"""The liveupdate suite: kexec-live-update (issue 5's live-update flow).

Per iteration: write a crc32c pattern (fio), start fio with verify on
another region and the iperf3 client loop to a fresh host peer, snapshot
the STEs/CDs (`smmu-hil dut streams -j`), read the event queue, kexec into
the same kernel, then disk and NIC probes on the arm64 counter, a second
snapshot and its diff, the events of the new kernel, the pattern verified.
Each iteration's record is appended to <run-dir>/liveupdate-iterations.jsonl
as soon as it is complete, with the host times (t_*) of its steps; an
iteration that breaks (DUT dead, command failed) is recorded with its error
(and the times it got to) and the DUT is brought back for the next.

Measured on the lab host while the test runs, into
<run-dir>/liveupdate-timeline.jsonl (timeline.py): the disk's throughput
(Target.block_counters(), QMP, every 0.5 s) and the NIC's (the host iperf3
servers' JSON intervals, iperf3-server.json, added when each server stops).

Idle kexecs (the scenario's `idle_kexecs`, no workloads) spread over the
run are the same run's baseline; every kexec's blackout is split into
phases (blackout.py) from the console lines the host stamped, kept in
<run-dir>/liveupdate-console.jsonl.

SMMU_HIL_ITERATIONS overrides the scenario's `iterations` (shorter runs).
"""
from __future__ import annotations

import contextlib
import os
import shlex
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from smmu_hil_lab import blackout as bo
from smmu_hil_lab import liveupdate as lu
from smmu_hil_lab.agent import AGENT, FIO_VERIFY_FAILURES, Agent, Fio, event_loss
from smmu_hil_lab.errors import LabError
from smmu_hil_lab.scenario import Scenario
from smmu_hil_lab.targets import Target
from smmu_hil_lab.timeline import NIC_INTERVAL_S, TIMELINE_FILE, BlockSampler, Timeline
from smmu_hil_lab.workloads import Iperf3Client, Iperf3Peer

IPERF3_JSON = "iperf3-server.json"     # the load's host servers' JSON, appended
IPERF3_PROBE_JSON = "iperf3-probe.json"  # the NIC probe's host servers' JSON, appended
SHELL_NICE = -20                         # the console shell's priority for the kexec

scenario = pytest.mark.scenario


def _streams(agent: Agent) -> list[dict[str, Any]]:
    return agent.t.run_json(f"{AGENT} -j dut streams", 60)


def _perf(dut: Target) -> dict[str, Any]:
    """perf stat for 1 s under the load: the CPU counters, and the SMMUv3
    PMCG counters where the DUT has a PMCG (or why not)."""
    rc, _ = dut.run("command -v perf")
    if rc != 0:
        return {"perf": "skipped: perf not installed on the DUT"}
    _, out = dut.run("ls /sys/bus/event_source/devices 2>/dev/null")
    pmcgs = lu.pmcg_devices(out)
    ev = list(lu.CPU_EVENTS) + [f"{p}/{e}/" for p in pmcgs
                                for e in ("transaction", "tlb_miss", "config_cache_miss")]
    rc, out = dut.run(f"perf stat -x, -a -e {','.join(ev)} -- sleep 1 2>&1", 60)
    if rc != 0:
        return {"perf": f"failed (rc {rc}): {out.strip()[-300:]}"}
    counts = lu.perf_stat_csv(out)
    return {"perf": "pmcg: " + (", ".join(pmcgs) if pmcgs else f"skipped: {lu.NO_PMCG}"),
            "perf_counts": counts}


@contextlib.contextmanager
def _host_peer(dut: Target, log_dir: Path, tl: Timeline,
               log_name: str = IPERF3_JSON) -> Iterator[Iperf3Peer]:
    """A fresh host iperf3 server with JSON output to <log_dir>/@log_name
    (not started); when the block ends it is stopped and its intervals go
    to @tl. Raises LabError when the target has no host network peer."""
    if dut.host_peer is None:
        raise LabError(f"target {dut.name} has no host network peer for iperf3")
    log = log_dir / log_name
    offset = log.stat().st_size if log.exists() else 0
    peer = Iperf3Peer(dut.host_peer, log=log, json_interval=NIC_INTERVAL_S)
    try:
        yield peer
    finally:
        peer.stop()
        with log.open("rb") as fh:
            fh.seek(offset)
            tl.add_iperf3(fh.read().decode("utf-8", errors="replace"))


def _phase_text(rec: dict[str, Any]) -> str:
    """The record's phases in short: "phases quiesce 0.1 kexec 2.3 ... s"."""
    ph = rec.get("phases") or {}
    return "phases " + " ".join(f"{k} {ph[k]:.1f}" for k, _ in bo.PHASES
                                if ph.get(k) is not None) + " s"


def _types(events: list[dict[str, Any]]) -> dict[str, int]:
    """Event records counted by their type (name)."""
    return dict(Counter(str(e.get("name", "?")) for e in events))


def _probes(dut: Target, disk: str, address: str, port: int, nbytes: str,
            timeout_s: float) -> dict[str, Any]:
    """After a kexec, in one DUT command (no console round trip between
    them): the disk probe (`clock --io`: one 4 KiB O_DIRECT read, then the
    counter), then the NIC probe: retry a short iperf3 transfer to the host
    server @address:@port until one succeeds, read the counter, time one
    more transfer (the probe's own cost). Returns {"disk", "first",
    "cost_end" (clock readings), "tries"}. Raises LabError (NIC probe
    timed out, a command failed)."""
    polls = int(timeout_s / 0.2)
    probe = f"iperf3 -c {shlex.quote(address)} -p {port} -n {nbytes} >/dev/null 2>&1"
    out = dut.run_json(
        f"d=$({AGENT} -j clock --io {shlex.quote(disk)}); "
        f"n=0; until {probe}; do n=$((n+1)); [ $n -ge {polls} ] && break; sleep 0.2; done; "
        f"a=$({AGENT} -j clock); {probe}; b=$({AGENT} -j clock); "
        f"echo \"{{\\\"disk\\\": $d, \\\"first\\\": $a, \\\"cost_end\\\": $b, "
        f"\\\"tries\\\": $n}}\"",
        timeout_s + 60)
    if not isinstance(out.get("disk"), dict) or "cntvct" not in out["disk"]:
        raise LabError(f"disk probe on {disk} failed: {out.get('disk')}")
    if int(out["tries"]) >= polls:
        raise LabError(f"NIC: no iperf3 transfer to {address}:{port} within {timeout_s:.0f}s")
    return out


def _kexec(rec: dict[str, Any], dut: Target, agent: Agent, s: Scenario, port: int,
           progress: Callable[[str], None], console: list[tuple[float, str]]) -> None:
    """Read the DUT's counter, quiesce and kexec -e, then the disk and NIC
    probes (_probes(), to the host iperf3 server on @port, started before
    the kexec: one started after it would be the lab's own delay). Fills
    @rec: t_kexec_request, kexec_to_ready_s, t_ready, t_probes_done (host
    times), blackout_disk_ms, blackout_nic_ms, nic_probe_ms (DUT counter),
    t_disk_back, t_nic_back, t_nic_first_ok, t_disk_io_start (the counter
    readings put on the host clock through the reading before the kexec),
    disk_read_ms and host_cpu (what the lab host's CPUs did from the
    request to the probes' end). The console lines the host saw meanwhile,
    with their host arrival times, go to @console (also when it fails).
    Raises LabError."""
    assert dut.host_peer is not None
    # the console shell that types the kexec line (and the quiesce it forks)
    # at nice -20 above the workloads started before at 0: under fio and
    # iperf3 the fork and exec of `smmu-hil dut quiesce` waited for CPU
    rc, _ = dut.run(f"renice -n {SHELL_NICE} $$ >/dev/null 2>&1")
    rec["shell_nice"] = SHELL_NICE if rc == 0 else None
    t_a = time.time()
    before = agent.clock(io=dut.disk)      # the workloads (if any) streaming
    t_before = (t_a + time.time()) / 2     # host time of the counter reading
    pid = dut.host_pid()
    cpu0 = _host_cpu(pid)
    stamper = bo.ConsoleStamper().start(dut.console)
    try:
        progress(f"iteration {rec['iteration']}: kexec -e")
        rec["t_kexec_request"] = time.time()
        rec["kexec_to_ready_s"] = round(dut.kexec_exec(bool(s.param("quiesce", True))), 2)
        rec["t_ready"] = time.time()
        out = _probes(dut, dut.disk, dut.host_peer.dut_address, port,
                      str(s.param("nic_probe_bytes", "64K")),
                      float(s.param("nic_timeout_s", 60)))
        rec["t_probes_done"] = time.time()
    finally:
        console += stamper.stop()
    cpu1 = _host_cpu(pid)
    if cpu0 is not None and cpu1 is not None:
        rec["host_cpu"] = bo.host_cpu_delta(cpu0, cpu1)
    disk = out["disk"]
    rec["blackout_disk_ms"] = round(lu.ticks_ms(before, disk), 1)
    # the DUT counter's readings on the host clock, through the reading before
    rec["t_disk_back"] = t_before + rec["blackout_disk_ms"] / 1000
    if "io_start_cntvct" in disk:
        # the disk probe's own parts: its start (exec, up to issuing the read), the read
        start = {**disk, "cntvct": disk["io_start_cntvct"]}
        rec["t_disk_io_start"] = t_before + lu.ticks_ms(before, start) / 1000
        rec["disk_read_ms"] = round(lu.ticks_ms(start, disk), 1)
    first_end = lu.ticks_ms(before, out["first"])
    rec["t_nic_first_ok"] = t_before + first_end / 1000
    cost = lu.ticks_ms(out["first"], out["cost_end"])
    # the first transfer's first packet: its end minus one transfer's length
    rec["nic_probe_ms"] = round(cost, 1)
    rec["blackout_nic_ms"] = round(max(first_end - cost, 0.0), 1)
    rec["t_nic_back"] = t_before + rec["blackout_nic_ms"] / 1000


def _host_cpu(pid: int | None) -> dict[str, Any] | None:
    try:
        return bo.host_cpu(pid)
    except OSError:
        return None


class KexecHooks:
    """What another scenario adds to this flow's kexecs (live-update-luo):
    `file_load` loads the next kernel with `kexec -s`; before_kexec(rec)
    runs after the workloads started and the tables were read, right
    before the kexec; after_kexec(rec) right after the DUT is back (before
    the second snapshot). Both fill @rec; they raise LabError."""

    file_load = False

    def before_kexec(self, rec: dict[str, Any]) -> None:
        """Nothing by default."""

    def after_kexec(self, rec: dict[str, Any]) -> None:
        """Nothing by default."""


NO_HOOKS = KexecHooks()


def _idle_kexec(rec: dict[str, Any], dut: Target, agent: Agent, s: Scenario, log_dir: Path,
                tl: Timeline, progress: Callable[[str], None],
                console: list[tuple[float, str]], hooks: KexecHooks = NO_HOOKS) -> None:
    """One kexec without workloads (the idle baseline of the same run),
    measured as a loaded one: disk and NIC blackouts, phases. Raises
    LabError."""
    dut.kexec_load(file_load=hooks.file_load)
    with _host_peer(dut, log_dir, tl, IPERF3_PROBE_JSON) as probe:
        hooks.before_kexec(rec)
        _kexec(rec, dut, agent, s, probe.start(), progress, console)
    hooks.after_kexec(rec)


def _iteration(rec: dict[str, Any], dut: Target, agent: Agent, s: Scenario, log_dir: Path,
               tl: Timeline, progress: Callable[[str], None],
               console: list[tuple[float, str]], hooks: KexecHooks = NO_HOOKS) -> None:
    """One kexec under load, filling its record @rec (host times t_* as
    they happen; the console lines of the kexec go to @console; @hooks:
    another scenario's steps around the kexec). Raises LabError."""
    pattern = Fio(dut, dut.disk, "lu-pattern")
    w = pattern.run(f"{s.param('pattern')} --do_verify=0")
    if w.rc or w.error:
        raise LabError(f"fio pattern write failed: {w.log[-300:]}")
    rec["pattern_mib"] = round(w.write_bytes / 2**20, 1)
    agent.events_clear()
    # the new kernel is loaded before the workloads start: kexec -l reads the
    # Image and initramfs (~160 MiB on 7.x) from the 9p share at ~3 MB/s,
    # which took 43-46 s on an idle emulated 7.x DUT and over 120 s under fio
    # and iperf3; the kexec itself (quiesce, `kexec -e`, boot) runs under load
    t0 = time.monotonic()
    dut.kexec_load(file_load=hooks.file_load)
    rec["kexec_load_s"] = round(time.monotonic() - t0, 2)
    load = Fio(dut, dut.disk, "lu-load")
    rec["t_load_start"] = time.time()
    load.start(str(s.param("load")))
    # the load's server, and the NIC probe's (the loop's client dies with the
    # old kernel; both stop after the probe, outside the blackout)
    with _host_peer(dut, log_dir, tl) as peer, \
            _host_peer(dut, log_dir, tl, IPERF3_PROBE_JSON) as probe:
        port = peer.start()
        assert dut.host_peer is not None
        client = Iperf3Client(dut, dut.host_peer.dut_address, port, seconds=2, tag="lu-iperf3")
        client.start()
        rec.update(_perf(dut))
        time.sleep(float(s.param("load_s", 3)))
        before_streams = _streams(agent)
        ev_doc = agent.events()
        ev = ev_doc.get("records", [])
        rec["events_lost_before"] = event_loss(ev_doc)
        rec["t_events_before"] = time.time()
        rec["events_before"] = len(ev)
        rec["event_types_before"] = _types(ev)
        loads_alive = load.running() and client.running()
        rc, n = dut.run(f"grep -cE '{FIO_VERIFY_FAILURES}' {load.out}")
        rec["load_verify_errors"] = int(n.strip() or 0) if rc in (0, 1) else 0
        rec["loads_alive_at_kexec"] = loads_alive
        hooks.before_kexec(rec)
        _kexec(rec, dut, agent, s, probe.start(), progress, console)
    hooks.after_kexec(rec)
    after_streams = _streams(agent)
    diffs = lu.diff_snapshots(before_streams, after_streams)
    rec["ste_diffs"] = diffs
    rec["ste_diff_summary"] = lu.diff_summary(diffs)
    rec["snapshot_before"], rec["snapshot_after"] = before_streams, after_streams
    ev_after_doc = agent.events()
    ev_after = ev_after_doc.get("records", [])
    rec["events_lost"] = "; ".join(x for x in (rec["events_lost_before"],
                                               event_loss(ev_after_doc)) if x)
    rec["t_events_after"] = time.time()
    rec["events_after"] = len(ev_after)
    rec["event_types_after"] = _types(ev_after)
    rec["unexpected_events"] = rec["events_before"] + len(ev_after)
    # per StreamID, both reads (the kexec window's events)
    rec["event_sids"] = dict(Counter(str(e.get("sid")) for e in ev + ev_after
                                     if e.get("sid") is not None))
    rec["first_events"] = (ev + ev_after)[:5]
    v = pattern.run(f"{s.param('pattern')} --verify_only")
    rec["verified_mib"] = round(v.read_bytes / 2**20, 1)
    rec["verify_errors"] = v.verify_errors + rec["load_verify_errors"] + \
        (1 if (v.error or v.rc) and not v.verify_errors else 0) + \
        (1 if v.read_bytes < w.write_bytes else 0)


def _run_iteration(i: int | str, dut: Target, agent: Agent, s: Scenario, log_dir: Path,
                   tl: Timeline, progress: Callable[[str], None],
                   idle: bool = False, hooks: KexecHooks = NO_HOOKS) -> dict[str, Any]:
    """Iteration @i's record (@idle: a kexec without workloads, "idle":
    true; @hooks: steps another scenario adds, KexecHooks); one that
    breaks keeps its host times and its error, and the DUT is brought back
    (rebooted when dead). The kexec's console lines go to
    <log_dir>/liveupdate-console.jsonl, its phases into the record."""
    t0 = time.monotonic()
    rec: dict[str, Any] = {"iteration": i, "test": tl.test, **({"idle": True} if idle else {})}
    console: list[tuple[float, str]] = []
    try:
        (_idle_kexec if idle else _iteration)(rec, dut, agent, s, log_dir, tl, progress,
                                              console, hooks)
    except (LabError, ValueError, KeyError) as e:
        rec = {k: v for k, v in rec.items()
               if k in ("iteration", "test", "idle", "luo") or k.startswith("t_")}
        rec["error"] = f"{type(e).__name__}: {e}"
        progress(f"iteration {i}: FAILED {e}")
        if dut.ensure_shell():
            progress(f"iteration {i}: DUT was dead: rebooted")
    if rec.get("t_kexec_request") is not None:
        rec.update(bo.split(console, rec))
        lu.append_jsonl(log_dir / bo.CONSOLE_FILE,
                        {"test": tl.test, "iteration": i, "t_kexec_request":
                         rec["t_kexec_request"], "lines": console})
    rec["t_end"] = time.time()
    rec["elapsed_s"] = round(time.monotonic() - t0, 1)
    return rec


@scenario("kexec-live-update")
def test_kexec_live_update(dut: Target, agent: Agent, scenario: Scenario,
                           metrics: dict[str, Any], log_dir: Path, test_name: str,
                           progress: Callable[[str], None]) -> None:
    """N kexecs under fio and iperf3: 0 data errors, 0 events, the SMMU's
    tables found again after each; blackout per iteration in the report."""
    n = int(os.environ.get("SMMU_HIL_ITERATIONS") or scenario.param("iterations", 10))
    out = log_dir / lu.ITERATIONS_FILE
    records: list[dict[str, Any]] = []
    tl = Timeline(log_dir / TIMELINE_FILE, test_name)
    tl.append("start", t=time.time(), target=dut.name)
    # idle kexecs (no workloads): the baseline of the same run, spread evenly
    # from before the first loaded iteration to after the last (the host's
    # own load drifts during a run)
    idle_at = lu.idle_positions(int(scenario.param("idle_kexecs", 2)), n)
    idle: list[dict[str, Any]] = []
    with BlockSampler(dut, tl) as sampler:
        for i in range(0, n + 1):
            for _ in range(idle_at.get(i, 0)):
                k = f"idle {len(idle) + 1}"
                idle.append(_run_iteration(k, dut, agent, scenario, log_dir, tl, progress,
                                           idle=True))
                lu.append_jsonl(out, idle[-1])
                progress(f"{k}: disk {idle[-1].get('blackout_disk_ms')} ms, NIC "
                         f"{idle[-1].get('blackout_nic_ms')} ms, "
                         f"{_phase_text(idle[-1])} ({idle[-1]['elapsed_s']} s)")
            if i == n:
                break
            records.append(_run_iteration(i + 1, dut, agent, scenario, log_dir, tl, progress))
            rec = records[-1]
            lu.append_jsonl(out, rec)
            progress(f"iteration {i + 1}/{n}: disk {rec.get('blackout_disk_ms')} ms, NIC "
                     f"{rec.get('blackout_nic_ms')} ms, verify errors "
                     f"{rec.get('verify_errors')}, events {rec.get('unexpected_events')}, "
                     f"{(rec.get('ste_diff_summary') or {}).get('changed')} StreamIDs "
                     f"changed, {_phase_text(rec)} ({rec['elapsed_s']} s)")
    metrics.update(lu.summarize(records))
    metrics.update(lu.summarize_idle(records, idle))
    metrics["perf"] = next((r["perf"] for r in records if r.get("perf")), "not run")
    metrics["perf_counts"] = [r.get("perf_counts") for r in records]
    metrics["iterations_file"] = lu.ITERATIONS_FILE
    metrics["timeline_file"] = TIMELINE_FILE
    metrics["disk_samples"] = sampler.samples
    failed = [r for r in records + idle if r.get("error")]
    assert not failed, f"{len(failed)} of {n + len(idle)} kexecs failed, first " \
        f"({failed[0]['iteration']}): {failed[0]['error']}"
    assert metrics["verify_errors"] == 0, f"{metrics['verify_errors']} fio verify errors"
    assert metrics["unexpected_events"] == 0, \
        f"{metrics['unexpected_events']} events, first: " \
        f"{next(r['first_events'] for r in records if r.get('first_events'))}"
    loss = [f"iteration {r['iteration']}: {r['events_lost']}" for r in records
            if r.get("events_lost")]
    metrics["event_loss"] = len(loss)
    assert not loss, f"{len(loss)} iteration(s) lost events, first: {loss[0]}"
    lost = [r["ste_diff_summary"]["config_changed"] for r in records
            if r["ste_diff_summary"]["config_changed"]]
    assert not lost, f"STE Config changed (or a StreamID vanished) across kexec: {lost[0]}"
