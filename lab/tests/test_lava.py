"""LAVA jobs and results (lava.py, the lava suite): the generated jobs and
device dictionaries pass LAVA's own schema, their QEMU options are the lab's
machine, and a real lava-run log (tests/data/lava-run.log, captured from
`make test-lava`) becomes smmu-hil's report."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from smmu_hil_lab import image, inventory, lava, paths, runner
from smmu_hil_lab.resources import QemuMachine

DATA = Path(__file__).with_name("data")
LOG = DATA / "lava-run.log"
INVENTORY = paths.REPO / "lab" / "inventory"
SCENARIOS = ["ats-eats", "driver-storm", "s2-transitions"]


@pytest.fixture
def machine(tmp_path: Path) -> QemuMachine:
    """The lab's machine on placeholder boot files."""
    for f in ("Image", "initrd.cpio", "data.img"):
        (tmp_path / f).write_bytes(b"")
    return QemuMachine(kernel=tmp_path / "Image", initrd=tmp_path / "initrd.cpio",
                       data_disk=tmp_path / "data.img", share=tmp_path)


@pytest.fixture
def emulated(machine: QemuMachine) -> dict:
    img = image.DutImage(kernel=machine.kernel, initrd=machine.initrd,
                         data_disk=machine.data_disk, share=machine.share,
                         kernel_release="6.1.0-56-arm64")
    return lava.emulated_job(img, machine, "transitions", SCENARIOS)


@pytest.fixture
def server() -> tuple[dict, dict]:
    dut = inventory.select(INVENTORY / "emulated-ssh.yaml")
    return (lava.server_job(dut, "http://lab.example/smmu-hil", "transitions", SCENARIOS,
                            "console=ttyAMA0"), lava.server_device(dut, "console=ttyAMA0"))


def lava_common_schemas():
    """lava_common (Debian's lava-dispatcher), or skip."""
    return pytest.importorskip("lava_common.schemas",
                               reason="lava_common is not installed (lava-dispatcher)")


def test_emulated_job_and_device_pass_lavas_schema(emulated: dict,
                                                   machine: QemuMachine) -> None:
    lava_common_schemas()
    lava.validate_job(emulated)
    lava.validate_device(lava.emulated_device(machine))


def test_server_job_and_device_pass_lavas_schema(server: tuple[dict, dict]) -> None:
    lava_common_schemas()
    job, device = server
    lava.validate_job(job)
    lava.validate_device(device)
    assert device["commands"]["power_on"].endswith("-C 3 chassis power on")
    assert "sol activate" in device["commands"]["connect"]
    kinds = [next(iter(a)) for a in job["actions"]]
    assert kinds == ["deploy", "boot", "test", "boot", "test"]
    assert job["actions"][3]["boot"]["method"] == "kexec"


def test_schema_rejects_a_broken_job(emulated: dict) -> None:
    lava_common_schemas()
    del emulated["actions"][1]["boot"]["method"]
    with pytest.raises(lava.LavaError, match="LAVA job schema"):
        lava.validate_job(emulated)
    emulated["actions"][1]["boot"]["method"] = "qemu"
    emulated["timeouts"]["job"] = {"minutes": 1}       # shorter than its actions
    with pytest.raises(lava.LavaError, match="timeout"):
        lava.validate_job(emulated)


def test_server_device_needs_ipmi() -> None:
    dut = inventory.select(INVENTORY / "emulated.yaml")
    with pytest.raises(lava.LavaError, match="needs IPMI power"):
        lava.server_device(dut, "console=ttyAMA0")


def test_device_options_are_the_lab_machine(machine: QemuMachine) -> None:
    """The qemu options derive from QemuMachine (one machine definition),
    plus the overlay disk behind the SMMU; the boot files come from the job."""
    opts = lava.emulated_device(machine)["actions"]["boot"]["methods"]["qemu"]["parameters"]
    args = opts["options"]
    hw = machine.device_args()
    start = args.index(hw[0])
    assert args[start:start + len(hw)] == hw
    assert "-kernel" not in args and "-initrd" not in args
    assert "virt,iommu=smmuv3,gic-version=3" in args
    assert args[-4:] == lava.OVERLAY_DISK_OPTIONS


