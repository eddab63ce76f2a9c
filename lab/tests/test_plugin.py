"""The pytest plugin end to end on a fake target: report.json, ktap, junit
names, skips for missing features, malformed scenarios, a hanging DUT."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Iterator

import pytest

from smmu_hil_lab.drivers import ConsoleTimeout
from smmu_hil_lab.targets import TARGETS, Target

INFO = {"kernel": "fake-6.1", "smmu": [{"name": "smmu0", "idr": {
    "regs": {"IDR0": "0x1"}, "features": ["S1P", "COHACC"]}}],
    "pci": [{"bdf": "0000:00:03.0", "vendor": "0x1234", "device": "0x11e8",
             "iommu_group": 3, "stream_ids": [24]}]}


class FakeTarget(Target):
    """Answers `smmu-hil -j dut info`; "hang" times out like a dead DUT."""

    name = "fake"

    def __init__(self, log_dir: Path) -> None:
        super().__init__(log_dir)
        self.reboots = 0
        self.dead = False
        (log_dir / "console.log").write_text("fake console\n")

    def power_on(self) -> None:
        pass

    def kexec_files(self) -> tuple[str, str]:
        return "/k", "/i"

    def running_kernel(self) -> str | None:
        return "fake-6.1"

    def is_ready(self) -> bool:
        return not self.dead

    def boot(self) -> float:
        self.first_boot_s = 1.25
        return 1.25

    def ensure_shell(self) -> bool:
        if self.dead:
            self.dead = False
            self.reboots += 1
            return True
        return False

    def shutdown(self) -> None:
        pass

    def run(self, cmd: str, timeout: float = 60.0, raw: bool = False) -> tuple[int, str]:
        if cmd == "dmesg":
            return (0, "[    1.000000] fake kernel log\n") if raw else (0, "")
        if "dut info" in cmd:
            return 0, json.dumps(INFO)
        if cmd == "hang":
            self.dead = True
            raise ConsoleTimeout("console: no end marker within 1s",
                                 "[  9.9] Kernel panic - not syncing: fake")
        if cmd == "reboots":
            return 0, str(self.reboots)
        return 0, ""


@pytest.fixture
def fake_target() -> Iterator[None]:
    TARGETS["fake"] = FakeTarget
    yield
    del TARGETS["fake"]


SUITE = '''
import pytest
scenario = pytest.mark.scenario

@scenario("ok-one")
def test_ok(dut, scenario, metrics):
    metrics["count"] = scenario.param("count")
    metrics["boot_s"] = dut.first_boot_s

@scenario("needs-s2")
def test_needs_s2(dut, scenario):
    raise AssertionError("must not run")

@scenario("wrong")
def test_wrong(dut, scenario, metrics):
    metrics["captured"] = 99
    assert metrics["captured"] == 128, "captured 99 of 128"

@scenario("hangs")
def test_hangs(dut, scenario):
    dut.run("hang")

@scenario("after-hang")
def test_after_hang(dut, scenario, metrics):
    metrics["reboots"] = int(dut.run("reboots")[1])

@scenario("broken")
def test_broken(dut, scenario):
    pass
'''

SCENARIOS = {
    "ok-one": "name: ok-one\ndescription: d\nparams: {count: 3}\n",
    "needs-s2": "name: needs-s2\ndescription: d\nrequires: [S1P, S2P, NESTING]\n",
    "wrong": "name: wrong\ndescription: d\n",
    "hangs": "name: hangs\ndescription: d\n",
    "after-hang": "name: after-hang\ndescription: d\n",
    "broken": "name: broken\ndescription: d\nparams: [1]\n",
    "orphan": "name: orphan\ndescription: d\n",
}


def run_suite(pytester: pytest.Pytester) -> tuple[Path, Any]:
    suite = pytester.mkpydir("fakesuite")
    (suite / "test_fake.py").write_text(SUITE)
    scen = pytester.path / "scen"
    scen.mkdir()
    for name, text in SCENARIOS.items():
        (scen / f"{name}.yaml").write_text(text)
    results = pytester.path / "results"
    run_dir = results / "run-1"
    run_dir.mkdir(parents=True)
    res = pytester.runpytest_inprocess(
        str(suite), "-p", "smmu_hil_lab.pytest_plugin", "--shl-target=fake",
        f"--shl-run-dir={run_dir}", f"--shl-scenarios={scen}",
        f"--junitxml={run_dir / 'junit.xml'}", "-o", "junit_family=xunit1")
    return run_dir, res


def test_report_from_a_fake_run(pytester: pytest.Pytester, fake_target: None) -> None:
    run_dir, res = run_suite(pytester)
    doc = json.loads((run_dir / "report.json").read_text())
    tests = {t["name"]: t for t in doc["tests"]}
    assert doc["target"] == "fake" and doc["run_id"] == "run-1"
    assert doc["dut"]["kernel"] == "fake-6.1"
    assert doc["dut"]["smmu"][0]["features"] == ["S1P", "COHACC"]
    assert doc["dut"]["pci"][0]["stream_ids"] == [24]

    assert tests["ok-one"]["status"] == "pass"
    assert tests["ok-one"]["metrics"] == {"count": 3, "boot_s": 1.25}

    assert tests["needs-s2"]["status"] == "skip"
    assert tests["needs-s2"]["reason"] == "missing SMMU features: S2P, NESTING"

    assert tests["wrong"]["status"] == "fail"
    assert tests["wrong"]["reason"] == "captured 99 of 128"
    assert tests["wrong"]["metrics"] == {"captured": 99}

    # a DUT hang is that test's failure, with the console tail; the next
    # test gets a rebooted DUT
    assert tests["hangs"]["status"] == "fail"
    assert "Kernel panic" in tests["hangs"]["reason"]
    assert tests["after-hang"]["status"] == "pass"
    assert tests["after-hang"]["metrics"] == {"reboots": 1}

    assert tests["broken"]["status"] == "fail"
    assert "broken.yaml" in tests["broken"]["reason"]
    assert "key 'params'" in tests["broken"]["reason"]

    assert tests["orphan"]["status"] == "fail"
    assert "no test implements" in tests["orphan"]["reason"]

    assert doc["summary"] == {"pass": 2, "fail": 4, "skip": 1}

    ktap = (run_dir / "ktap.log").read_text()
    assert ktap.startswith("KTAP version 1\n") and "\n1..7\n" in ktap
    assert "ok 2 needs-s2 # SKIP missing SMMU features: S2P, NESTING" in ktap

    cases = {c.get("name"): c for c in ET.parse(run_dir / "junit.xml").iter("testcase")}
    assert {"ok-one", "needs-s2", "wrong", "hangs", "after-hang", "broken"} <= set(cases)
    props = {p.get("name"): p.get("value") for p in cases["ok-one"].iter("property")}
    assert props["metric.count"] == "3" and props["scenario"] == "ok-one"

    assert (run_dir / "dmesg" / "ok-one.log").read_text() == "[    1.000000] fake kernel log\n"
    assert not (run_dir / "dmesg" / "hangs.log").exists()  # a dead DUT is not waited for
    assert (run_dir / "summary.txt").read_text().rstrip().endswith("pass 2  fail 4  skip 1")
    latest = run_dir.parent / "latest"
    assert latest.is_symlink() and latest.resolve() == run_dir.resolve()
    out = res.stdout.str()
    assert "[1/6] ok-one ..." in out and "wrong: FAIL" in out


def two_suites(root: Path) -> tuple[Path, Path]:
    """Suites alpha (a-one, a-two) and beta (b-one, and the orphan b-orphan)
    under @root; each scenario's params name its suite."""
    suites, scen = root / "suites", root / "scenarios"
    for suite, names in {"alpha": ["a-one", "a-two"], "beta": ["b-one"]}.items():
        (suites / suite).mkdir(parents=True)
        (scen / suite).mkdir(parents=True)
        code = "import pytest\n" + "".join(
            f'@pytest.mark.scenario("{n}")\ndef test_{n.replace("-", "_")}(scenario, metrics):\n'
            f'    metrics["suite"] = scenario.param("suite")\n' for n in names)
        (suites / suite / f"test_{suite}.py").write_text(code)
        for n in names:
            (scen / suite / f"{n}.yaml").write_text(
                f"name: {n}\ndescription: d\nparams: {{suite: {suite}}}\n")
    (scen / "beta" / "b-orphan.yaml").write_text("name: b-orphan\ndescription: d\n")
    return suites, scen


