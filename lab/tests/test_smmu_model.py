"""The emulated DUT's SMMU model (smmu_model.py): model -> QEMU arguments,
which model a run uses, and the boot-time check of what the SMMU reports
(no QEMU: the fake QEMU's agent answers `dut info` with a chosen IDR0)."""
from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Iterator

import pytest

from smmu_hil_lab import inventory, smmu_model as sm
from smmu_hil_lab.resources import QemuMachine, QMPSocket, UnixSocketSerialPort
from smmu_hil_lab.targets import TARGETS, Target
from smmu_hil_lab.targets.qemu import QemuTarget

from conftest import fake_machine

# the arm-smmu-v3 driver's probe lines (7.3 on QEMU 10's three models, 6.1 on QEMU 7.2)
PROBE = {
    "nested": "arm-smmu-v3 arm-smmu-v3.0.auto: ias 44-bit, oas 44-bit (features 0x01088705)",
    "s1": "arm-smmu-v3 arm-smmu-v3.0.auto: ias 44-bit, oas 44-bit (features 0x01008305)",
    "s2": "arm-smmu-v3 arm-smmu-v3.0.auto: ias 44-bit, oas 44-bit (features 0x01008505)",
    "6.1-s1": "arm-smmu-v3 9050000.smmuv3: ias 44-bit, oas 44-bit (features 0x00008305)",
}


def info(idr0: int) -> dict:
    """A `dut info` answer with one SMMU of @idr0, features as the agent decodes them."""
    feats = [n for bit, n in ((1, "S1P"), (0, "S2P")) if idr0 >> bit & 1]
    return {"smmu": [{"name": "smmu3.0x0000000009050000",
                      "idr": {"regs": {"IDR0": f"0x{idr0:08x}"}, "features": feats}}]}


@pytest.mark.parametrize("model, argv", [
    ("nested", ["-machine", "virt,iommu=smmuv3,gic-version=3"]),
    ("s1", ["-machine", "virt-9.1,iommu=smmuv3,gic-version=3", "-global", "arm-smmuv3.stage=1"]),
    ("s2", ["-machine", "virt-9.1,iommu=smmuv3,gic-version=3", "-global", "arm-smmuv3.stage=2"]),
])
def test_model_to_qemu_arguments(tmp_path: Path, model: str, argv: list[str]) -> None:
    assert sm.machine_args(model) == argv
    for f in ("k", "i", "d"):
        (tmp_path / f).write_text("")
    m = QemuMachine(kernel=tmp_path / "k", initrd=tmp_path / "i", data_disk=tmp_path / "d",
                    share=tmp_path, serial=UnixSocketSerialPort(tmp_path / "c"),
                    qmp=QMPSocket(tmp_path / "q"), qemu=sys.executable, smmu_model=model)
    full = m.argv()
    # the machine arguments once, right after the firmware, and no other -machine
    at = full.index("-machine")
    assert full[at:at + len(argv)] == argv and full.count("-machine") == 1
    assert full.count("-global") == len(argv) // 2 - 1
    assert m.device_args()[2:2 + len(argv)] == argv          # -bios FILE first
    assert "-machine" in m.interactive_argv()


def test_unknown_model_is_refused() -> None:
    with pytest.raises(sm.SmmuModelError, match=r"unknown SMMU model 'stage2' "
                       r"\(known: nested, s1, s2\)"):
        sm.machine_args("stage2")
    with pytest.raises(sm.SmmuModelError, match="QemuMachine.smmu_model"):
        QemuMachine(kernel=Path("k"), initrd=Path("i"), data_disk=Path("d"), share=Path("."),
                    smmu_model="3")


def test_which_model_a_run_uses() -> None:
    assert sm.resolve(None, {}) == "nested"
    assert sm.resolve(None, {sm.ENV: ""}) == "nested"
    assert sm.resolve(None, {sm.ENV: "s2"}) == "s2"
    assert sm.resolve("s1", {}) == "s1"
    assert sm.resolve("s1", {sm.ENV: "s1"}) == "s1"
    with pytest.raises(sm.SmmuModelError, match="SMMU_HIL_SMMU_MODEL=s2 but the inventory "
                       "DUT has smmu_model: s1"):
        sm.resolve("s1", {sm.ENV: "s2"})
    with pytest.raises(sm.SmmuModelError, match="SMMU_HIL_SMMU_MODEL: unknown SMMU model "
                       "'S2'"):
        sm.resolve(None, {sm.ENV: "S2"})