def test_emulated_job_boots_the_image_and_runs_the_agent(emulated: dict,
                                                         machine: QemuMachine) -> None:
    deploy = emulated["actions"][0]["deploy"]
    assert deploy["images"]["kernel"]["url"] == machine.kernel.resolve().as_uri()
    assert machine.append in deploy["images"]["kernel"]["image_arg"]
    assert lava.expected_scenarios(emulated) == SCENARIOS
    steps = emulated["actions"][2]["test"]["definitions"][0]["repository"]["run"]["steps"]
    run = [s for s in steps if s.startswith("smmu-hil run --lava ")]
    assert len(run) == 1
    for name in SCENARIOS:
        assert f"{lava.DUT_SCENARIOS}/transitions/{name}.yaml" in run[0]
    # the probe is typed in two pieces: the command's echo never matches
    assert not any(lava.PRINTK_PROBE in s for s in steps)
    assert "dmesg -n 1" in steps
    kexec = emulated["actions"][3]["boot"]
    assert kexec["boot_message"] != lava.KERNEL_START


def test_written_yaml_round_trips(tmp_path: Path, emulated: dict) -> None:
    path = lava.write_yaml(tmp_path / "jobs" / "emulated.yaml", emulated)
    assert yaml.safe_load(path.read_text()) == emulated


def test_agent_scenarios_only(tmp_path: Path) -> None:
    assert "evtmon-cost" not in [s.name for s in
                                 lava.agent_scenarios(paths.SCENARIOS / "transitions")]
    with pytest.raises(lava.LavaError, match="no agent scenario"):
        lava.agent_scenarios(paths.SCENARIOS / "smoke")
    with pytest.raises(lava.LavaError, match="not an agent scenario of transitions: nope"):
        lava.write_jobs(tmp_path, [], names=["driver-storm", "nope"])


# ------------------------------------------------------------------ results

def test_parse_captured_log() -> None:
    res = lava.parse_log(LOG.read_text())
    assert res.job_result == "pass" and res.unreadable_lines == 0
    names = [c["case"] for c in res.cases if not c.get("set")]
    assert names == ["console-loglevel", "printk-probe-in-dmesg", "load-injector", "ats-eats",
                     "driver-storm", "s2-transitions", "kexec-smmu-probed", "kexec-dut-info"]
    assert any("DUT ready" in ln for ln in res.console)


def test_report_tests_from_captured_log() -> None:
    tests = {t.name: t for t in lava.report_tests(lava.parse_log(LOG.read_text()), SCENARIOS)}
    storm = tests["driver-storm"]
    assert storm.status == "pass"
    assert storm.metrics["transitions"] == 1020 and isinstance(storm.metrics["transitions"], int)
    assert storm.metrics["rate_per_s"] == pytest.approx(32.065)
    assert storm.metrics["dut_duration_s"] == pytest.approx(31.838)
    assert storm.metrics["unexpected_events"] == 0
    assert tests["ats-eats"].status == "skip" and tests["s2-transitions"].status == "skip"
    # the reasons the agent echoed on the console
    assert tests["ats-eats"].reason == "the SMMU lacks ATS"
    assert tests["s2-transitions"].reason == "the SMMU lacks S2P"
    assert tests[lava.CONSOLE_TEST].status == "pass"
    assert tests[lava.JOB_TEST].status == "pass"


def test_lost_signal_and_failed_job_are_failures() -> None:
    """A scenario whose test case line never came (a kernel message split its
    signal, or the job died) fails; so does a LAVA job that did not pass."""
    lines = [ln for ln in LOG.read_text().splitlines()
             if '"case": "driver-storm"' not in ln and '"case": "job"' not in ln
             and "smmu-hil: ats-eats: skip" not in ln]
    lines.append('{"dt": "2026-11-22T02:29:49.1", "lvl": "results", "msg": {"case": "job", '
                 '"definition": "lava", "error_msg": "lava-test-shell timed out", '
                 '"error_type": "Test", "result": "fail"}}')
    lines.append('{"dt": "2026-11-22T02:29:49.2", "lvl": "target", "msg": '
                 '"[   9.1] smmu-hil-lava-printk-probe<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=x"}')
    lines.append('{"dt": "2026-11-22T02:29:49.3", "lvl": "tar')     # torn by a kill
    res = lava.parse_log("\n".join(lines))
    assert res.unreadable_lines == 1
    tests = {t.name: t for t in lava.report_tests(res, SCENARIOS)}
    assert tests["driver-storm"].status == "fail"
    assert "no result" in tests["driver-storm"].reason
    assert tests[lava.JOB_TEST].status == "fail"
    assert "lava-test-shell timed out" in tests[lava.JOB_TEST].reason
    assert tests["ats-eats"].status == "skip"
    assert tests["ats-eats"].reason == "skipped on the DUT (see the LAVA log)"
    assert tests[lava.CONSOLE_TEST].status == "fail"
    assert "reached the console" in tests[lava.CONSOLE_TEST].reason