def test_runner_runs_two_suites_into_one_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                fake_target: None) -> None:
    from smmu_hil_lab import paths, runner
    suites, scen = two_suites(tmp_path)
    monkeypatch.setattr(runner, "SUITES", suites)
    monkeypatch.setattr(paths, "SCENARIOS", scen)
    rc, run_dir = runner.run("alpha,beta", tmp_path / "results", target="fake")
    doc = json.loads((run_dir / "report.json").read_text())
    assert [t["name"] for t in doc["tests"]] == ["a-one", "a-two", "b-one", "b-orphan"]
    # each test read its own suite's scenario directory
    assert [t["metrics"].get("suite") for t in doc["tests"][:3]] == ["alpha", "alpha", "beta"]
    orphan = doc["tests"][3]
    assert orphan["status"] == "fail" and "beta/b-orphan.yaml" in orphan["reason"]
    assert doc["summary"] == {"pass": 3, "fail": 1, "skip": 0} and rc == 1
    assert "\n1..4\n" in (run_dir / "ktap.log").read_text()
    junit = ET.parse(run_dir / "junit.xml").getroot()
    suite_el = junit if junit.tag == "testsuite" else junit.find("testsuite")
    assert suite_el.get("name") == "alpha,beta"
    assert (tmp_path / "results" / "latest").resolve() == run_dir.resolve()


