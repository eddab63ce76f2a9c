"""The live-update test's host-side time series (timeline.py): iperf3 server
JSON to an absolute-time series, the QMP block counter sampler (against
tests/fake_qemu.py), and the throughput and event timeline plots."""
from __future__ import annotations

import json
import math
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from smmu_hil_lab import html_report, liveupdate as lu, timeline as tlm
from smmu_hil_lab.resources import HostNetPeer, QemuMachine, QMPSocket
from smmu_hil_lab.rundir import RunDir
from smmu_hil_lab.targets import Target
from smmu_hil_lab.workloads import Iperf3Peer

from conftest import fake_machine

# `iperf3 -s -J -i 0.5` (3.12) on 127.0.0.1: a 1 s test at 80 Mbit/s, a
# `-n 64K` test, then a 40 Mbit/s test whose client was stopped (SIGSTOP)
# after 1.2 s and the server SIGTERMed 1.1 s later
CAPTURE = Path(__file__).with_name("data") / "iperf3-server.json"


def test_iperf3_series_from_captured_server_output() -> None:
    text = CAPTURE.read_text()
    docs = tlm.iperf3_documents(text)
    assert len(docs) == 3
    assert docs[2]["error"] == "interrupt - the server has terminated"
    s = tlm.iperf3_series(text)
    assert len(s) == 8
    assert s == sorted(s, key=lambda r: r["t"])
    first = docs[0]["intervals"][0]["sum"]
    assert s[0]["t"] == 1795316006.0
    assert s[0]["t_end"] == pytest.approx(1795316006.0 + first["end"])
    assert s[0]["mbps"] == pytest.approx(first["bits_per_second"] / 8e6)
    assert 9.5 < s[0]["mbps"] < 10.5          # 80 Mbit/s = 10 MB/s
    assert sum(r["bytes"] for r in s) == sum(
        iv["sum"]["bytes"] for d in docs for iv in d["intervals"])
    # the stopped client: the server's last intervals carry nothing
    assert [r["mbps"] for r in s[-2:]] == [0.0, 0.0]
    # one server, one test at a time: the third test's whole second (…007)
    # began before the 64K test ended, so it starts there; the 64K test's
    # second began before the first test's end too
    assert [r["iperf3_test"] for r in s] == [0, 0, 1, 2, 2, 2, 2, 2]
    assert s[2]["t"] == pytest.approx(s[1]["t_end"])
    assert s[3]["t"] == pytest.approx(s[2]["t_end"])
    assert s[-1]["t_end"] == pytest.approx(s[3]["t"] + 3.304795)


def test_iperf3_documents_skip_torn_and_foreign_text() -> None:
    text = CAPTURE.read_text()
    torn = "iperf3: some warning\n" + text + '\n{"start": {"timestamp": {"timesecs": 5'
    assert len(tlm.iperf3_series(torn)) == 8
    assert tlm.iperf3_series('{"error": "interrupt - the server has terminated"}') == []
    assert tlm.iperf3_series("") == []


def test_host_peer_json_feeds_the_timeline(tmp_path: Path) -> None:
    log = tmp_path / "iperf3-server.json"
    t_before = time.time()
    with Iperf3Peer(HostNetPeer(), log=log, max_s=60, json_interval=0.5) as peer:
        subprocess.run(["iperf3", "-c", "127.0.0.1", "-p", str(peer.port), "-t", "1",
                        "-b", "20M"], check=True, timeout=30, stdout=subprocess.DEVNULL)
    t_after = time.time()
    tl = tlm.Timeline(tmp_path / tlm.TIMELINE_FILE, "kexec-live-update")
    assert tl.add_iperf3(log.read_text()) >= 2
    nic = [e for e in lu.read_jsonl(tl.path) if e["kind"] == "nic"]
    assert len(nic) >= 2 and all(e["test"] == "kexec-live-update" for e in nic)
    # timesecs is whole seconds: the start may read up to 1 s early
    assert all(t_before - 1 <= e["t"] <= e["t_end"] <= t_after + 1 for e in nic)
    assert 1.5 < max(e["mbps"] for e in nic) < 3.5      # 20 Mbit/s = 2.5 MB/s


