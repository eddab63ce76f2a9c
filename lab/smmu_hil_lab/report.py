"""Run reports: report.json, ktap.log, summary.txt, junit.xml fix-ups and the
results/latest link.

report.json:
    {"run_id", "target", "dut": {"kernel", "smmu_model", ...},
     "tests": [{"name", "status", "duration_s", "reason", "metrics",
                "dut_kernel", "smmu_model"}],
     "summary": {"pass", "fail", "skip", "xfail"}, "error" (only when the run stopped)}

A test's status is pass, fail, skip or xfail: an expected failure with its
reason (pytest.xfail(); live-update-luo on a kernel without IOMMU
preservation), counted apart from passes, "ok N NAME # XFAIL reason" in
KTAP, a skipped case of type pytest.xfail in JUnit.

Each test names the DUT kernel release (dut_kernel) and SMMU model
(smmu_model: nested, s1, s2) it ran on: a plan's phases may run on several.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import paths
from .combos import combinations
from .errors import LabError

STATUSES = ("pass", "fail", "skip", "xfail")
# what every test names about the DUT it ran on (report.json, junit properties)
RAN_ON = ("dut_kernel", "smmu_model")


@dataclass
class TestResult:
    """One test's outcome as reported."""

    __test__ = False  # not a pytest test class

    name: str
    status: str = "pass"
    duration_s: float = 0.0
    reason: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    # the DUT kernel release and SMMU model (smmu_model.py) the test ran on
    dut_kernel: str | None = None
    smmu_model: str | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status {self.status!r} not in {STATUSES}")


@dataclass
class Report:
    """A whole run."""

    run_id: str
    target: str
    dut: dict[str, Any] = field(default_factory=dict)
    tests: list[TestResult] = field(default_factory=list)
    # why the run stopped before its tests ran (an SMMU model mismatch)
    error: str = ""

    def summary(self) -> dict[str, int]:
        """Counts per status: {"pass", "fail", "skip"}, and "xfail" when a
        test is an expected failure (the shape stays the same without)."""
        counts = {s: 0 for s in STATUSES if s != "xfail"}
        for t in self.tests:
            counts[t.status] = counts.get(t.status, 0) + 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        """The report.json document; with "combinations" ([{"kernel",
        "smmu_model", "dut_kernels", "pass", "fail", "skip"}]) when the
        tests ran on more than one DUT kernel x SMMU model (combos.py)."""
        tests = [asdict(t) for t in self.tests]
        doc = {"run_id": self.run_id, "target": self.target, "dut": self.dut,
               "tests": tests, "summary": self.summary()}
        combos = combinations(tests)
        if combos:
            doc["combinations"] = combos
        if self.error:
            doc["error"] = self.error
        return doc

    @property
    def ok(self) -> bool:
        """True when no test failed (and at least one ran)."""
        return bool(self.tests) and self.summary()["fail"] == 0

    def write(self, run_dir: Path) -> None:
        """Write report.json, ktap.log and summary.txt into @run_dir."""
        run_dir.mkdir(parents=True, exist_ok=True)
        _atomic_write(run_dir / "report.json",
                      json.dumps(self.to_dict(), indent=2, sort_keys=False) + "\n")
        _atomic_write(run_dir / "ktap.log", self.ktap())
        _atomic_write(run_dir / "summary.txt", self.summary_text())

    def ktap(self) -> str:
        """KTAP version 1, as kselftest prints it (a plan, "# NAME: key=value"
        metric diagnostics and reasons before each result line, "# Totals"),
        written by the harness's one KTAP writer (harness/agent/ktap.c, the
        host tool's `smmu-hil report ktap`) from this report's JSON.

        Raises LabError when the host tool is missing or refuses the report.
        """
        tool = paths.BUILD / "smmu-hil"
        if not os.access(tool, os.X_OK):
            raise LabError(f"{tool}: the host tool is not built (make tool); "
                           "it writes ktap.log")
        with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8") as f:
            json.dump(self.to_dict(), f)
            f.flush()
            r = subprocess.run([str(tool), "report", "ktap", f.name], capture_output=True,
                               text=True, check=False)
        if r.returncode:
            raise LabError(f"smmu-hil report ktap: {r.stderr.strip() or r.returncode}")
        return r.stdout

    def summary_text(self) -> str:
        """A few human lines: header, one line per test, totals."""
        s = self.summary()
        kernels, models = ran_on(self.dut, [asdict(t) for t in self.tests])
        out = [f"smmu-hil run {self.run_id}  target {self.target}  "
               f"kernel {', '.join(kernels)}  SMMU {', '.join(models)}"]
        if self.error:
            out.append(f"  RUN STOPPED: {self.error}")
        for t in self.tests:
            m = " ".join(f"{k}={_scalar(v)}" for k, v in t.metrics.items()
                         if not isinstance(v, (list, dict)))
            line = f"  {t.status.upper():4}  {t.name:24} {t.duration_s:7.1f}s  {m}".rstrip()
            out.append(line)
            if t.status != "pass" and t.reason:
                out.append(f"        {_one_line(t.reason)[:200]}")
        out.append(f"pass {s['pass']}  fail {s['fail']}  skip {s['skip']}"
                   + (f"  xfail {s['xfail']}" if s.get("xfail") else ""))
        for c in combinations(self.tests):     # a matrix run: the totals per column
            out.append(f"  {c['kernel']} {c['smmu_model']}: pass {c['pass']}  "
                       f"fail {c['fail']}  skip {c['skip']}")
        return "\n".join(out) + "\n"


