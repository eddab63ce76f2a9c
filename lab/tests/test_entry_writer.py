"""The bug library's judging of the entry writer (entry_writer.py): the
host's `smmu-hil` reads recordings and barrier lists from a fake debugfs
($SMMU_HIL_DEBUGFS, the records of modules/include/uapi/smmu_hil.h), and
its JSON goes through judge_breaking / judge_witness; objdump's output is
parsed from binutils itself on a function assembled here."""
from __future__ import annotations

import json
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from smmu_hil_lab import entry_writer as ew, paths

TOOL = paths.BUILD / "smmu-hil"
VERSION = 1
# snapshot kinds and entry kinds (uapi)
START, BEGIN, SYNC, STOP, TARGET, END, BARRIER = range(7)
STE, CD = 0, 1
CD_Q3 = 0xfffffffff404ff44
Q0A, Q0B = 0x4e204c0003510, 0x5e204c0003510        # CD 0, ASID 4 / 5
TTBA, TTBB = 0x72644000, 0x72655000
DMB_OSHST, DMB_ISH = 0xd50332bf, 0xd5033bbf


def ste_record(writer: bool = True) -> bytes:
    """struct smmu_hil_inj_entry of the STE (edu, SID 0x18, S1)."""
    flags = (1 << 2) | ((1 << 3) | (1 << 4) if writer else 0)
    q = [0x7264300b, 0xd6, 0, 0, 0, 0, 0, 0]
    return (struct.pack("<HHIII", VERSION, 176, flags, STE, 0x18)
            + struct.pack("<HBBI", 0, 0, 3 << 3, 0) + struct.pack("<Q", 0x71000600)
            + struct.pack("<8Q", *q) + struct.pack("<QQ", 0, 0)
            + b"smmu3.0x0000000009050000".ljust(64, b"\0"))


def snaps(rows: list[tuple[int, int, int, int]]) -> bytes:
    """struct smmu_hil_inj_snap records: (kind, entry, q0, q1); a CD's q3 is set."""
    out = b""
    for i, (kind, ent, q0, q1) in enumerate(rows):
        q = [q0, q1, 0, CD_Q3 if ent == CD and kind != START else 0, 0, 0, 0, 0]
        out += struct.pack("<QQII8Q", i, 1000 * i, kind, ent, *q)
    return out


def barriers_record(bars: list[tuple[int, int, int]], size: int = 0x20c,
                    error: int = 0) -> bytes:
    """struct smmu_hil_inj_barriers: (offset, insn, flags) each."""
    body = b"".join(struct.pack("<IIII", o, w, f, 0) for o, w, f in bars)
    body = body.ljust(16 * 16, b"\0")
    return (struct.pack("<HHIiIII", VERSION, 344, 0, error, len(bars), size, 0)
            + b"arm_smmu_write_entry".ljust(64, b"\0") + body)


def run_tool(tmp_path: Path, files: dict[str, bytes], *args: str) -> dict:
    """`smmu-hil -j ARGS` on the host against a fake debugfs holding @files."""
    if not TOOL.exists():
        pytest.skip(f"{TOOL} not built (make tool)")
    d = tmp_path / "debugfs"
    (d / "inject").mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (d / "inject" / name).write_bytes(data)
    r = subprocess.run([str(TOOL), "-j", *args], capture_output=True, text=True, timeout=60,
                       env={"SMMU_HIL_DEBUGFS": str(d), "PATH": "/usr/bin:/bin"}, check=False)
    assert r.stdout, r.stderr
    return json.loads(r.stdout)


def breaking_cd(off_by_one: bool, barrier: bool = True) -> list[tuple[int, int, int, int]]:
    """A CD moved to another paging domain: the stock writer's three syncs
    (V=0, TTB0, then qword 0) or the off-by-one writer's two."""
    rows = [(START, STE, 0x7264300b, 0xd6), (BEGIN, CD, Q0A, TTBA), (TARGET, CD, Q0B, TTBB)]
    if barrier:
        rows.append((BARRIER, CD, Q0A, TTBA))
    rows.append((SYNC, CD, 0, TTBA))
    if not off_by_one:
        rows.append((SYNC, CD, 0, TTBB))
    rows += [(SYNC, CD, Q0B, TTBB), (END, CD, Q0B, TTBB), (STOP, STE, 0x7264300b, 0xd6)]
    return rows