def test_not_a_lava_log() -> None:
    with pytest.raises(lava.LavaError, match="no LAVA log record"):
        lava.parse_log("KTAP version 1\n1..3\n")


def test_lava_suite_writes_the_report(tmp_path: Path, emulated: dict) -> None:
    """The captured log through the lava suite and the lab's plugin: the same
    report files as any run, scenario names in junit, metrics in KCIDB."""
    job = lava.write_yaml(tmp_path / "job.yaml", emulated)
    run_dir = tmp_path / "results" / "20261122T022801Z-f690"
    run_dir.mkdir(parents=True)
    rc = runner.session([str(lava.SUITE), f"--shl-lava-log={LOG}", f"--shl-lava-job={job}",
                         "--shl-lava-seconds=107.8"], run_dir, "lava", "lava")
    assert rc == 0
    report = json.loads((run_dir / "report.json").read_text())
    by_name = {t["name"]: t for t in report["tests"]}
    assert by_name["driver-storm"]["metrics"]["transitions"] == 1020
    assert by_name["driver-storm"]["duration_s"] == pytest.approx(31.838, abs=0.01)
    assert by_name["ats-eats"]["reason"] == "the SMMU lacks ATS"
    assert by_name[lava.JOB_TEST]["metrics"]["lava_run_s"] == 107.8
    assert report["summary"] == {"pass": 8, "fail": 0, "skip": 2}
    assert report["dut"] == {"kernel": "6.1.0-56-arm64"}
    cases = {c.get("name") for c in ET.parse(run_dir / "junit.xml").getroot().iter("testcase")}
    assert {"driver-storm", "ats-eats", lava.JOB_TEST} <= cases
    kcidb = json.loads((run_dir / "kcidb.json").read_text())
    storm = [t for t in kcidb["tests"] if t["misc"]["name"] == "driver-storm"]
    assert storm[0]["status"] == "PASS" and storm[0]["misc"]["metrics"]["transitions"] == 1020
    assert (run_dir / "report.html").is_file()


def test_cli_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`lava validate` of a directory without jobs and `lava jobs` with a
    broken inventory: exit 2 and one error line naming the problem."""
    from smmu_hil_lab.__main__ import main
    assert main(["lava", "validate", str(tmp_path)]) == 2
    assert "no job (run `lava jobs" in capsys.readouterr().err
    bad = tmp_path / "inv.yaml"
    bad.write_text("duts:\n  - name: x\n    target: qemu\n    power: {kind: telnet}\n"
                   "    console: {kind: qemu-serial}\n")
    assert main(["lava", "jobs", "--out", str(tmp_path / "o"), "--scenario", "nope"]) == 2
    assert "not an agent scenario of transitions: nope" in capsys.readouterr().err
    assert main(["lava", "jobs", "--out", str(tmp_path / "o"), "--inventory", str(bad)]) == 2
    assert "duts[0]: key 'power.kind': must be one of ipmi, qmp" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()         # nothing written for bad input


def test_supermin_env(tmp_path: Path) -> None:
    """libguestfs' host kernel comes from set-up's cache; none is a clear error."""
    with pytest.raises(lava.LavaError, match="no host set-up"):
        lava.supermin_env(tmp_path)
    (tmp_path / "host-headers.lock").write_text("other=1\n")
    with pytest.raises(lava.LavaError, match="names no host_kernel_release"):
        lava.supermin_env(tmp_path)
    (tmp_path / "host-headers.lock").write_text("host_kernel_release=6.1.0-56-amd64\n")
    with pytest.raises(lava.LavaError, match="no host kernel for libguestfs"):
        lava.supermin_env(tmp_path)
    (tmp_path / "supermin" / "6.1.0-55-amd64").mkdir(parents=True)    # another ABI's
    (tmp_path / "supermin" / "6.1.0-55-amd64" / ".stamp").write_text("x\n")
    root = tmp_path / "supermin" / "6.1.0-56-amd64"
    root.mkdir(parents=True)
    (root / ".stamp").write_text("linux-image-6.1.0-56-amd64-unsigned\n")
    env = lava.supermin_env(tmp_path)
    assert env["SUPERMIN_KERNEL"] == str(root / "boot" / "vmlinuz-6.1.0-56-amd64")
    assert env["SUPERMIN_MODULES"] == str(root / "lib" / "modules" / "6.1.0-56-amd64")
    assert env["LIBGUESTFS_BACKEND_SETTINGS"] == "force_tcg"
