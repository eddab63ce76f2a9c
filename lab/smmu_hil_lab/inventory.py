"""Lab inventory: the DUTs a run can use, one YAML file (lab/inventory/*.yaml).

```yaml
duts:
  - name: emulated-ssh
    target: ssh                 # qemu | ssh
    emulated: true              # the lab runs this DUT itself (QEMU, ipmi_sim as BMC)
    ssh: {host: 127.0.0.1, port: auto, user: root, key: per-run}
    power: {kind: ipmi, host: 127.0.0.1, port: auto, user: admin,
            password: secret, cipher_suite: 3}
    console: {kind: sol}        # sol | command (argv: [...]) | qemu-serial
    workloads: {disk: /dev/vda, nic: eth0}   # + peer_address, peer_bind (iperf3)
    kexec: {kernel: /mnt/host/Image, initrd: /mnt/host/initrd.cpio}
    smmu_model: nested          # emulated DUTs (qemu or emulated: true): nested | s1 | s2
    devices:                    # devices the transition suite may move (devices.py)
      nvme-scratch: {pci: "0000:01:00.0", kind: disk, role: workload.disk,
                     disk: /dev/nvme1n1, allow_transitions: true}
```

`port: auto` picks a free loopback port (emulated DUTs only); `key: per-run`
makes a key pair for the run (emulated DUTs only: a real server's
authorized_keys must already hold a key named by path). `smmu_model` picks
the translation stages of an emulated DUT's SMMU (smmu_model.py; default
$SMMU_HIL_SMMU_MODEL, else nested); a real server's SMMU is what it is. load() validates
everything and raises InventoryError naming the file and the key.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


from . import smmu_model as smmu_models, yamlfile
from .devices import TransitionDevice, parse_devices
from .errors import InventoryError

KINDS = {"target": ("qemu", "ssh"), "power": ("ipmi", "qmp"),
         "console": ("sol", "command", "qemu-serial")}
AUTO = "auto"
PER_RUN = "per-run"


@dataclass(frozen=True)
class SshSpec:
    """How to reach the DUT over SSH; port may be "auto", key "per-run"."""

    host: str
    port: int | str = 22
    user: str = "root"
    key: str = PER_RUN


@dataclass(frozen=True)
class PowerSpec:
    """How to power the DUT: IPMI (lanplus) or QMP (the qemu target)."""

    kind: str
    host: str = "127.0.0.1"
    port: int | str = 623
    user: str = ""
    password: str = ""
    cipher_suite: int = 3


@dataclass(frozen=True)
class ConsoleSpec:
    """How to read the DUT's console: IPMI SOL, a command, or QEMU's serial."""

    kind: str
    argv: tuple[str, ...] = ()


@dataclass(frozen=True)
class Dut:
    """One DUT of the inventory."""

    name: str
    target: str
    power: PowerSpec
    console: ConsoleSpec
    ssh: SshSpec | None = None
    emulated: bool = False
    workloads: dict[str, str] = field(default_factory=dict)
    kexec: dict[str, str] = field(default_factory=dict)
    # None: the target's own list (the emulated DUT's built-in one)
    devices: tuple[TransitionDevice, ...] | None = None
    # an emulated DUT's SMMU model (None: the environment's, else nested)
    smmu_model: str | None = None


_TOP = {"name", "target", "emulated", "ssh", "power", "console", "workloads", "kexec",
        "devices", "smmu_model"}
_SSH = {"host", "port", "user", "key"}
_POWER = {"kind", "host", "port", "user", "password", "cipher_suite"}
_CONSOLE = {"kind", "argv"}
# peer_address: how the DUT reaches the lab host's iperf3 server;
# peer_bind: where that server listens on the lab host (default 0.0.0.0)
_WORKLOADS = {"disk", "nic", "peer_address", "peer_bind"}
_KEXEC = {"kernel", "initrd"}


class _Checker:
    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, key: str, problem: str) -> InventoryError:
        return InventoryError(f"{self.where}: key '{key}': {problem}")

    def mapping(self, value: Any, key: str, allowed: set[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key or "dut", "must be a mapping")
        for k in value:
            if k not in allowed:
                raise self.fail(f"{key}.{k}" if key else str(k), f"unknown (known: {', '.join(sorted(allowed))})")
        return value

    def string(self, m: dict[str, Any], key: str, path: str, default: str | None = None) -> str:
        v = m.get(key, default)
        if not isinstance(v, str) or not v:
            raise self.fail(f"{path}.{key}" if path else key, "must be a non-empty string")
        return v

    def port(self, m: dict[str, Any], key: str, path: str, default: int,
             auto_ok: bool) -> int | str:
        v = m.get(key, default)
        if v == AUTO and auto_ok:
            return v
        if isinstance(v, bool) or not isinstance(v, int) or not 0 < v < 65536:
            raise self.fail(f"{path}.{key}", "must be a port number 1-65535"
                            + (" or 'auto'" if auto_ok else " ('auto' needs emulated: true)"))
        return v

    def kind(self, m: dict[str, Any], key: str, path: str, choices: tuple[str, ...]) -> str:
        v = m.get(key)
        if v not in choices:
            raise self.fail(f"{path}.{key}" if path else key,
                            f"must be one of {', '.join(choices)} (got {v!r})")
        return str(v)


def parse_dut(d: Any, where: str) -> Dut:
    """Validate one DUT mapping (@where names it in errors). Raises InventoryError."""
    c = _Checker(where)
    d = c.mapping(d, "", _TOP)
    for k in ("name", "target", "power", "console"):
        if k not in d:
            raise c.fail(k, "missing")
    name = c.string(d, "name", "")
    target = c.kind(d, "target", "", KINDS["target"])
    emulated = d.get("emulated", False)
    if not isinstance(emulated, bool):
        raise c.fail("emulated", "must be true or false")

    p = c.mapping(d["power"], "power", _POWER)
    kind = c.kind(p, "kind", "power", KINDS["power"])
    if kind == "ipmi":
        suite = p.get("cipher_suite", 3)
        if isinstance(suite, bool) or not isinstance(suite, int) or not 0 <= suite <= 17:
            raise c.fail("power.cipher_suite", "must be an integer 0-17")
        power = PowerSpec(kind=kind, host=c.string(p, "host", "power"),
                          port=c.port(p, "port", "power", 623, emulated),
                          user=c.string(p, "user", "power"),
                          password=c.string(p, "password", "power"), cipher_suite=suite)
    else:
        if target != "qemu":
            raise c.fail("power.kind", "qmp powers only a qemu target")
        power = PowerSpec(kind=kind)

    con = c.mapping(d["console"], "console", _CONSOLE)
    ckind = c.kind(con, "kind", "console", KINDS["console"])
    argv: tuple[str, ...] = ()
    if ckind == "command":
        raw = con.get("argv")
        if not isinstance(raw, list) or not raw or not all(isinstance(a, str) for a in raw):
            raise c.fail("console.argv", "must be a non-empty list of strings")
        argv = tuple(raw)
    if ckind == "sol" and kind != "ipmi":
        raise c.fail("console.kind", "sol needs power.kind ipmi (the BMC serves SOL)")
    if ckind == "qemu-serial" and target != "qemu":
        raise c.fail("console.kind", "qemu-serial is the qemu target's console")

    ssh = None
    if "ssh" in d:
        s = c.mapping(d["ssh"], "ssh", _SSH)
        key = c.string(s, "key", "ssh", PER_RUN)
        if key == PER_RUN and not emulated:
            raise c.fail("ssh.key", "per-run keys need emulated: true; name a key file")
        ssh = SshSpec(host=c.string(s, "host", "ssh"), port=c.port(s, "port", "ssh", 22, emulated),
                      user=c.string(s, "user", "ssh", "root"), key=key)
    if target == "ssh":
        if ssh is None:
            raise c.fail("ssh", "missing (the ssh target needs it)")
        if kind != "ipmi":
            raise c.fail("power.kind", "the ssh target is powered over ipmi")
    sections = {}
    for key, allowed in (("workloads", _WORKLOADS), ("kexec", _KEXEC)):
        m = c.mapping(d.get(key, {}), key, allowed)
        for k in m:
            c.string(m, k, key)
        sections[key] = dict(m)
    devices = tuple(parse_devices(d["devices"], where)) if "devices" in d else None
    model = None
    if "smmu_model" in d:
        model = d["smmu_model"]
        if model not in smmu_models.MODELS:
            raise c.fail("smmu_model", f"must be one of {', '.join(smmu_models.MODELS)} "
                         f"(got {model!r})")
        if target != "qemu" and not emulated:
            raise c.fail("smmu_model", "selects an emulated DUT's SMMU (target qemu or "
                         "emulated: true); a real server's SMMU is what it is")
    return Dut(name=name, target=target, power=power, console=ConsoleSpec(ckind, argv),
               ssh=ssh, emulated=emulated, devices=devices, smmu_model=model, **sections)


def load(path: Path) -> list[Dut]:
    """Load and validate the inventory @path. Raises InventoryError."""
    doc = yamlfile.read(path, InventoryError)
    if not isinstance(doc, dict) or set(doc) != {"duts"}:
        raise InventoryError(f"{path}: must be a mapping with one key, 'duts'")
    if not isinstance(doc["duts"], list) or not doc["duts"]:
        raise InventoryError(f"{path}: key 'duts': must be a non-empty list")
    duts = [parse_dut(d, f"{path}: duts[{i}]") for i, d in enumerate(doc["duts"])]
    names = [d.name for d in duts]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise InventoryError(f"{path}: duplicate DUT name(s): {', '.join(sorted(dup))}")
    return duts


def select(path: Path, name: str | None = None) -> Dut:
    """The DUT @name of inventory @path (the first when @name is None).

    Raises InventoryError."""
    duts = load(path)
    if name is None:
        return duts[0]
    for d in duts:
        if d.name == name:
            return d
    raise InventoryError(f"{path}: no DUT named {name!r} (known: "
                         f"{', '.join(d.name for d in duts)})")
