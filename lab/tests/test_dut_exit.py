"""Issue 14 #4: QEMU killed mid-test. The test fails with "DUT exited
(signal 9: SIGKILL)", the first error and the console tail, not with the
ConsoleClosed its `finally` raised afterwards; the next test gets a fresh
DUT and passes (the run goes on). The real QemuTarget on tests/fake_qemu.py,
through the lab plugin."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import pytest

from smmu_hil_lab.targets import TARGETS
from smmu_hil_lab.targets.qemu import QemuTarget

from conftest import fake_machine

SUITE = '''
import os, signal
import pytest

@pytest.mark.scenario("killed")
def test_killed(dut):
    assert dut.run("echo up") == (0, "up\\n")
    try:
        os.kill(dut.power.proc.pid, signal.SIGKILL)
        dut.run("sleep 1; echo never", timeout=10)
    finally:
        dut.run("echo cleanup", timeout=2)     # ConsoleClosed: console is not open

@pytest.mark.scenario("after")
def test_after(dut, metrics):
    assert dut.run("echo alive") == (0, "alive\\n")
    metrics["alive"] = 1

@pytest.mark.scenario("plain-cleanup-error")
def test_plain(dut):
    try:
        assert 1 == 2, "the first error"
    finally:
        raise RuntimeError("cleanup failed too")
'''


@pytest.fixture
def fakeqemu(sockdir: Path) -> Iterator[None]:
    def make(log_dir: Path, **_: object) -> QemuTarget:
        t = QemuTarget(log_dir, machine=fake_machine(sockdir), boot_timeout=10.0)
        t.power.stop_timeout = 2.0
        t.strategy.shell_timeout = 2.0
        return t
    TARGETS["fakeqemu"] = make
    yield
    del TARGETS["fakeqemu"]


def test_qemu_killed_mid_test(pytester: pytest.Pytester, fakeqemu: None) -> None:
    suite = pytester.mkpydir("exitsuite")
    (suite / "test_exit.py").write_text(SUITE)
    scen = pytester.path / "scen"
    scen.mkdir()
    for n in ("killed", "after", "plain-cleanup-error"):
        (scen / f"{n}.yaml").write_text(f"name: {n}\ndescription: d\n")
    run_dir = pytester.path / "results" / "run-1"
    run_dir.mkdir(parents=True)
    pytester.runpytest_inprocess(
        str(suite), "-p", "smmu_hil_lab.pytest_plugin", "--shl-target=fakeqemu",
        f"--shl-run-dir={run_dir}", f"--shl-scenarios={scen}")
    tests = {t["name"]: t for t in json.loads((run_dir / "report.json").read_text())["tests"]}
    killed = tests["killed"]
    assert killed["status"] == "fail"
    assert killed["reason"].startswith("DUT exited (signal 9: SIGKILL); first error: "), \
        killed["reason"]
    assert "console is not open" not in killed["reason"].splitlines()[0]
    assert "--- console tail ---" in killed["reason"]
    assert "dut# " in killed["reason"]          # the tail shows the DUT's last prompt
    assert tests["after"]["status"] == "pass" and tests["after"]["metrics"] == {"alive": 1}
    plain = tests["plain-cleanup-error"]
    assert plain["status"] == "fail"
    assert plain["reason"] == ("the first error\n(then, while handling it: "
                               "RuntimeError: cleanup failed too)"), plain["reason"]
