"""The kernel's own KUnit tests on the DUT: their KTAP output, parsed.

KUnit prints KTAP version 1 (Documentation/dev-tools/ktap.rst): result lines
("ok N name", "not ok N name", "ok N name # SKIP reason"), plans ("1..N"),
diagnostics ("# ...") and free text, with each level of subtests indented by
four more spaces than its parent and printed before the parent's result
line. A suite's results in debugfs (/sys/kernel/debug/kunit/SUITE/results,
lib/kunit/debugfs.c) are one top-level test, the suite, whose subtests are
its cases; the kernel log has the same lines behind a timestamp.

The lines themselves are read by tappy's TAP parser (Debian's python3-tap,
tap.parser.Parser: result, plan, diagnostic, directive); this module adds
only KTAP's nesting by indentation and the kernel log's timestamp prefix.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tap.line import Result
from tap.parser import Parser

# the kernel log's "[   12.345678] " in front of each line (dmesg, console)
_TIMESTAMP = re.compile(r"^\[\s*\d+\.\d+\] ?")
# where the arm-smmu-v3 KUnit suite lives (drivers/iommu/arm/arm-smmu-v3/
# arm-smmu-v3-test.c: module arm-smmu-v3-test, suite arm-smmu-v3-kunit-test)
SMMU_V3_MODULE = "arm-smmu-v3-test"
SMMU_V3_SUITE = "arm-smmu-v3-kunit-test"
DEBUGFS = "/sys/kernel/debug/kunit"


class KtapError(ValueError):
    """Text that holds no KTAP result at all."""


@dataclass
class KtapResult:
    """One test of a KTAP document.

    @status: "pass", "fail" or "skip" (a SKIP directive wins over ok/not ok,
    as KTAP says). @reason: the directive's text (the skip reason).
    @diagnostics: the lines printed at the test's level before its result
    (KUnit's failure messages), without the indentation. @subtests: the
    nested results (a suite's cases).
    """

    name: str
    status: str
    number: int | None = None
    reason: str = ""
    diagnostics: list[str] = field(default_factory=list)
    subtests: list["KtapResult"] = field(default_factory=list)


def _indent(line: str) -> int:
    """Leading blanks of @line (a tab counts as the next multiple of 8)."""
    n = 0
    for c in line:
        if c == " ":
            n += 1
        elif c == "\t":
            n = (n // 8 + 1) * 8
        else:
            break
    return n


def _parse_level(lines: list[tuple[int, str]], parser: Parser) -> list[KtapResult]:
    """The results at the shallowest indentation of @lines ((indent, text)
    pairs, text stripped); deeper lines before a result are its subtests,
    other lines at the level its diagnostics."""
    if not lines:
        return []
    level = min(ind for ind, _ in lines)
    out: list[KtapResult] = []
    deeper: list[tuple[int, str]] = []
    diags: list[str] = []
    for ind, text in lines:
        if ind > level:
            deeper.append((ind, text))
            continue
        line = parser.parse_line(text)
        if isinstance(line, Result):
            if line.skip:
                status = "skip"
            else:
                status = "pass" if line.ok else "fail"
            directive = line.directive.reason if line.directive else ""
            out.append(KtapResult(name=line.description, status=status, number=line.number,
                                  reason=directive or "", diagnostics=diags,
                                  subtests=_parse_level(deeper, parser)))
            deeper, diags = [], []
        elif line.category in ("diagnostic", "unknown") and text:
            diags.append(text)
    return out


def parse_ktap(text: str) -> list[KtapResult]:
    """The top-level results of KTAP @text (a debugfs results file, or kernel
    log lines with or without timestamps; other kernel messages at the top
    level are ignored). Raises KtapError when there is no result line."""
    lines = []
    for raw in text.splitlines():
        raw = _TIMESTAMP.sub("", raw.rstrip())
        if raw.strip():
            lines.append((_indent(raw), raw.strip()))
    results = _parse_level(lines, Parser())
    if not results:
        raise KtapError("no KTAP result line (\"ok N name\" / \"not ok N name\") in the text")
    return results


def suite_cases(text: str, suite: str) -> tuple[KtapResult, list[dict[str, Any]]]:
    """Suite @suite in KTAP @text and its cases as report rows: [{"case",
    "status", "reason"}] in the order run; a failed case's reason is its
    first diagnostics (KUnit's "EXPECTATION FAILED at file:line" and the
    values). Raises KtapError when @suite is not in @text or has no case."""
    found = [r for r in parse_ktap(text) if r.name == suite]
    if not found:
        raise KtapError(f"suite {suite} not in the KTAP output")
    s = found[-1]
    if not s.subtests:
        raise KtapError(f"suite {suite} reported no test case")
    rows = []
    for c in s.subtests:
        reason = c.reason
        if c.status == "fail":
            msg = [d.lstrip("# ") for d in c.diagnostics if not d.startswith("# Subtest")]
            reason = "; ".join(msg[:4])
        rows.append({"case": c.name, "status": c.status, "reason": reason})
    return s, rows


def ran_cases(text: str, suite: str) -> bool:
    """Whether suite @suite in KTAP @text reports any case. A suite that was
    registered but not run (kunit.autorun=0: it waits for its debugfs "run"
    file) has its header, plan and result line in debugfs, no case."""
    try:
        return bool(suite_cases(text, suite)[1])
    except KtapError:
        return False


def skip_reason(release: str, kunit_debugfs: bool, module: str | None) -> str | None:
    """Why the arm-smmu-v3 KUnit suite cannot run on the DUT, or None when it
    can. @release: the DUT's `uname -r`; @kunit_debugfs: whether
    /sys/kernel/debug/kunit exists (CONFIG_KUNIT with KUNIT_DEBUGFS);
    @module: the path of arm-smmu-v3-test.ko in the DUT's module tree, or
    None when it has none (CONFIG_ARM_SMMU_V3_KUNIT_TEST not a module)."""
    if not kunit_debugfs:
        return (f"DUT kernel {release} has no KUnit ({DEBUGFS} missing: CONFIG_KUNIT or "
                "KUNIT_DEBUGFS off, as in Debian's kernels); the arm-smmu-v3 KUnit suite "
                "runs on the lab kernel (DUT_KERNEL=lab, docs/kernels.md)")
    if not module:
        return (f"DUT kernel {release} has KUnit but no {SMMU_V3_MODULE} module "
                "(CONFIG_ARM_SMMU_V3_KUNIT_TEST=m, which needs ARM_SMMU_V3_SVA)")
    return None
