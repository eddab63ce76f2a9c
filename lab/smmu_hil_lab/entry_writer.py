"""The kernel's SMMUv3 entry writer (arm_smmu_write_entry) as the bug
library judges it (docs/bugs.md): recordings of the driver's own STE/CD
updates through the injector's recorder, the breaking-path checks of
`breaking-off-by-one` and the barrier witness of `missing-dma-wmb`, with
the host's static cross-check of the writer's barriers by binutils'
objdump on the running kernel's vmlinux.

The judging functions take the agent's JSON (`smmu-hil inject record show
-j`, `smmu-hil inject barriers -j`) and objdump's text and return problems
(empty: pass); lab/tests/test_entry_writer.py tests them on synthetic
input, lab/suites/bugs/ runs them on the DUT.
"""
from __future__ import annotations

import errno
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .agent import AGENT, find_pci
from .targets import Target

INJECT = "smmu_hil_inject"
MODULES = "/opt/smmu-hil/modules"
REC_SIZE = 65536
OBJDUMP = "aarch64-linux-gnu-objdump"
PAD_MAX = 64        # bytes of alignment padding kallsyms' size may add to the ELF size


def edu_device(dut: Target, dut_info: dict[str, Any], vendor_device: str) -> str | None:
    """The BDF of the device @vendor_device ("1234:11e8") in `dut info`'s
    @dut_info when smmu_hil_edu drives it (the bug scenarios move edu's
    domain through the driver); None when it is absent or not bound."""
    d = find_pci(dut_info, vendor_device)
    if d is None or dut.run("ls /sys/bus/pci/drivers/smmu_hil_edu/ | grep -q :")[0]:
        return None
    return str(d["bdf"])


def prepare(dut: Target) -> None:
    """Have smmu_hil_inject loaded (the recorder needs no raw mode): keep it
    when it is, else insmod it with a ring of REC_SIZE snapshots. Raises
    AssertionError with the module's complaint when it does not load."""
    if dut.run(f"test -d /sys/module/{INJECT}")[0] == 0:
        return
    rc, out = dut.run(f"insmod {MODULES}/{INJECT}.ko rec_size={REC_SIZE}", timeout=60)
    assert rc == 0, f"cannot load the injector: {out.strip()}"


def record(dut: Target, dev: str, sequence: str, count: int,
           timeout: float = 900.0) -> tuple[dict[str, Any], dict[str, Any]]:
    """Record the driver's STE/CD updates while edu (@dev) is moved @count
    times through @sequence (`domain cycle --dma-between`: an edu round
    trip after each move). Returns (the cycle's JSON, `record show -j`).
    `record show` exits 1 when the oracle finds something: its JSON is
    still the answer."""
    dut.run_check(f"{AGENT} inject record start")
    try:
        cyc = dut.run_json(f"{AGENT} -j domain cycle --dev {dev} --sequence {sequence} "
                           f"--count {count} --dma-between", timeout)
    finally:
        dut.run(f"{AGENT} inject record stop")
    rc, out = dut.run(f"{AGENT} -j inject record show", timeout=300)
    try:
        rep = json.loads(out)
    except ValueError as e:
        raise AssertionError(f"`inject record show` (rc {rc}) printed no JSON: "
                             f"{out.strip()[-500:]}") from e
    return cyc, rep


def _q(text: str) -> list[int]:
    """"0x..,0x.." (the report's entries) as integers."""
    return [int(v, 16) for v in text.split(",")]


def breaking_calls(rep: dict[str, Any]) -> list[dict[str, Any]]:
    """The recorded writer calls whose oracle plan is the breaking path
    (V=0, the other qwords, then qword 0)."""
    return [u for u in rep.get("updates", [])
            if (u.get("oracle") or {}).get("path") == "breaking"]


