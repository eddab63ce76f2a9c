"""live-update-luo (issue 13, bug 4): the host-side logic that needs no DUT.

A LUO session (the agent's `smmu-hil luo`, harness/cli/cmd_luo.c) keeps a
memfd holding the lab's test pattern across kexecs; this module decides
what the run shows:

- the kernel command line LUO needs (boot_args_missing()): `kho=on
  liveupdate=on` and a KHO scratch layout the kexec image fits in;
- the memfd's check after each kexec (memfd_result()), from `smmu-hil -j
  luo retrieve`;
- whether the running kernel preserves IOMMU state across kexec
  (iommu_preservation()), from what it runs, never its version string:
  a kernel config symbol, a kernel symbol or a KHO subtree of an IOMMU
  live-update handler;
- per StreamID what IOMMU state survived a kexec (survival()): the STE,
  the CD and the table roots (stage 1: CD TTB0; stage 2: STE S2TTB),
  identical or rebuilt, and the SMMU events of the kexec window;
- the verdict (verdict()): the memfd must verify after every kexec (a
  failure); the IOMMU survival is judged only on a kernel that preserves
  IOMMU state, and is an expected failure (xfail, with the reason) on one
  that does not: never a pass.

A snapshot row is `smmu-hil dut streams -j`'s (liveupdate.py).
"""
from __future__ import annotations

import json
import re
from typing import Any, Iterable, Optional

from . import html_report
from .liveupdate import ITERATIONS_FILE, read_jsonl
from .rundir import RunDir

TEST_NAME = "live-update-luo"
# Kernel parameters (Documentation/admin-guide/kernel-parameters.txt of
# 7.2): KHO is off unless CONFIG_KEXEC_HANDOVER_ENABLE_DEFAULT, LUO off by
# default; kho_scratch=lowmem,global,pernode: arm64's kexec_file places
# the kernel bottom-up in the first scratch area it fits and the initrd
# above it (arch/arm64/kernel/machine_kexec_file.c), so a lowmem area
# smaller than the kernel puts both in the global one (measured on the
# emulated DUT: 32M,256M,32M fails with EADDRNOTAVAIL, 4M,256M,4M loads)
BOOT_ARGS = "kho=on liveupdate=on kho_scratch=4M,256M,4M"

# an IOMMU live-update handler in the running kernel: a config symbol
# (e.g. CONFIG_IOMMU_LIVEUPDATE of the series under review), a kernel
# symbol or a KHO subtree naming both an IOMMU and live update / KHO
_IOMMU = r"(?:IOMMU|SMMU)"
_LU = r"(?:LIVEUPDATE|LUO|KHO|PRESERV)"
CONFIG_RE = re.compile(rf"^(CONFIG_\w*(?:{_IOMMU}\w*{_LU}|{_LU}\w*{_IOMMU})\w*)=[ym]\s*$",
                       re.M | re.I)
SYMBOL_RE = re.compile(rf"^\S+\s+[tTdDrRbB]\s+(\w*(?:{_IOMMU}\w*{_LU}|{_LU}\w*{_IOMMU})\w*)",
                       re.M | re.I)
SUBTREE_RE = re.compile(rf"{_IOMMU}", re.I)


def boot_args_missing(cmdline: str, args: str = BOOT_ARGS) -> list[str]:
    """The parameters of @args (space separated, KEY=VALUE) that the kernel
    command line @cmdline (/proc/cmdline) lacks or sets otherwise; [] when
    the running kernel has them all."""
    have: dict[str, str] = {}
    for word in cmdline.split():
        k, _, v = word.partition("=")
        have[k] = v
    out = []
    for word in args.split():
        k, _, v = word.partition("=")
        if have.get(k) != v:
            out.append(word)
    return out


def iommu_preservation(config: str, kallsyms: str, kho_subtrees: Iterable[str]) -> dict[str, Any]:
    """Whether the running kernel preserves IOMMU state across kexec, from
    what it runs: @config (/proc/config.gz, "" when absent), @kallsyms
    (/proc/kallsyms, or the lines of it a grep kept) and @kho_subtrees (the
    names under /sys/kernel/debug/kho/{in,out}/sub_fdts). Returns
    {"present": bool, "evidence": [str]} (evidence: what was found, or
    what was looked at when nothing was)."""
    ev = [f"config {m}" for m in CONFIG_RE.findall(config)]
    ev += [f"symbol {m}" for m in sorted(set(SYMBOL_RE.findall(kallsyms)))[:5]]
    ev += [f"KHO subtree {s}" for s in sorted(set(kho_subtrees)) if SUBTREE_RE.search(s)]
    if ev:
        return {"present": True, "evidence": ev}
    looked = ["no IOMMU live-update config symbol" + ("" if config else
                                                     " (no /proc/config.gz)"),
              "no IOMMU live-update/KHO kernel symbol",
              "KHO subtrees: " + (", ".join(sorted(set(kho_subtrees))) or "none")]
    return {"present": False, "evidence": looked}