def test_runner_suite_names_and_unknown_suite(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from smmu_hil_lab import runner
    from smmu_hil_lab.scenario import ScenarioError
    assert runner.suite_names("smoke,transitions") == ["smoke", "transitions"]
    assert runner.suite_names(" smoke, ,smoke,") == ["smoke"]
    assert runner.suite_names(["a", "b"]) == ["a", "b"]
    with pytest.raises(ScenarioError, match="no suite"):
        runner.suite_names(",")
    suites, _ = two_suites(tmp_path)
    monkeypatch.setattr(runner, "SUITES", suites)
    with pytest.raises(ScenarioError, match="unknown suite 'gamma'.*alpha, beta"):
        runner.run("alpha,gamma", tmp_path / "results", target="fake")
    assert not (tmp_path / "results").exists()      # nothing ran, no run directory


def test_scenario_dirs_option() -> None:
    from smmu_hil_lab.pytest_plugin import parse_scenario_dirs
    per, default = parse_scenario_dirs(["smoke=/s/smoke", "/all", "transitions=/t"])
    assert per == {"smoke": Path("/s/smoke"), "transitions": Path("/t")}
    assert default == Path("/all")
    assert parse_scenario_dirs(["/a=b/c"]) == ({}, Path("/a=b/c"))


DEVICE_SUITE = '''
import pytest

@pytest.mark.parametrize("dev", [
    pytest.param(d, marks=pytest.mark.scenario("ok-one", device=d), id=d)
    for d in ("edu", "virtio-blk")])
def test_on_device(dut, scenario, metrics, test_name, dev):
    metrics["dev"] = dev
    metrics["name"] = test_name
'''


def test_device_suffix_names_tests(pytester: pytest.Pytester, fake_target: None) -> None:
    """scenario(name, device=LABEL): one scenario file, a test NAME@LABEL per device."""
    suite = pytester.mkpydir("devsuite")
    (suite / "test_dev.py").write_text(DEVICE_SUITE)
    scen = pytester.path / "scen"
    scen.mkdir()
    (scen / "ok-one.yaml").write_text(SCENARIOS["ok-one"])
    run_dir = pytester.path / "results" / "run-1"
    run_dir.mkdir(parents=True)
    pytester.runpytest_inprocess(str(suite), "-p", "smmu_hil_lab.pytest_plugin",
                                 "--shl-target=fake", f"--shl-run-dir={run_dir}",
                                 f"--shl-scenarios={scen}")
    tests = {t["name"]: t for t in json.loads((run_dir / "report.json").read_text())["tests"]}
    assert set(tests) == {"ok-one@edu", "ok-one@virtio-blk"}       # no orphan: the file has tests
    assert tests["ok-one@virtio-blk"]["metrics"] == {"dev": "virtio-blk",
                                                     "name": "ok-one@virtio-blk"}
    assert (run_dir / "dmesg" / "ok-one@edu.log").exists()