def test_target_takes_the_model_from_the_environment(
        sockdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """QemuTarget resolves its model before it assembles anything."""
    monkeypatch.setenv(sm.ENV, "s2")
    with pytest.raises(sm.SmmuModelError, match="inventory DUT has smmu_model: s1"):
        QemuTarget(tmp_path, smmu_model="s1")
    t = QemuTarget(tmp_path, machine=fake_machine(sockdir, smmu_model="s1"))
    try:
        assert t.smmu_model == "s1"         # a given machine's own model wins
        d = t.describe()
        assert d["smmu_model"] == "s1"
        assert d["machine"] == "qemu virt-9.1,iommu=smmuv3,gic-version=3 arm-smmuv3.stage=1"
    finally:
        t.shutdown()


@pytest.mark.parametrize("idr0, model", [(0x0d40101b, "nested"), (0x0d40101a, "s1"),
                                         (0x0d401019, "s2")])
def test_check_matches_idr0(idr0: int, model: str) -> None:
    seen = sm.observe_agent(info(idr0))
    assert [s["model"] for s in seen] == [model]
    assert sm.check(model, seen) == model
    for other in set(sm.MODELS) - {model}:
        with pytest.raises(sm.SmmuModelMismatch):
            sm.check(other, seen)


def test_mismatch_names_what_was_asked_and_what_the_smmu_says() -> None:
    """QEMU 7.2's -M virt: stage 1 only, whatever the lab asked for."""
    seen = sm.observe_agent(info(0x0d40101a))
    with pytest.raises(sm.SmmuModelMismatch) as e:
        sm.check("nested", seen, sm.hint("nested", "7.2.22"))
    msg = str(e.value)
    assert msg.startswith("SMMU model mismatch: asked for nested (stage 1 + stage 2 (nested): "
                          "S1P=1 S2P=1), the DUT's SMMU reports smmu3.0x0000000009050000: "
                          "IDR0=0x0d40101a, S1P=1 S2P=0 (stage 1 only)."), msg
    assert "QEMU 7.2.22 with -machine virt,iommu=smmuv3,gic-version=3" in msg
    assert "\n" not in msg                      # one line
    with pytest.raises(sm.SmmuModelMismatch, match="neither `smmu-hil dut info` nor the "
                       "kernel log shows an SMMU"):
        sm.check("s2", [])
    # an SMMU with neither stage never matches
    with pytest.raises(sm.SmmuModelMismatch, match="no translation stage"):
        sm.check("s1", sm.observe_agent(info(0x0d401018)))


@pytest.mark.parametrize("line, model", [(PROBE["nested"], "nested"), (PROBE["s1"], "s1"),
                                         (PROBE["s2"], "s2"), (PROBE["6.1-s1"], "s1")])
def test_kernel_probe_line(line: str, model: str) -> None:
    log = f"[    0.612345] {line}\n[    0.7] other\n"
    seen = sm.observe_dmesg(log)
    assert len(seen) == 1 and seen[0]["model"] == model
    assert seen[0]["evidence"].startswith("driver features 0x")
    assert sm.observe_dmesg("[ 0.1] arm-smmu-v3: no probe line here\n") == []


class LogOnlyTarget(Target):
    """A DUT whose agent lists no SMMU (its event monitor is not loaded):
    the check reads the driver's probe line from dmesg."""

    name = "log-only"

    def __init__(self, log_dir: Path, dmesg: str, model: str | None) -> None:
        super().__init__(log_dir)
        self.dmesg, self.smmu_model = dmesg, model

    def power_on(self) -> None:
        pass

    def kexec_files(self) -> tuple[str, str]:
        return "/k", "/i"

    def run(self, cmd: str, timeout: float = 60.0, raw: bool = False) -> tuple[int, str]:
        assert cmd == "dmesg" and raw
        return 0, self.dmesg


def test_target_check_falls_back_to_the_kernel_log(tmp_path: Path) -> None:
    t = LogOnlyTarget(tmp_path, f"[ 0.6] {PROBE['s2']}\n", "s2")
    assert t.check_smmu_model({"smmu": []}) == "s2"
    assert t.check_smmu_model(None) == "s2"
    t.smmu_model = "nested"
    with pytest.raises(sm.SmmuModelMismatch, match="driver features 0x01008505, S1P=0 S2P=1"):
        t.check_smmu_model(None)
    # a real server (no model asked for): what it has, unchecked
    t.smmu_model = None
    assert t.check_smmu_model(info(0x0d40101b)) == "nested"
    assert LogOnlyTarget(tmp_path, "", None).check_smmu_model(None) is None


def test_inventory_smmu_model(tmp_path: Path) -> None:
    base = ("duts:\n  - name: e\n    target: qemu\n    power: {kind: qmp}\n"
            "    console: {kind: qemu-serial}\n")
    f = tmp_path / "inv.yaml"
    f.write_text(base + "    smmu_model: s2\n")
    assert inventory.select(f).smmu_model == "s2"
    f.write_text(base)
    assert inventory.select(f).smmu_model is None
    f.write_text(base + "    smmu_model: stage2\n")
    with pytest.raises(inventory.InventoryError, match=r"key 'smmu_model': must be one of "
                       r"nested, s1, s2 \(got 'stage2'\)"):
        inventory.load(f)
    real = ("duts:\n  - name: r\n    target: ssh\n    ssh: {host: h, key: /k}\n"
            "    power: {kind: ipmi, host: b, user: u, password: p}\n    console: {kind: sol}\n"
            "    smmu_model: nested\n")
    f.write_text(real)
    with pytest.raises(inventory.InventoryError, match="a real server's SMMU is what it is"):
        inventory.load(f)
    f.write_text(real.replace("ssh: {host: h, key: /k}", "ssh: {host: h}")
                 .replace("    smmu_model", "    emulated: true\n    smmu_model"))
    assert inventory.select(f).smmu_model == "nested"


SUITE = '''
import pytest

@pytest.mark.scenario("one")
def test_one(dut, metrics):
    metrics["ran"] = 1

@pytest.mark.scenario("two")
def test_two(dut, metrics):
    metrics["ran"] = 2
'''


@pytest.fixture
def fakeqemu(sockdir: Path) -> Iterator[dict]:
    """Target "fakeqemu": the real QemuTarget on tests/fake_qemu.py with the
    model and fake flags the test puts in the returned dict."""
    how: dict = {"model": "nested", "flags": []}

    def make(log_dir: Path, **_: object) -> QemuTarget:
        t = QemuTarget(log_dir, machine=fake_machine(sockdir, *how["flags"],
                                                     smmu_model=how["model"]),
                       boot_timeout=10.0)
        t.power.stop_timeout = 2.0
        t.strategy.shell_timeout = 2.0
        return t
    TARGETS["fakeqemu"] = make
    yield how
    del TARGETS["fakeqemu"]


def run_fake(pytester: pytest.Pytester) -> tuple[Path, pytest.RunResult]:
    suite = pytester.mkpydir("modelsuite")
    (suite / "test_model.py").write_text(SUITE)
    scen = pytester.path / "scen"
    scen.mkdir()
    for n in ("one", "two"):
        (scen / f"{n}.yaml").write_text(f"name: {n}\ndescription: d\n")
    run_dir = pytester.path / "results" / "run-1"
    run_dir.mkdir(parents=True)
    res = pytester.runpytest_inprocess(
        str(suite), "-p", "smmu_hil_lab.pytest_plugin", "--shl-target=fakeqemu",
        f"--shl-run-dir={run_dir}", f"--shl-scenarios={scen}",
        f"--junitxml={run_dir / 'junit.xml'}", "-o", "junit_family=xunit1")
    return run_dir, res


def test_matching_model_runs_and_every_test_names_it(pytester: pytest.Pytester,
                                                     fakeqemu: dict) -> None:
    fakeqemu["model"] = "s2"                    # the fake SMMU: stage 2 only too
    run_dir, res = run_fake(pytester)
    assert res.ret == 0
    doc = json.loads((run_dir / "report.json").read_text())
    assert "error" not in doc
    assert doc["dut"]["smmu_model"] == "s2" and doc["dut"]["kernel"] == "fake"
    for t in doc["tests"]:
        assert (t["status"], t["dut_kernel"], t["smmu_model"]) == ("pass", "fake", "s2")
    for case in ET.parse(run_dir / "junit.xml").iter("testcase"):
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        assert (props["dut_kernel"], props["smmu_model"]) == ("fake", "s2")
    assert "DUT ready in" in res.stdout.str() and "SMMU s2)" in res.stdout.str()


def test_mismatch_stops_the_run_with_one_error(pytester: pytest.Pytester,
                                               fakeqemu: dict) -> None:
    """The lab asked for s2, QEMU gave a stage-1 SMMU (as an unknown
    arm-smmuv3.stage would): nothing runs, one error says why."""
    fakeqemu.update(model="s2", flags=["--idr0", "0x0d40101a"])
    run_dir, res = run_fake(pytester)
    assert res.ret == pytest.ExitCode.INTERRUPTED
    doc = json.loads((run_dir / "report.json").read_text())
    assert doc["tests"] == [] and doc["summary"] == {"pass": 0, "fail": 0, "skip": 0}
    assert doc["error"].startswith("SMMU model mismatch: asked for s2 (stage 2 only: S1P=0 "
                                   "S2P=1), the DUT's SMMU reports smmu3.0x0000000009050000: "
                                   "IDR0=0x0d40101a, S1P=1 S2P=0 (stage 1 only)"), doc["error"]
    out = res.stdout.str()
    # said once, in the summary (and summary.txt); the exit points there
    assert out.count("SMMU model mismatch") == 1 and "RUN STOPPED: SMMU model mismatch" in out
    assert "the run stops: the DUT's SMMU is not the model asked for" in out
    summary = (run_dir / "summary.txt").read_text().splitlines()
    assert summary[0].endswith("kernel fake  SMMU ?")       # it ran no test on a model
    assert summary[1].startswith("  RUN STOPPED: SMMU model mismatch")
