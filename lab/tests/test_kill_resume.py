"""Issue 14: the controller SIGKILLed at four points (between tests, mid-test,
while writing report.json/ktap.log, while writing report.html/kcidb.json),
then `--resume`: every report file (report.json, junit.xml, ktap.log,
kcidb.json, report.html, summary.txt) holds the same tests, with the same
status, suite and metrics, as an uninterrupted run of the same suites; no
test is lost or run twice. The controller is a real `runner.run()` in a
child process on the fake target (tests/test_plugin.py's FakeTarget)."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

LAB = Path(__file__).resolve().parents[1]

SUITES = {
    "alpha": {"a-one": "pass", "a-two": "mid", "a-skip": "skip"},
    "beta": {"b-one": "fail", "b-two": "pass"},
}

DRIVER = textwrap.dedent('''
    import os, signal, sys
    from pathlib import Path
    sys.path[:0] = [{lab!r}, {tests!r}]
    from smmu_hil_lab import paths, publish, pytest_plugin, report, runner
    from smmu_hil_lab.targets import TARGETS
    from test_plugin import FakeTarget
    TARGETS["fake"] = FakeTarget
    runner.SUITES = Path(sys.argv[1])
    paths.SCENARIOS = Path(sys.argv[2])
    kill = os.environ.get("KILL_AT", "")

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    if kill == "between":            # after the second test's record
        real_append = pytest_plugin.append_result
        n = [0]
        def append(*a, **k):
            real_append(*a, **k)
            n[0] += 1
            if n[0] == 2:
                die()
        pytest_plugin.append_result = append
    if kill in ("report-json", "report-derived"):
        real_write = report._atomic_write
        def write(path, text):
            if kill == "report-json" and path.name == "ktap.log":
                path.with_name("ktap.log.tmp").write_text(text[: len(text) // 2])
                die()                # report.json written, ktap.log torn
            if kill == "report-derived" and path.name == "kcidb.json":
                die()                # report.html written, no kcidb.json
            real_write(path, text)
        report._atomic_write = write
        publish._atomic_write = write
    resume = Path(sys.argv[4]) if len(sys.argv) > 4 else None
    rc, run_dir = runner.run("alpha,beta", Path(sys.argv[3]), target="fake", resume=resume)
    print("RUN_DIR", run_dir)
    sys.exit(rc)
''')

TEST = '''
@pytest.mark.scenario("{name}")
def test_{ident}(scenario, metrics):
    metrics["suite"] = scenario.param("suite")
    metrics["n"] = {n}
    if {kind!r} == "mid" and os.environ.get("KILL_AT") == "mid":
        marker = Path(os.environ["KILL_MARKER"])
        if not marker.exists():
            marker.write_text("killed")
            os.kill(os.getpid(), signal.SIGKILL)
    assert {kind!r} != "fail", "b-one fails on purpose"
'''


def make_tree(root: Path) -> tuple[Path, Path, Path]:
    suites, scen = root / "suites", root / "scenarios"
    n = 0
    for suite, tests in SUITES.items():
        (suites / suite).mkdir(parents=True)
        (scen / suite).mkdir(parents=True)
        code = "import os, signal\nfrom pathlib import Path\nimport pytest\n"
        for name, kind in tests.items():
            n += 1
            code += TEST.format(name=name, ident=name.replace("-", "_"), n=n, kind=kind)
            req = "requires: [S2P]\n" if kind == "skip" else ""
            (scen / suite / f"{name}.yaml").write_text(
                f"name: {name}\ndescription: d\n{req}params: {{suite: {suite}}}\n")
        (suites / suite / f"test_{suite}.py").write_text(code)
    driver = root / "driver.py"
    driver.write_text(DRIVER.format(lab=str(LAB), tests=str(LAB / "tests")))
    return suites, scen, driver


def controller(driver: Path, suites: Path, scen: Path, results: Path, kill: str = "",
               resume: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, KILL_AT=kill, KILL_MARKER=str(results.parent / "killed"),
               PYTHONDONTWRITEBYTECODE="1")
    argv = [sys.executable, str(driver), str(suites), str(scen), str(results)]
    if resume is not None:
        argv.append(str(resume))
    return subprocess.run(argv, capture_output=True, text=True, env=env, cwd=str(LAB),
                          timeout=120)


def report_tests(run_dir: Path) -> dict[str, Any]:
    """Each report file's tests, normalised (no durations or times)."""
    rep = json.loads((run_dir / "report.json").read_text())
    junit = ET.parse(run_dir / "junit.xml").getroot()
    kcidb = json.loads((run_dir / "kcidb.json").read_text())
    html = (run_dir / "report.html").read_text()
    ktap = (run_dir / "ktap.log").read_text()
    summary = (run_dir / "summary.txt").read_text()

    def jstatus(c: ET.Element) -> str:
        return "fail" if c.find("failure") is not None or c.find("error") is not None \
            else "skip" if c.find("skipped") is not None else "pass"

    return {
        "report.json": [(t["name"], t["status"], t["reason"], t["metrics"])
                        for t in rep["tests"]],
        "summary": rep["summary"],
        "junit.xml": [(c.get("name"), c.get("classname"), jstatus(c))
                      for c in junit.iter("testcase")],
        "kcidb.json": [(t["path"], t["status"], t["misc"]["suite"]) for t in kcidb["tests"]],
        "report.html": re.findall(r'<tr><td>\d+</td><td><a href="#[^"]*">([^<]*)</a></td>'
                                  r'<td>([^<]*)</td><td class="(\w+)">', html),
        "ktap.log": [re.sub(r" # .*", "", ln) for ln in ktap.splitlines()
                     if re.match(r"(not )?ok \d+ ", ln) or ln.startswith(("1..", "# Totals"))],
        "summary.txt": [ln.split()[:2] for ln in summary.splitlines()[1:]],
    }


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("uninterrupted")
    suites, scen, driver = make_tree(root)
    r = controller(driver, suites, scen, root / "results")
    assert r.returncode == 1, r.stderr[-2000:]
    run_dir = Path(r.stdout.split("RUN_DIR ", 1)[1].split()[0])
    got = report_tests(run_dir)
    # the reference itself is what it should be
    assert [t[:2] for t in got["report.json"]] == [
        ("a-one", "pass"), ("a-two", "pass"), ("a-skip", "skip"), ("b-one", "fail"),
        ("b-two", "pass")]
    assert [p for p, _, _ in got["kcidb.json"]] == [
        "smmu_hil.alpha.a_one", "smmu_hil.alpha.a_two", "smmu_hil.alpha.a_skip",
        "smmu_hil.beta.b_one", "smmu_hil.beta.b_two"]
    return got


@pytest.mark.parametrize("kill", ["between", "mid", "report-json", "report-derived"])
def test_killed_controller_resumes_to_the_same_reports(tmp_path: Path, kill: str,
                                                       reference: dict[str, Any]) -> None:
    suites, scen, driver = make_tree(tmp_path)
    results = tmp_path / "results"
    r = controller(driver, suites, scen, results, kill=kill)
    assert r.returncode == -signal.SIGKILL, f"not killed: {r.returncode} {r.stderr[-2000:]}"
    (run_dir,) = [p for p in results.iterdir() if p.is_dir() and not p.is_symlink()]
    recorded = (run_dir / "results.jsonl").read_text().splitlines()
    assert len(recorded) == {"between": 2, "mid": 1}.get(kill, 5)
    r2 = controller(driver, suites, scen, results, resume=run_dir)
    assert r2.returncode == 1, r2.stderr[-2000:]
    got = report_tests(run_dir)
    for fmt, want in reference.items():
        assert got[fmt] == want, f"{fmt} after a kill at {kill!r} differs"
    # nothing run twice: one record per test
    names = [json.loads(ln)["name"] for ln in (run_dir / "results.jsonl").read_text().splitlines()]
    assert sorted(names) == sorted(set(names)) and len(names) == 5
