"""report.html: one self-contained page a person reads (no external files:
CSS inline, plots as PNG data: URIs drawn by matplotlib's Agg backend),
rendered from the Jinja2 templates in templates/ (report.html.j2, its
test_section.html.j2 and macros.html.j2, report.css) with autoescape.

Layout: header (run, target, kernel(s), SMMU model(s), SMMU features), totals, the run's plots
(RUN_PLOTS), a summary table, then one section per test (status, reason,
metrics, that test's plots from TEST_PLOTS).

Plots are functions; a new one (throughput over time with kexecs marked, an
event timeline, ...) is one more entry in RUN_PLOTS (the whole run) or
TEST_PLOTS (one test; it sees the test's report entry and can read side
files of the run directory). A plot function returns None when it has
nothing to draw. Tables such as a per-iteration STE/CD diff go in
TEST_TABLES the same way.
"""
from __future__ import annotations

import base64
import io
import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Optional

import jinja2
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend)
from matplotlib.figure import Figure  # noqa: E402

from .report import ran_on  # noqa: E402
from .rundir import RunDir  # noqa: E402
from . import combos  # noqa: E402  (the kernel x SMMU model table: comparison())

COLORS = {"pass": "#2e7d32", "fail": "#c62828", "skip": "#9e9e9e"}
# metrics that count transitions, and metrics that count things gone wrong
TRANSITION_KEYS = ("transitions",)
EVENT_KEYS = ("unexpected_events", "events", "events_C_BAD_STE", "dma_errors",
              "fio_verify_errors", "verify_errors", "iperf3_errors", "dropped")

RunPlot = Callable[[RunDir], Optional[tuple[str, Figure]]]
TestPlot = Callable[[RunDir, dict[str, Any]], Optional[tuple[str, Figure]]]
TestTable = Callable[[RunDir, dict[str, Any]], Optional[tuple[str, list[str], list[list[Any]]]]]


def _number(v: Any) -> float | None:
    """@v as a float when it is a plain number (not a bool), else None."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return float(v)


def plot_durations(rd: RunDir) -> tuple[str, Figure] | None:
    """Horizontal bars: each test's duration, coloured by status."""
    tests = rd.tests
    if not tests:
        return None
    fig, ax = plt.subplots(figsize=(9, 0.32 * len(tests) + 1.2))
    names = [t["name"] for t in tests]
    ax.barh(range(len(tests)), [float(t.get("duration_s") or 0) for t in tests],
            color=[COLORS.get(t["status"], "#555") for t in tests])
    ax.set_yticks(range(len(tests)), names)
    ax.invert_yaxis()
    ax.set_xlabel("duration (s)")
    for i, t in enumerate(tests):
        ax.text(float(t.get("duration_s") or 0), i, f" {float(t.get('duration_s') or 0):.1f}",
                va="center", fontsize=8)
    handles = [matplotlib.patches.Patch(color=c, label=s) for s, c in COLORS.items()]
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1), ncol=3, fontsize=8,
              frameon=False)
    ax.set_xlim(0, max(float(t.get("duration_s") or 0) for t in tests) * 1.1 + 0.1)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return "Duration per test", fig


