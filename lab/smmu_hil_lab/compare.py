"""`compare RUN_A RUN_B`: what changed from run A (the reference, e.g. last
night's) to run B, from their report.json files — what a nightly's reader
asks first.

Tests are matched by name (a matrix run's names carry their combination,
raw-hitless@edu[7.x,nested], so each combination is compared with itself).

Regressions (exit status 1):
- a status that got worse: pass -> fail, skip -> fail, pass -> skip (the
  test no longer runs: lost coverage);
- a test of A missing in B (lost coverage, or B's run broke);
- a test new in B that fails;
- a metric that moved the worse way by more than the tolerance (below).
Improvements: fail -> pass, skip -> pass, and metrics that moved the better
way. Other changes: fail -> skip, new tests that pass or skip, metrics
without a better direction that moved beyond the tolerance (listed in the
text with --all, always in the JSON).

Metrics: numbers and booleans present in both; strings are not compared
(addresses, STE words, explanations differ every run), nor are durations
of whole tests. A metric moved when |B - A| / |A| exceeds its tolerance
(--tolerance, default 20 %; --metric-tolerance GLOB=FRACTION for some),
or when A is 0 (or false) and B is not. DIRECTIONS says which way is worse:
errors, drops, overflows, unexpected events, disagreements and time per
sync or per transition up; rates, throughput and recovery flags down.
Counts of events (events, events_on_sid, events_C_BAD_STE ...) are worse
up in a test that does not count unexpected_events; in one that does (every
transition scenario: a breaking update's C_BAD_STE records are expected
and their number varies by tens of percent), unexpected_events is the
judged count and the others are only listed. A test whose metrics say
conclusive=false (evtmon-cost on a noisy host) has no metric judged.

The environment: target, DUT kernel(s) (report header and the tests'
`dut_kernel`), SMMU model(s), QEMU version, SMMU features and the DUT
package versions of dut.lock.
"""
from __future__ import annotations

import fnmatch
import json
import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import combos, paths
from .errors import CompareError
from .report import STATUSES

DEFAULT_TOLERANCE = 0.20

HIGHER_IS_BETTER, NEUTRAL, LOWER_IS_BETTER = 1, 0, -1
EVENTS = "events"       # LOWER_IS_BETTER unless the test counts unexpected_events

# first match wins; a metric matching none is NEUTRAL
DIRECTIONS: tuple[tuple[re.Pattern[str], int | str], ...] = tuple(
    (re.compile(rx), d) for rx, d in (
        (r"^events_(dropped|overflows|lost)$", LOWER_IS_BETTER),
        (r"(^|_)errors$", LOWER_IS_BETTER),           # dma_errors, eth0_rx_errors ...
        (r"(^|_)(dropped|overflows|lost)$", LOWER_IS_BETTER),
        (r"^unexpected", LOWER_IS_BETTER),
        (r"^(disagreements|differences|unexplained.*)$", LOWER_IS_BETTER),
        (r"(^|_)stuck$", LOWER_IS_BETTER),            # fio_stuck
        (r"^events(_.*)?$", EVENTS),
        (r"^max_sync_ns$", NEUTRAL),    # one outlier sync: host scheduling under TCG
        (r"^(ns_per_sync|transitions_s|dut_duration_s|boot_s)$", LOWER_IS_BETTER),
        (r"(^|_)blackout", LOWER_IS_BETTER),
        (r"(^|_)per_s$", HIGHER_IS_BETTER),           # rate_per_s
        (r"^throughput_(with|without|ratio)$", HIGHER_IS_BETTER),
        (r"(^|_)(iops|mbps|mib_s)$", HIGHER_IS_BETTER),
        (r"^(device_recovered|restored|goal_met|smmu_reprobed)$|_restored$", HIGHER_IS_BETTER),
    ))

# status A -> status B: the kind of change
STATUS_KINDS = {("pass", "fail"): "regression", ("skip", "fail"): "regression",
                ("pass", "skip"): "regression", ("fail", "pass"): "improvement",
                ("skip", "pass"): "improvement", ("fail", "skip"): "change",
                # an expected failure (xfail) that passes now is an improvement
                ("xfail", "pass"): "improvement", ("pass", "xfail"): "regression",
                ("xfail", "fail"): "regression", ("fail", "xfail"): "change",
                ("xfail", "skip"): "change", ("skip", "xfail"): "change"}


