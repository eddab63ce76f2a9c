"""live-update-luo's host-side logic (lab/smmu_hil_lab/luo.py): the boot
arguments, IOMMU preservation read from the running kernel, the memfd's
check, the survival of each StreamID's STE/CD/table roots across a kexec,
the verdict (xfail without IOMMU preservation, never a pass), and an xfail
test's way into report.json, ktap.log and junit.xml."""
from __future__ import annotations

import copy
import json
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Iterator

import pytest
from test_plugin import FakeTarget

from smmu_hil_lab import luo, paths
from smmu_hil_lab.report import Report, TestResult
from smmu_hil_lab.targets import TARGETS

# `smmu-hil -j dut streams` rows as the s1 and s2 models give them (trimmed
# to the fields the comparison reads; addresses from the emulated DUT)
S1_ROW = {"bdf": "0000:00:02.0", "sid": 16, "smmu": "arm-smmu-v3.0.auto",
          "ste": {"kind": "ste", "config": "s1", "pa": "0x0000000048a5c400",
                  "qwords": ["0x000000004835e00b", "0x00000000000000d6"] + ["0x0"] * 6,
                  "fields": {"V": 1, "Config": 5, "S1ContextPtr": 1211490304, "S2TTB": 0}},
          "cd": {"kind": "cd", "config": "cd", "pa": "0x000000004835e000",
                 "qwords": ["0x0003e204c0003510", "0x000000004835d000"] + ["0x0"] * 6,
                 "fields": {"V": 1, "ASID": 3, "TTB0": 1211486208}}}
S2_ROW = {"bdf": "0000:00:03.0", "sid": 24, "smmu": "arm-smmu-v3.0.auto",
          "ste": {"kind": "ste", "config": "s2", "pa": "0x0000000048a5c600",
                  "qwords": ["0x000000000000000d", "0x0", "0x0000000100000020",
                             "0x0000000048370000"] + ["0x0"] * 4,
                  "fields": {"V": 1, "Config": 6, "S2VMID": 1, "S2TTB": 1211564032}},
          "cd": None}
BYPASS_ROW = {"bdf": "0000:00:04.0", "sid": 32, "smmu": "arm-smmu-v3.0.auto",
              "ste": {"kind": "ste", "config": "bypass", "pa": "0x0000000048a5c800",
                      "qwords": ["0x0000000000000009"] + ["0x0"] * 7,
                      "fields": {"V": 1, "Config": 4}},
              "cd": None}


def rebuilt(row: dict[str, Any], moves: dict[str, int]) -> dict[str, Any]:
    """@row as a new kernel rebuilds it: the entry at another address, the
    table roots at @moves (FIELD: new address), the qwords changed."""
    r = copy.deepcopy(row)
    for kind in ("ste", "cd"):
        e = r.get(kind)
        if not e:
            continue
        e["pa"] = hex(int(e["pa"], 16) + 0x100000)
        for f, v in moves.items():
            if f in e["fields"]:
                e["fields"][f] = v
                e["qwords"][1 if kind == "cd" or f == "S1ContextPtr" else 3] = hex(v)
    return r


# ------------------------------------------------------------------ boot args
def test_boot_args_missing() -> None:
    base = "console=ttyAMA0 panic=-1 smmu_hil_edu.dma_bits=40 initrd=initrd"
    assert luo.boot_args_missing(base) == ["kho=on", "liveupdate=on", "kho_scratch=4M,256M,4M"]
    assert luo.boot_args_missing(f"{base} {luo.BOOT_ARGS}") == []
    # a different value is a missing one
    assert luo.boot_args_missing(f"{base} kho=off liveupdate=on kho_scratch=4M,256M,4M") == \
        ["kho=on"]
    assert luo.boot_args_missing("", "liveupdate=on") == ["liveupdate=on"]


# ------------------------------------------------------------------ preservation
KALLSYMS_72 = """ffff800080123450 T kho_preserve_folio
ffff800080123460 T liveupdate_register_file_handler
ffff800080123470 t memfd_luo_preserve
ffff800080123480 T iommu_map
"""


