"""Devices under transition (devices.py): the emulated list, inventory
`devices`, the suite's (scenario, device) pairs; the NIC workload that
checks a device (workloads.DeviceWorkload) end to end on this host."""
from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import pytest

from smmu_hil_lab import devices, inventory
from smmu_hil_lab.errors import InventoryError
from smmu_hil_lab.resources import QemuMachine, SCRATCH_BDF
from smmu_hil_lab.workloads import DeviceWorkload, parse_ping, ratio

sys.path.insert(0, str(Path(__file__).parent))
from test_workloads import LocalTarget  # noqa: E402


def test_emulated_devices() -> None:
    full = devices.emulated_devices()
    assert [(d.label, d.kind, d.pci) for d in full] == [
        ("edu", "edu", "edu"), ("virtio-blk", "disk", SCRATCH_BDF),
        ("virtio-net", "nic", "0000:00:02.0")]
    assert all(d.allow_transitions and not d.force for d in full)
    assert full[1].disk == "/dev/vdb"       # the scratch disk, never the data disk vda
    assert full[1].agent_args() == f"--device {SCRATCH_BDF}"
    assert [d.label for d in devices.emulated_devices(edu=False)] == ["virtio-blk", "virtio-net"]
    assert devices.find(full, "workload.nic").label == "virtio-net"
    assert devices.find(full, "virtio-blk").role == "workload.disk"
    assert devices.find(full, "gpu") is None


REAL = """
duts:
  - name: srv
    target: ssh
    ssh: {host: 10.0.0.3, key: /k}
    power: {kind: ipmi, host: 10.0.1.3, user: a, password: p}
    console: {kind: sol}
    devices:
      nvme-scratch: {pci: "0000:01:00.0", kind: disk, role: workload.disk,
                     disk: /dev/nvme1n1, allow_transitions: true}
      data-nic: {pci: "02:00.1", kind: nic, role: workload.nic, netdev: enp2s0f1,
                 allow_transitions: true}
      boot-nic: {pci: "02:00.0", kind: nic, netdev: enp2s0f0}
"""


def test_inventory_devices(tmp_path: Path) -> None:
    f = tmp_path / "inv.yaml"
    f.write_text(REAL)
    dut = inventory.select(f)
    assert dut.devices is not None
    d = {x.label: x for x in dut.devices}
    assert d["nvme-scratch"].disk == "/dev/nvme1n1" and d["nvme-scratch"].allow_transitions
    assert d["data-nic"].agent_args() == "--device 02:00.1"
    assert not d["boot-nic"].allow_transitions            # default: not allowed
    # without `devices`: the target's own list
    f.write_text(REAL.split("    devices:")[0])
    assert inventory.select(f).devices is None