def record_show(tmp_path: Path, rows: list[tuple[int, int, int, int]]) -> dict:
    return run_tool(tmp_path, {"ste": ste_record(), "record": snaps(rows)},
                    "inject", "record", "show", "--profile", "qemu-7.2")


def test_breaking_stock_passes(tmp_path: Path) -> None:
    problems, m = ew.judge_breaking(record_show(tmp_path, breaking_cd(False)))
    assert problems == []
    assert m["breaking_calls"] == 1 and m["breaking_calls_cd"] == 1
    assert m["store_findings"] == 0


def test_breaking_off_by_one_caught(tmp_path: Path) -> None:
    problems, m = ew.judge_breaking(record_show(tmp_path, breaking_cd(True)))
    text = "; ".join(problems)
    assert m["breaking_calls"] == 1 and m["store_findings"] == 1
    assert "kernel 2 sync(s), oracle 3" in text
    # the valid torn CD between two stores: new ASID (qword 0), old TTB0
    assert "a torn entry 0x5e204c0003510,0x72644000" in text


def test_breaking_no_v0_step_and_final(tmp_path: Path) -> None:
    rep = record_show(tmp_path, breaking_cd(False))
    u = ew.breaking_calls(rep)[0]
    u["syncs"][0] = u["syncs"][-1]      # qword 0 valid at the first sync
    u["final"] = u["initial"]
    problems, _ = ew.judge_breaking(rep)
    assert any("no V=0 step" in p for p in problems)
    assert any("is not the target" in p for p in problems)


def test_no_breaking_call(tmp_path: Path) -> None:
    rows = [(START, STE, 0x9, 0), (BEGIN, STE, 0x9, 0), (TARGET, STE, 0x7264300b, 0xd6),
            (SYNC, STE, 0x9, 0xd6), (SYNC, STE, 0x7264300b, 0xd6),
            (END, STE, 0x7264300b, 0xd6)]
    problems, m = ew.judge_breaking(record_show(tmp_path, rows))
    assert problems == [] and m["breaking_calls"] == 0 and m["writer_calls"] == 1


STOCK_BARS = [(0x2c, DMB_OSHST, 3), (0x40, DMB_ISH, 0)]


def test_witness_stock_and_missing(tmp_path: Path) -> None:
    bars = run_tool(tmp_path, {"barriers": barriers_record(STOCK_BARS)}, "inject", "barriers")
    assert [b["asm"] for b in bars["barriers"]] == ["dmb oshst", "dmb ish"]
    assert ew.skip_reason(bars) is None
    problems, m = ew.judge_witness(bars, record_show(tmp_path, breaking_cd(False)))
    assert problems == [] and m["ordered_calls"] == 1 and m["pointer_calls"] == 1
    # mutant (b): no barrier in the writer, none executed
    none = run_tool(tmp_path, {"barriers": barriers_record([])}, "inject", "barriers")
    problems, m = ew.judge_witness(none, record_show(tmp_path, breaking_cd(False, False)))
    assert m["missing_calls"] == 1 and len(problems) == 2
    assert "holds no store barrier" in problems[0]


def test_witness_narrow_barrier_and_skip(tmp_path: Path) -> None:
    # an smp_wmb() (dmb ishst) does not reach the SMMU's domain: no store barrier
    bars = run_tool(tmp_path, {"barriers": barriers_record([(0x2c, 0xd5033abf, 0)])},
                    "inject", "barriers")
    problems, _ = ew.judge_witness(bars, record_show(tmp_path, breaking_cd(False, False)))
    assert "(its DMB/DSB: dmb ishst)" in problems[0]
    # 6.1: no writer in kallsyms
    bars = run_tool(tmp_path, {"barriers": barriers_record([], 0, -2)}, "inject", "barriers")
    assert "no entry writer" in (ew.skip_reason(bars) or "")