# the order of changes of one kind: what a reader asks first
ORDER = {"status": 0, "added": 1, "removed": 2, "metric": 3, "environment": 4}


def direction(metric: str, test_metrics: dict[str, Any]) -> int:
    """Which way @metric is better (HIGHER_IS_BETTER, LOWER_IS_BETTER,
    NEUTRAL) in a test whose metrics are @test_metrics (DIRECTIONS)."""
    for rx, d in DIRECTIONS:
        if rx.search(metric):
            if d == EVENTS:
                return NEUTRAL if "unexpected_events" in test_metrics else LOWER_IS_BETTER
            return int(d)
    return NEUTRAL


def parse_tolerance(text: str) -> float:
    """A tolerance "0.2" or "20%" as the fraction 0.2. Raises CompareError
    for anything but a finite number >= 0."""
    t = text.strip()
    try:
        v = float(t[:-1]) / 100 if t.endswith("%") else float(t)
    except ValueError:
        raise CompareError(f"tolerance {text!r}: a fraction (0.2) or a percentage (20%)")
    if not math.isfinite(v) or v < 0:
        raise CompareError(f"tolerance {text!r}: must be a finite number >= 0")
    return v


def parse_metric_tolerances(items: list[str]) -> list[tuple[str, float]]:
    """--metric-tolerance values "GLOB=TOLERANCE" (rate_per_s=0.5,
    throughput_*=50%) as (glob, fraction). Raises CompareError."""
    out = []
    for item in items:
        glob, sep, tol = item.partition("=")
        if not sep or not glob.strip():
            raise CompareError(f"--metric-tolerance {item!r}: write METRIC=TOLERANCE "
                               "(a metric name or glob, rate_per_s=0.5)")
        out.append((glob.strip(), parse_tolerance(tol)))
    return out


@dataclass
class Run:
    """One side of the comparison: where its report came from and the report."""

    path: Path
    report: dict[str, Any]

    @property
    def tests(self) -> dict[str, dict[str, Any]]:
        """The tests by name, in run order."""
        return {t["name"]: t for t in self.report["tests"]}

    def info(self) -> dict[str, Any]:
        """The header of this side: run id, target, kernel(s), SMMU
        model(s), QEMU, counts per status."""
        r, dut = self.report, self.report.get("dut") or {}
        tests = self.report["tests"]
        kernels = _distinct([dut.get("kernel")] + [combos.property_of(t, "dut_kernel")
                                                   for t in tests])
        models = _distinct([_header(r, "smmu_model")] + [combos.property_of(t, "smmu_model")
                                                         for t in tests])
        return {"path": str(self.path), "run_id": str(r.get("run_id", "?")),
                "target": str(r.get("target", "?")), "kernels": kernels,
                "smmu_models": models, "qemu": qemu_version(r),
                "summary": {s: sum(1 for t in tests if t["status"] == s) for s in STATUSES
                            if s != "xfail" or any(t["status"] == s for t in tests)}}


def _distinct(values: list[Any]) -> list[str]:
    return list(dict.fromkeys(str(v) for v in values if v not in (None, "")))


def _header(rep: dict[str, Any], key: str) -> Any:
    """Report header field @key: top level, else under dut."""
    dut = rep.get("dut") if isinstance(rep.get("dut"), dict) else {}
    return rep.get(key) if rep.get(key) not in (None, "") else dut.get(key)


def qemu_version(rep: dict[str, Any]) -> str | None:
    """The QEMU version a report names: header `qemu_version` or `qemu`
    (a string, or a mapping with `version`), else a dut.lock entry
    qemu-system-*; None when it names none."""
    for key in ("qemu_version", "qemu"):
        v = _header(rep, key)
        if isinstance(v, dict):
            v = v.get("version")
        if v not in (None, ""):
            return str(v)
    lock = (rep.get("dut") or {}).get("lock") or {}
    for k, v in sorted(lock.items()) if isinstance(lock, dict) else []:
        if k.startswith("qemu-system"):
            return f"{k.split(':')[0]} {v}"
    return None