def _entries(path: Path, kind: str) -> list[dict[str, Any]]:
    return [e for e in lu.read_jsonl(path) if e["kind"] == kind]


def test_block_sampler_shares_the_power_drivers_qmp(make_target, tmp_path: Path) -> None:
    t = make_target()
    t.boot()
    tl = tlm.Timeline(tmp_path / tlm.TIMELINE_FILE, "kexec-live-update")
    stop = threading.Event()
    statuses: list[Any] = []

    def power_side() -> None:     # the power driver's own QMP use meanwhile
        while not stop.is_set():
            statuses.append(t.power.qmp.execute("query-status")["status"])

    other = threading.Thread(target=power_side)
    with tlm.BlockSampler(t, tl, period=0.05) as sampler:
        other.start()
        time.sleep(0.6)
        stop.set()
        other.join(5)
    disk = _entries(tl.path, "disk")
    assert len(disk) == sampler.samples >= 5
    assert set(statuses) == {"running"} and len(statuses) > 10
    wr = [e["wr_bytes"] for e in disk]
    assert all(b - a == 8192 and b > a for a, b in zip(wr, wr[1:]))
    assert [e["rd_bytes"] * 2 for e in disk] == wr
    rates = tlm.disk_rates(disk)
    assert len(rates) == len(disk) - 1 and all(r[2] > 0 and r[1] > 0 for r in rates)
    # the machine goes off under the sampler: one error, no crash
    with tlm.BlockSampler(t, tl, period=0.05):
        t.power.off()
        time.sleep(0.4)
    errors = [e["error"] for e in _entries(tl.path, "disk-error")]
    # a query between QMP `quit` and the driver dropping its client fails on
    # the closed socket first
    assert errors[-1] == "QEMU is off" and len(errors) <= 2
    assert all(e.startswith("qmp query-blockstats: ") for e in errors[:-1])


class _BareTarget(Target):
    name = "bare"

    def power_on(self) -> None:
        raise AssertionError("not used")

    def kexec_files(self) -> tuple[str, str]:
        return "/k", "/i"


def test_block_sampler_target_without_counters(tmp_path: Path) -> None:
    tl = tlm.Timeline(tmp_path / tlm.TIMELINE_FILE, "kexec-live-update")
    s = tlm.BlockSampler(_BareTarget(tmp_path / "logs"), tl, period=0.01).start()
    s._thread.join(5)
    assert not s._thread.is_alive()
    entries = lu.read_jsonl(tl.path)
    assert [e["kind"] for e in entries] == ["disk-missing"]
    assert "target bare" in entries[0]["why"] and s.samples == 0


def test_stats_qmp_is_a_second_monitor(sockdir: Path) -> None:
    m = fake_machine(sockdir)
    real = QemuMachine(kernel=Path("/bin/sh"), initrd=Path("/bin/sh"), data_disk=Path("/bin/sh"),
                       share=sockdir, serial=m.serial, qmp=m.qmp,
                       stats_qmp=QMPSocket(sockdir / "stats.sock"), qemu="sh", firmware=None)
    args = real.argv()
    qmps = [args[i + 1] for i, a in enumerate(args) if a == "-qmp"]
    assert qmps == [f"unix:{sockdir / 'qmp.sock'},server=on,wait=off",
                    f"unix:{sockdir / 'stats.sock'},server=on,wait=off"]