ASM = """
    .text
    .globl arm_smmu_write_entry
    .type arm_smmu_write_entry, %function
arm_smmu_write_entry:
    stp x29, x30, [sp, #-16]!
    {barriers}
    str x2, [x1]
    ldp x29, x30, [sp], #16
    ret
    .size arm_smmu_write_entry, .-arm_smmu_write_entry
"""


def assemble(tmp_path: Path, barriers: str) -> str:
    """objdump -d of arm_smmu_write_entry assembled with @barriers."""
    if not (shutil.which("aarch64-linux-gnu-as") and shutil.which(ew.OBJDUMP)):
        pytest.skip("binutils for aarch64 not installed")
    src, obj = tmp_path / "w.s", tmp_path / "w.o"
    src.write_text(ASM.replace("{barriers}", barriers))
    subprocess.run(["aarch64-linux-gnu-as", "-o", str(obj), str(src)], check=True)
    out = ew.run_objdump(obj, "arm_smmu_write_entry")
    assert out is not None
    return out


def test_objdump_cross_check(tmp_path: Path) -> None:
    text = assemble(tmp_path, "dmb oshst\n    dsb st")
    got = ew.objdump_barriers(text, "arm_smmu_write_entry")
    assert got == ([ew.Barrier(4, 0xd50332bf, "dmb oshst"), ew.Barrier(8, 0xd5033e9f, "dsb st")],
                   6)
    dut = {"func": "arm_smmu_write_entry", "size": 24, "barriers": [
        {"offset": "0x4", "insn": "0xd50332bf", "asm": "dmb oshst"},
        {"offset": "0x8", "insn": "0xd5033e9f", "asm": "dsb st"}]}
    assert ew.cross_check(dut, text) == ("agree", [])
    # another kernel: the DUT's writer has no barrier where the vmlinux has two
    status, problems = ew.cross_check(dict(dut, barriers=[], size=16), text)
    assert status == "differ" and len(problems) == 2
    assert ew.cross_check(dut, None)[0].startswith("skipped")
    assert ew.objdump_barriers(text, "other") is None


def test_breaking_judges_only_breaking_calls(tmp_path: Path) -> None:
    # bypass -> S1 done breaking (V=0 first) where the plan is hitless (a
    # writer without update-safe bits or another slip): not bug 3's finding,
    # kept in the metrics
    rows = [(START, STE, 0x9, 0), (BEGIN, STE, 0x9, 0), (TARGET, STE, 0x7264300b, 0xd6),
            (SYNC, STE, 0, 0), (SYNC, STE, 0, 0xd6), (SYNC, STE, 0x7264300b, 0xd6),
            (END, STE, 0x7264300b, 0xd6)]
    rep = record_show(tmp_path, rows)
    problems, m = ew.judge_breaking(rep)
    assert problems == [] and m["breaking_calls"] == 0
    assert m["oracle_unexplained"] == 1 and m["store_findings"] == 1


class _BoundDut:
    """A DUT whose `ls .../smmu_hil_edu/ | grep -q :` exits @rc."""

    def __init__(self, rc: int) -> None:
        self.rc = rc
        self.commands: list[str] = []

    def run(self, cmd: str) -> tuple[int, str]:
        self.commands.append(cmd)
        return self.rc, ""


def test_edu_device_only_when_bound() -> None:
    info = {"pci": [{"bdf": "0000:00:02.0", "vendor": "0x1af4", "device": "0x1042"},
                    {"bdf": "0000:00:03.0", "vendor": "0x1234", "device": "0x11e8"}]}
    bound = _BoundDut(0)
    assert ew.edu_device(bound, info, "1234:11e8") == "0000:00:03.0"    # type: ignore[arg-type]
    assert "smmu_hil_edu" in bound.commands[0]
    assert ew.edu_device(_BoundDut(1), info, "1234:11e8") is None       # type: ignore[arg-type]
    assert ew.edu_device(_BoundDut(0), {"pci": []}, "1234:11e8") is None  # type: ignore[arg-type]
