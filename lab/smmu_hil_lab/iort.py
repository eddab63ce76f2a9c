"""The emulated DUT's optional IORT upgrade: CANWBS on its PCI root complexes.

QEMU's virt machine (10.0.2 checked) describes its PCI root complex in the
IORT with memory access flags CPM|DACS (0x03), without CANWBS (bit 2), and
its SMMU has no SMMU_IDR3.FWB. Linux's arm_smmu_get_viommu_size() needs one
of the two, so IOMMU_VIOMMU_ALLOC fails (EOPNOTSUPP) and the kernel's nested
path cannot be tested. Under TCG every device access is coherent and
write-back (there are no caches to miss), so CANWBS describes the emulated
platform accurately; QEMU just does not declare it.

The option (env SMMU_HIL_IORT_CANWBS=1, make IORT_CANWBS=1) gives the DUT a
copy of QEMU's own IORT with CANWBS set, through Linux's ACPI table upgrade
via initrd (Documentation/admin-guide/acpi/initrd_table_override.rst,
drivers/acpi/tables.c acpi_table_upgrade(), CONFIG_ACPI_TABLE_UPGRADE): an
uncompressed newc cpio holding kernel/firmware/acpi/IORT.aml at the start of
the initramfs; the kernel takes a table whose signature, OEM ID and OEM table
ID match the firmware's and whose OEM revision is higher and logs "ACPI: Table
Upgrade: override [IORT-...]". (Linux 7.2 taints itself, TAINT_OVERRIDDEN_ACPI_TABLE,
only for a built-in custom DSDT, not for an initrd upgrade: measured, the
lab kernel's /proc/sys/kernel/tainted stays 4096, `O`, with the IORT taken.)

The edit never re-assembles the table: ACPICA's disassembler (`iasl -d`)
says where each field is, the bytes at those offsets change (each root
complex node's Memory Flags |= CANWBS, the header's OEM Revision + 1, the
checksum), and a second `iasl -d` must show the same table except those
fields. (iasl 20200925, Debian 12's, predates CANWBS and calls the node
identifiers Reserved: recompiling its .dsl would zero them.)
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import LabError

ENV = "SMMU_HIL_IORT_CANWBS"
CANWBS = 0x04           # IORT memory access flags bit 2 (ARM DEN 0049, Table 14)
CPIO_PATH = "kernel/firmware/acpi/IORT.aml"
SYSFS_TABLE = "/sys/firmware/acpi/tables/IORT"
# drivers/acpi/tables.c acpi_table_initrd_override(), after pr_fmt's "ACPI: "
UPGRADE_LINE = re.compile(r"ACPI: Table Upgrade: override \[IORT-[^\]]*\]")
PROPERTY = ("iort_upgrade", "CANWBS")   # the report's DUT property with the option
NODE_TYPE_RC = 0x02     # IORT node type: PCI root complex

# `iasl -d` data table lines: "[0B7h 0183   1] Memory Flags (decoded below) : 03"
_FIELD = re.compile(r"^\[([0-9A-Fa-f]+)h\s+(\d+)\s+(\d+)\]\s+(.*?)\s*:\s*(.*?)\s*$")


class IortError(LabError):
    """The IORT cannot be read, edited or verified (the message says which)."""


@dataclass(frozen=True)
class Field:
    """One field `iasl -d` printed: byte @offset and @length in the table,
    its @name and printed @value; @node the index of the IORT node it is in
    (-1: the table header) and @node_type that node's Type (-1 in the header)."""

    offset: int
    length: int
    name: str
    value: str
    node: int
    node_type: int


def enabled(env: dict[str, str] | None = None) -> bool:
    """True when the option is on: $SMMU_HIL_IORT_CANWBS is 1/yes/true/on.

    Raises IortError for another non-empty value (a typo must not turn the
    option off silently)."""
    v = (os.environ if env is None else env).get(ENV, "").strip().lower()
    if v in ("", "0", "no", "false", "off"):
        return False
    if v in ("1", "yes", "true", "on"):
        return True
    raise IortError(f"{ENV}={v!r}: say 1 (give the DUT the IORT with CANWBS) or 0")


def checksum_ok(table: bytes) -> bool:
    """True when the bytes of the ACPI @table sum to 0 modulo 256 (ACPI 6.5, 5.2.6)."""
    return sum(table) % 256 == 0


def _iasl() -> str:
    exe = shutil.which("iasl")
    if exe is None:
        raise IortError("iasl not found: install acpica-tools (make setup-host)")
    return exe


