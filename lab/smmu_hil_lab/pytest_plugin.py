"""pytest plugin of the lab controller (`-p smmu_hil_lab.pytest_plugin`).

Options:
    --shl-target NAME     target to boot (default qemu)
    --shl-inventory FILE  inventory whose first DUT the target drives
    --shl-run-dir DIR     write report.json, ktap.log, summary.txt (and the
                          target's console.log) there
    --shl-scenarios [SUITE=]DIR
                          scenario files of SUITE's tests (a test's suite is
                          its module's directory name), or of every test
                          without SUITE=; repeatable; default scenarios/<suite>
    --shl-resume          continue the run in --shl-run-dir: tests recorded in
                          its results.jsonl are not run again, their records
                          are kept

Each finished test is appended to <run-dir>/results.jsonl at once (one JSON
object per line, report.json's test fields), so a killed controller loses
nothing.

Fixtures:
    lab_target   (session) the booted Target; powered off at the end. Its
                 SMMU is checked against the model the lab asked for
                 (Target.check_smmu_model): a mismatch stops the run with
                 one error (report.json's "error")
    dut_info     (session) `smmu-hil dut info` of the first boot
    dut          the Target, with a shell guaranteed (rebooted when the
                 previous test left it dead)
    agent        an agent.Agent on dut
    scenario     the test's Scenario (from @pytest.mark.scenario("name")),
                 skipping the test when its `requires` features are absent
    metrics      a dict; what the test puts in it lands in the report
    log_dir      a directory for the test's side logs (the run directory)

A test's report name is its scenario name; its reason is the skip message or
the failure's message (a DUT hang's message carries the console tail); an
expected failure (pytest.xfail) has status "xfail" and its reason. Each
test names the kernel release and SMMU model it ran on (dut_kernel,
smmu_model: report.json fields, junit properties).
"""
from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any, Iterator

import pytest

from . import inventory, paths, scenario as scn
from .agent import Agent, smmu_features
from .errors import LabError
from .smmu_model import SmmuModelMismatch
from .report import Report, TestResult, link_latest, new_run_id, rename_junit_cases
from .targets import Target, get_target

METRICS = pytest.StashKey[dict]()
NAME = pytest.StashKey[str]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the --shl-* options."""
    g = parser.getgroup("smmu-hil", "smmu-hil lab controller")
    g.addoption("--shl-target", default="qemu", help="target name (default qemu)")
    g.addoption("--shl-inventory", type=Path, default=None,
                help="inventory file; the target gets its first DUT (lab/inventory/*.yaml)")
    g.addoption("--shl-run-dir", type=Path, default=None,
                help="directory for report.json, ktap.log, summary.txt, console.log")
    g.addoption("--shl-run-id", default=None, help="run id (default: from the time)")
    g.addoption("--shl-scenarios", action="append", default=[], metavar="[SUITE=]DIR",
                help="scenario directory of SUITE's tests, or of all tests without "
                     "SUITE= (repeatable; default scenarios/<suite>)")
    g.addoption("--shl-resume", action="store_true",
                help="continue the run in --shl-run-dir (skip tests in its results.jsonl)")
    g.addoption("--shl-name-suffix", default="",
                help="appended to every test's name (a suite run again on another target)")
    g.addoption("--shl-report-target", default=None,
                help="the target(s) the report names (default --shl-target)")


def pytest_configure(config: pytest.Config) -> None:
    """Register the scenario marker and the report collector."""
    config.addinivalue_line("markers", "scenario(name, device=None): the scenario file this "
                            "test runs (on that device under transition: NAME@DEVICE)")
    if not config.pluginmanager.has_plugin("shl-collector"):
        config.pluginmanager.register(Collector(config), "shl-collector")


def collector(config: pytest.Config) -> "Collector":
    """The run's Collector."""
    return config.pluginmanager.get_plugin("shl-collector")


def scenario_name(item: pytest.Item) -> str:
    """The item's scenario name (its marker), else its function name."""
    m = item.get_closest_marker("scenario")
    return str(m.args[0]) if m and m.args else item.name


def device_suffix(item: pytest.Item) -> str:
    """"@LABEL" when the item runs its scenario on a device under transition
    (marker scenario(name, device=LABEL): raw-hitless@virtio-blk), else ""."""
    m = item.get_closest_marker("scenario")
    dev = m.kwargs.get("device") if m else None
    return f"@{dev}" if dev else ""


