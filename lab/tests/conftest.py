"""Fakes for the lab controller's unit tests: a fake QEMU (QMP + serial
console + shell, tests/fake_qemu.py) behind the real QemuTarget."""
from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest

from smmu_hil_lab.resources import QemuMachine, QMPSocket, UnixSocketSerialPort
from smmu_hil_lab.targets.qemu import QemuTarget

FAKE_QEMU = Path(__file__).with_name("fake_qemu.py")
# SMMU_IDR0 of each SMMU model: S1P is bit 1, S2P bit 0 (the rest as QEMU's)
FAKE_IDR0 = {"nested": 0x0d40101b, "s1": 0x0d40101a, "s2": 0x0d401019}


@dataclass
class FakeMachine(QemuMachine):
    """A QemuMachine whose argv starts tests/fake_qemu.py."""

    fake_flags: list[str] = field(default_factory=list)

    def argv(self) -> list[str]:
        # the fake SMMU has the stages of the machine's model unless a flag says
        idr0 = [] if "--idr0" in self.fake_flags else ["--idr0", hex(FAKE_IDR0[self.smmu_model])]
        return [sys.executable, str(FAKE_QEMU), "--qmp", str(self.qmp.path),
                "--serial", str(self.serial.path), *idr0, *self.fake_flags]


@pytest.fixture
def sockdir() -> Iterator[Path]:
    """A short directory for unix sockets."""
    with tempfile.TemporaryDirectory(prefix="shl-t-") as d:
        yield Path(d)


def fake_machine(sockdir: Path, *flags: str, smmu_model: str = "nested") -> FakeMachine:
    """A fake machine with its sockets in @sockdir and an SMMU of @smmu_model."""
    return FakeMachine(kernel=Path("/k"), initrd=Path("/i"), data_disk=Path("/d"),
                       share=sockdir, serial=UnixSocketSerialPort(sockdir / "con.sock"),
                       qmp=QMPSocket(sockdir / "qmp.sock"), fake_flags=list(flags),
                       smmu_model=smmu_model)


@pytest.fixture
def make_target(sockdir: Path, tmp_path: Path) -> Iterator:
    """Factory: a QemuTarget on the fake QEMU (flags go to fake_qemu.py)."""
    made: list[QemuTarget] = []

    def make(*flags: str, boot_timeout: float = 10.0) -> QemuTarget:
        t = QemuTarget(tmp_path / "logs", machine=fake_machine(sockdir, *flags),
                       boot_timeout=boot_timeout)
        t.power.stop_timeout = 2.0
        t.strategy.shell_timeout = 2.0
        made.append(t)
        return t

    yield make
    for t in made:
        t.shutdown()


pytest_plugins = ["pytester"]