def test_no_iommu_preservation_on_72() -> None:
    config = "CONFIG_IOMMU_API=y\nCONFIG_LIVEUPDATE=y\nCONFIG_LIVEUPDATE_MEMFD=y\n" \
             "CONFIG_ARM_SMMU_V3_IOMMUFD=y\n# CONFIG_IOMMU_DEBUGFS is not set\n"
    p = luo.iommu_preservation(config, KALLSYMS_72, ["LUO", "kexec-metadata"])
    assert p["present"] is False
    assert "KHO subtrees: LUO, kexec-metadata" in p["evidence"]
    why = luo.xfail_reason(p)
    assert why is not None and "no IOMMU live-update preservation" in why
    assert "KHO subtrees: LUO, kexec-metadata" in why


@pytest.mark.parametrize("config, syms, subtrees, found", [
    ("CONFIG_IOMMU_LIVEUPDATE=y\n", "", [], "config CONFIG_IOMMU_LIVEUPDATE"),
    ("CONFIG_LIVEUPDATE_IOMMUFD=m\n", "", [], "config CONFIG_LIVEUPDATE_IOMMUFD"),
    ("", "ffff8000801 T iommu_liveupdate_preserve_domain\n", [],
     "symbol iommu_liveupdate_preserve_domain"),
    ("", "ffff8000801 t arm_smmu_kho_preserve\n", [], "symbol arm_smmu_kho_preserve"),
    ("", "", ["LUO", "iommu"], "KHO subtree iommu"),
])
def test_iommu_preservation_found(config: str, syms: str, subtrees: list[str],
                                  found: str) -> None:
    p = luo.iommu_preservation(config, syms, subtrees)
    assert p["present"] is True and found in p["evidence"]
    assert luo.xfail_reason(p) is None


def test_preservation_ignores_disabled_and_unrelated() -> None:
    # a symbol the kernel names but does not enable, an unrelated IOMMU symbol
    config = "# CONFIG_IOMMU_LIVEUPDATE is not set\nCONFIG_IOMMU_SVA=y\n"
    assert luo.iommu_preservation(config, KALLSYMS_72, [])["present"] is False
    assert "(no /proc/config.gz)" in luo.iommu_preservation("", "", [])["evidence"][0]


# ------------------------------------------------------------------ memfd
GOOD = {"session": "smmu-hil-luo", "token": 1, "retrieved": True, "size": 8388608,
        "expected_size": 8388608, "seed": 1, "mismatches": 0, "first_mismatch": -1,
        "crc32c": "0xb34d7906", "verified": True, "finished": True, "preserved": True,
        "holder_pid": 89}


def test_memfd_verified() -> None:
    m = luo.memfd_result(GOOD, "0xb34d7906")
    assert m["verified"] is True and m["why"] == "" and m["preserved"] is True


@pytest.mark.parametrize("change, why", [
    ({"mismatches": 3, "first_mismatch": 4096, "verified": False},
     "3 bytes differ from the pattern, first at 4096"),
    ({"size": 4096, "verified": False}, "size 4096 != 8388608"),
    ({"crc32c": "0x00000001"}, "CRC-32C 0x00000001 != 0xb34d7906 written"),
    ({"finished": False, "finish_error": "Invalid argument"},
     "session finish failed: Invalid argument"),
    ({"verified": False}, "the agent says not verified"),
])
def test_memfd_not_verified(change: dict[str, Any], why: str) -> None:
    m = luo.memfd_result({**GOOD, **change}, "0xb34d7906")
    assert m["verified"] is False and why in m["why"]


def test_memfd_agent_error() -> None:
    err = {"error": "luo retrieve: LIVEUPDATE_IOCTL_RETRIEVE_SESSION 'x': No such file or "
                    "directory (no such session came over the kexec)"}
    m = luo.memfd_result(err, "0x1")
    assert m["verified"] is False and "no such session came over" in m["why"]


def test_json_line() -> None:
    assert luo.json_line("noise\n{\"a\": 1}\n") == {"a": 1}
    assert luo.json_line("{\"a\": 1}\n{broken\n") == {"a": 1}
    assert luo.json_line("") is None