def test_disk_rates_gaps_and_restart() -> None:
    s = [{"t": 0.0, "rd_bytes": 0, "wr_bytes": 0},
         {"t": 0.5, "rd_bytes": 1_000_000, "wr_bytes": 2_000_000},
         {"t": 5.0, "rd_bytes": 2_000_000, "wr_bytes": 3_000_000},     # a gap
         {"t": 5.5, "rd_bytes": 0, "wr_bytes": 0}]                     # QEMU restarted
    r = tlm.disk_rates(s)
    assert r[0] == (0.5, 2.0, 4.0)
    assert [x[0] for x in r] == [0.5, 5.0, 5.5]
    assert all(math.isnan(x[1]) and math.isnan(x[2]) for x in r[1:])


# ------------------------------------------------------------------ plots
T0 = 1_800_000_000.0


def _rec(i: int, start: float, test: str = "kexec-live-update", **kw: Any) -> dict[str, Any]:
    r = {"iteration": i, "test": test, "t_load_start": T0 + start,
         "t_events_before": T0 + start + 4, "t_kexec_request": T0 + start + 5,
         "t_ready": T0 + start + 12, "t_nic_first_ok": T0 + start + 13.5,
         "t_events_after": T0 + start + 15, "t_end": T0 + start + 16,
         "events_before": 0, "events_after": 0,
         "event_types_before": {}, "event_types_after": {}}
    r.update(kw)
    return r