@pytest.mark.parametrize("entry,problem", [
    ("x: {kind: gpu}", "devices.x.kind': must be one of edu, disk, nic"),
    ("x: {kind: disk, pci: '1:2'}", "devices.x.pci': must be a PCI address"),
    ("x: {kind: disk, pci: '00:01.0'}", "devices.x.disk': missing"),
    ("x: {kind: nic, pci: '00:01.0'}", "devices.x.netdev': missing"),
    ("x: {kind: edu, allow_transitions: yes please}", "allow_transitions': must be true or false"),
    ("x: {kind: edu, role: workload.gpu}", "devices.x.role': must be one of"),
    ("x: {kind: edu, colour: red}", "devices.x.colour': unknown"),
    ("'a b': {kind: edu}", "a label is"),
    ("x: {kind: disk, pci: '00:01.0', disk: /dev/a, role: workload.disk}\n"
     "      y: {kind: disk, pci: '00:02.0', disk: /dev/b, role: workload.disk}",
     "workload.disk is already x's"),
])
def test_inventory_devices_rejected(tmp_path: Path, entry: str, problem: str) -> None:
    f = tmp_path / "inv.yaml"
    f.write_text(REAL.split("    devices:")[0] + "    devices:\n      " + entry + "\n")
    with pytest.raises(InventoryError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        inventory.load(f)


def test_device_params_breaking_last() -> None:
    devs = devices.emulated_devices()
    scen = {"raw-hitless": ("edu", "disk", "nic"), "raw-breaking-dwell": ("edu", "disk", "nic"),
            "disk-only": ("disk",)}
    pairs = devices.device_params(scen, devs, breaking={"raw-breaking-dwell"})
    assert pairs == [("disk-only", "virtio-blk"), ("raw-breaking-dwell", "edu"),
                     ("raw-hitless", "edu"), ("raw-hitless", "virtio-blk"),
                     ("raw-hitless", "virtio-net"),
                     ("raw-breaking-dwell", "virtio-blk"), ("raw-breaking-dwell", "virtio-net")]
    # without edu the suite still runs on the virtio devices
    assert ("raw-hitless", "virtio-blk") in devices.device_params(
        scen, devices.emulated_devices(edu=False), set())


def test_machine_scratch_disk_and_no_edu(tmp_path: Path) -> None:
    for f in ("k", "i", "d", "s"):
        (tmp_path / f).write_text("")
    common = dict(kernel=tmp_path / "k", initrd=tmp_path / "i", data_disk=tmp_path / "d",
                  share=tmp_path, qemu=sys.executable)
    args = " ".join(QemuMachine(scratch_disk=tmp_path / "s", **common).interactive_argv())
    assert f"file={tmp_path / 's'},format=raw" in args
    assert ("virtio-blk-pci,drive=scratch,addr=0x5,serial=smmu-hil-scratch,"
            "disable-legacy=on,iommu_platform=on") in args
    assert "-device edu" in args
    args = " ".join(QemuMachine(edu=False, **common).interactive_argv())
    assert "-device edu" not in args and "drive=scratch" not in args


def test_parse_ping_and_ratio() -> None:
    assert parse_ping("--- 10.0.2.2 ping statistics ---\n"
                      "400 packets transmitted, 398 packets received, 0% packet loss\n") == (400, 398)
    assert parse_ping("3 packets transmitted, 3 received, 0% packet loss, time 2003ms") == (3, 3)
    assert parse_ping("ping: sendto: Network unreachable") is None
    assert ratio(3.0, 4.0) == 0.75 and ratio(1.0, 0.0) is None


FAKE_PING = """#!{py}
import signal, sys, time
sent = 0
def stop(*_):
    print(f"{{sent}} packets transmitted, {{sent}} packets received, 0% packet loss")
    sys.exit(0)
signal.signal(signal.SIGINT, stop)
while True:
    sent += 1
    time.sleep(0.05)
"""


@pytest.mark.skipif(shutil.which("iperf3") is None, reason="iperf3 not installed")
def test_nic_workload_end_to_end(tmp_path: Path) -> None:
    """Baseline, then the workload around a (pretend) scenario on this host's
    loopback: throughput without / with and their ratio, ping, lo's counters."""
    ping = tmp_path / "ping"
    ping.write_text(FAKE_PING.format(py=sys.executable))
    ping.chmod(0o755)
    dev = devices.TransitionDevice("lo", "00:00.0", "nic", netdev="lo", allow_transitions=True)
    wl = DeviceWorkload(LocalTarget(tmp_path), dev, breaking=False, log_dir=tmp_path,
                        baseline_s=1)
    wl.ping = str(ping)
    try:
        wl.baseline()
        assert wl.without > 0 and wl.metrics["throughput_unit"] == "Mbit/s"
        wl.start()
        time.sleep(1.0)
        wl.stop()
    finally:
        for f in ("dev-ping.out", "dev-ping.pid"):
            Path("/tmp", f).unlink(missing_ok=True)
    m = wl.metrics
    assert wl.problems == [], wl.problems
    assert m["throughput_with"] > 0 and m["throughput_ratio"] == ratio(m["throughput_with"],
                                                                      wl.without)
    assert m["ping_sent"] == m["ping_received"] > 0
    assert m["lo_rx_errors"] == 0 and m["lo_tx_dropped"] == 0
    assert m["iperf3_errors"] == 0
    assert os.path.exists(tmp_path / "iperf3-server.log")


def test_example_server_inventory() -> None:
    """docs/examples/real-server-inventory.yaml (the qualification guide's)."""
    f = Path(__file__).resolve().parents[2] / "docs" / "examples" / "real-server-inventory.yaml"
    dut = inventory.select(f)
    assert dut.target == "ssh" and dut.devices is not None
    allowed = {d.label: d.kind for d in dut.devices if d.allow_transitions}
    assert allowed == {"nvme-scratch": "disk", "data-nic": "nic"}
    assert devices.find(list(dut.devices), "workload.disk").disk == "/dev/nvme1n1"
    assert dut.workloads["peer_address"] == "10.0.2.1"