# ------------------------------------------------------------------ survival
def test_survival_identical_when_nothing_moved() -> None:
    rows = [S1_ROW, S2_ROW, BYPASS_ROW]
    surv = luo.survival(rows, copy.deepcopy(rows), {})
    assert [s["survived"] for s in surv] == [True, True, True]
    by = {s["sid"]: s for s in surv}
    assert by[16]["ste"] == "identical" and by[16]["cd"] == "identical"
    assert by[16]["roots"] == {"CD table": [1211490304, 1211490304],
                               "S1 TTB0": [1211486208, 1211486208]}
    assert by[24]["roots"] == {"S2TTB": [1211564032, 1211564032]}
    assert by[24]["cd"] == "none"
    assert by[32]["roots_verdict"] == "none"     # bypass has no table


def test_survival_rebuilt_after_a_kexec_without_preservation() -> None:
    before = [S1_ROW, S2_ROW, BYPASS_ROW]
    after = [rebuilt(S1_ROW, {"S1ContextPtr": 0x48400000, "TTB0": 0x48401000}),
             rebuilt(S2_ROW, {"S2TTB": 0x48500000}), rebuilt(BYPASS_ROW, {})]
    surv = luo.survival(before, after, {"16": 2})
    by = {s["sid"]: s for s in surv}
    assert by[16]["ste"] == "rebuilt" and by[16]["cd"] == "rebuilt"
    assert by[16]["ste_pa"] == ["0x0000000048a5c400", "0x48b5c400"]
    assert by[16]["roots"]["S1 TTB0"] == [1211486208, 0x48401000]
    assert by[16]["roots_verdict"] == "rebuilt" and by[16]["events"] == 2
    assert by[24]["roots_verdict"] == "rebuilt"
    # the bypass STE moved with the new stream table: rebuilt, no table
    assert by[32]["ste"] == "rebuilt" and by[32]["roots_verdict"] == "none"
    assert not any(s["survived"] for s in surv)
    summary = luo.survival_summary(surv)
    assert summary == {"streams": 3, "survived": 0, "ste_identical": 0, "ste_rebuilt": 3,
                       "cd_identical": 0, "cd_rebuilt": 1, "roots_identical": 0,
                       "roots_rebuilt": 2, "events": 2}


def test_survival_same_entry_with_an_event_did_not_survive() -> None:
    surv = luo.survival([S2_ROW], [copy.deepcopy(S2_ROW)], {24: 1})
    assert surv[0]["ste"] == "identical" and surv[0]["survived"] is False


def test_survival_lost_and_new_streams() -> None:
    surv = luo.survival([S1_ROW], [S2_ROW], {})
    assert [(s["sid"], s["ste"]) for s in surv] == [(16, "lost"), (24, "new")]
    assert not any(s["survived"] for s in surv)


# ------------------------------------------------------------------ verdict
NO_PRES = {"present": False, "evidence": ["KHO subtrees: LUO, kexec-metadata"]}
PRES = {"present": True, "evidence": ["config CONFIG_IOMMU_LIVEUPDATE"]}


def kexecs(n: int, survived: bool) -> list[list[dict[str, Any]]]:
    rows = [S1_ROW, S2_ROW]
    after = rows if survived else [rebuilt(S1_ROW, {"TTB0": 0x48401000}),
                                   rebuilt(S2_ROW, {"S2TTB": 0x48500000})]
    return [luo.survival(rows, copy.deepcopy(after), {}) for _ in range(n)]


def test_verdict_xfail_without_preservation_even_when_tables_look_identical() -> None:
    ok = [{"verified": True, "why": ""}] * 5
    assert luo.verdict(ok, 5, kexecs(5, False), [True] * 5, NO_PRES)[0] == "xfail"
    # never a pass without IOMMU preservation, whatever the snapshots say
    status, why = luo.verdict(ok, 5, kexecs(5, True), [True] * 5, NO_PRES)
    assert status == "xfail" and "no IOMMU live-update preservation" in why


