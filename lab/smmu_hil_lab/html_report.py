"""report.html: one self-contained page a person reads (no external files:
CSS inline, plots as PNG data: URIs drawn by matplotlib's Agg backend).

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
import html
import io
import json
from typing import Any, Callable, Optional

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


RUN_PLOTS: list[RunPlot] = [plot_durations, plot_transitions_events]
TEST_PLOTS: list[TestPlot] = []
TEST_TABLES: list[TestTable] = []


def png_data_uri(fig: Figure) -> str:
    """@fig as a data:image/png;base64 URI (the figure is closed)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


CSS = """
body{font-family:sans-serif;margin:1.5em auto;max-width:1100px;color:#222}
h1{font-size:1.4em} h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0} td,th{border:1px solid #ccc;padding:.2em .6em;
text-align:left;vertical-align:top;font-size:.9em} th{background:#f3f3f3}
.pass{color:#2e7d32;font-weight:bold}.fail{color:#c62828;font-weight:bold}
.skip{color:#757575;font-weight:bold} pre{background:#f7f7f7;padding:.5em;overflow-x:auto;
font-size:.85em;white-space:pre-wrap} figure{margin:1em 0} img{max-width:100%}
section.test{border-top:1px solid #ddd;margin-top:1em}
"""


def _e(v: Any) -> str:
    return html.escape(str(v), quote=True)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, (list, dict)):
        return json.dumps(v)
    return str(v)


def _anchor(name: str) -> str:
    return "t-" + "".join(c if c.isalnum() else "-" for c in name)


def _figure(title: str, fig: Figure) -> str:
    return (f'<figure><img alt="{_e(title)}" src="{png_data_uri(fig)}">'
            f"<figcaption>{_e(title)}</figcaption></figure>")


def render(rd: RunDir) -> str:
    """The whole report.html page of run @rd."""
    rep = rd.report
    dut = rep.get("dut") or {}
    tests = rd.tests
    counts = {s: sum(1 for t in tests if t.get("status") == s) for s in COLORS}
    feats = sorted({f for s in dut.get("smmu") or [] for f in s.get("features") or []})
    run_id = rep.get("run_id", rd.path.name)
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>smmu-hil run {_e(run_id)}</title><style>{CSS}</style></head><body>",
           f"<h1>smmu-hil run {_e(run_id)}</h1>",
           "<table>",
           f"<tr><th>target</th><td>{_e(rep.get('target', '?'))}</td></tr>",
           f"<tr><th>kernel</th><td>{_e(dut.get('kernel', '?'))}</td></tr>",
           f"<tr><th>started</th><td>{_e(rd.started.isoformat() if rd.started else '?')}</td></tr>",
           f"<tr><th>SMMU features</th><td>{_e(' '.join(feats) or '?')}</td></tr>",
           "<tr><th>result</th><td>" + " ".join(
               f'<span class="{s}">{counts[s]} {s}</span>' for s in COLORS) + "</td></tr>",
           "</table>", '<h2 id="plots">Plots</h2>']
    for plot in RUN_PLOTS:
        got = plot(rd)
        if got:
            out.append(_figure(*got))
    out += ['<h2 id="summary">Tests</h2>', "<table><tr><th>#</th><th>test</th><th>suite</th>"
            "<th>status</th><th>duration (s)</th><th>reason</th></tr>"]
    for i, t in enumerate(tests, 1):
        reason = (t.get("reason") or "").splitlines()
        out.append(f"<tr><td>{i}</td><td><a href=\"#{_anchor(t['name'])}\">{_e(t['name'])}</a>"
                   f"</td><td>{_e(rd.suite(t['name']))}</td>"
                   f"<td class=\"{_e(t['status'])}\">{_e(t['status'].upper())}</td>"
                   f"<td>{float(t.get('duration_s') or 0):.1f}</td>"
                   f"<td>{_e(reason[0][:200] if reason else '')}</td></tr>")
    out.append("</table>")
    for t in tests:
        out.append(_test_section(rd, t))
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _test_section(rd: RunDir, t: dict[str, Any]) -> str:
    name, status = t["name"], t["status"]
    parts = [f'<section class="test" id="{_anchor(name)}">',
             f'<h2>{_e(name)} <span class="{_e(status)}">{_e(status.upper())}</span></h2>',
             f"<p>suite {_e(rd.suite(name))}, {float(t.get('duration_s') or 0):.1f} s</p>"]
    if t.get("reason"):
        parts.append(f"<pre>{_e(t['reason'])}</pre>")
    metrics = t.get("metrics") or {}
    if metrics:
        parts.append("<table><tr><th>metric</th><th>value</th></tr>")
        parts += [f"<tr><td>{_e(k)}</td><td>{_e(_fmt(v))}</td></tr>" for k, v in metrics.items()]
        parts.append("</table>")
    for table in TEST_TABLES:
        got = table(rd, t)
        if got:
            title, head, rows = got
            parts.append(f"<h3>{_e(title)}</h3><table><tr>"
                         + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr>")
            parts += ["<tr>" + "".join(f"<td>{_e(_fmt(c))}</td>" for c in r) + "</tr>"
                      for r in rows]
            parts.append("</table>")
    for plot in TEST_PLOTS:
        got = plot(rd, t)
        if got:
            parts.append(_figure(*got))
    parts.append("</section>")
    return "\n".join(parts)
