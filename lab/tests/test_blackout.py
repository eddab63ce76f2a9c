"""A kexec's blackout by phase (blackout.py): console lines stamped with host
times, the new kernel's printk clock put on the host clock, the boundaries
found in real console captures of the emulated DUT (Debian 6.1 and 7.3
kernels), the phase arithmetic, the metrics, the report's stacked bars,
and the host CPU accounting."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from smmu_hil_lab import blackout as bo, html_report, liveupdate as lu
from smmu_hil_lab.rundir import RunDir

DATA = Path(__file__).with_name("data")
# the console from the typed `smmu-hil dut quiesce && kexec -e` line to the
# new kernel's ready line, as console.log recorded it (CRLF, shell escapes)
CAPTURES = {"6.1": DATA / "kexec-console-6.1.log", "7.x": DATA / "kexec-console-7.x.log"}


def _stamp(text: str, request: float, zero: float, lag: float = 0.004,
           quiesce_after: float = 0.05, ready_after: float = 0.7) -> list[tuple[float, str]]:
    """Stamp a console capture as a ConsoleStamper would: the quiesce line
    @quiesce_after seconds after @request; the new kernel's records held
    until its console registers (all arriving together then), afterwards
    each @lag after its printk time (printk zero = host @zero); the ready
    line @ready_after after the last record; the echo lines at @request."""
    lines = text.replace("\r", "").split("\n")
    out: list[tuple[float, str]] = []
    held: list[str] = []
    console_on = None
    last = request
    for line in lines:
        rec = bo.kernel_record(line)
        if bo.QUIESCED.search(line):
            last = request + quiesce_after
        elif rec is not None:
            if console_on is None:
                held.append(line)
                if bo.CONSOLE_ON.search(rec[1]):
                    console_on = rec[0]
                    t = zero + rec[0] + lag
                    out += [(t, h) for h in held]
                    last = t
                continue
            last = zero + rec[0] + lag
        elif bo.READY_LINE.search(line):
            last += ready_after
        out.append((last, line))
    return out


@pytest.mark.parametrize("kernel,smmu_s,devices_s,device_lines,console_on_s,drain_ms,stopped", [
    # 6.1: the edu's "Adding to iommu group 4" when smmu_hil_edu binds it
    ("6.1", 4.15471, 6.128611, 7, 0.512669, 2.9, 4),
    # 7.3: every device joins its group at the SMMU probe; the edu binds
    # silently after a kexec (already enabled): the last line is vdb's
    ("7.x", 1.958837, 4.991493, 8, 1.076336, 0.6, 0),
])
def test_boundaries_from_real_console(kernel: str, smmu_s: float, devices_s: float,
                                      device_lines: int, console_on_s: float, drain_ms: float,
                                      stopped: int) -> None:
    text = CAPTURES[kernel].read_text(encoding="utf-8")
    request, zero = 1000.0, 1003.25
    lines = _stamp(text, request, zero)
    b = bo.boundaries(lines, request)
    assert b["quiesced"] == pytest.approx(request + 0.05)
    assert b["quiesce_drain_ms"] == drain_ms and b["quiesce_stopped"] == stopped
    assert b["zero"] == pytest.approx(zero + 0.004)           # the lag of the best record
    assert b["new_kernel"] == b["zero"]
    assert b["console_on_s"] == console_on_s
    # the first line arrived with the console's registration
    assert b["console_flush_s"] == pytest.approx(console_on_s, abs=1e-3)
    assert b["smmu_probe_s"] == smmu_s and b["devices_s"] == devices_s
    assert b["device_lines"] == device_lines
    assert b["smmu_probe"] == pytest.approx(zero + 0.004 + smmu_s)
    assert b["devices"] == pytest.approx(zero + 0.004 + devices_s)
    assert b["ready"] == next(t for t, line in lines if "DUT ready" in line)


def test_split_phases_add_up_to_the_stamped_window() -> None:
    text = CAPTURES["6.1"].read_text(encoding="utf-8")
    lines = _stamp(text, 1000.0, 1003.0)
    ready = next(t for t, line in lines if "DUT ready" in line)
    rec = {"t_kexec_request": 1000.0, "t_disk_back": ready + 0.3,
           "t_nic_back": ready + 1.5}
    out = bo.split(lines, rec)
    ph = out["phases"]
    assert list(ph) == [k for k, _ in bo.PHASES]
    assert ph["quiesce"] == pytest.approx(0.05)
    assert ph["kexec"] == pytest.approx(3.004 - 0.05)
    assert ph["boot_smmu"] == pytest.approx(4.15471, abs=1e-3)
    assert ph["reprobe"] == pytest.approx(6.128611 - 4.15471, abs=1e-3)
    assert ph["resume_disk"] == pytest.approx(0.3) and ph["resume_nic"] == pytest.approx(1.2)
    assert sum(ph.values()) == pytest.approx(ready + 1.5 - 1000.0, abs=1e-3)
    assert out["boundaries"]["request"] == 1000.0 and out["quiesce_stopped"] == 4
    json.dumps(out)


def test_lines_before_the_request_and_old_kernel_records_are_ignored() -> None:
    lines = [(5.0, "stopped 9 processes, 0 requests in flight after 1.0 ms"),
             (10.1, "[ 812.000001] kexec_core: Starting new kernel"),
             (10.2, "stopped 3 processes, 1 requests in flight after 7.5 ms"),
             (11.0, "[    0.000000] Booting Linux on physical CPU 0x0"),
             (11.0, "[    0.600000] printk: console [ttyAMA0] enabled"),
             (12.51, "[    2.000000] arm-smmu-v3 arm-smmu-v3.0.auto: option mask 0x0"),
             (12.6, "[    2.050000] arm-smmu-v3 arm-smmu-v3.0.auto: event 0x10 received:"),
             (13.0, "smmu-hil: DUT ready kernel=6.1.0"),
             (13.1, "[    3.000000] virtio_blk virtio0: [vda] 1 512-byte logical blocks")]
    b = bo.boundaries(lines, 10.0)
    assert b["quiesced"] == 10.2 and b["quiesce_stopped"] == 3
    assert b["zero"] == pytest.approx(10.4)     # 11.0 - 0.6: the console line's
    assert b["smmu_probe_s"] == 2.0
    assert b["devices_s"] is None               # after the ready line: not this boot's probe
    assert b["ready"] == 13.0


def test_missing_boundaries_merge_into_the_next_phase() -> None:
    # a DUT that never printed the new kernel (hung in the old one's shutdown)
    lines = [(10.2, "stopped 3 processes, 0 requests in flight after 7.5 ms")]
    b = bo.boundaries(lines, 10.0)
    assert b["new_kernel"] is None and b["ready"] is None
    out = bo.split(lines, {"t_kexec_request": 10.0})
    assert out["phases"]["quiesce"] == pytest.approx(0.2)
    assert all(out["phases"][k] is None for k, _ in bo.PHASES[1:])
    # no quiesce line (the ssh target's kexec runs detached): the kexec
    # phase starts at the request
    ph = bo.phases({"request": 0.0, "quiesced": None, "new_kernel": 2.0, "smmu_probe": 3.0,
                    "devices": 4.0, "ready": 5.0, "disk": 5.5, "nic": None})
    assert ph == {"quiesce": None, "kexec": 2.0, "boot_smmu": 1.0, "reprobe": 1.0,
                  "init_ready": 1.0, "resume_disk": 0.5, "resume_nic": None}
    with pytest.raises(KeyError):
        bo.split(lines, {})


def test_kernel_zero_is_the_least_lagged_record() -> None:
    assert bo.kernel_zero([(5.0, 0.0), (5.2, 1.1), (6.0, 1.95)]) == pytest.approx(4.05)
    assert bo.kernel_zero([]) is None
    assert bo.kernel_record("dut# \x1b[6n[    0.000000] Booting Linux") == \
        (0.0, "Booting Linux")
    assert bo.kernel_record("[ 12.5] x") == (12.5, "x")
    assert bo.kernel_record("stopped 1 processes") is None


def test_stamper_keeps_complete_lines_with_their_arrival_time() -> None:
    now = [100.0]
    listeners: list[Any] = []

    class Console:
        def add_listener(self, fn: Any) -> None:
            listeners.append(fn)

        def remove_listener(self, fn: Any) -> None:
            listeners.remove(fn)

    st = bo.ConsoleStamper(clock=lambda: now[0]).start(Console())
    listeners[0]("stopped 4 proc")
    now[0] = 100.5
    listeners[0]("esses, 0 requests\r\n[    0.000000] Boot")
    now[0] = 101.0
    listeners[0]("ing Linux\r\npartial")
    now[0] = 102.0
    lines = st.stop()
    assert not listeners
    assert lines == [(100.5, "stopped 4 processes, 0 requests"),
                     (101.0, "[    0.000000] Booting Linux"), (102.0, "partial")]


def _rec(i: Any, phases: dict[str, float], disk_ms: float, idle: bool = False,
         **more: Any) -> dict[str, Any]:
    return {"iteration": i, "test": lu.TEST_NAME, "phases": phases, "t_kexec_request": 10.0 * (
        i if isinstance(i, int) else 0.5), "blackout_disk_ms": disk_ms,
        "kexec_to_ready_s": disk_ms / 1000 - 0.2, **({"idle": True} if idle else {}), **more}


PH = {k: 1.0 for k, _ in bo.PHASES}


def test_summaries_and_ratio() -> None:
    load = [_rec(1, {**PH, "kexec": 3.0}, 9000.0, host_cpu={"other_s": 0.5}),
            _rec(2, {**PH, "kexec": 5.0}, 11000.0, host_cpu={"other_s": 1.5}),
            _rec(3, {**PH, "kexec": None}, 10000.0)]
    idle = [_rec("idle 1", PH, 4000.0, idle=True, host_cpu={"other_s": 0.1}),
            _rec("idle 2", PH, 6000.0, idle=True), {"iteration": "idle 3", "error": "x"}]
    m = lu.summarize(load)
    assert m["phase_kexec_s_median"] == 4.0 and m["phase_quiesce_s_median"] == 1.0
    s = lu.summarize_idle(load, idle)
    assert s["idle_kexecs"] == 3 and s["failed_idle_kexecs"] == 1
    assert s["idle_blackout_disk_ms_median"] == 5000.0
    assert s["blackout_load_idle_ratio"] == 2.0          # 10000 / 5000
    assert s["blackout_nic_load_idle_ratio"] is None     # no NIC blackout measured
    assert s["load_idle_goal_ratio"] == 1.5 and s["load_idle_goal_met"] is False
    assert s["kexec_to_ready_s_median"] == 9.8 and s["idle_kexec_to_ready_s_median"] == 4.8
    assert s["phase_extra_s"]["kexec"] == 3.0 and s["phase_extra_s"]["reprobe"] == 0.0
    assert s["host_other_cpu_s_median"] == 1.0 and s["idle_host_other_cpu_s_median"] == 0.1
    nic = lu.summarize_idle([{**r, "blackout_nic_ms": v} for r, v in zip(load, (12e3, 9e3))],
                            [{**idle[0], "blackout_nic_ms": 6e3}])
    assert nic["blackout_nic_load_idle_ratio"] == 1.75    # median(12, 9) / 6
    none = lu.summarize_idle(load, [])
    assert none["blackout_load_idle_ratio"] is None and none["load_idle_goal_met"] is False
    assert none["phase_extra_s"]["kexec"] is None


def test_phase_plot_in_report(tmp_path: Path) -> None:
    assert lu.plot_phases in html_report.TEST_PLOTS
    for r in (_rec(1, {**PH, "kexec": 3.0}, 9500.0), _rec("idle 1", PH, 7000.0, idle=True),
              {"iteration": 2, "test": lu.TEST_NAME, "error": "LabError: gone"}):
        lu.append_jsonl(tmp_path / lu.ITERATIONS_FILE, r)
    test = {"name": lu.TEST_NAME, "status": "pass",
            "metrics": {"blackout_ms": [9500.0], "blackout_nic_ms": [None],
                        "blackout_load_idle_ratio": 1.36, "load_idle_goal_ratio": 1.5}}
    rd = RunDir(path=tmp_path, report={"tests": [test]})
    title, fig = lu.plot_phases(rd, test)
    assert "1.36× idle" in title
    ax = fig.axes[0]
    # idle 1 (t 5) before iteration 1 (t 10): seven phases each, stacked
    assert [t.get_text() for t in ax.get_xticklabels()] == ["idle 1", "1"]
    tops = sorted({round(p.get_y() + p.get_height(), 3) for p in ax.patches
                   if p.get_x() < 0.5 and p.get_fill()})
    assert tops[-1] == 7.0
    ticks = [ln for ln in ax.lines if ln.get_gid() == "disk-blackout"]
    assert [ln.get_ydata()[0] for ln in ticks] == [7.0, 9.5]
    assert lu.plot_phases(rd, {"name": "other"}) is None
    page = html_report.render(rd)
    assert "Blackout by phase per kexec" in page


def test_host_cpu_from_proc(tmp_path: Path) -> None:
    (tmp_path / "stat").write_text(
        "cpu  100 50 30 800 20 0 10 0 0 0\ncpu0 50 25 15 400 10 0 5 0 0 0\n"
        "cpu1 50 25 15 400 10 0 5 0 0 0\nintr 0\n")
    (tmp_path / "42").mkdir()
    (tmp_path / "42" / "stat").write_text(
        "42 (qemu-system-aa ch) S 1 42 42 0 -1 0 0 0 0 0 70 20 0 0 20 0 5 0 1 0 0\n")
    a = bo.host_cpu(42, proc=str(tmp_path), clock=lambda: 0.0)
    hz = bo._clk_tck()
    assert a["ncpu"] == 2 and a["busy_s"] == pytest.approx(190 / hz)
    assert a["nice_s"] == pytest.approx(50 / hz) and a["pid_s"] == pytest.approx(90 / hz)
    assert bo.host_cpu(43, proc=str(tmp_path))["pid_s"] is None     # gone
    b = {**a, "t": 2.0, "busy_s": a["busy_s"] + 3.0, "pid_s": a["pid_s"] + 1.0,
         "nice_s": a["nice_s"] + 0.5}
    d = bo.host_cpu_delta(a, b)
    assert d == {"wall_s": 2.0, "capacity_s": 4.0, "busy_s": 3.0, "nice_s": 0.5,
                 "dut_s": 1.0, "other_s": 2.0}
    assert bo.host_cpu_delta({**a, "pid_s": None}, b)["other_s"] is None


def test_split_of_a_real_stamped_kexec() -> None:
    # a loaded kexec of a real run: the console lines as the lab host stamped
    # them (liveupdate-console.jsonl) and the record's own times
    doc = json.loads((DATA / "kexec-stamped-7.x.json").read_text(encoding="utf-8"))
    rec, con = doc["record"], doc["console"]
    lines = [(float(t), str(x)) for t, x in con["lines"]]
    request = rec["t_kexec_request"]
    b = bo.boundaries(lines, request)
    for key in ("quiesce_stopped", "quiesce_drain_ms", "console_on_s", "smmu_probe_s",
                "devices_s", "device_lines"):
        assert b[key] == rec[key], key
    assert b["quiesced"] - request == pytest.approx(0.436, abs=1e-3)
    # the new kernel's printk clock ran at the host's rate: once its console
    # was registered, every record arrived 0-50 ms after zero + its printk time
    zero = b["zero"]
    lags = [h - zero - s for h, line in lines if (r := bo.kernel_record(line))
            for s in [r[0]] if s > b["console_on_s"] and h >= request]
    assert len(lags) > 100 and min(lags) == pytest.approx(0.0, abs=1e-6)
    assert max(lags) < 0.05
    # its first line arrived when the console registered (printk 1.87 s)
    assert b["console_flush_s"] == pytest.approx(rec["console_on_s"], abs=0.02)
    # the first disk I/O: the probe's read, on the DUT counter
    rec["t_disk_back"] = rec["t_disk_io_start"] + rec["disk_read_ms"] / 1000
    out = bo.split(lines, rec)
    ph = out["phases"]
    assert all(v is not None and v > 0 for v in ph.values()), ph
    assert sum(ph.values()) == pytest.approx(rec["t_nic_back"] - request, abs=1e-3)
    assert ph["kexec"] + ph["quiesce"] == pytest.approx(zero - request, abs=1e-3)
    assert ph["boot_smmu"] == pytest.approx(rec["smmu_probe_s"], abs=1e-3)
    # the phases up to the first disk I/O against the DUT counter's disk
    # blackout (which starts at the reading just before the request)
    to_disk = sum(ph[k] for k, _ in bo.PHASES[:-1])
    assert 0 < rec["blackout_disk_ms"] / 1000 - to_disk < 0.2


def test_idle_positions_spread_over_the_run() -> None:
    assert lu.idle_positions(2, 10) == {0: 1, 10: 1}
    assert lu.idle_positions(3, 10) == {0: 1, 5: 1, 10: 1}
    assert lu.idle_positions(4, 3) == {0: 1, 1: 1, 2: 1, 3: 1}
    assert lu.idle_positions(3, 0) == {0: 3}
    assert lu.idle_positions(1, 5) == {0: 1} and lu.idle_positions(0, 5) == {}
    with pytest.raises(ValueError):
        lu.idle_positions(-1, 5)
