"""Inventory parsing/validation and the ipmitool/ssh command lines (no DUT)."""
from __future__ import annotations

from pathlib import Path

import pytest

from smmu_hil_lab import inventory
from smmu_hil_lab.inventory import InventoryError
from smmu_hil_lab.drivers import ipmitool_argv, sol_port, ssh_argv
from smmu_hil_lab.resources import BmcAccess, SshAccess

INV = Path(__file__).resolve().parents[1] / "inventory"


def test_shipped_inventories_load() -> None:
    ssh = inventory.select(INV / "emulated-ssh.yaml")
    assert (ssh.target, ssh.emulated, ssh.power.kind, ssh.console.kind) == \
        ("ssh", True, "ipmi", "sol")
    assert ssh.power.cipher_suite == 3 and ssh.ssh is not None and ssh.ssh.port == "auto"
    assert ssh.kexec["kernel"] == "/mnt/host/Image" and ssh.workloads["disk"] == "/dev/vda"
    q = inventory.select(INV / "emulated.yaml", "emulated")
    assert (q.target, q.power.kind, q.console.kind) == ("qemu", "qmp", "qemu-serial")


REAL = """
duts:
  - name: rack1-srv3
    target: ssh
    ssh: {host: 10.0.0.3, user: root, key: ~/.ssh/lab}
    power: {kind: ipmi, host: 10.0.1.3, user: admin, password: pw, cipher_suite: 17}
    console: {kind: command, argv: [conserver, srv3]}
"""


def _load(tmp_path: Path, text: str) -> list[inventory.Dut]:
    f = tmp_path / "inv.yaml"
    f.write_text(text)
    return inventory.load(f)


def test_real_server(tmp_path: Path) -> None:
    d = _load(tmp_path, REAL)[0]
    assert d.power.port == 623 and d.ssh is not None and d.ssh.port == 22
    assert d.console.argv == ("conserver", "srv3") and not d.emulated


def test_iperf3_peer_of_a_dut(tmp_path: Path) -> None:
    from smmu_hil_lab.targets.ssh import host_peer
    real = _load(tmp_path, REAL)[0]
    assert host_peer(real) is None          # a real server names its peer or has none
    named = _load(tmp_path, REAL + "    workloads: {disk: /dev/nvme0n1, peer_address: 10.0.0.1}\n")[0]
    peer = host_peer(named)
    assert peer is not None and (peer.bind, peer.dut_address) == ("0.0.0.0", "10.0.0.1")
    emulated = inventory.select(INV / "emulated-ssh.yaml")
    peer = host_peer(emulated)               # QEMU user networking
    assert peer is not None and (peer.bind, peer.dut_address) == ("127.0.0.1", "10.0.2.2")


@pytest.mark.parametrize("old,new,msg", [
    ("cipher_suite: 17", "cipher_suite: 18", "power.cipher_suite"),
    ("target: ssh", "target: lava", "key 'target'"),
    ("key: ~/.ssh/lab", "key: per-run", "ssh.key"),
    ("host: 10.0.0.3,", "host: 10.0.0.3, port: auto,", "ssh.port"),
    ("kind: ipmi", "kind: qmp", "power.kind"),
    ("argv: [conserver, srv3]", "argv: []", "console.argv"),
    ("    console: {kind: command, argv: [conserver, srv3]}\n", "", "key 'console': missing"),
    ("name: rack1-srv3", "name: rack1-srv3\n    colour: red", "key 'colour'"),
    ("user: admin, password: pw,", "user: admin,", "power.password"),
])
def test_invalid(tmp_path: Path, old: str, new: str, msg: str) -> None:
    assert old in REAL
    with pytest.raises(InventoryError, match=msg.replace(".", r"\.")) as e:
        _load(tmp_path, REAL.replace(old, new))
    assert "duts[0]" in str(e.value)


def test_file_level_errors(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match="one key, 'duts'"):
        _load(tmp_path, "[1, 2]")
    with pytest.raises(InventoryError, match="not YAML"):
        _load(tmp_path, "duts: [\n")
    with pytest.raises(InventoryError, match="duplicate"):
        _load(tmp_path, REAL + REAL.split("duts:\n", 1)[1])
    f = tmp_path / "inv.yaml"
    f.write_text(REAL)
    with pytest.raises(InventoryError, match="no DUT named 'x'"):
        inventory.select(f, "x")


def test_ipmitool_argv() -> None:
    b = BmcAccess("10.0.1.3", 623, "admin", "pw", 17)
    assert ipmitool_argv(b, "chassis", "power", "cycle") == [
        "ipmitool", "-I", "lanplus", "-H", "10.0.1.3", "-p", "623", "-U", "admin",
        "-E", "-C", "17", "chassis", "power", "cycle"]
    assert "pw" not in ipmitool_argv(b, "chassis", "power", "status")   # not in ps
    sol = sol_port(b)
    assert sol.argv[-2:] == ("sol", "activate") and sol.env == {"IPMI_PASSWORD": "pw"}


def test_ssh_argv(tmp_path: Path) -> None:
    a = SshAccess("127.0.0.1", 2222, "root", tmp_path / "k", tmp_path / "kh")
    argv = ssh_argv(a, "uname -r", connect_timeout=7)
    assert argv[:5] == ["ssh", "-i", str(tmp_path / "k"), "-p", "2222"]
    for opt in ("BatchMode=yes", "ConnectTimeout=7", "StrictHostKeyChecking=no",
                f"UserKnownHostsFile={tmp_path / 'kh'}"):
        assert opt in argv
    assert argv[-2] == "root@127.0.0.1" and argv[-1].endswith("uname -r")
