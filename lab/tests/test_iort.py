"""The emulated DUT's IORT upgrade (smmu_hil_lab/iort.py): the edit of QEMU
10.0.2's IORT through the real iasl, the cpio in front of the initramfs,
and the qemu target's capture, upgrade and dmesg check on the fake QEMU."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import fake_machine
from smmu_hil_lab import iort
from smmu_hil_lab.targets.qemu import QemuTarget

DATA = Path(__file__).with_name("data")
# /sys/firmware/acpi/tables/IORT of QEMU 10.0.2's virt (nested SMMU, UEFI),
# as `od -An -v -tx1` printed it on the DUT (harness/tests/test_vmm.c has
# the same bytes)
QEMU10 = iort.parse_od((DATA / "iort-qemu10.od").read_text())
RC_FLAGS = 0xB7         # where iasl 20200925 prints the root complex's Memory Flags

needs_iasl = pytest.mark.skipif(shutil.which("iasl") is None,
                                reason="iasl missing: install acpica-tools (make setup-host)")
needs_cpio = pytest.mark.skipif(shutil.which("cpio") is None, reason="cpio missing")


def fixed(t: bytearray) -> bytes:
    """@t with a valid checksum."""
    t[9] = 0
    t[9] = (-sum(t)) % 256
    return bytes(t)


def test_capture_parses() -> None:
    assert len(QEMU10) == 236 and QEMU10[:4] == b"IORT" and iort.checksum_ok(QEMU10)
    assert QEMU10[RC_FLAGS] == 0x03
    with pytest.raises(iort.IortError, match="not od"):
        iort.parse_od(" 49 4f\nod: /sys/firmware/acpi/tables/IORT: No such file\n")


@needs_iasl
def test_disassemble_locates_fields() -> None:
    fields, text = iort.disassemble(QEMU10)
    assert "ACPI Data Table [IORT]" in text
    rcs = iort.rc_memory_flags(fields)
    assert [(f.offset, f.value, f.node) for f in rcs] == [(RC_FLAGS, "03", 2)]
    types = {f.node: f.node_type for f in fields if f.node >= 0}
    assert types == {0: 0, 1: 4, 2: 2}      # ITS group, SMMUv3, root complex


@needs_iasl
def test_upgrade_qemu10() -> None:
    up = iort.canwbs_upgrade(QEMU10)
    t = up.table
    assert len(t) == len(QEMU10) and iort.checksum_ok(t)
    assert up.flags == [(RC_FLAGS, 0x03, 0x07)]
    assert up.oem_revision == (1, 2)
    assert t[RC_FLAGS] == 0x07 and int.from_bytes(t[24:28], "little") == 2
    # only the flags, the OEM revision and the checksum changed
    assert {i for i in range(len(t)) if t[i] != QEMU10[i]} == {9, 24, RC_FLAGS}
    # the same OEM ID and table ID: the kernel matches on them
    assert t[10:24] == QEMU10[10:24]
    # the second disassembly shows the new flags (Coherency, Device Attribute, CANWBS)
    assert "Memory Flags (decoded below) : 07" in up.dsl
    assert "Oem Revision : 00000002" in up.dsl
    # the node identifier iasl calls Reserved keeps its value
    assert "[0A4h 0164   4]                     Reserved : 00000002" in up.dsl
    # an upgraded table needs no second upgrade
    with pytest.raises(iort.IortError, match="already has CANWBS"):
        iort.canwbs_upgrade(t)


@needs_iasl
def test_refuses_bad_tables() -> None:
    # only the ITS group and the SMMU: no root complex to declare CANWBS
    t = bytearray(QEMU10[:0xA0])
    t[4:8] = (0xA0).to_bytes(4, "little")
    t[36:40] = (2).to_bytes(4, "little")
    with pytest.raises(iort.IortError, match="no PCI root complex"):
        iort.canwbs_upgrade(fixed(t))
    bad = bytearray(QEMU10)
    bad[9] ^= 1
    with pytest.raises(iort.IortError, match="checksum"):
        iort.canwbs_upgrade(bytes(bad))
    with pytest.raises(iort.IortError, match="says 236 bytes"):
        iort.canwbs_upgrade(QEMU10[:200])
    with pytest.raises(iort.IortError, match="not an IORT"):
        iort.canwbs_upgrade(b"DSDT" + QEMU10[4:])
    rev = bytearray(QEMU10)
    rev[24:28] = b"\xff\xff\xff\xff"
    with pytest.raises(iort.IortError, match="OEM Revision"):
        iort.canwbs_upgrade(fixed(rev))


@needs_iasl
def test_verify_catches_other_changes() -> None:
    up = iort.canwbs_upgrade(QEMU10)
    allowed = {9, 24, 25, 26, 27, RC_FLAGS}
    iort.verify(QEMU10, up.table, allowed)
    # the root complex's node identifier zeroed, as a recompile would do
    t = bytearray(up.table)
    t[0xA4] = 0
    with pytest.raises(iort.IortError, match="Reserved"):
        iort.verify(QEMU10, fixed(t), allowed)
    # the OEM revision not raised
    t = bytearray(up.table)
    t[24] = 1
    with pytest.raises(iort.IortError, match="not higher"):
        iort.verify(QEMU10, fixed(t), allowed)
    # CANWBS missing
    t = bytearray(up.table)
    t[RC_FLAGS] = 0x03
    with pytest.raises(iort.IortError, match="CANWBS"):
        iort.verify(QEMU10, fixed(t), allowed)


@needs_iasl
@needs_cpio
def test_cpio_layout(tmp_path: Path) -> None:
    up = iort.canwbs_upgrade(QEMU10)
    table = tmp_path / "iort.cpio"
    iort.table_cpio(up.table, table)
    # the initramfs after it: an archive whose length is not a multiple of 4
    initrd = tmp_path / "initrd.cpio"
    initrd.write_bytes(b"070701" + b"x" * 101)
    iort.table_cpio(up.table, tmp_path / "again.cpio")
    whole = tmp_path / "whole.cpio"
    iort.prepend(table, initrd, whole)
    data = whole.read_bytes()
    tlen = table.stat().st_size
    assert data[:6] == b"070701"            # newc, uncompressed, first
    start = data.index(b"070701x")
    assert start % 4 == 0 and start >= tlen and data[tlen:start] == b"\0" * (start - tlen)
    assert data[start:] == initrd.read_bytes()
    # cpio(1) reads the first archive: the table where the kernel looks for it
    listing = subprocess.run(["cpio", "-it", "--quiet"], input=data, capture_output=True,
                             check=True).stdout.decode().split()
    assert iort.CPIO_PATH in listing
    out = tmp_path / "x"
    out.mkdir()
    subprocess.run(["cpio", "-id", "--quiet", iort.CPIO_PATH], input=data, cwd=out,
                   check=True)
    assert (out / iort.CPIO_PATH).read_bytes() == up.table
    # in place: the initrd replaced by table + initrd
    iort.prepend(table, initrd, initrd)
    assert initrd.read_bytes() == data


def test_option_and_key() -> None:
    assert iort.enabled({}) is False
    assert iort.enabled({iort.ENV: "1"}) is True
    assert iort.enabled({iort.ENV: "0"}) is False
    with pytest.raises(iort.IortError, match="say 1"):
        iort.enabled({iort.ENV: "canwbs"})
    a = iort.cache_key("10.0.2", ["-machine", "virt,iommu=smmuv3"])
    assert a == iort.cache_key("10.0.2", ["-machine", "virt,iommu=smmuv3"])
    assert a.startswith("10.0.2-")
    assert a != iort.cache_key("10.1.0", ["-machine", "virt,iommu=smmuv3"])
    assert a != iort.cache_key("10.0.2", ["-machine", "virt"])


@pytest.fixture
def iort_target(tmp_path: Path, sockdir: Path, monkeypatch: pytest.MonkeyPatch):
    """A fake-QEMU target with the IORT option: QEMU10 as the DUT's sysfs
    table, a private cache, an initrd file; yields (target, initrd, dmesg file)."""
    sysfs = tmp_path / "IORT"
    sysfs.write_bytes(QEMU10)
    monkeypatch.setattr(iort, "SYSFS_TABLE", str(sysfs))
    monkeypatch.setenv("SMMU_HIL_CACHE", str(tmp_path / "cache"))
    dmesg = tmp_path / "dmesg"
    monkeypatch.setenv("FAKE_DMESG", str(dmesg))
    initrd = tmp_path / "initrd.cpio"
    initrd.write_bytes(b"070701" + b"i" * 58)
    m = fake_machine(sockdir)
    m.initrd = initrd
    t = QemuTarget(tmp_path / "logs", machine=m, boot_timeout=10.0, iort_canwbs=True)
    t.power.stop_timeout = 2.0
    t.strategy.shell_timeout = 2.0
    yield t, initrd, dmesg
    t.shutdown()


@needs_iasl
@needs_cpio
def test_target_captures_upgrades_and_checks(iort_target, tmp_path: Path) -> None:
    t, initrd, dmesg = iort_target
    dmesg.write_text("[    0.000000] ACPI: IORT ACPI table found in initrd "
                     "[kernel/firmware/acpi/IORT.aml][0xec]\n"
                     "[    0.000000] ACPI: Table Upgrade: override [IORT-BOCHS -BXPC    ]\n")
    t.boot()
    assert t.iort_upgrade == "CANWBS"
    assert t.describe()["iort_upgrade"] == "CANWBS"
    assert t.iort_info["dmesg"] == "ACPI: Table Upgrade: override [IORT-BOCHS -BXPC    ]"
    assert t.iort_info["memory_flags"] == ["0xb7: 0x03 -> 0x07"]
    # the capture and the upgrade in the cache, keyed by QEMU and machine
    (d,) = (tmp_path / "cache" / "iort").iterdir()
    assert (d / "IORT.orig.aml").read_bytes() == QEMU10
    up = (d / "IORT.aml").read_bytes()
    assert up[RC_FLAGS] == 0x07 and iort.checksum_ok(up)
    # the initrd now starts with the table's cpio, the old initrd after it
    data = initrd.read_bytes()
    assert data[:6] == b"070701" and data.endswith(b"070701" + b"i" * 58)
    assert up in data


@needs_iasl
@needs_cpio
def test_target_fails_when_not_taken(iort_target) -> None:
    t, _, dmesg = iort_target
    dmesg.write_text("[    0.000000] ACPI: OVERRIDE: Bad table checksum [IORT.aml]\n")
    with pytest.raises(iort.IortError, match="did not take the upgraded IORT") as e:
        t.boot()
    assert "Bad table checksum" in str(e.value)
    assert t.iort_upgrade is None
    assert t.describe()["iort_upgrade"] == "expected, not seen"