class Collector:
    """Gathers per-test outcomes into a Report and writes it at the end."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.run_dir: Path | None = config.getoption("shl_run_dir")
        self.target_name: str = config.getoption("shl_target")
        self.report = Report(run_id=config.getoption("shl_run_id") or
                             (self.run_dir.name if self.run_dir else new_run_id()),
                             target=config.getoption("shl_report_target") or
                             self.target_name)
        self.name_suffix: str = config.getoption("shl_name_suffix") or ""
        self.results: dict[str, TestResult] = {}
        self.scenario_dirs, self.all_scenarios = parse_scenario_dirs(
            config.getoption("shl_scenarios"))
        self.names: dict[str, str] = {}
        self.where: dict[str, dict[str, str]] = {}   # test name -> suite, nodeid
        self.orphans: list[TestResult] = []
        self.total = 0
        self.done = 0
        self.resumed: dict[str, TestResult] = {}
        self.target: Target | None = None       # the session's, once booted
        # what the session's DUT runs: kernel release, SMMU model (nested,
        # s1, s2) and its first `smmu-hil dut info` (lab_target)
        self.dut_kernel: str | None = None
        self.smmu_model: str | None = None
        # "CANWBS" when the emulated DUT booted with the upgraded IORT (iort.py)
        self.iort_upgrade: str | None = None
        self.first_info: dict[str, Any] | None = None
        if config.getoption("shl_resume") and self.run_dir is not None:
            self.resumed = read_results(self.run_dir / RESULTS_JSONL)
            self.results.update(self.resumed)   # kept, whatever runs now

    # ---------------------------------------------------------- progress
    def progress(self, msg: str) -> None:
        """Print @msg on the terminal now, even while output is captured."""
        tr = self.config.pluginmanager.get_plugin("terminalreporter")
        cap = self.config.pluginmanager.get_plugin("capturemanager")
        if tr is None:
            return
        if cap is not None:
            with cap.global_and_fixture_disabled():
                tr.write_line(msg)
        else:
            tr.write_line(msg)

    # ------------------------------------------------------------- hooks
    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, session: pytest.Session,
                                      items: list[pytest.Item]) -> None:
        """Name items by scenario; note scenario files without a test.

        Runs before -k/-m deselection, so a deselected test's scenario is
        not taken for an orphan.
        """
        names: dict[Path, set[str]] = {}    # scenario directory -> its tests' names
        for item in items:
            item.stash[NAME] = scenario_name(item) + device_suffix(item) + self.name_suffix
            item.stash[METRICS] = {}
            item.user_properties.append(("scenario", item.stash[NAME]))
            self.where[item.stash[NAME]] = {"suite": Path(str(item.fspath)).parent.name,
                                            "nodeid": item.nodeid}
            names.setdefault(self.scenario_dir(item), set()).add(scenario_name(item))
            self.names[item.nodeid] = item.stash[NAME]
        done = [i for i in items if i.stash[NAME] in self.resumed]
        if done:
            # --shl-resume: already recorded, kept as they are
            items[:] = [i for i in items if i.stash[NAME] not in self.resumed]
            session.config.hook.pytest_deselected(items=done)
            self.progress(f"resuming: {len(done)} test(s) already recorded, not run again")
        for directory, implemented in names.items():
            if not directory.is_dir():
                continue
            for f in sorted(directory.glob("*.yaml")):
                if f.stem not in implemented:
                    self.orphans.append(TestResult(
                        f.stem, "fail", reason=f"{f}: no test implements this scenario"))

    def scenario_dir(self, item: pytest.Item) -> Path:
        """The scenario directory of @item's suite (its module's directory)."""
        suite = Path(str(item.fspath)).parent.name
        return self.scenario_dirs.get(suite) or self.all_scenarios or paths.SCENARIOS / suite

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Count the tests that will run (after deselection)."""
        self.total = len(session.items)

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        """Progress: which test starts."""
        self.progress(f"[{self.done + 1}/{self.total}] {self.names.get(nodeid, nodeid)} ...")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> Iterator:
        """Fold setup/call/teardown reports into one TestResult."""
        if call.when == "teardown":
            # junitxml writes the teardown report's properties
            item.user_properties.extend((k, str(v)) for k, v in
                                        (("dut_kernel", self.dut_kernel),
                                         ("smmu_model", self.smmu_model),
                                         ("iort_upgrade", self.iort_upgrade)) if v)
            item.user_properties.extend(("metric." + k, str(v)) for k, v in
                                        item.stash.get(METRICS, {}).items())
        outcome = yield
        rep: pytest.TestReport = outcome.get_result()
        name = item.stash.get(NAME, item.name)
        res = self.results.setdefault(name, TestResult(name))
        res.duration_s = round(res.duration_s + rep.duration, 3)
        res.metrics = item.stash.get(METRICS, {})
        res.dut_kernel = self.dut_kernel or res.dut_kernel
        res.smmu_model = self.smmu_model or res.smmu_model
        if rep.skipped and getattr(rep, "wasxfail", None) is not None and \
                res.status != "fail":
            # pytest.xfail(reason): an expected failure, never a pass
            res.status = "xfail"
            why = str(rep.wasxfail)
            res.reason = why[len("reason: "):] if why.startswith("reason: ") else why
        elif rep.skipped and res.status != "fail":
            res.status = "skip"
            res.reason = _skip_reason(rep)
        elif rep.failed and res.status != "fail":
            res.status = "fail"
            why = _fail_reason(rep, call.excinfo.value if call.excinfo else None)
            gone = self.target.dut_exit() if self.target is not None else None
            if gone:
                # the DUT's own end first: the errors after it only follow from it
                tail = self.target.console.tail() if self.target is not None else ""
                why = f"{gone}; first error: {why}" + \
                    (f"\n--- console tail ---\n{tail}" if tail and "console tail" not in why
                     else "")
            res.reason = why if rep.when == "call" else f"{rep.when} error: {why}"

    @pytest.hookimpl(hookwrapper=True)
    def pytest_report_teststatus(self, report: pytest.TestReport,
                                 config: pytest.Config) -> Iterator:
        """No progress letters: the plugin prints a line per test instead."""
        outcome = yield
        res = outcome.get_result()
        if res and len(res) == 3:
            outcome.force_result((res[0], "", res[2]))

    def pytest_runtest_logfinish(self, nodeid: str, location: Any) -> None:
        """Progress: the test's outcome and metrics."""
        self.done += 1
        res = self.results.get(self.names.get(nodeid, ""))
        if res is None:
            return
        if self.run_dir is not None:
            append_result(self.run_dir / RESULTS_JSONL, res, **self.where.get(res.name, {}))
        m = " ".join(f"{k}={v}" for k, v in res.metrics.items()
                     if not isinstance(v, (list, dict)))
        line = f"    {res.name}: {res.status.upper()} ({res.duration_s:.1f}s) {m}".rstrip()
        if res.status != "pass" and res.reason:
            line += "\n      " + res.reason.splitlines()[0][:300]
        self.progress(line)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        """Write the report files when --shl-run-dir is set. A scenario file
        without a test is a failed test: the exit status says so too."""
        self.report.tests = list(self.results.values()) + self.orphans
        if self.resumed and session.exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
            session.exitstatus = pytest.ExitCode.OK   # everything was recorded already
        if session.exitstatus == pytest.ExitCode.OK and (
                self.orphans or any(r.status == "fail" for r in self.results.values())):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if self.run_dir is None:
            return
        self.report.write(self.run_dir)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        """After junitxml wrote its file: scenario names, latest link."""
        if self.run_dir is None:
            return
        xml = config.getoption("xmlpath", None)
        junit = Path(xml) if xml else None
        if junit is not None and junit.exists():
            rename_junit_cases(junit)
        if self.run_dir.parent.is_dir():
            link_latest(self.run_dir.parent, self.run_dir)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """The summary.txt text at the end of the terminal output."""
        self.report.tests = list(self.results.values()) + self.orphans
        terminalreporter.write_sep("=", "smmu-hil")
        terminalreporter.write(self.report.summary_text())
        if self.run_dir is not None:
            terminalreporter.write_line(f"results: {self.run_dir}")