def load(arg: str | Path) -> Run:
    """The report of @arg: a run directory, a report.json file, or the name
    of a run under results/ (a run id, `latest`). Checks what compare()
    relies on. Raises CompareError naming the file and the fault."""
    p = Path(arg)
    if not p.exists() and not p.is_absolute() and (paths.RESULTS / p).exists():
        p = paths.RESULTS / p
    f = p / "report.json" if p.is_dir() else p
    if not p.exists():
        raise CompareError(f"{arg}: no such run directory or report.json")
    try:
        text = f.read_text(encoding="utf-8")
    except OSError as e:
        raise CompareError(f"{f}: cannot read: {e.strerror or e}") from e
    except UnicodeDecodeError as e:
        raise CompareError(f"{f}: not UTF-8 text: {e}") from e
    try:
        rep = json.loads(text)
    except ValueError as e:
        raise CompareError(f"{f}: not JSON: {e}") from e
    if not isinstance(rep, dict) or not isinstance(rep.get("tests"), list):
        raise CompareError(f"{f}: not a report.json: no 'tests' list")
    seen: set[str] = set()
    for i, t in enumerate(rep["tests"]):
        where = f"{f}: tests[{i}]"
        if not isinstance(t, dict):
            raise CompareError(f"{where}: not an object")
        if not isinstance(t.get("name"), str) or not t["name"]:
            raise CompareError(f"{where}: no name")
        if t.get("status") not in STATUSES:
            raise CompareError(f"{where} ({t['name']}): status {t.get('status')!r} is not "
                               f"one of {', '.join(STATUSES)}")
        if not isinstance(t.get("metrics", {}), dict):
            raise CompareError(f"{where} ({t['name']}): metrics is not an object")
        if t["name"] in seen:
            raise CompareError(f"{where}: a second test named {t['name']!r}")
        seen.add(t["name"])
    if rep.get("dut") is not None and not isinstance(rep["dut"], dict):
        raise CompareError(f"{f}: dut is not an object")
    return Run(path=f, report=rep)


@dataclass
class Change:
    """One difference. kind: regression, improvement or change; what:
    status, added, removed, metric or environment."""

    kind: str
    what: str
    test: str = ""            # test name; for environment: the field
    a: Any = None
    b: Any = None
    metric: str = ""
    rel_change: float | None = None    # (b - a) / |a|; None when a is 0
    direction: int = NEUTRAL
    tolerance: float | None = None
    reason: str = ""          # B's reason line (a new failure's or skip's why)


@dataclass
class Comparison:
    """compare()'s result: both sides' headers and every difference."""

    a: dict[str, Any]
    b: dict[str, Any]
    tolerance: float
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0        # tests in both with no change

    def of(self, kind: str) -> list[Change]:
        """The changes of @kind: status changes, then tests added, tests
        removed, metrics (each in run order)."""
        return sorted((c for c in self.changes if c.kind == kind),
                      key=lambda c: ORDER.get(c.what, len(ORDER)))

    @property
    def regressions(self) -> list[Change]:
        """The regressions (the exit status is 1 when there is one)."""
        return self.of("regression")

    def to_dict(self) -> dict[str, Any]:
        """The JSON document (`compare -j`)."""
        def item(c: Change) -> dict[str, Any]:
            return {k: v for k, v in asdict(c).items() if k != "kind"}
        return {"a": self.a, "b": self.b, "tolerance": self.tolerance,
                "regressions": [item(c) for c in self.of("regression")],
                "improvements": [item(c) for c in self.of("improvement")],
                "changes": [item(c) for c in self.of("change") if c.what != "environment"],
                "environment": [item(c) for c in self.changes if c.what == "environment"],
                "unchanged": self.unchanged,
                "counts": {k: len(self.of(k)) for k in ("regression", "improvement", "change")}}


def _first_line(text: Any) -> str:
    lines = str(text or "").strip().splitlines()
    return lines[0][:200] if lines else ""


def _value(v: Any) -> float | None:
    """A metric as a number: numbers and booleans (1/0); None for others."""
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, (int, float)) and math.isfinite(v):
        return float(v)
    return None


