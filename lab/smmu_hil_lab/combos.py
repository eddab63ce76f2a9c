"""The DUT kernel x SMMU model combinations of a run's tests, and the table
that compares them (report.html's "Kernels and SMMU models", report.json's
`combinations`, `compare`'s environment lines).

A test's combination comes from its name's suffix "[KERNEL,MODEL]" (a plan
phase's name_suffix: raw-hitless@edu[7.x,nested]; lab/plans/matrix.yaml),
which is also what the table's rows strip: the row is the scenario
(raw-hitless@edu), the column the combination (7.x nested). A test's
properties `dut_kernel` (the release it ran on, 7.3.4+deb13-arm64) and
`smmu_model` — top-level keys of its report entry, or under `properties`
or `metrics` — fill in what the suffix does not say, and without a suffix
they are the combination themselves (release and model). A test with
neither is in no column.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, is_dataclass
from typing import Any

# raw-hitless@edu[7.x,nested]: scenario, kernel, model (no brackets or commas inside)
SUFFIX = re.compile(r"^(?P<scenario>.+?)\[(?P<kernel>[^\[\],\s]+),(?P<model>[^\[\],\s]+)\]$")

# shown in each cell, in this order, when the test has them: (metric, label)
KEY_METRICS = (("rate_per_s", "rate/s"), ("transitions", "transitions"), ("events", "events"),
               ("unexpected_events", "unexpected events"), ("dma_errors", "DMA errors"),
               ("throughput_ratio", "throughput ratio"), ("disagreements", "disagreements"))


def as_dict(test: Any) -> dict[str, Any]:
    """@test (a report.json entry or a report.TestResult) as a dict."""
    if is_dataclass(test) and not isinstance(test, type):
        return asdict(test)
    return test if isinstance(test, dict) else {}


def property_of(test: Any, key: str) -> str | None:
    """The test's property @key ("dut_kernel", "smmu_model") as a string:
    a top-level key of its entry, else under `properties`, else under
    `metrics`; None when absent or empty."""
    t = as_dict(test)
    for where in (t, t.get("properties"), t.get("metrics")):
        if isinstance(where, dict) and where.get(key) not in (None, ""):
            return str(where[key])
    return None


def split_name(name: str) -> tuple[str, tuple[str, str] | None]:
    """(scenario, (kernel, model)) of test name @name when it ends in
    "[KERNEL,MODEL]", else (@name, None)."""
    m = SUFFIX.match(name)
    if not m:
        return name, None
    return m.group("scenario"), (m.group("kernel"), m.group("model"))


@dataclass(frozen=True)
class Combination:
    """One column: the kernel (DUT_KERNEL's value from the suffix, else the
    release) and the SMMU model ("?" when unknown)."""

    kernel: str
    model: str

    @property
    def label(self) -> str:
        """"7.x nested"."""
        return f"{self.kernel} {self.model}"


def combination(test: Any) -> tuple[str, Combination | None]:
    """(row name, combination) of @test: see the module's doc."""
    t = as_dict(test)
    name = str(t.get("name", ""))
    scenario, sel = split_name(name)
    release, model = property_of(t, "dut_kernel"), property_of(t, "smmu_model")
    if sel is not None:
        return scenario, Combination(sel[0], sel[1])
    if release is None and model is None:
        return name, None
    return name, Combination(release or "?", model or "?")


@dataclass
class Column:
    """A combination's column: its tests' releases and counts per status."""

    combo: Combination
    releases: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: {"pass": 0, "fail": 0, "skip": 0})

    def to_dict(self) -> dict[str, Any]:
        """report.json's entry of `combinations`."""
        return {"kernel": self.combo.kernel, "smmu_model": self.combo.model,
                "dut_kernels": self.releases, **self.counts}


@dataclass
class Row:
    """A scenario's row: its test entry per column label."""

    scenario: str
    cells: dict[str, dict[str, Any]] = field(default_factory=dict)

    def differs(self, labels: list[str]) -> bool:
        """True when the statuses differ across @labels (a missing cell too)."""
        return len({self.cells[c]["status"] if c in self.cells else None
                    for c in labels}) > 1


@dataclass
class Matrix:
    """Rows (scenarios, in first-run order) by columns (combinations, in
    first-run order)."""

    columns: list[Column]
    rows: list[Row]

    @property
    def labels(self) -> list[str]:
        """The columns' labels."""
        return [c.combo.label for c in self.columns]


def matrix(tests: list[Any]) -> Matrix:
    """The comparison table of @tests (report.json entries or TestResults).
    A test in no combination is left out; a second test of the same row and
    column (which unique test names rule out) replaces the first."""
    columns: dict[Combination, Column] = {}
    rows: dict[str, Row] = {}
    for test in tests:
        t = as_dict(test)
        row, combo = combination(t)
        if combo is None:
            continue
        col = columns.setdefault(combo, Column(combo))
        rel = property_of(t, "dut_kernel")
        if rel and rel not in col.releases:
            col.releases.append(rel)
        if t.get("status") in col.counts:
            col.counts[t["status"]] = col.counts.get(t["status"], 0) + 1
        rows.setdefault(row, Row(row)).cells[combo.label] = t
    return Matrix(list(columns.values()), list(rows.values()))


def combinations(tests: list[Any]) -> list[dict[str, Any]]:
    """report.json's `combinations`: one entry per column (kernel,
    smmu_model, dut_kernels, pass, fail, skip) when @tests ran on more than
    one combination, else []."""
    m = matrix(tests)
    return [c.to_dict() for c in m.columns] if len(m.columns) > 1 else []


def key_metrics(test: dict[str, Any]) -> list[tuple[str, Any]]:
    """The KEY_METRICS @test has, as (label, value) in KEY_METRICS order."""
    m = test.get("metrics") or {}
    return [(label, m[k]) for k, label in KEY_METRICS
            if k in m and not isinstance(m[k], (list, dict))]