def plot_transitions_events(rd: RunDir) -> tuple[str, Figure] | None:
    """Per test with a transition count: transitions (log scale) beside the
    events and errors the test counted."""
    rows = []
    for t in rd.tests:
        m = t.get("metrics") or {}
        n = next((_number(m[k]) for k in TRANSITION_KEYS if _number(m.get(k)) is not None), None)
        if n is None:
            continue
        bad = {k: _number(m.get(k)) for k in EVENT_KEYS if _number(m.get(k)) is not None}
        rows.append((t["name"], n, bad, t["status"]))
    if not rows:
        return None
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 0.4 * len(rows) + 1.5), sharey=True)
    y = range(len(rows))
    ax1.barh(y, [max(r[1], 1) for r in rows], color=[COLORS.get(r[3], "#555") for r in rows])
    ax1.set_xscale("log")
    ax1.set_yticks(list(y), [r[0] for r in rows])
    ax1.invert_yaxis()
    ax1.set_xlabel("transitions (log)")
    for i, r in enumerate(rows):
        ax1.text(max(r[1], 1), i, f" {int(r[1]):,}", va="center", fontsize=8)
    keys = [k for k in EVENT_KEYS if any(k in r[2] for r in rows)]
    width = 0.8 / max(len(keys), 1)
    for j, k in enumerate(keys):
        ys = [i - 0.4 + width * (j + 0.5) for i in y]
        vals = [r[2].get(k, 0) for r in rows]
        ax2.barh(ys, vals, height=width, label=k)
        for yy, v in zip(ys, vals):
            if v:
                ax2.text(v, yy, f" {int(v):,}", va="center", fontsize=7)
    # counts range from 0 to millions: linear near 0, logarithmic beyond 10
    ax2.set_xscale("symlog", linthresh=10)
    ax2.set_xlim(0, max([10.0] + [v for r in rows for v in r[2].values()]) * 20)
    ax2.set_xlabel("events / errors (0 = no bar)")
    if keys:
        ax2.legend(fontsize=7, loc="upper right")
    ax2.grid(axis="x", alpha=0.3)
    ax1.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return "Transitions and events per test", fig


def _metric_rows(t: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The rows of test @t's list-valued metric @key (a table the agent
    reported); entries that are not mappings are left out, [] when absent."""
    rows = (t.get("metrics") or {}).get(key)
    return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []


def table_conformance(rd: RunDir, t: dict[str, Any]
                      ) -> tuple[str, list[str], list[list[Any]]] | None:
    """A legality corpus (the agent's `conformance` metric): per item the
    oracle's prediction and rule, the SMMU's answer, the records seen and
    the verdict (agree, DISAGREE, skip with its reason, error)."""
    rows = _metric_rows(t, "conformance")
    if not rows:
        return None
    out = []
    for r in rows:
        out.append([r.get("n", ""), r.get("line", ""), r.get("entry", ""), r.get("item", ""),
                    r.get("oracle") or "", r.get("rule") or "", r.get("smmu") or "",
                    r.get("events") or r.get("reason") or "", r.get("verdict", "")])
    m = t.get("metrics") or {}
    title = (f"Legality conformance: {m.get('entries', len(out))} entries, "
             f"{m.get('agreements', 0)} agree, {m.get('disagreements', 0)} disagree, "
             f"{m.get('skipped_entries', 0)} skipped (profile {m.get('profile', '?')})")
    return title, ["#", "line", "entry", "item", "oracle", "rule", "SMMU", "records / reason",
                   "verdict"], out


def table_kernel_vs_oracle(rd: RunDir, t: dict[str, Any]) -> Any:
    """The recorder's kernel-vs-oracle table (metric kernel_vs_oracle of a
    `record: true` scenario on a kernel with arm_smmu_write_entry): per
    distinct transition the qwords the kernel changed at each sync, those
    the oracle's plan changes, how often, and the verdict."""
    out = []
    for r in _metric_rows(t, "kernel_vs_oracle"):
        verdict = str(r.get("verdict", "?"))
        if r.get("difference"):
            verdict += f": {r['difference']}"
        if r.get("explanation"):
            verdict += f" (explained: {r['explanation']})"
        out.append([r.get("transition", "?"), str(r.get("kernel_steps", "")).strip(),
                    str(r.get("oracle_steps", "")).strip(), r.get("count", 0), verdict])
    return ("Recorded driver updates: kernel vs oracle plan (qwords stored per sync)",
            ["transition", "kernel steps", "oracle steps", "count", "verdict"], out) if out else None