def judge_breaking(rep: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """bug 3's checks of every breaking writer call in @rep (`record show
    -j`): the kernel's steps equal the oracle's plan (sync count and the
    entry at each sync), its first sync shows qword 0 = 0 (the V=0 step),
    it ends at its target, and no store between two syncs lets the SMMU see
    a torn or illegal entry (the per-store check, stores in ascending qword
    order). Other calls are not judged (their totals are metrics). Returns
    (problems, metrics)."""
    calls = breaking_calls(rep)
    # (transition, check) -> [calls, first example]
    found: dict[tuple[str, str], list[Any]] = {}

    def note(what: str, check: str, example: str) -> None:
        found.setdefault((what, check), [0, example])[0] += 1

    for u in calls:
        o = u["oracle"]
        what = f"{u['entry'].upper()} {u['shape']}"
        if o.get("verdict") != "equal":
            note(what, "plan", f"kernel steps{o.get('kernel_steps')}, the oracle's plan"
                 f"{o.get('oracle_steps')}: {o.get('difference')}")
        syncs = u.get("syncs") or []
        if not syncs or _q(syncs[0])[0] != 0:
            note(what, "v0", "no V=0 step: the first sync does not show qword 0 = 0")
        if "target" in u and u.get("final") != u["target"]:
            note(what, "final", f"final entry {u.get('final')} is not the target {u['target']}")
        if u.get("store_verdict") not in ("pass", "breaking"):
            torn = [v for v in u.get("store_violations") or [] if v.get("kind") != "invalid"]
            first = torn[0] if torn else {}
            note(what, "store", f"per store: {u.get('store_verdict')}"
                 + (f", e.g. a {first.get('kind')} entry {first.get('entry')} the SMMU can "
                    f"fetch after op {first.get('after')}" if first else ""))
    # Only the breaking calls are judged here: a difference elsewhere (e.g. a
    # writer without update-safe bits, bug 1) is another scenario's finding;
    # the report's totals stay in the metrics.
    problems = [f"{what}: {n} of {len(calls)} breaking call(s): {example}"
                for (what, _), (n, example) in found.items()]
    metrics = {
        "writer_calls": rep.get("compared", 0),
        "breaking_calls": len(calls),
        "breaking_calls_ste": sum(u["entry"] == "ste" for u in calls),
        "breaking_calls_cd": sum(u["entry"] == "cd" for u in calls),
        "store_checked": rep.get("store_checked", 0),
        "store_findings": rep.get("store_findings", 0),
        "oracle_differences": rep.get("differences", 0),
        "oracle_unexplained": rep.get("unexplained", 0),
        "kernel_vs_oracle": rep.get("kernel_vs_oracle", []),
    }
    return problems, metrics


@dataclass(frozen=True)
class Barrier:
    """One DMB/DSB of the writer: offset from its first instruction, the
    instruction word and the assembler text ("dmb oshst")."""
    offset: int
    insn: int
    text: str


# objdump -d: "ffff8000803cf4ec:\td50332bf \tdmb\toshst"
_OBJ_LINE = re.compile(r"^\s*([0-9a-f]+):\s+([0-9a-f]{8})\s+(\S+)(?:\s+(\S+))?")
_OBJ_FUNC = re.compile(r"^([0-9a-f]+) <([^>]+)>:$")


def objdump_barriers(text: str, func: str) -> tuple[list[Barrier], int] | None:
    """The DMB/DSB instructions of @func in objdump's `-d` output @text,
    as binutils names them, and the number of instructions listed. None
    when @func is not in @text."""
    start = None
    out: list[Barrier] = []
    n = 0
    for line in text.splitlines():
        m = _OBJ_FUNC.match(line.strip())
        if m:
            if start is not None:
                break
            if m.group(2) == func:
                start = int(m.group(1), 16)
            continue
        if start is None:
            continue
        m = _OBJ_LINE.match(line)
        if not m:
            continue
        n += 1
        if m.group(3) in ("dmb", "dsb"):
            out.append(Barrier(int(m.group(1), 16) - start, int(m.group(2), 16),
                               f"{m.group(3)} {m.group(4) or ''}".strip()))
    return None if start is None else (out, n)


def run_objdump(vmlinux: Path, func: str) -> str | None:
    """objdump -d of @func in @vmlinux; None when binutils for arm64 is
    not installed or the file is missing."""
    tool = shutil.which(OBJDUMP)
    if not tool or not vmlinux.is_file():
        return None
    r = subprocess.run([tool, "-d", f"--disassemble={func}", str(vmlinux)],
                       capture_output=True, text=True, timeout=300, check=False)
    return r.stdout if r.returncode == 0 else None


def dut_barriers(bars: dict[str, Any]) -> list[Barrier]:
    """The DUT's list (`inject barriers -j`) as Barrier values."""
    return [Barrier(int(b["offset"], 16), int(b["insn"], 16), b["asm"])
            for b in bars.get("barriers", [])]


def cross_check(bars: dict[str, Any], objdump: str | None) -> tuple[str, list[str]]:
    """The DUT's barriers of the writer (decoded from the running kernel's
    memory) against objdump's of the same function in the kernel's
    vmlinux: same offsets, words and names. Returns (status, problems):
    "agree", "differ" or "skipped: why"."""
    if objdump is None:
        return "skipped: no vmlinux of the running kernel or no " + OBJDUMP, []
    got = objdump_barriers(objdump, bars.get("func", ""))
    if got is None:
        return "differ", [f"objdump lists no function {bars.get('func')} in the vmlinux"]
    host, ninsn = got
    dut = dut_barriers(bars)
    problems = []
    # kallsyms' size runs to the next symbol: the ELF size plus any alignment padding
    size = int(bars.get("size") or 0)
    if not 0 <= size - ninsn * 4 < PAD_MAX:
        problems.append(f"objdump lists {ninsn} instructions ({ninsn * 4} bytes), "
                        f"kallsyms on the DUT {size} bytes: not the same kernel?")
    if host != dut:
        problems.append("barriers differ: DUT " + ", ".join(
            f"+0x{b.offset:x} {b.insn:08x} {b.text}" for b in dut) + " / objdump " + ", ".join(
            f"+0x{b.offset:x} {b.insn:08x} {b.text}" for b in host))
    return ("differ" if problems else "agree"), problems


def judge_witness(bars: dict[str, Any], rep: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """bug 2's checks: the running kernel's writer holds a store barrier
    that reaches the SMMU (dmb/dsb st or stronger, outer shareable or full
    system), and in every recorded writer call that stored something one
    such barrier executed before its first sync with the entry untouched
    (`barrier_witness` of `record show -j`). Returns (problems, metrics)."""
    bw = rep.get("barrier_witness") or {}
    problems = []
    nstore = bars.get("store_barriers", 0)
    if not nstore:
        problems.append(f"{bars.get('func')} of the running kernel holds no store barrier "
                        "(dmb/dsb oshst, st, osh or sy): nothing orders the tables an entry "
                        "points at before the entry's stores"
                        + (" (its DMB/DSB: " + ", ".join(b["asm"] for b in bars["barriers"]) + ")"
                           if bars.get("barriers") else ""))
    if bw.get("missing"):
        problems.append(f"{bw['missing']} of {bw.get('calls')} writer calls that stored an entry "
                        "executed no store barrier of the writer before the entry's stores")
    if bw.get("late"):
        problems.append(f"{bw['late']} of {bw.get('calls')} writer calls executed the barrier only "
                        "after a store to the entry or after its first sync")
    per = bw.get("per_entry") or {}
    metrics = {
        "writer": bars.get("func"),
        "writer_bytes": bars.get("size"),
        "writer_barriers": [f"+{b['offset']} {b['asm']}" for b in bars.get("barriers", [])],
        "store_barriers": nstore,
        "witnessed_calls": bw.get("calls", 0),
        "ordered_calls": bw.get("ordered", 0),
        "late_calls": bw.get("late", 0),
        "missing_calls": bw.get("missing", 0),
        "pointer_calls": bw.get("pointer_calls", 0),
        "pointer_ordered": bw.get("pointer_ordered", 0),
        "ste_calls": (per.get("STE") or {}).get("calls", 0),
        "cd_calls": (per.get("CD") or {}).get("calls", 0),
    }
    return problems, metrics


def skip_reason(bars: dict[str, Any]) -> str | None:
    """Why the barrier witness cannot run on this kernel, or None."""
    err = bars.get("error", 0)
    if err == -errno.ENOENT:
        return (f"no entry writer {bars.get('func') or 'arm_smmu_write_entry'} in the running "
                "kernel's kallsyms (6.1 writes STEs inline; or the writer was inlined): the "
                "barrier witness needs its code")
    if err == -errno.EOPNOTSUPP:
        return "the barrier witness decodes arm64 code only"
    if err:
        return f"the writer's code could not be read (error {err})"
    return None