def test_verdict_memfd_failure_fails_whatever_the_kernel() -> None:
    memfd = [{"verified": True, "why": ""}, {"verified": False, "why": "CRC-32C differs"}]
    for pres in (NO_PRES, PRES):
        status, why = luo.verdict(memfd, 2, kexecs(2, True), [True, True], pres)
        assert status == "fail" and why == "memfd not verified after kexec 2: CRC-32C differs"
    status, why = luo.verdict([{"verified": True, "why": ""}] * 3, 5, [], [], NO_PRES)
    assert status == "fail" and "after 3 kexecs, 5 wanted" in why


def test_verdict_judged_with_preservation() -> None:
    ok = [{"verified": True, "why": ""}] * 5
    assert luo.verdict(ok, 5, kexecs(5, True), [True] * 5, PRES) == ("pass", "")
    status, why = luo.verdict(ok, 5, kexecs(5, False), [True] * 5, PRES)
    assert status == "fail" and "kexec 1: StreamID 0x10 (0000:00:02.0) did not survive" in why
    status, why = luo.verdict(ok, 5, kexecs(5, True), [True] * 4 + [False], PRES)
    assert status == "fail" and "edu DMA" in why


# ------------------------------------------------------------------ report
def test_xfail_in_report_files(tmp_path: Path) -> None:
    """An xfail test: its own status in report.json and the summary, KTAP's
    XFAIL directive (not a failure), JUnit's pytest.xfail skip."""
    tool = paths.BUILD / "smmu-hil"
    if not tool.exists():
        subprocess.run(["make", "-C", str(paths.REPO), "tool"], check=True,
                       capture_output=True)
    r = Report("run-x", "qemu", tests=[
        TestResult("live-update-luo", "xfail", 60.0, "no IOMMU live-update preservation"),
        TestResult("boot", "pass", 1.0)])
    r.write(tmp_path)
    doc = json.loads((tmp_path / "report.json").read_text())
    assert doc["summary"] == {"pass": 1, "fail": 0, "skip": 0, "xfail": 1}
    assert doc["tests"][0]["status"] == "xfail"
    assert r.ok
    ktap = (tmp_path / "ktap.log").read_text()
    assert "ok 1 live-update-luo # XFAIL no IOMMU live-update preservation" in ktap
    assert "# Totals: pass:1 fail:0 xfail:1 xpass:0 skip:0 error:0" in ktap
    assert "pass 1  fail 0  skip 0  xfail 1" in (tmp_path / "summary.txt").read_text()
    with pytest.raises(ValueError):
        TestResult("x", "xpass")


XFAIL_SUITE = '''
import pytest
scenario = pytest.mark.scenario

@scenario("expected")
def test_expected(dut, scenario, metrics):
    metrics["kexecs"] = 5
    pytest.xfail("no IOMMU live-update preservation in this kernel")
'''


@pytest.fixture
def fake_target() -> Iterator[None]:
    TARGETS["fake"] = FakeTarget
    yield
    del TARGETS["fake"]


def test_plugin_reports_pytest_xfail(pytester: pytest.Pytester, fake_target: None) -> None:
    suite = pytester.mkpydir("xsuite")
    (suite / "test_x.py").write_text(XFAIL_SUITE)
    scen = pytester.path / "scen"
    scen.mkdir()
    (scen / "expected.yaml").write_text("name: expected\ndescription: d\n")
    run_dir = pytester.path / "results" / "run-1"
    run_dir.mkdir(parents=True)
    pytester.runpytest_inprocess(
        str(suite), "-p", "smmu_hil_lab.pytest_plugin", "--shl-target=fake",
        f"--shl-run-dir={run_dir}", f"--shl-scenarios={scen}",
        f"--junitxml={run_dir / 'junit.xml'}", "-o", "junit_family=xunit1")
    doc = json.loads((run_dir / "report.json").read_text())
    t = doc["tests"][0]
    assert (t["status"], t["reason"]) == ("xfail",
                                          "no IOMMU live-update preservation in this kernel")
    assert t["metrics"] == {"kexecs": 5}
    assert doc["summary"]["xfail"] == 1 and doc["summary"]["pass"] == 0
    case = next(ET.parse(run_dir / "junit.xml").iter("testcase"))
    assert case.find("skipped") is not None and case.find("failure") is None