def table_kunit(rd: RunDir, t: dict[str, Any]) -> Any:
    """The kernel's own KUnit cases (metric kunit_cases of the smoke suite's
    kunit-arm-smmu-v3, lab/smmu_hil_lab/kunit.py): per case its status and,
    for a failure or skip, the reason."""
    rows = _metric_rows(t, "kunit_cases")
    if not rows:
        return None
    m = t.get("metrics") or {}
    title = (f"KUnit {m.get('kunit_suite', '?')}: {len(rows)} cases, "
             f"{m.get('cases_pass', 0)} pass, {m.get('cases_fail', 0)} fail, "
             f"{m.get('cases_skip', 0)} skip")
    return title, ["#", "case", "status", "reason"], [
        [i + 1, r.get("case", "?"), r.get("status", "?"), r.get("reason") or ""]
        for i, r in enumerate(rows)]


RUN_PLOTS: list[RunPlot] = [plot_durations, plot_transitions_events]
TEST_PLOTS: list[TestPlot] = []
TEST_TABLES: list[TestTable] = [table_conformance, table_kernel_vs_oracle, table_kunit]


def png_data_uri(fig: Figure) -> str:
    """@fig as a data:image/png;base64 URI (the figure is closed)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


TEMPLATES = Path(__file__).with_name("templates")


def _fmt(v: Any) -> str:
    """A metric or table cell as text: floats to 6 significant digits,
    lists and mappings as JSON."""
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, (list, dict)):
        return json.dumps(v)
    return str(v)


def _num(v: Any) -> str:
    """A metric in a comparison cell: integers and floats >= 100 with
    thousands separators and no fraction, smaller floats to 3 significant
    digits, anything else as _fmt() writes it."""
    n = _number(v)
    if n is None:
        return _fmt(v)
    if isinstance(v, int) or abs(n) >= 100:
        return f"{n:,.0f}"
    return f"{n:.3g}"


def _anchor(name: str) -> str:
    return "t-" + "".join(c if c.isalnum() else "-" for c in name)


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The Jinja2 environment of templates/ (autoescape on: a test's name,
    reason or metric can never add markup to the page)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    env.filters["fmt"] = _fmt
    env.filters["num"] = _num
    return env


def _plot(got: tuple[str, Figure]) -> dict[str, str]:
    title, fig = got
    return {"title": title, "uri": png_data_uri(fig)}


def _test(rd: RunDir, t: dict[str, Any]) -> dict[str, Any]:
    """One test's template context: its fields, then its tables and plots."""
    reason = t.get("reason") or ""
    lines = reason.splitlines()
    tables = []
    for table in TEST_TABLES:
        got = table(rd, t)
        if got:
            title, head, rows = got
            tables.append({"title": title, "head": head, "rows": rows})
    plots = [_plot(got) for plot in TEST_PLOTS if (got := plot(rd, t))]
    return {"name": t["name"], "anchor": _anchor(t["name"]), "suite": rd.suite(t["name"]),
            "dut_kernel": t.get("dut_kernel") or "?", "smmu_model": t.get("smmu_model") or "?",
            "status": t["status"], "duration_s": float(t.get("duration_s") or 0),
            "reason": reason, "reason_line": lines[0][:200] if lines else "",
            "metrics": t.get("metrics") or {}, "tables": tables, "plots": plots}


def render(rd: RunDir) -> str:
    """The whole report.html page of run @rd (templates/report.html.j2)."""
    rep = rd.report
    dut = rep.get("dut") or {}
    tests = rd.tests
    feats = sorted({f for s in dut.get("smmu") or [] for f in s.get("features") or []})
    kernels, models = ran_on(dut, tests)
    run = {"run_id": rep.get("run_id", rd.path.name), "target": rep.get("target", "?"),
           "kernel": ", ".join(kernels), "smmu_model": ", ".join(models),
           "error": rep.get("error") or "",
           "started": rd.started.isoformat() if rd.started else "?",
           "features": " ".join(feats) or "?",
           "counts": {s: sum(1 for t in tests if t.get("status") == s) for s in COLORS}}
    run_plots = [_plot(got) for plot in RUN_PLOTS if (got := plot(rd))]
    return environment().get_template("report.html.j2").render(
        run=run, run_plots=run_plots, tests=[_test(rd, t) for t in tests],
        comparison=comparison(tests), sensitivity=sensitivity(rep))