def xfail_reason(preservation: dict[str, Any]) -> Optional[str]:
    """Why the IOMMU survival cannot be judged on this kernel (the xfail
    reason), or None when the kernel preserves IOMMU state (judge it)."""
    if preservation.get("present"):
        return None
    return ("the running kernel has no IOMMU live-update preservation (" +
            "; ".join(preservation.get("evidence") or []) +
            "): the new kernel rebuilds the stream table, CDs and page tables, "
            "so the IOMMU state cannot survive the kexec (mainline's IOMMU preservation "
            "is a series under review)")


def memfd_result(doc: dict[str, Any], crc32c: Optional[str]) -> dict[str, Any]:
    """One kexec's memfd check from `smmu-hil -j luo retrieve` (@doc) and
    the CRC-32C recorded when the pattern was written (@crc32c, "0x..."):
    {"verified": bool, "why": str, "crc32c", "mismatches", "finished",
    "preserved"} (why: "" when verified)."""
    if "error" in doc:
        return {"verified": False, "why": str(doc["error"]), "finished": False}
    why = []
    if not doc.get("retrieved"):
        why.append("not retrieved")
    if doc.get("size") != doc.get("expected_size"):
        why.append(f"size {doc.get('size')} != {doc.get('expected_size')}")
    if doc.get("mismatches"):
        why.append(f"{doc['mismatches']} bytes differ from the pattern, first at "
                   f"{doc.get('first_mismatch')}")
    if crc32c is not None and doc.get("crc32c") != crc32c:
        why.append(f"CRC-32C {doc.get('crc32c')} != {crc32c} written")
    if not doc.get("verified") and not why:
        why.append("the agent says not verified")
    if not doc.get("finished"):
        why.append(f"session finish failed: {doc.get('finish_error', '?')}")
    return {"verified": not why, "why": "; ".join(why), "crc32c": doc.get("crc32c"),
            "mismatches": doc.get("mismatches"), "finished": bool(doc.get("finished")),
            "preserved": doc.get("preserved")}


def json_line(text: str) -> Optional[dict[str, Any]]:
    """The last line of @text that is a JSON object (a holder's output
    file), or None."""
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                doc = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(doc, dict):
                return doc
    return None


# ------------------------------------------------------------------ survival
# the table roots an entry points at: (entry, field, what it is)
ROOTS = (("STE", "S1ContextPtr", "CD table"), ("CD", "TTB0", "S1 TTB0"),
         ("STE", "S2TTB", "S2TTB"))


def _entry(row: Optional[dict[str, Any]], kind: str) -> Optional[dict[str, Any]]:
    return (row or {}).get(kind.lower())


def _same_entry(a: Optional[dict[str, Any]], b: Optional[dict[str, Any]]) -> str:
    """"identical" (same address, same qwords), "rebuilt" (either differs),
    "none" (neither side has one), "lost"/"new" (one side only)."""
    if a is None and b is None:
        return "none"
    if a is None:
        return "new"
    if b is None:
        return "lost"
    same = a.get("pa") == b.get("pa") and list(a.get("qwords") or []) == \
        list(b.get("qwords") or [])
    return "identical" if same else "rebuilt"


def _roots(row: Optional[dict[str, Any]]) -> dict[str, int]:
    """The non-zero table roots of a snapshot row: {"CD table", "S1 TTB0",
    "S2TTB"} (addresses as the oracle decodes the fields)."""
    out = {}
    for kind, field, name in ROOTS:
        v = ((_entry(row, kind) or {}).get("fields") or {}).get(field)
        if v:
            out[name] = int(v)
    return out


def survival(before: list[dict[str, Any]], after: list[dict[str, Any]],
             event_sids: dict[Any, int] | None = None) -> list[dict[str, Any]]:
    """Per StreamID (by BDF/SID, both snapshots, in order) what survived
    one kexec: {"bdf", "sid", "config": [before, after], "ste", "cd" (each
    identical / rebuilt / none / lost / new), "ste_pa": [before, after]
    (the STE's own address: the stream table's), "roots": {NAME: [before,
    after]}, "roots_verdict" (identical: every root the same address;
    rebuilt: one moved; none: no table, e.g. bypass), "events" (the SMMU
    events of the kexec window for this StreamID, from @event_sids {sid:
    count}), "survived" (STE, CD and roots identical and no event)}."""
    ev = {int(k): int(v) for k, v in (event_sids or {}).items()}
    b = {f"{r.get('bdf')}/{r.get('sid')}": r for r in before}
    a = {f"{r.get('bdf')}/{r.get('sid')}": r for r in after}
    out = []
    for key in list(b) + [k for k in a if k not in b]:
        rb, ra = b.get(key), a.get(key)
        row = rb or ra or {}
        sid = int(row.get("sid") or 0)
        ste, cd = (_same_entry(_entry(rb, k), _entry(ra, k)) for k in ("STE", "CD"))
        rootb, roota = _roots(rb), _roots(ra)
        roots = {n: [rootb.get(n), roota.get(n)] for n in sorted(set(rootb) | set(roota))}
        rv = "none" if not roots else \
            "identical" if all(x == y for x, y in roots.values()) else "rebuilt"
        n_ev = ev.get(sid, 0)
        out.append({"bdf": row.get("bdf"), "sid": sid,
                    "config": [((_entry(rb, "STE") or {}).get("config")),
                               ((_entry(ra, "STE") or {}).get("config"))],
                    "ste": ste, "cd": cd,
                    "ste_pa": [(_entry(rb, "STE") or {}).get("pa"), (_entry(ra, "STE") or {}).get("pa")],
                    "roots": roots, "roots_verdict": rv,
                    "events": n_ev,
                    "survived": ste == "identical" and cd in ("identical", "none") and
                    rv in ("identical", "none") and n_ev == 0})
    return out