def disassemble(table: bytes) -> tuple[list[Field], str]:
    """Run `iasl -d` on the ACPI @table (bytes): its fields, in table order,
    and the disassembly text.

    Raises IortError when iasl is missing, fails, or prints no field."""
    exe = _iasl()
    with tempfile.TemporaryDirectory(prefix="shl-iort-") as tmp:
        src = Path(tmp) / "table.dat"
        src.write_bytes(table)
        p = subprocess.run([exe, "-d", src.name], cwd=tmp, capture_output=True, text=True,
                           timeout=60, check=False)
        dsl = Path(tmp) / "table.dsl"
        if p.returncode != 0 or not dsl.exists():
            raise IortError(f"iasl -d failed (rc {p.returncode}): "
                            f"{(p.stdout + p.stderr).strip()[-500:]}")
        text = dsl.read_text(errors="replace")
    fields: list[Field] = []
    node, ntype = -1, -1
    for line in text.splitlines():
        m = _FIELD.match(line)
        if not m:
            continue
        off, length, name, value = int(m.group(1), 16), int(m.group(3)), m.group(4), m.group(5)
        if int(m.group(2)) != off:
            raise IortError(f"iasl printed an inconsistent offset: {line.strip()!r}")
        if name == "Type" and length == 1:
            # a node header starts with its one-byte Type
            node += 1
            ntype = int(value, 16)
        fields.append(Field(off, length, name, value, node, ntype))
    if not fields:
        raise IortError("iasl -d printed no table fields:\n" + text[-500:])
    return fields, text


def _one(fields: list[Field], name: str) -> Field:
    hits = [f for f in fields if f.node == -1 and f.name == name]
    if len(hits) != 1:
        raise IortError(f"iasl -d shows {len(hits)} header fields {name!r}")
    return hits[0]


def rc_memory_flags(fields: list[Field]) -> list[Field]:
    """The Memory Flags field of every PCI root complex node in @fields."""
    return [f for f in fields
            if f.node_type == NODE_TYPE_RC and f.name.startswith("Memory Flags") and f.length == 1]


@dataclass(frozen=True)
class Upgrade:
    """The upgraded table (@table) and what changed: @flags one
    (offset, old, new) per root complex node; @oem_revision (old, new)."""

    table: bytes
    flags: list[tuple[int, int, int]]
    oem_revision: tuple[int, int]
    dsl: str


def canwbs_upgrade(orig: bytes) -> Upgrade:
    """QEMU's IORT @orig (bytes, as in /sys/firmware/acpi/tables/IORT) with
    CANWBS set on each PCI root complex node, the OEM Revision one higher and
    the checksum fixed, for Linux's ACPI table upgrade.

    Raises IortError when @orig is not a whole, valid IORT, has no PCI root
    complex node, every root complex already has CANWBS (nothing to
    upgrade), or the second disassembly differs from the first anywhere but
    the edited fields."""
    if len(orig) < 36 or orig[:4] != b"IORT":
        raise IortError(f"not an IORT (signature {orig[:4]!r}, {len(orig)} bytes)")
    length = int.from_bytes(orig[4:8], "little")
    if length != len(orig):
        raise IortError(f"IORT header says {length} bytes, {len(orig)} given")
    if not checksum_ok(orig):
        raise IortError("the IORT's checksum is wrong (a damaged capture?)")
    fields, _ = disassemble(orig)
    if not _one(fields, "Signature").value.startswith('"IORT"'):
        raise IortError("iasl -d does not read the table as an IORT")
    rcs = rc_memory_flags(fields)
    if not rcs:
        raise IortError("the IORT has no PCI root complex node (type 2) with Memory Flags: "
                        "nothing would declare CANWBS")
    if all(orig[f.offset] & CANWBS for f in rcs):
        raise IortError("every PCI root complex node already has CANWBS: no upgrade needed")
    rev_f, sum_f = _one(fields, "Oem Revision"), _one(fields, "Checksum")
    if (rev_f.offset, rev_f.length, sum_f.offset, sum_f.length) != (24, 4, 9, 1):
        raise IortError(f"unexpected header layout: Oem Revision at {rev_f.offset}, "
                        f"Checksum at {sum_f.offset}")
    t = bytearray(orig)
    flags = []
    for f in rcs:
        flags.append((f.offset, t[f.offset], t[f.offset] | CANWBS))
        t[f.offset] |= CANWBS
    rev = int.from_bytes(t[24:28], "little")
    if rev == 0xFFFFFFFF:
        raise IortError("the IORT's OEM Revision is already 0xFFFFFFFF: none can be higher")
    t[24:28] = (rev + 1).to_bytes(4, "little")
    t[9] = 0
    t[9] = (-sum(t)) % 256
    new = bytes(t)
    verify(orig, new, {f.offset for f in rcs} | {9, 24, 25, 26, 27})
    _, dsl = disassemble(new)
    return Upgrade(new, flags, (rev, rev + 1), dsl)