def _run_dir(tmp_path: Path, recs: list[dict[str, Any]], test: str = "kexec-live-update",
             disk: bool = True) -> tuple[RunDir, dict[str, Any]]:
    tl = tlm.Timeline(tmp_path / tlm.TIMELINE_FILE, test)
    tl.append("start", t=T0, target="qemu")
    if disk:
        for k in range(100):
            tl.append("disk", t=T0 + k * 0.5, rd_bytes=k * 100_000, wr_bytes=k * 1_000_000)
    else:
        tl.append("disk-missing", why="target ssh (lab-server): a real server")
    for k in range(20):
        tl.append("nic", t=T0 + 1 + k * 0.5, t_end=T0 + 1.5 + k * 0.5, mbps=3.0, bytes=1_500_000,
                  iperf3_test=k // 4)
    # a probe's 64 KiB transfer: one short interval, a test of its own
    tl.append("nic", t=T0 + 30, t_end=T0 + 30.05, mbps=1.3, bytes=65536, iperf3_test=9)
    for r in recs:
        lu.append_jsonl(tmp_path / lu.ITERATIONS_FILE, r)
    test_entry = {"name": test, "status": "pass", "metrics": {}}
    return RunDir(path=tmp_path, report={"tests": [test_entry]}), test_entry


def _spans(ax: Any) -> int:
    return sum(1 for p in ax.patches if p.get_gid() == "kexec-span")


def _texts(fig: Any) -> str:
    return " | ".join(t.get_text() for ax in fig.axes for t in ax.texts)


def test_throughput_plot_marks_each_kexec(tmp_path: Path) -> None:
    recs = [_rec(1, 0), _rec(2, 20),
            # the DUT never came back: shaded up to the iteration's end
            {**_rec(3, 40, error="ConsoleTimeout: dead"), "t_ready": None,
             "t_nic_first_ok": None},
            # broke before the kexec: nothing to shade
            {"iteration": 4, "test": "kexec-live-update", "t_load_start": T0 + 70,
             "t_end": T0 + 71, "error": "CommandError: fio"}]
    # the @ssh variant's records in the same run directory are not this test's
    recs.append(_rec(1, 100, test="kexec-live-update@ssh"))
    rd, t = _run_dir(tmp_path, recs)
    title, fig = tlm.plot_throughput(rd, t)
    assert title == "Disk and NIC throughput over time (3 kexecs)"
    ax_d, ax_n = fig.axes
    assert _spans(ax_d) == _spans(ax_n) == 3
    assert sum(1 for ln in ax_n.lines if ln.get_gid() == "nic-back") == 2
    spans = sorted(p.get_xy()[:, 0].min() for p in ax_d.patches if p.get_gid() == "kexec-span")
    assert spans == pytest.approx([5.0, 25.0, 45.0])
    labels = [t.get_text() for t in ax_d.texts]
    assert labels == ["kexec 1", "kexec 2", "kexec 3 (no DUT)"]
    write = ax_d.lines[0].get_ydata()
    assert write[1:] == pytest.approx([2.0] * 98)           # 1 MB every 0.5 s
    assert max(ax_n.lines[0].get_ydata()) == 3.0
    dots = ax_n.lines[1]          # whole tests too short for a visible step
    assert list(dots.get_xdata()) == pytest.approx([30.025]) and list(dots.get_ydata()) == [1.3]
    html_report.plt.close(fig)


def test_throughput_plot_says_why_there_is_no_disk(tmp_path: Path) -> None:
    rd, t = _run_dir(tmp_path, [_rec(1, 0, test="kexec-live-update@ssh")],
                     test="kexec-live-update@ssh", disk=False)
    title, fig = tlm.plot_throughput(rd, t)
    assert "no disk throughput: target ssh (lab-server): a real server" in _texts(fig)
    assert len(fig.axes[0].lines) == 0 and _spans(fig.axes[0]) == 1
    html_report.plt.close(fig)
    assert tlm.plot_throughput(rd, {"name": "smoke", "metrics": {}}) is None


def test_event_timeline_zero_events_and_types(tmp_path: Path) -> None:
    rd, t = _run_dir(tmp_path, [_rec(1, 0), _rec(2, 20)])
    title, fig = tlm.plot_events(rd, t)
    assert title == "Event timeline (0 SMMU events)"
    ax_s, ax_e = fig.axes
    assert _spans(ax_s) == _spans(ax_e) == 2
    assert "0 SMMU events in 4 event queue reads (2 iterations" in _texts(fig)
    # each step of each iteration is a tick on its row
    ticks = {ln.get_label(): list(ln.get_xdata()) for ln in ax_s.lines}
    assert ticks["kexec -e"] == [5.0, 25.0] and ticks["DUT ready"] == [12.0, 32.0]
    # one x range for both plots: the test's start to its last sample (disk at 49.5 s)
    _, fig_tp = tlm.plot_throughput(rd, t)
    assert ax_e.get_xlim() == fig_tp.axes[1].get_xlim() == pytest.approx((-1, 50.5))
    html_report.plt.close(fig)
    html_report.plt.close(fig_tp)

    other = tmp_path / "typed"
    other.mkdir()
    untyped = _rec(2, 20, events_before=1)      # a record without event types
    del untyped["event_types_before"]
    rd, t = _run_dir(other, [_rec(1, 0, events_after=3,
                                  event_types_after={"C_BAD_STE": 2, "F_TRANSLATION": 1}),
                             untyped])
    title, fig = tlm.plot_events(rd, t)
    assert title == "Event timeline (4 SMMU events)"
    ax_e = fig.axes[1]
    bars = {c.get_label(): [p.get_height() for p in c.patches] for c in ax_e.containers}
    assert bars == {"C_BAD_STE": [0, 2, 0, 0], "F_TRANSLATION": [0, 1, 0, 0],
                    "event (type not recorded)": [0, 0, 1, 0]}
    assert "0 SMMU events" not in _texts(fig)
    html_report.plt.close(fig)


def test_report_page_has_the_timeline_plots(tmp_path: Path) -> None:
    tlm.register()
    names = [p.__name__ for p in html_report.TEST_PLOTS]
    assert names.index("plot_blackout") < names.index("plot_throughput") < \
        names.index("plot_events")
    rd, t = _run_dir(tmp_path, [_rec(1, 0)])
    t["metrics"] = {"blackout_ms": [7000.0], "blackout_nic_ms": [8000.0]}
    page = html_report.render(rd)
    assert "Disk and NIC throughput over time (1 kexec)" in page
    assert "Event timeline (0 SMMU events)" in page
    json.loads((tmp_path / tlm.TIMELINE_FILE).read_text().splitlines()[0])