def sensitivity(rep: dict[str, Any]) -> dict[str, Any] | None:
    """The sensitivity matrix of a `make sensitivity` run (report.json's
    `sensitivity`, sensitivity.py) as templates/sensitivity.html.j2's
    context: the document with each cell's text (sensitivity.cell_text)
    and its test's anchor, each column's KUnit cell; None for other runs."""
    from . import sensitivity as sens
    doc = rep.get("sensitivity")
    if not isinstance(doc, dict) or not isinstance(doc.get("columns"), list):
        return None
    rows = []
    for r in doc.get("rows") or []:
        cells = {cid: {**c, "text": sens.cell_text(c),
                       "anchor": _anchor(c["test"]) if c.get("test") else ""}
                 for cid, c in (r.get("cells") or {}).items()}
        rows.append({**r, "cells": cells})
    cols = [{**c, "kunit_text": sens.kunit_text(c.get("kunit") or {})}
            for c in doc["columns"]]
    return {**doc, "rows": rows, "columns": cols}


def comparison(tests: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The table comparing a run's DUT kernel x SMMU model combinations,
    shown after the header (templates/comparison.html.j2; combos.py): its
    template context, columns (label, releases, counts) and rows (scenario,
    differs, cells by column label: status, anchor, reason_line, metrics as
    (label, value)); None for a run on fewer than two combinations."""
    mx = combos.matrix(tests)
    if len(mx.columns) < 2:
        return None
    labels = mx.labels
    cols = [{"label": c.combo.label, "releases": c.releases, "counts": c.counts}
            for c in mx.columns]
    rows = []
    for r in mx.rows:
        cells = {}
        for label, t in r.cells.items():
            lines = (t.get("reason") or "").splitlines()
            cells[label] = {"status": t.get("status", "?"), "anchor": _anchor(str(t["name"])),
                            "reason_line": lines[0][:120] if lines else "",
                            "metrics": combos.key_metrics(t)}
        rows.append({"scenario": r.scenario, "differs": r.differs(labels), "cells": cells})
    return {"columns": cols, "labels": labels, "rows": rows,
            "differ": sum(1 for r in rows if r["differs"])}


def plot_combination_rates(rd: RunDir) -> tuple[str, Figure] | None:
    """A run on several kernel x SMMU model combinations: per scenario with
    a rate_per_s, one bar per combination (log scale); a missing or
    skipped cell has no bar."""
    mx = combos.matrix(rd.tests)
    labels = mx.labels
    rows = [r for r in mx.rows
            if any(_number((c.get("metrics") or {}).get("rate_per_s")) for c in r.cells.values())]
    if len(labels) < 2 or not rows:
        return None
    fig, ax = plt.subplots(figsize=(10, 0.25 * len(rows) * len(labels) + 1.6))
    height = 0.8 / len(labels)
    for j, label in enumerate(labels):
        ys, vals = [], []
        for i, r in enumerate(rows):
            v = _number(((r.cells.get(label) or {}).get("metrics") or {}).get("rate_per_s"))
            if v:
                ys.append(i - 0.4 + height * (j + 0.5))
                vals.append(v)
        ax.barh(ys, vals, height=height, label=label)
        for yy, v in zip(ys, vals):
            ax.text(v, yy, f" {v:,.0f}", va="center", fontsize=7)
    ax.set_xscale("log")
    ax.set_yticks(range(len(rows)), [r.scenario for r in rows])
    ax.invert_yaxis()
    ax.set_xlabel("transitions per second (log)")
    ax.legend(fontsize=8, loc="lower left", bbox_to_anchor=(0, 1), ncol=len(labels),
              frameon=False)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return "Transition rate per kernel and SMMU model", fig


RUN_PLOTS.append(plot_combination_rates)
