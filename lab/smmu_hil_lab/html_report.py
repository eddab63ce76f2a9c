"""report.html: one self-contained page a person reads (no external files:
CSS inline, plots as PNG data: URIs drawn by matplotlib's Agg backend),
rendered from the Jinja2 templates in templates/ (report.html.j2, its
test_section.html.j2 and macros.html.j2, report.css) with autoescape.

Layout: header (run, target, kernel, SMMU features), totals, the run's plots
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

from .rundir import RunDir  # noqa: E402

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


def table_kernel_vs_oracle(rd: RunDir, t: dict[str, Any]) -> Any:
    """The recorder's kernel-vs-oracle table (metric kernel_vs_oracle of a
    `record: true` scenario on a kernel with arm_smmu_write_entry): per
    distinct transition the qwords the kernel changed at each sync, those
    the oracle's plan changes, how often, and the verdict."""
    rows = (t.get("metrics") or {}).get("kernel_vs_oracle")
    if not isinstance(rows, list) or not rows:
        return None
    out = []
    for r in rows:
        if not isinstance(r, dict):
            continue
        verdict = str(r.get("verdict", "?"))
        if r.get("difference"):
            verdict += f": {r['difference']}"
        if r.get("explanation"):
            verdict += f" (explained: {r['explanation']})"
        out.append([r.get("transition", "?"), str(r.get("kernel_steps", "")).strip(),
                    str(r.get("oracle_steps", "")).strip(), r.get("count", 0), verdict])
    return ("Recorded driver updates: kernel vs oracle plan (qwords stored per sync)",
            ["transition", "kernel steps", "oracle steps", "count", "verdict"], out) if out else None


RUN_PLOTS: list[RunPlot] = [plot_durations, plot_transitions_events]
TEST_PLOTS: list[TestPlot] = []
TEST_TABLES: list[TestTable] = [table_kernel_vs_oracle]


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
            "status": t["status"], "duration_s": float(t.get("duration_s") or 0),
            "reason": reason, "reason_line": lines[0][:200] if lines else "",
            "metrics": t.get("metrics") or {}, "tables": tables, "plots": plots}


def render(rd: RunDir) -> str:
    """The whole report.html page of run @rd (templates/report.html.j2)."""
    rep = rd.report
    dut = rep.get("dut") or {}
    tests = rd.tests
    feats = sorted({f for s in dut.get("smmu") or [] for f in s.get("features") or []})
    run = {"run_id": rep.get("run_id", rd.path.name), "target": rep.get("target", "?"),
           "kernel": dut.get("kernel", "?"),
           "started": rd.started.isoformat() if rd.started else "?",
           "features": " ".join(feats) or "?",
           "counts": {s: sum(1 for t in tests if t.get("status") == s) for s in COLORS}}
    run_plots = [_plot(got) for plot in RUN_PLOTS if (got := plot(rd))]
    return environment().get_template("report.html.j2").render(
        run=run, run_plots=run_plots, tests=[_test(rd, t) for t in tests])
