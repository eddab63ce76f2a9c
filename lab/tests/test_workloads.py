"""Workloads (no DUT): iperf3 output parsing, the host iperf3 peer with a real
server on 127.0.0.1, the on/off cost statistics, fio metrics."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from smmu_hil_lab.agent import parse_fio
from smmu_hil_lab.resources import HostNetPeer
from smmu_hil_lab.targets import Target
from smmu_hil_lab.workloads import (Iperf3Peer, WorkloadError, Workloads, free_port, listening,
                                    median, on_off_cost, parse_iperf3)


def run_doc(nbytes: int, seconds: float, retransmits: int = 0) -> dict:
    """An iperf3 -J client document (the keys parse_iperf3 reads)."""
    return {"start": {"connected": [{"remote_host": "10.0.2.2"}]}, "intervals": [],
            "end": {"sum_sent": {"bytes": nbytes, "seconds": seconds,
                                 "retransmits": retransmits, "sender": True},
                    "sum_received": {"bytes": nbytes, "seconds": seconds,
                                     "sender": True}}}


def loop_output(*runs: tuple[object, int]) -> str:
    """What Iperf3Client's loop writes: each run's output, a blank line, the mark."""
    out = ""
    for body, rc in runs:
        text = json.dumps(body, indent="\t") if isinstance(body, dict) else str(body)
        out += f"{text}\n\n@@iperf3-rc {rc}@@\n"
    return out


def test_parse_iperf3_sums_runs() -> None:
    r = parse_iperf3(loop_output((run_doc(50_000_000, 5.0, 2), 0),
                                 (run_doc(75_000_000, 5.0, 1), 0)))
    assert (r.runs, r.bytes_received, r.seconds, r.retransmits) == (2, 125_000_000, 10.0, 3)
    assert r.errors == []
    assert r.mbps == pytest.approx(100.0)
    m = r.metrics()
    assert m["iperf3_mbps"] == 100.0 and m["iperf3_errors"] == 0 and m["iperf3_runs"] == 2


def test_parse_iperf3_errors() -> None:
    refused = {"start": {"connected": []}, "intervals": [], "end": {},
               "error": "unable to connect to server: Connection refused"}
    out = loop_output((run_doc(1000, 1.0), 0), (refused, 1), ("iperf3: killed", 137),
                      (run_doc(1000, 1.0), 3), (run_doc(0, 1.0), 0))
    r = parse_iperf3(out)
    assert r.runs == 5 and r.bytes_received == 2000
    assert len(r.errors) == 4
    assert "Connection refused" in r.errors[0]
    assert "no JSON (rc 137)" in r.errors[1]
    assert "exited 3" in r.errors[2]
    assert "no bytes" in r.errors[3]
    assert r.metrics()["iperf3_errors"] == 4


def test_parse_iperf3_nothing() -> None:
    r = parse_iperf3("")
    assert r.runs == 0 and r.mbps == 0.0 and r.errors == []


@pytest.mark.skipif(shutil.which("iperf3") is None, reason="iperf3 not installed")
def test_peer_serves_a_real_client_then_stops(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    with Iperf3Peer(HostNetPeer(), log=log, max_s=60) as peer:
        port = peer.port
        assert port is not None and listening(port)
        pid = peer.proc.pid
        cli = subprocess.run(["iperf3", "-c", "127.0.0.1", "-p", str(port), "-t", "1", "-J"],
                             capture_output=True, text=True, timeout=30)
        assert cli.returncode == 0, cli.stdout[-500:]
        r = parse_iperf3(f"{cli.stdout}\n@@iperf3-rc {cli.returncode}@@\n")
        assert r.errors == [] and r.bytes_received > 0 and r.mbps > 0
    # stopped: nothing listens, the process (and its iperf3 child) is gone
    assert peer.proc is None and peer.port is None
    assert not listening(port)
    assert not os.path.exists(f"/proc/{pid}") or \
        Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    peer.stop()     # idempotent


def test_peer_reports_a_server_that_exits(tmp_path: Path) -> None:
    peer = Iperf3Peer(HostNetPeer(), exe="false", start_timeout=2)
    with pytest.raises(WorkloadError, match="exited"):
        peer.start()
    assert peer.proc is None


def test_peer_missing_program() -> None:
    # `timeout` runs, the program does not exist: timeout exits 127
    with pytest.raises(WorkloadError):
        Iperf3Peer(HostNetPeer(), exe="/nonexistent/iperf3", start_timeout=2).start()


def test_free_port_is_free() -> None:
    port = free_port()
    assert 0 < port < 65536 and not listening(port)


def test_median_and_on_off_cost() -> None:
    assert median([3.0, 1.0, 2.0]) == 2.0 and median([4.0, 1.0, 3.0, 2.0]) == 2.5
    with pytest.raises(ValueError):
        median([])
    c = on_off_cost([985.0, 990.0, 995.0], [1000.0, 1010.0, 990.0], goal_pct=2)
    assert (c["iops_on"], c["iops_off"]) == (990, 1000)
    assert c["overhead_pct"] == 1.0 and c["goal_met"] is True
    assert c["spread_pct"] == 2.0                      # (1010 - 990) / 1000
    assert c["conclusive"] is True
    assert c["iops_on_rounds"] == [985, 990, 995] and c["iops_off_rounds"] == [1000, 1010, 990]
    c = on_off_cost([900.0], [1000.0], goal_pct=2)
    assert c["overhead_pct"] == 10.0 and c["goal_met"] is False
    c = on_off_cost([1100.0], [1000.0], goal_pct=2)   # on faster: negative cost, noise
    assert c["overhead_pct"] == -10.0 and c["goal_met"] is True
    c = on_off_cost([994.0, 1410.0, 1236.0], [1053.0, 924.0, 917.0], goal_pct=2)
    assert c["overhead_pct"] == -33.77 and c["spread_pct"] == 33.7   # the emulated DUT
    assert c["conclusive"] is False
    with pytest.raises(ValueError):
        on_off_cost([1.0], [0.0], goal_pct=2)


def test_fio_metrics_iops_and_rate() -> None:
    doc = {"jobs": [{"error": 0, "job_runtime": 2000,
                     "read": {"io_bytes": 2 << 20, "iops": 256.0},
                     "write": {"io_bytes": 6 << 20, "iops": 768.4}}]}
    r = parse_fio(0, json.dumps(doc), 0)
    assert r.read_iops == 256.0 and r.runtime_ms == 2000
    assert r.metrics() == {"fio_verify_errors": 0, "fio_error": 0, "fio_mib_written": 6.0,
                           "fio_mib_verified": 2.0, "fio_write_iops": 768, "fio_mib_s": 4.0}


class LocalTarget(Target):
    """A "DUT" that is this machine's shell: runs Iperf3Client's loop here,
    against a peer on 127.0.0.1."""

    name = "local"
    host_peer = HostNetPeer(bind="127.0.0.1", dut_address="127.0.0.1")

    def power_on(self) -> None:
        pass

    def kexec_files(self) -> tuple[str, str]:
        return "/k", "/i"

    def run(self, cmd: str, timeout: float = 60.0, raw: bool = False) -> tuple[int, str]:
        p = subprocess.run(["sh", "-c", cmd], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=timeout)
        return p.returncode, p.stdout


@pytest.mark.skipif(shutil.which("iperf3") is None, reason="iperf3 not installed")
def test_workloads_iperf3_loop_end_to_end(tmp_path: Path) -> None:
    tag = f"shl-test-{os.getpid()}"
    wl = Workloads(LocalTarget(tmp_path), ["edu-dma", "iperf3"], log_dir=tmp_path,
                   iperf3_seconds=1, tag=tag)
    assert wl.names == ["iperf3"] and wl.fio is None        # edu-dma is the agent's
    with wl:
        port = wl.peer.port
        time.sleep(1.5)                                       # the scenario
    assert wl.problems == [], wl.problems
    m = wl.metrics
    assert m["iperf3_runs"] >= 1 and m["iperf3_errors"] == 0 and m["iperf3_mbps"] > 0
    assert wl.peer.proc is None and not listening(port)     # the host server is gone
    assert subprocess.run(["pgrep", "-f", f"iperf3 -c 127.0.0.1 -p {port}"]).returncode == 1
    for suffix in ("out", "pid", "stop"):
        Path(f"/tmp/{tag}-iperf3.{suffix}").unlink(missing_ok=True)


def test_workloads_without_a_host_peer(tmp_path: Path) -> None:
    t = LocalTarget(tmp_path)
    t.host_peer = None
    with pytest.raises(WorkloadError, match="no host network peer"):
        with Workloads(t, ["iperf3"], tag=f"shl-test-{os.getpid()}"):
            raise AssertionError("not reached")