RESULTS_JSONL = "results.jsonl"


def append_result(path: Path, res: TestResult, **where: str) -> None:
    """Append @res to @path as one JSON line, flushed and fsynced. @where:
    where the test lives (suite, nodeid), kept beside the record so a
    resumed run's junit.xml and kcidb.json name the test's suite even when
    the killed session wrote no junit file (report.merge_junit)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({**asdict(res), **where}, default=str) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


_RESULT_FIELDS = {f.name for f in fields(TestResult)}


def read_records(path: Path) -> dict[str, dict[str, Any]]:
    """The lines of a results.jsonl by test name, as written (a later line
    wins; a torn last line, from a kill mid-write, is ignored). {} when
    absent."""
    out: dict[str, dict[str, Any]] = {}
    if not path.exists():
        return out
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            d = json.loads(line)
            TestResult(**{k: v for k, v in d.items() if k in _RESULT_FIELDS})
        except (ValueError, TypeError, KeyError, AttributeError):
            continue
        out[d["name"]] = d
    return out


def read_results(path: Path) -> dict[str, TestResult]:
    """The records of a results.jsonl as TestResults by test name (see
    read_records())."""
    return {n: TestResult(**{k: v for k, v in d.items() if k in _RESULT_FIELDS})
            for n, d in read_records(path).items()}


def parse_scenario_dirs(values: list[str]) -> tuple[dict[str, Path], Path | None]:
    """--shl-scenarios values ("SUITE=DIR" or "DIR") as ({suite: dir}, the
    directory for every other suite or None)."""
    per_suite: dict[str, Path] = {}
    default: Path | None = None
    for v in values:
        suite, sep, directory = str(v).partition("=")
        if sep and suite and "/" not in suite:
            per_suite[suite] = Path(directory)
        else:
            default = Path(v)
    return per_suite, default


def _skip_reason(rep: pytest.TestReport) -> str:
    lr = rep.longrepr
    if isinstance(lr, tuple) and len(lr) == 3:
        msg = str(lr[2])
        return msg[len("Skipped: "):] if msg.startswith("Skipped: ") else msg
    return str(lr)


def _fail_reason(rep: pytest.TestReport, exc: BaseException | None = None) -> str:
    """The failure's message. When @exc (the exception that ended the test)
    was raised while another was being handled (a `finally` or `except`
    that failed too: fio.stop() on a dead console), the first error is the
    reason and the later one follows it: the first is the cause."""
    crash = getattr(rep.longrepr, "reprcrash", None)
    msg = _clean(crash.message if crash is not None else str(rep.longrepr))
    chain = _implicit_chain(exc)
    if len(chain) > 1:
        first = _clean(f"{type(chain[0]).__name__}: {chain[0]}")
        return f"{first}\n(then, while handling it: {msg.splitlines()[0] if msg else ''})"
    return msg


def _implicit_chain(exc: BaseException | None) -> list[BaseException]:
    """@exc's implicit context chain, first raised first (explicit `raise ...
    from` and suppressed contexts end it: they are deliberate)."""
    out: list[BaseException] = []
    while exc is not None and exc not in out and len(out) < 16:
        out.append(exc)
        if exc.__cause__ is not None or exc.__suppress_context__:
            break
        exc = exc.__context__
    return out[::-1]


def _clean(msg: str) -> str:
    msg = re.sub(r"^(?:\w+\.)+(\w+: )", r"\1", msg)
    if msg.startswith("AssertionError: "):
        msg = msg[len("AssertionError: "):]
        # drop pytest's assertion introspection after the test's own message
        msg = msg.split("\nassert ", 1)[0]
    return msg.strip()


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def lab_target(request: pytest.FixtureRequest) -> Iterator[Target]:
    """The session's target, booted to a shell; powered off afterwards."""
    col = collector(request.config)
    log_dir = col.run_dir or Path(tempfile.mkdtemp(prefix="shl-logs-"))
    inv = request.config.getoption("shl_inventory")
    t = get_target(col.target_name, log_dir, **({"dut": inventory.select(inv)} if inv else {}))
    col.target = t
    # until the DUT says otherwise: the image's kernel, the model asked for
    col.dut_kernel = getattr(t, "kernel_release", None)
    col.smmu_model = t.smmu_model
    try:
        col.progress(f"booting target {t.name} ...")
        boot_s = t.boot()
        col.dut_kernel = t.running_kernel() or col.dut_kernel
        col.report.dut = {"kernel": col.dut_kernel, "lock": _lock()}
        col.iort_upgrade = getattr(t, "iort_upgrade", None)
        if col.iort_upgrade:
            col.report.dut["iort_upgrade"] = col.iort_upgrade
        col.first_info = first_info(t)
        try:
            col.smmu_model = t.check_smmu_model(col.first_info) or col.smmu_model
        except SmmuModelMismatch as e:
            # the terminal summary and report.json say why (report.error)
            col.report.error = str(e)
            pytest.exit("smmu-hil: the run stops: the DUT's SMMU is not the model asked for "
                        "(RUN STOPPED above; report.json's error)",
                        returncode=pytest.ExitCode.INTERRUPTED)
        col.progress(f"    DUT ready in {boot_s:.1f}s (kernel {col.dut_kernel}, "
                     f"SMMU {col.smmu_model or '?'})")
        col.report.dut["smmu_model"] = col.smmu_model
        yield t
    finally:
        t.shutdown()


def first_info(t: Target) -> dict[str, Any] | None:
    """`smmu-hil dut info` right after the boot; None when the agent does
    not answer with it (the SMMU model check then reads the kernel log)."""
    try:
        return Agent(t).info()
    except LabError:
        return None


@pytest.fixture(scope="session")
def dut_info(request: pytest.FixtureRequest, lab_target: Target) -> dict[str, Any]:
    """`smmu-hil dut info` from the first boot; also fills the report's dut."""
    col = collector(request.config)
    info = col.first_info if col.first_info is not None else Agent(lab_target).info()
    col.report.dut = {
        "kernel": info.get("kernel") or lab_target.running_kernel(),
        "smmu_model": col.smmu_model,
        "lock": _lock(),
        "smmu": [{"name": s.get("name"), "features": s.get("idr", {}).get("features", []),
                  "idr": s.get("idr", {}).get("regs", {})} for s in info.get("smmu", [])],
        "pci": info.get("pci", []),
        **({"iort_upgrade": col.iort_upgrade} if col.iort_upgrade else {}),
    }
    return info


def _lock() -> dict[str, str]:
    try:
        return paths.read_lock()
    except FileNotFoundError:
        return {}


@pytest.fixture
def dut(request: pytest.FixtureRequest, lab_target: Target) -> Iterator[Target]:
    """The target with a shell that answers (rebooting a dead DUT first).

    Afterwards the DUT's kernel log goes to <run-dir>/dmesg/<test>.log (the
    console only shows emergencies: the DUT runs `dmesg -n 1`).
    """
    col = collector(request.config)
    if lab_target.ensure_shell():
        col.progress("    DUT was dead: rebooted")
    yield lab_target
    if col.run_dir is not None and lab_target.is_ready():
        name = request.node.stash.get(NAME, scenario_name(request.node))   # with any suffix
        save_dmesg(lab_target, col.run_dir / "dmesg" / f"{name}.log")


def save_dmesg(target: Target, path: Path, timeout: float = 30.0) -> bool:
    """Write the DUT's `dmesg` to @path; False (and nothing written) when the
    DUT does not answer. Never raises for a dead DUT."""
    try:
        rc, out = target.run("dmesg", timeout, raw=True)
    except LabError:
        return False
    if rc != 0:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(out, encoding="utf-8")
    return True


@pytest.fixture
def agent(dut: Target) -> Agent:
    """The smmu-hil agent on the DUT."""
    return Agent(dut)


@pytest.fixture
def scenario(request: pytest.FixtureRequest, dut_info: dict[str, Any]) -> scn.Scenario:
    """The test's scenario file, validated; skips when features are missing."""
    col = collector(request.config)
    name = scenario_name(request.node)
    s = scn.load(col.scenario_dir(request.node) / f"{name}.yaml")
    missing = s.missing(smmu_features(dut_info))
    if missing:
        pytest.skip(f"missing SMMU features: {', '.join(missing)}")
    return s


@pytest.fixture
def metrics(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The test's metrics dict (reported in report.json, junit, ktap)."""
    return request.node.stash.setdefault(METRICS, {})


@pytest.fixture
def test_name(request: pytest.FixtureRequest) -> str:
    """The test's name in the report: its scenario plus the phase's
    --shl-name-suffix (kexec-live-update@ssh)."""
    return request.node.stash.get(NAME, scenario_name(request.node))


@pytest.fixture
def log_dir(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """Where the test's side logs go: the run directory (a temporary
    directory without --shl-run-dir)."""
    return collector(request.config).run_dir or tmp_path


@pytest.fixture
def progress(request: pytest.FixtureRequest) -> Any:
    """A function printing a progress line on the terminal."""
    col = collector(request.config)
    return lambda msg: col.progress(f"    {msg}")
