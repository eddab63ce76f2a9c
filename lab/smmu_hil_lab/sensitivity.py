"""The sensitivity matrix of a bug-library run (`make sensitivity`,
lab/plans/sensitivity.yaml, docs/bugs.md): does each bug scenario fail on
the lab kernel that has its bug back (its mutant) and pass on the stock
one, and does the kernel's own KUnit test catch the mutant?

Rows are the bug scenarios (scenarios/bugs/*.yaml, each with a `bug:`
block), columns the plan's lab-kernel variants (plan.Phase.variant: "stock"
first, then each mutant, named by its patch file without .patch). A cell is
the scenario's actual verdict on that kernel against the expected one:

- stock column: `bug.verdicts.stock`;
- the column of the scenario's own mutant (`bug.mutant`):
  `bug.verdicts.mutant` (fail when not given: the scenario exists to catch it);
- another mutant's column: `bug.verdicts.others[<that patch>]` when the
  scenario names it there (pass, fail, xfail, or any: not judged), else the
  stock verdict (another bug should not change this scenario's outcome).

A verdict is the test's status (pass, fail, xfail: pytest.xfail(), which
the lab plugin reports as status xfail), skip (with the reason:
never a match), "not run" (no
test), or "not applied" when the column's mutant did not apply to the
kernel tree (lab-kernel.sh's "patch X does not apply", read from the
phase's set-up log). A mutant column's cell whose verdict is fail is
"caught".

The matrix is OK when every cell matches, every mutant column has a
scenario naming its mutant, and the stock kernel's KUnit suite has no
failed case; otherwise each reason is one of its `problems`. Beside each
column: the KUnit result (cases passed, failed, the failed cases' names);
a mutant counts as caught by KUnit when a case fails on it that did not
fail on stock.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import paths, scenario as scn
from .errors import LabError

KUNIT_SCENARIO = "kunit-arm-smmu-v3"
VERDICTS = ("pass", "fail", "xfail")
ANY = "any"
NOT_RUN, NOT_APPLIED = "not run", "not applied"
# lab/setup/lab-kernel.sh's message for a patch that does not apply
_NOT_APPLIED = re.compile(r"lab-kernel: error: patch (\S+) does not apply[^\n]*")


@dataclass
class Bug:
    """One bug scenario's expectations (its `bug:` block). @mutant: the
    variant name of its mutant (the patch's file name without .patch), None
    when it has none; @others: expected verdicts on other mutants' columns
    by variant name; @error: why the file could not be read ("" when it
    could)."""

    name: str
    mutant: str | None = None
    mutant_path: str | None = None
    verdicts: dict[str, str] = field(default_factory=dict)
    others: dict[str, str] = field(default_factory=dict)
    report: str = ""
    error: str = ""

    def expected(self, column: str) -> str:
        """The verdict expected on variant @column ("stock" or a mutant)."""
        stock = self.verdicts.get("stock", "pass")
        if column == "stock":
            return stock
        if column == self.mutant:
            return self.verdicts.get("mutant", "fail")
        return self.others.get(column, stock)


def variant_name(patch: str) -> str:
    """The variant name of mutant @patch (a path): its file name without .patch."""
    name = Path(patch).name
    return name[:-len(".patch")] if name.endswith(".patch") else name


def load_bugs(directory: Path) -> list[Bug]:
    """The bug scenarios of @directory (*.yaml, name order). A file that
    does not load, or has no `bug:` block, is a Bug with its @error."""
    out = []
    for f in sorted(directory.glob("*.yaml")) if directory.is_dir() else []:
        try:
            s = scn.load(f)
        except LabError as e:
            out.append(Bug(f.stem, error=str(e)))
            continue
        b = s.bug
        if not b:
            out.append(Bug(s.name, error=f"{f}: no `bug:` block (a bug-library scenario "
                                         "names its report, kernels and verdicts)"))
            continue
        v = dict(b.get("verdicts") or {})
        others = {variant_name(str(k)): str(x) for k, x in (v.pop("others", None) or {}).items()}
        out.append(Bug(s.name, mutant=variant_name(b["mutant"]) if b.get("mutant") else None,
                       mutant_path=b.get("mutant"), verdicts={k: str(x) for k, x in v.items()},
                       others=others, report=str(b.get("report") or "").strip()))
    return out


def verdict(test: dict[str, Any] | None) -> tuple[str, str]:
    """(verdict, reason's first line) of report.json entry @test (None: not
    run): pass, fail, xfail (status xfail, as the lab plugin reports
    pytest.xfail()), skip: a skip is never an expected failure."""
    if test is None:
        return NOT_RUN, ""
    reason = str(test.get("reason") or "")
    line = reason.strip().splitlines()[0][:200] if reason.strip() else ""
    st = test.get("status")
    return str(st or NOT_RUN), line


def matches(actual: str, expected: str) -> bool:
    """Whether verdict @actual is @expected (any: pass, fail or xfail)."""
    if expected == ANY:
        return actual in VERDICTS
    return actual == expected


@dataclass
class Column:
    """One lab-kernel variant: @id "stock" or the mutant's name, @suffix
    its tests' name suffix, @state ran / not applied / setup failed."""

    id: str
    suffix: str
    patch: str | None = None
    state: str = "ran"
    reason: str = ""
    releases: list[str] = field(default_factory=list)
    kunit: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """"stock" or "mutant NAME"."""
        return "stock" if self.patch is None else f"mutant {self.id}"

    def to_dict(self) -> dict[str, Any]:
        """report.json's entry of sensitivity.columns."""
        return {"id": self.id, "label": self.label, "patch": self.patch, "suffix": self.suffix,
                "state": self.state, "reason": self.reason, "releases": self.releases,
                "kunit": self.kunit}


@dataclass
class Matrix:
    """The sensitivity matrix: @columns (stock first), @rows ({"scenario",
    "mutant", "report", "cells": {column id: cell}}), @caught_by (one entry
    per mutant), @problems (why it is not OK; empty when it is)."""

    columns: list[Column]
    rows: list[dict[str, Any]]
    caught_by: list[dict[str, Any]]
    problems: list[str]
    source: str = ""

    @property
    def ok(self) -> bool:
        """Every cell as expected, every mutant caught, stock clean."""
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """report.json's `sensitivity`."""
        return {"ok": self.ok, "verdict": self.verdict_line(), "source": self.source,
                "columns": [c.to_dict() for c in self.columns], "rows": self.rows,
                "caught_by": self.caught_by, "problems": self.problems}

    def verdict_line(self) -> str:
        """One line: OK with the counts, or FAILED with the first problem."""
        cells = [c for r in self.rows for c in r["cells"].values()]
        caught = sum(1 for c in cells if c["caught"] and c["match"])
        if self.ok:
            return (f"OK: {len(cells)} cells as expected ({len(self.rows)} scenarios x "
                    f"{len(self.columns)} kernels), {caught} expected failure(s): "
                    "mutants caught")
        return f"FAILED ({len(self.problems)} problem(s)): {self.problems[0]}"


def _kunit(test: dict[str, Any] | None) -> dict[str, Any]:
    """A column's KUnit result from its kunit-arm-smmu-v3 test entry."""
    if test is None:
        return {"status": NOT_RUN, "reason": "", "cases_pass": 0, "cases_fail": 0,
                "cases_skip": 0, "failed_cases": []}
    m = test.get("metrics") or {}
    cases = m.get("kunit_cases") if isinstance(m.get("kunit_cases"), list) else []
    failed = [str(c.get("case")) for c in cases
              if isinstance(c, dict) and c.get("status") == "fail"]
    _, line = verdict(test)
    return {"status": test.get("status", NOT_RUN), "reason": line,
            "cases_pass": int(m.get("cases_pass") or 0),
            "cases_fail": int(m.get("cases_fail") or 0),
            "cases_skip": int(m.get("cases_skip") or 0), "failed_cases": failed}


def _setup_state(run_dir: Path, index: int, col: Column,
                 record: dict[str, Any] | None) -> tuple[str, str]:
    """(state, reason) of column @col from its phase's set-up record
    (setup<suffix> in the report; failed or absent) and log
    setup-<@index>.log: a failed set-up whose output says the patch does
    not apply is NOT_APPLIED."""
    if record is None or record.get("status") != "fail":
        return "ran", ""
    reason = str(record.get("reason") or "")
    log = run_dir / f"setup-{index}.log"
    text = log.read_text(encoding="utf-8", errors="replace") if log.is_file() else reason
    m = _NOT_APPLIED.search(text) or _NOT_APPLIED.search(reason)
    if m and col.patch is not None:
        detail = [ln for ln in text[m.end():].splitlines()
                  if ln.strip() and not ln.startswith(("make", "lab-kernel: error", "setup"))]
        why = m.group(0).replace("lab-kernel: error: ", "").rstrip(":")
        return NOT_APPLIED, why + (f": {'; '.join(detail[:3])}" if detail else "")
    first = reason.strip().splitlines()[0] if reason.strip() else "set-up failed"
    return "setup failed", first


def build(tests: list[dict[str, Any]], variants: list[tuple[int, str, str, str | None]],
          bugs: list[Bug], run_dir: Path | None = None, source: str = "") -> Matrix:
    """The matrix of report.json entries @tests.

    @variants: (phase index from 1, variant name, name suffix, patch or
    None) per plan phase with a variant (plan.Plan.variants); @bugs: the bug
    scenarios (load_bugs); @run_dir: where the phases' set-up logs are
    (setup-<index>.log), None to read only the reports' set-up records;
    @source: what the kernels were built from, for the report.
    """
    by_name = {str(t.get("name")): t for t in tests}
    cols = []
    for index, vid, suffix, patch in sorted(variants, key=lambda v: v[1] != "stock"):
        col = Column(vid, suffix, patch)
        # the runner's name of a failed set-up (runner.run_plan)
        setup = by_name.get(f"setup{suffix}" if suffix else f"setup-phase-{index}")
        col.state, col.reason = _setup_state(run_dir or Path("/nonexistent"), index, col, setup)
        col.releases = list(dict.fromkeys(
            str(t["dut_kernel"]) for n, t in by_name.items()
            if _strip(n, suffix) is not None and t.get("dut_kernel")
            and not n.startswith("setup")))
        col.kunit = _kunit(by_name.get(f"{KUNIT_SCENARIO}{suffix}"))
        cols.append(col)
    problems: list[str] = []
    ids = [c.id for c in cols]
    stock = next((c for c in cols if c.id == "stock"), None)
    ok_bugs = [b for b in bugs if not b.error]
    problems += [f"bug scenario {b.name}: {b.error}" for b in bugs if b.error]
    if not ok_bugs:
        problems.append("no bug scenario (scenarios/bugs/*.yaml with a `bug:` block): "
                        "the matrix has no rows, no mutant is caught")
    for c in cols:
        if c.state == NOT_APPLIED:
            problems.append(f"{c.label}: does not apply to the kernel tree, not tested "
                            f"({c.reason})")
        elif c.state != "ran":
            problems.append(f"{c.label}: set-up failed, not tested ({c.reason})")
    rows = []
    for b in ok_bugs:
        if b.mutant is not None and b.mutant not in ids:
            problems.append(f"{b.name}: its mutant {b.mutant_path} is not a column "
                            "(no such patch in the plan's mutants)")
        # a scenario may run on several devices: NAME@DEVICE, a row each
        bases = [base for c in cols for n in by_name
                 if (base := _strip(n, c.suffix)) is not None and base.split("@")[0] == b.name]
        for base in list(dict.fromkeys(bases)) or [b.name]:
            cells = {}
            for c in cols:
                exp = b.expected(c.id)
                test = by_name.get(base + c.suffix)
                act, why = verdict(test)
                if c.state == NOT_APPLIED:
                    act, why = NOT_APPLIED, c.reason
                elif c.state != "ran":
                    act, why = NOT_RUN, f"set-up failed: {c.reason}"
                ok = matches(act, exp)
                caught = c.id != "stock" and act == "fail"
                cells[c.id] = {"actual": act, "expected": exp, "match": ok, "caught": caught,
                               "own": c.id == b.mutant, "reason": why,
                               "test": base + c.suffix if test is not None else None}
                if not ok and c.state == "ran":
                    problems.append(f"{base} on {c.label}: {act}, expected {exp}"
                                    + (f" ({why})" if why else ""))
            rows.append({"scenario": base, "mutant": b.mutant, "report": b.report,
                         "cells": cells})
    if stock is not None and stock.kunit["status"] == "fail":
        problems.append(f"stock: KUnit {stock.kunit['cases_fail']} case(s) failed "
                        f"({', '.join(stock.kunit['failed_cases']) or stock.kunit['reason']}): "
                        "the stock kernel is not clean")
    stock_failed = set(stock.kunit["failed_cases"]) if stock is not None else set()
    caught_by = []
    for c in cols:
        if c.id == "stock":
            continue
        own = [r["scenario"] for r in rows if r["mutant"] == c.id]
        if not own and c.state == "ran":
            problems.append(f"{c.label}: no bug scenario names it (bug.mutant: {c.patch})")
        fails = [r["scenario"] for r in rows if r["cells"][c.id]["caught"]]
        k = c.kunit
        new = [n for n in k["failed_cases"] if n not in stock_failed]
        kunit_caught = _kunit_caught(k, new)
        caught_by.append({"mutant": c.id, "patch": c.patch, "state": c.state,
                          "scenarios": fails, "own_scenarios": own,
                          "kunit": kunit_caught, "kunit_failed_cases": new,
                          "line": _caught_line(c, fails, own, kunit_caught, new)})
    return Matrix(cols, rows, caught_by, problems, source)


def _kunit_caught(k: dict[str, Any], new: list[str]) -> bool | None:
    """Whether KUnit result @k caught its mutant: True when a case failed
    that passed on stock (@new), False when every case passed (or failed on
    stock too), None when KUnit did not give case results (skipped, not
    run, or failed without a failed case: the reason says why)."""
    if k["status"] == "pass":
        return False
    if k["status"] == "fail" and (new or k["failed_cases"]):
        return bool(new)
    return None


def _strip(name: str, suffix: str) -> str | None:
    """@name without @suffix, or None when it does not end in it."""
    if not suffix:
        return name
    return name[:-len(suffix)] if name.endswith(suffix) else None


def _caught_line(c: Column, fails: list[str], own: list[str], kunit: bool | None,
                 new: list[str]) -> str:
    """caught_by's text for mutant column @c."""
    if c.state != "ran":
        return f"{c.id}: {c.state}: {c.reason}"
    scen = ", ".join(f"{s} (own)" if s in own else s for s in fails) or "no scenario"
    if kunit is None:
        k = f"KUnit {c.kunit['status']}" + (f" ({c.kunit['reason']})" if c.kunit["reason"]
                                             else "")
    elif kunit:
        k = "KUnit caught it (" + (", ".join(new) or c.kunit["reason"] or "failed") + ")"
    else:
        k = f"KUnit did not ({c.kunit['cases_pass']} cases pass)"
    return f"{c.id}: caught by {scen}; {k}"


def cell_text(cell: dict[str, Any]) -> str:
    """A cell in summary.txt: the verdict, "caught" for a mutant's expected
    failure, "!" and the expectation on a mismatch."""
    if cell["match"]:
        return cell["actual"] + (" caught" if cell["caught"] else "")
    return f"! {cell['actual']} (expected {cell['expected']})"


def kunit_text(k: dict[str, Any]) -> str:
    """A column's KUnit result in one short cell."""
    if k.get("status") in ("pass", "fail"):
        return f"{k['status']} {k['cases_pass']}/{k['cases_pass'] + k['cases_fail']}"
    return str(k.get("status") or NOT_RUN)


def summary_text(doc: dict[str, Any]) -> str:
    """The SENSITIVITY MATRIX block of summary.txt from report.json's
    `sensitivity` @doc."""
    cols = doc["columns"]
    head = ["scenario"] + [c["label"] for c in cols]
    table = [head]
    for r in doc["rows"]:
        table.append([r["scenario"]] + [cell_text(r["cells"][c["id"]]) for c in cols])
    table.append(["KUnit (cases pass/run)"] + [kunit_text(c["kunit"]) for c in cols])
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    out = [f"SENSITIVITY MATRIX: {doc['verdict']}"]
    if doc.get("source"):
        out.append(f"  kernels built from {doc['source']}")
    for row in table:
        out.append("  " + "  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())
    for c in cols:
        if c["state"] != "ran":
            out.append(f"  {c['label']}: {c['state']}: {c['reason']}")
    for k in doc["caught_by"]:
        out.append(f"  caught_by {k['line']}")
    for p in doc["problems"]:
        out.append(f"  PROBLEM: {p}")
    return "\n".join(out) + "\n"


def preflight(plan: Any, bugs_dir: Path | None = None) -> str:
    """What sensitivity plan @plan will judge, before it boots: its kernels
    and the bug scenarios found (a clear line when there is none: the plan
    still runs KUnit on every kernel, and its matrix fails)."""
    bugs = load_bugs(bugs_dir or paths.SCENARIOS / "bugs")
    kernels = ", ".join(ph.variant for ph in plan.variants)
    if not bugs:
        return (f"sensitivity: kernels {kernels}; no bug scenario in "
                f"{bugs_dir or paths.SCENARIOS / 'bugs'} (the suite is empty): only KUnit "
                "runs, the matrix has no rows and fails")
    bad = [b.name for b in bugs if b.error]
    return (f"sensitivity: kernels {kernels}; {len(bugs)} bug scenario(s): "
            + ", ".join(f"{b.name} ({'mutant ' + b.mutant if b.mutant else 'no mutant'})"
                        for b in bugs if not b.error)
            + (f"; unreadable: {', '.join(bad)}" if bad else ""))


def judge_run(run_dir: Path, plan: Any, bugs_dir: Path | None = None) -> int:
    """Build the matrix of plan @plan's finished run in @run_dir, add it to
    report.json (`sensitivity`) and summary.txt, print it. Returns the
    plan's exit status: 0 when the matrix is OK, 1 when not, 2 when the run
    has no report.json."""
    rep_path = run_dir / "report.json"
    try:
        rep = json.loads(rep_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 2
    bugs = load_bugs(bugs_dir or paths.SCENARIOS / "bugs")
    variants = [(i, ph.variant, ph.name_suffix, ph.patch)
                for i, ph in enumerate(plan.phases, 1) if ph.variant is not None]
    ksrc = os.environ.get("KSRC") or ""
    source = f"the tree {ksrc} (KSRC)" if ksrc else \
        "Debian's linux-source (make lab-kernel's default)"
    mx = build(list(rep.get("tests") or []), variants, bugs, run_dir, source)
    doc = mx.to_dict()
    rep["sensitivity"] = doc
    tmp = rep_path.with_name(rep_path.name + ".tmp")
    tmp.write_text(json.dumps(rep, indent=2) + "\n", encoding="utf-8")
    tmp.replace(rep_path)
    text = summary_text(doc)
    summ = run_dir / "summary.txt"
    old = summ.read_text(encoding="utf-8") if summ.is_file() else ""
    old = old.split("SENSITIVITY MATRIX:", 1)[0]     # a resumed run: the new one
    summ.write_text(old + text, encoding="utf-8")
    print(text, end="", flush=True)
    return 0 if mx.ok else 1