def ran_on(dut: dict[str, Any], tests: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """The DUT kernel releases and SMMU models a run's @tests (report.json
    entries) ran on, in first-seen order; the report's @dut (the last
    session's) when no test names one; ["?"] when nothing does."""
    kernels = list(dict.fromkeys(str(t["dut_kernel"]) for t in tests if t.get("dut_kernel")))
    models = list(dict.fromkeys(str(t["smmu_model"]) for t in tests if t.get("smmu_model")))
    return (kernels or [str(dut.get("kernel") or "?")],
            models or [str(dut.get("smmu_model") or "?")])


def _scalar(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3f}".rstrip("0").rstrip(".") if v != int(v) else str(int(v))
    if isinstance(v, (list, tuple)):
        return ",".join(str(x) for x in v)
    return str(v)


def _one_line(text: str) -> str:
    return " ".join(text.split("\n", 1)[0].split())


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def new_run_id() -> str:
    """A sortable, unique run id: UTC time plus 4 random hex digits."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(2)


def link_latest(results: Path, run_dir: Path) -> None:
    """Point @results/latest at @run_dir (relative symlink, replaced atomically)."""
    tmp = results / f".latest-{os.getpid()}"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(run_dir.name)
    tmp.replace(results / "latest")


def rename_junit_cases(path: Path, prop: str = "scenario") -> None:
    """Give pytest's junit testcases the scenario names of the report.

    Each testcase carrying a <property name="@prop" value=NAME/> gets
    name=NAME. Raises ET.ParseError for a broken file.
    """
    tree = ET.parse(path)
    for case in tree.iter("testcase"):
        for p in case.iter("property"):
            if p.get("name") == prop and p.get("value"):
                case.set("name", p.get("value", ""))
                break
    tree.write(path, encoding="utf-8", xml_declaration=True)


def merge_junit(parts: list[Path], out: Path,
                records: dict[str, dict[str, Any]] | None = None) -> None:
    """Write @out, one JUnit XML file with the <testsuite> elements of
    @parts (pytest junit files: <testsuites> or a bare <testsuite>), in
    order. Each testcase is named by its "scenario" property (as
    rename_junit_cases() does: a session killed between pytest's write and
    the rename left pytest's names). A testcase named again in a later part
    replaces the earlier one (a resumed run re-reports nothing, a re-run
    test is its latest record); suites left empty are dropped and each
    suite's counts are recomputed.

    @records: results.jsonl's lines by test name (pytest_plugin.read_records).
    A recorded test that no part holds (its session was killed before pytest
    wrote its junit file) gets a testcase made from its record, in a first
    <testsuite name="recorded">, in record order: classname from its nodeid
    as pytest writes it, time, properties, failure or skipped with the
    reason."""
    suites = []
    for p in parts:
        top = ET.parse(p).getroot()
        suites += [top] if top.tag == "testsuite" else list(top.iter("testsuite"))
    last = {}
    for si, suite in enumerate(suites):
        for case in suite.findall("testcase"):
            for prop in case.iter("property"):
                if prop.get("name") == "scenario" and prop.get("value"):
                    case.set("name", prop.get("value", ""))
                    break
            last[case.get("name")] = (si, case)
    missing = [r for n, r in (records or {}).items() if n not in last]
    if missing:
        suites.insert(0, _recorded_suite(missing))
    root = ET.Element("testsuites")
    for si, suite in enumerate(suites):
        for case in suite.findall("testcase"):
            if case.get("name") in last and last[case.get("name")][1] is not case:
                suite.remove(case)
        cases = suite.findall("testcase")
        if not cases:
            continue
        suite.set("tests", str(len(cases)))
        for kind, tag in (("failures", "failure"), ("errors", "error"), ("skipped", "skipped")):
            suite.set(kind, str(sum(1 for c in cases if c.find(tag) is not None)))
        root.append(suite)
    tmp = out.with_suffix(".tmp")
    ET.ElementTree(root).write(tmp, encoding="utf-8", xml_declaration=True)
    os.replace(tmp, out)


def junit_classname(nodeid: str) -> str:
    """pytest's junit classname of @nodeid ("suites/smoke/test_smoke.py::
    test_boot" -> "suites.smoke.test_smoke")."""
    names = nodeid.split("::")
    names[0] = names[0].replace("/", ".")
    if names[0].endswith(".py"):
        names[0] = names[0][:-3]
    names = [re.sub(r"\[.*\]$", "", n) for n in names]
    return ".".join(names[:-1])


def _recorded_suite(records: list[dict[str, Any]]) -> ET.Element:
    """A <testsuite> of testcases made from results.jsonl @records."""
    suite = ET.Element("testsuite", name="recorded")
    for r in records:
        nodeid = str(r.get("nodeid") or "")
        classname = junit_classname(nodeid) if nodeid else \
            f"suites.{r.get('suite') or 'lab'}.recorded"
        case = ET.SubElement(suite, "testcase", classname=classname, name=str(r["name"]),
                             time=f"{float(r.get('duration_s') or 0.0):.3f}")
        props = ET.SubElement(case, "properties")
        ET.SubElement(props, "property", name="scenario", value=str(r["name"]))
        for k in RAN_ON:
            if r.get(k):
                ET.SubElement(props, "property", name=k, value=str(r[k]))
        for k, v in (r.get("metrics") or {}).items():
            ET.SubElement(props, "property", name=f"metric.{k}", value=str(v))
        reason = str(r.get("reason") or "")
        if r.get("status") == "fail":
            ET.SubElement(case, "failure", message=reason.split("\n", 1)[0]).text = reason
        elif r.get("status") == "skip":
            ET.SubElement(case, "skipped", type="pytest.skip", message=reason).text = reason
        elif r.get("status") == "xfail":
            ET.SubElement(case, "skipped", type="pytest.xfail", message=reason).text = reason
    return suite


def session_junit_files(run_dir: Path) -> list[Path]:
    """The per-session junit files of @run_dir (junit-1.xml, junit-2.xml ...)
    in session order."""
    def index(p: Path) -> int:
        m = re.fullmatch(r"junit-(\d+)\.xml", p.name)
        return int(m.group(1)) if m else -1
    return sorted((p for p in run_dir.glob("junit-*.xml") if index(p) >= 0), key=index)