def tolerance_for(metric: str, tolerance: float,
                  per_metric: list[tuple[str, float]]) -> float:
    """@metric's tolerance: the last --metric-tolerance glob matching it,
    else @tolerance."""
    tol = tolerance
    for glob, t in per_metric:
        if fnmatch.fnmatchcase(metric, glob):
            tol = t
    return tol


def compare_metrics(name: str, ma: dict[str, Any], mb: dict[str, Any], tolerance: float,
                    per_metric: list[tuple[str, float]]) -> list[Change]:
    """The metrics of test @name that moved beyond their tolerance from @ma
    to @mb (both numeric, or both boolean)."""
    out = []
    # a test that calls its own measurement inconclusive (evtmon-cost on a
    # noisy host: conclusive=false) has nothing judged, only listed
    inconclusive = ma.get("conclusive") is False or mb.get("conclusive") is False
    for k, va in ma.items():
        if k not in mb:
            continue
        vb = mb[k]
        if isinstance(va, bool) != isinstance(vb, bool):
            continue
        a, b = _value(va), _value(vb)
        if a is None or b is None or a == b:
            continue
        tol = tolerance_for(k, tolerance, per_metric)
        rel = (b - a) / abs(a) if a else None
        if rel is not None and abs(rel) <= tol:
            continue
        d = NEUTRAL if inconclusive else direction(k, mb)
        kind = "change" if d == NEUTRAL else \
            "regression" if (b - a) * d < 0 else "improvement"
        out.append(Change(kind, "metric", name, va, vb, metric=k,
                          rel_change=None if rel is None else round(rel, 4),
                          direction=d, tolerance=tol))
    return out


def environment(ra: Run, rb: Run) -> list[Change]:
    """The environment's differences (kind "change", what "environment",
    test the field): target, kernels, SMMU models, QEMU, SMMU features,
    dut.lock package versions."""
    ia, ib = ra.info(), rb.info()
    out = []
    for key in ("target", "kernels", "smmu_models", "qemu"):
        if ia[key] != ib[key]:
            out.append(Change("change", "environment", key, ia[key], ib[key]))

    def features(r: Run) -> set[str]:
        smmus = (r.report.get("dut") or {}).get("smmu") or []
        return {str(f) for s in smmus if isinstance(s, dict)
                for f in s.get("features") or [] if isinstance(s.get("features"), list)}
    fa, fb = features(ra), features(rb)
    if fa != fb:
        out.append(Change("change", "environment", "smmu_features", sorted(fa - fb),
                          sorted(fb - fa), reason="a: only in A, b: only in B"))

    def lock(r: Run) -> dict[str, str]:
        lk = (r.report.get("dut") or {}).get("lock") or {}
        return {str(k): str(v) for k, v in lk.items()} if isinstance(lk, dict) else {}
    la, lb = lock(ra), lock(rb)
    for k in sorted(set(la) | set(lb)):
        if la.get(k) != lb.get(k):
            out.append(Change("change", "environment", f"lock:{k}", la.get(k), lb.get(k)))
    return out


def compare(ra: Run, rb: Run, tolerance: float = DEFAULT_TOLERANCE,
            per_metric: list[tuple[str, float]] | None = None) -> Comparison:
    """What changed from run @ra to run @rb (see the module's doc)."""
    ta, tb = ra.tests, rb.tests
    cmp = Comparison(a=ra.info(), b=rb.info(), tolerance=tolerance)
    for name, a in ta.items():
        b = tb.get(name)
        if b is None:
            cmp.changes.append(Change("regression", "removed", name, a["status"], None,
                                      reason="in A, missing in B"))
            continue
        found = []
        if a["status"] != b["status"]:
            found.append(Change(STATUS_KINDS[(a["status"], b["status"])], "status", name,
                                a["status"], b["status"], reason=_first_line(b.get("reason"))))
        found += compare_metrics(name, a.get("metrics") or {}, b.get("metrics") or {},
                                 tolerance, per_metric or [])
        cmp.changes += found
        cmp.unchanged += not found
    for name, b in tb.items():
        if name not in ta:
            cmp.changes.append(Change("regression" if b["status"] == "fail" else "change",
                                      "added", name, None, b["status"],
                                      reason=_first_line(b.get("reason"))))
    cmp.changes += environment(ra, rb)
    return cmp