def survival_summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """One kexec's survival in short: StreamIDs, how many survived, STEs,
    CDs and roots identical / rebuilt, events in the window."""
    def count(key: str, value: str) -> int:
        return sum(1 for r in rows if r[key] == value)
    return {"streams": len(rows), "survived": sum(1 for r in rows if r["survived"]),
            "ste_identical": count("ste", "identical"), "ste_rebuilt": count("ste", "rebuilt"),
            "cd_identical": count("cd", "identical"), "cd_rebuilt": count("cd", "rebuilt"),
            "roots_identical": count("roots_verdict", "identical"),
            "roots_rebuilt": count("roots_verdict", "rebuilt"),
            "events": sum(r["events"] for r in rows)}


def verdict(memfd: list[dict[str, Any]], kexecs_wanted: int, surv: list[list[dict[str, Any]]],
            dma_ok: list[bool], preservation: dict[str, Any]) -> tuple[str, str]:
    """The scenario's outcome: ("fail", why) when a memfd check failed or
    fewer than @kexecs_wanted kexecs verified it (this is real on any LUO
    kernel); then, on a kernel without IOMMU preservation, ("xfail", the
    reason) — never a pass; on one with it, ("pass", "") only when every
    StreamID survived every kexec (@surv: survival() per kexec) with no
    event and the edu DMA flowed after each (@dma_ok), else ("fail",
    why)."""
    bad = [(i + 1, m["why"]) for i, m in enumerate(memfd) if not m.get("verified")]
    if bad:
        return "fail", f"memfd not verified after kexec {bad[0][0]}: {bad[0][1]}"
    if len(memfd) < kexecs_wanted:
        return "fail", f"the memfd was verified after {len(memfd)} kexecs, {kexecs_wanted} wanted"
    why = xfail_reason(preservation)
    if why is not None:
        return "xfail", why
    lost = [(i + 1, r) for i, rows in enumerate(surv) for r in rows if not r["survived"]]
    if lost:
        k, r = lost[0]
        return "fail", (f"kexec {k}: StreamID {r['sid']:#x} ({r['bdf']}) did not survive: "
                        f"STE {r['ste']}, CD {r['cd']}, roots {r['roots_verdict']}, "
                        f"{r['events']} events")
    if not surv:
        return "fail", "no IOMMU snapshot to judge"
    if not all(dma_ok) or len(dma_ok) < len(surv):
        return "fail", "edu DMA did not flow after every kexec"
    return "pass", ""


# ------------------------------------------------------------------ report
def is_test(name: str) -> bool:
    """True for this scenario's report name (with a plan phase's suffix)."""
    return name.split("@", 1)[0] == TEST_NAME


def _hex(v: Any) -> str:
    return hex(v) if isinstance(v, int) else "-"


def table_survival(rd: RunDir, t: dict[str, Any]) -> Any:
    """Per kexec and StreamID: STE, CD and table roots identical or rebuilt
    (addresses before → after), events in the kexec window, the memfd's
    check."""
    name = str(t.get("name"))
    if not is_test(name):
        return None
    rows: list[list[Any]] = []
    for r in read_jsonl(rd.path / ITERATIONS_FILE):
        if r.get("test", name) != name:
            continue
        luo = r.get("luo") or {}
        mem = luo.get("memfd") or {}
        for s in luo.get("survival") or []:
            roots = "; ".join(f"{k} {_hex(v[0])}→{_hex(v[1])}" for k, v in s["roots"].items())
            pa = s.get("ste_pa") or [None, None]
            rows.append([r.get("iteration"), s["bdf"], hex(int(s["sid"])),
                         f"{s['config'][0]}→{s['config'][1]}",
                         f"{s['ste']} ({pa[0]}→{pa[1]})", s["cd"],
                         f"{s['roots_verdict']}: {roots or '-'}", s["events"],
                         "verified" if mem.get("verified") else mem.get("why", "-")])
    if not rows:
        return None
    return ("IOMMU state across each kexec per StreamID, and the LUO memfd",
            ["kexec", "device", "sid", "config", "STE", "CD", "table roots", "events",
             "memfd"], rows)


def register() -> None:
    """Add the survival table to report.html (once)."""
    if table_survival not in html_report.TEST_TABLES:
        html_report.TEST_TABLES.append(table_survival)


register()
