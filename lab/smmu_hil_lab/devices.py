"""Devices under transition: which PCI devices of a DUT the transition suite
may move (STE/CD transitions while their own traffic flows), and how their
DMA is checked.

A device has a label (the test's name suffix: raw-hitless@virtio-blk), a
PCI address (or `edu`), a kind (edu: the agent's edu round trips; disk:
fio with crc32c verify on its block device; nic: iperf3 to the lab peer,
ping and the interface's error counters), an optional inventory role
(workload.disk, workload.nic) and whether transitions are allowed on it.
The emulated DUT's list is built in (emulated_devices()); a real server's
comes from its inventory entry:

```yaml
devices:
  nvme-scratch: {pci: "0000:01:00.0", kind: disk, role: workload.disk,
                 disk: /dev/nvme1n1, allow_transitions: true}
  data-nic:     {pci: "0000:02:00.1", kind: nic, role: workload.nic,
                 netdev: enp2s0f1, allow_transitions: true}
```

The agent refuses the disk that holds / and the NIC of the SSH session
on its own; `force: true` is the inventory's explicit override.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .errors import InventoryError
from .resources import SCRATCH_BDF

KINDS = ("edu", "disk", "nic")
ROLES = ("workload.disk", "workload.nic")
_KEYS = {"pci", "kind", "role", "disk", "netdev", "allow_transitions", "force"}
_BDF = re.compile(r"^([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[01][0-9a-fA-F]\.[0-7]$")
_LABEL = re.compile(r"^[A-Za-z0-9_.-]{1,31}$")
# The emulated DUT's virtio-net: the second PCI device QEMU places (slot 2)
EMULATED_NIC_BDF = "0000:00:02.0"


@dataclass(frozen=True)
class TransitionDevice:
    """One device the transition suite may move."""

    label: str
    pci: str                  # "edu" or a PCI address (smmu-hil run --device)
    kind: str                 # edu | disk | nic
    role: str = ""            # workload.disk | workload.nic
    disk: str = ""            # the block device fio verifies (kind disk)
    netdev: str = ""          # the interface whose counters are read (kind nic)
    allow_transitions: bool = False
    force: bool = False       # move it even if it holds / or the SSH session

    def agent_args(self) -> str:
        """`smmu-hil run` options selecting this device."""
        return f"--device {self.pci}" + (" --force" if self.force else "")


def emulated_devices(edu: bool = True) -> list[TransitionDevice]:
    """The emulated DUT's devices under transition: edu (when the machine has
    it), the scratch virtio-blk disk (never the data disk) and virtio-net."""
    devs = [TransitionDevice("edu", "edu", "edu", allow_transitions=True)] if edu else []
    return devs + [
        TransitionDevice("virtio-blk", SCRATCH_BDF, "disk", role="workload.disk",
                         disk="/dev/vdb", allow_transitions=True),
        TransitionDevice("virtio-net", EMULATED_NIC_BDF, "nic", role="workload.nic",
                         netdev="eth0", allow_transitions=True),
    ]


def parse_devices(doc: Any, where: str) -> list[TransitionDevice]:
    """Validate an inventory entry's `devices` mapping (label -> device).

    Raises InventoryError naming @where and the key."""
    def fail(key: str, problem: str) -> InventoryError:
        return InventoryError(f"{where}: key 'devices.{key}': {problem}")

    if not isinstance(doc, dict):
        raise InventoryError(f"{where}: key 'devices': must be a mapping of labels to devices")
    out: list[TransitionDevice] = []
    roles: dict[str, str] = {}
    for label, d in doc.items():
        if not isinstance(label, str) or not _LABEL.match(label):
            raise fail(str(label), "a label is 1-31 letters, digits, '.', '_' or '-'")
        if not isinstance(d, dict):
            raise fail(label, "must be a mapping")
        for k in d:
            if k not in _KEYS:
                raise fail(f"{label}.{k}", f"unknown (known: {', '.join(sorted(_KEYS))})")
        kind = d.get("kind")
        if kind not in KINDS:
            raise fail(f"{label}.kind", f"must be one of {', '.join(KINDS)} (got {kind!r})")
        pci = d.get("pci", "edu" if kind == "edu" else None)
        if not isinstance(pci, str) or not (pci == "edu" or _BDF.match(pci)):
            raise fail(f"{label}.pci", "must be a PCI address ([DDDD:]BB:DD.F) or edu")
        for k in ("allow_transitions", "force"):
            if not isinstance(d.get(k, False), bool):
                raise fail(f"{label}.{k}", "must be true or false")
        for k in ("role", "disk", "netdev"):
            if k in d and (not isinstance(d[k], str) or not d[k]):
                raise fail(f"{label}.{k}", "must be a non-empty string")
        role = d.get("role", "")
        if role and role not in ROLES:
            raise fail(f"{label}.role", f"must be one of {', '.join(ROLES)}")
        if role in roles:
            raise fail(f"{label}.role", f"{role} is already {roles[role]}'s")
        if role:
            roles[role] = label
        if kind == "disk" and not d.get("disk"):
            raise fail(f"{label}.disk", "missing (the block device fio verifies)")
        if kind == "nic" and not d.get("netdev"):
            raise fail(f"{label}.netdev", "missing (the interface whose counters are read)")
        out.append(TransitionDevice(label=label, pci=pci, kind=kind, role=role,
                                    disk=d.get("disk", ""), netdev=d.get("netdev", ""),
                                    allow_transitions=d.get("allow_transitions", False),
                                    force=d.get("force", False)))
    return out


def find(devices: list[TransitionDevice], name: str) -> TransitionDevice | None:
    """The device labelled @name, or playing role @name (workload.disk)."""
    for d in devices:
        if name in (d.label, d.role):
            return d
    return None


def device_params(scenarios: dict[str, tuple[str, ...]], devices: list[TransitionDevice],
                  breaking: set[str]) -> list[tuple[str, str]]:
    """The (scenario, device label) pairs the transition suite runs: each
    scenario (name -> the device kinds it declares) on each device of those
    kinds. Scenarios in @breaking run last on devices other than edu (a
    breaking update may leave a real device broken until the DUT reboots)."""
    first, last = [], []
    for name in sorted(scenarios):
        for d in devices:
            if d.kind in scenarios[name]:
                (last if name in breaking and d.kind != "edu" else first).append((name, d.label))
    return first + last