def _num(v: Any) -> str:
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, int) or (isinstance(v, float) and abs(v) >= 1000):
        return f"{v:,.0f}"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _rel(c: Change) -> str:
    word = {HIGHER_IS_BETTER: "higher is better", LOWER_IS_BETTER: "lower is better"}.get(
        c.direction, "no better direction")
    if isinstance(c.a, bool):
        return word
    pct = "from 0" if c.rel_change is None else f"{c.rel_change * 100:+.0f}%"
    return f"{pct}, {word}, tolerance {c.tolerance * 100:.0f}%" if c.tolerance is not None \
        else f"{pct}, {word}"


def describe(c: Change) -> str:
    """One line of text for change @c (without its test name)."""
    if c.what == "status":
        return f"{c.a} -> {str(c.b).upper()}" + (f"  {c.reason}" if c.reason else "")
    if c.what == "removed":
        return f"missing in B (was {c.a} in A)"
    if c.what == "added":
        return f"new in B: {str(c.b).upper()}" + (f"  {c.reason}" if c.reason else "")
    if c.what == "metric":
        return f"{c.metric} {_num(c.a)} -> {_num(c.b)} ({_rel(c)})"
    if c.test == "smmu_features":
        return f"{c.test}: " + " ".join([f"-{f}" for f in c.a] + [f"+{f}" for f in c.b])
    def show(v: Any) -> str:
        if isinstance(v, list):
            return ", ".join(v) or "none"
        return "none" if v is None else str(v)
    return f"{c.test}: {show(c.a)} -> {show(c.b)}"


def format_text(cmp: Comparison, show_all: bool = False, max_lock: int = 8) -> str:
    """The text report: both runs, then regressions, improvements, the
    environment, other changes (neutral metric moves only with @show_all;
    at most @max_lock package lines unless @show_all), a closing count."""
    def side(tag: str, i: dict[str, Any]) -> str:
        s = i["summary"]
        return (f"{tag}: {i['run_id']}  target {i['target']}  kernel "
                f"{', '.join(i['kernels']) or '?'}  SMMU {', '.join(i['smmu_models']) or '?'}"
                f"  QEMU {i['qemu'] or '?'}  pass {s['pass']} fail {s['fail']} "
                f"skip {s['skip']}  ({i['path']})")
    out = [side("A", cmp.a), side("B", cmp.b)]
    width = max([len(c.test) for c in cmp.changes if c.what != "environment"] + [20])

    def section(title: str, items: list[Change]) -> None:
        if items:
            out.append(f"{title} ({len(items)}):")
            out.extend(f"  {c.test:{width}}  {describe(c)}" for c in items)

    regs = cmp.regressions
    if regs:
        section("REGRESSIONS", regs)
    else:
        out.append("REGRESSIONS: none")
    section("IMPROVEMENTS", cmp.of("improvement"))
    env = [c for c in cmp.changes if c.what == "environment"]
    if env:
        locks = [c for c in env if c.test.startswith("lock:")]
        shown = [c for c in env if not c.test.startswith("lock:")] + \
            (locks if show_all else locks[:max_lock])
        out.append(f"ENVIRONMENT ({len(env)}):")
        out.extend(f"  {describe(c)}" for c in shown)
        if len(shown) < len(env):
            out.append(f"  ... {len(env) - len(shown)} more package versions (--all)")
    other = [c for c in cmp.of("change") if c.what != "environment"]
    listed = [c for c in other if show_all or c.what != "metric"]
    if other:
        out.append(f"OTHER CHANGES ({len(other)}):")
        out.extend(f"  {c.test:{width}}  {describe(c)}" for c in listed)
    if len(listed) < len(other):
        out.append(f"  ... {len(other) - len(listed)} metric(s) without a better direction "
                   "moved beyond the tolerance (--all)")
    n = len(regs)
    out.append(f"compare: {n} regression{'s' * (n != 1)}, "
               f"{len(cmp.of('improvement'))} improvement(s), {len(other)} other change(s), "
               f"{cmp.unchanged} test(s) unchanged (tolerance {cmp.tolerance * 100:.0f}%)")
    return "\n".join(out) + "\n"