def verify(orig: bytes, new: bytes, allowed: set[int]) -> None:
    """Check the upgraded IORT @new against @orig with `iasl -d`: the same
    length and checksum valid; every field iasl shows equal except those
    starting at an offset in @allowed; each root complex has CANWBS; the OEM
    revision higher. Raises IortError saying what differs."""
    if len(new) != len(orig):
        raise IortError("the upgraded IORT's length differs")
    if not checksum_ok(new):
        raise IortError("the upgraded IORT's checksum is wrong")
    fa, _ = disassemble(orig)
    fb, _ = disassemble(new)
    if [(f.offset, f.length, f.name) for f in fa] != [(f.offset, f.length, f.name) for f in fb]:
        raise IortError("iasl -d reads the upgraded IORT's layout differently")
    for a, b in zip(fa, fb):
        if a.value != b.value and a.offset not in allowed:
            raise IortError(f"field {a.name!r} at {a.offset:#x} changed: {a.value} -> {b.value}")
    diff = {i for i, (x, y) in enumerate(zip(orig, new)) if x != y}
    if not diff <= allowed:
        raise IortError(f"bytes changed outside the edited fields: {sorted(diff - allowed)}")
    rcs = rc_memory_flags(fb)
    if not rcs or any(not int(f.value, 16) & CANWBS for f in rcs):
        raise IortError("iasl -d does not show CANWBS on every root complex of the upgrade")
    if int(_one(fb, "Oem Revision").value, 16) <= int(_one(fa, "Oem Revision").value, 16):
        raise IortError("the upgrade's OEM Revision is not higher")


def table_cpio(aml: bytes, out: Path) -> None:
    """Write @aml as kernel/firmware/acpi/IORT.aml into the uncompressed newc
    cpio @out (cpio(1), owner root), the form acpi_table_upgrade() finds at
    the start of the initramfs. Raises IortError when cpio fails."""
    with tempfile.TemporaryDirectory(prefix="shl-iort-") as tmp:
        f = Path(tmp) / CPIO_PATH
        f.parent.mkdir(parents=True)
        f.write_bytes(aml)
        names = ["kernel", "kernel/firmware", "kernel/firmware/acpi", CPIO_PATH]
        with out.open("wb") as fh:
            p = subprocess.run(["cpio", "-o", "-H", "newc", "--owner=0:0", "--quiet"], cwd=tmp,
                               input="".join(n + "\n" for n in names).encode(), stdout=fh,
                               stderr=subprocess.PIPE, check=False)
        if p.returncode != 0:
            raise IortError(f"cpio failed: {p.stderr.decode(errors='replace').strip()}")


def prepend(table_cpio_file: Path, initrd: Path, out: Path) -> None:
    """Write @out: the table cpio, zero padding to a 4-byte boundary (a
    following archive must start aligned), then @initrd. @out may be
    @initrd (replaced atomically)."""
    tmp = out.with_name(f"{out.name}.{os.getpid()}.iort.tmp")
    with tmp.open("wb") as fh:
        with table_cpio_file.open("rb") as t:
            shutil.copyfileobj(t, fh)
        fh.write(b"\0" * ((-fh.tell()) % 4))
        with initrd.open("rb") as i:
            shutil.copyfileobj(i, fh)
    tmp.replace(out)


def parse_od(text: str) -> bytes:
    """The bytes of `od -An -v -tx1 FILE`'s output @text (hex pairs split by
    blanks). Raises IortError on anything else."""
    out = bytearray()
    for line in text.split("\n"):
        for w in line.split():
            if not re.fullmatch(r"[0-9a-fA-F]{2}", w):
                raise IortError(f"not od -tx1 output: {line.strip()!r}")
            out.append(int(w, 16))
    return bytes(out)


def cache_key(qemu_version: str | None, machine_args: list[str]) -> str:
    """The captured IORT's cache key: the QEMU version and the arguments that
    shape the machine's ACPI tables (firmware, -machine, CPUs, memory)."""
    h = hashlib.sha256("\n".join([f"qemu {qemu_version}", *machine_args]).encode())
    return f"{qemu_version or 'unknown'}-{h.hexdigest()[:12]}"
