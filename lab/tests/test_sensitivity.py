"""The sensitivity plan (lab/plans/sensitivity.yaml, plan.py's `mutants`)
and its matrix (sensitivity.py): expansion into one phase per lab-kernel
variant, expectation matching, caught marks, KUnit beside each column,
"mutant does not apply", the exit status, summary.txt and report.html; and
end to end through runner.run_plan on the fake target with synthetic bug
scenarios."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from smmu_hil_lab import plan, publish, sensitivity as sens
from smmu_hil_lab.report import Report, TestResult

from test_plugin import fake_target  # noqa: F401 - fixture
from test_publish import parsed

_ = fake_target

REPO = Path(__file__).resolve().parents[2]
M = "kernel-config/mutants/"


# ---------------------------------------------------------------- the plan
def test_sensitivity_plan_has_a_phase_per_mutant_then_stock() -> None:
    p = plan.load(REPO / "lab" / "plans" / "sensitivity.yaml")
    patches = sorted((REPO / "kernel-config" / "mutants").glob("*.patch"))
    assert patches, "kernel-config/mutants/ has no mutant"
    names = [f.name[:-len(".patch")] for f in patches]
    assert [ph.variant for ph in p.phases] == names + ["stock"]   # stock last
    assert p.variants == p.phases
    for ph, f in zip(p.phases, [*patches, None]):
        assert ph.suites == ["bugs", "smoke"]
        assert ph.pytest_args() == ["-k", "bugs or kunit_arm_smmu_v3"]
        assert ph.env["DUT_KERNEL"] == "lab" and ph.env["SMMU_HIL_SMMU_MODEL"] == "nested"
        # the emulated DUT's IORT option: nested-update-safe's vIOMMU (docs/lab.md)
        assert ph.env["SMMU_HIL_IORT_CANWBS"] == "1"
        if f is None:
            assert ph.patch is None and ph.env["PATCHES"] == ""
            assert ph.name_suffix == "[lab,nested]"
        else:
            assert ph.patch == f"{M}{f.name}" and ph.env["PATCHES"] == ph.patch
            assert ph.name_suffix == f"[lab+{ph.variant},nested]"
        assert ph.setup_argv() == ["make", "--no-print-directory", "lab-kernel", "modules",
                                   "agent", "DUT_KERNEL=lab", f"PATCHES={ph.env['PATCHES']}"]


def test_mutants_glob_absolute_and_empty(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    for n in ("b-two.patch", "a-one.patch", "notes.txt"):
        (tmp_path / "m" / n).write_text("x")
    text = ("phases:\n  - suites: [bugs]\n    mutants: {glob}\n"
            "    name_suffix: '[${{LAB_KERNEL}},nested]'\n    env: {{K: v}}\n"
            "    setup: [make, 'PATCHES=${{PATCHES}}']\n")
    f = tmp_path / "p.yaml"
    f.write_text(text.format(glob=f"{tmp_path}/m/*.patch"))
    p = plan.load(f)
    assert [(ph.variant, ph.name_suffix) for ph in p.phases] == [
        ("a-one", "[lab+a-one,nested]"), ("b-two", "[lab+b-two,nested]"),
        ("stock", "[lab,nested]")]
    assert p.phases[0].setup_argv() == ["make", f"PATCHES={tmp_path}/m/a-one.patch"]
    assert p.phases[0].env["K"] == "v"
    f.write_text(text.format(glob=f"{tmp_path}/none/*.patch"))
    assert [ph.variant for ph in plan.load(f).phases] == ["stock"]


@pytest.mark.parametrize("phase, error", [
    ("{suites: [bugs], mutants: ''}", r"mutants: a glob of patch files"),
    ("{suites: [bugs], mutants: [a]}", r"mutants: a glob of patch files"),
    ("{suites: [bugs], mutants: 'kernel-config/mutants/*'}", r"mutants: a glob of patch files"),
    ("{suites: [bugs], mutants: 'x/**.patch'}", r"mutants: 'x/\*\*.patch': Invalid pattern"),
    ("{suites: [bugs], mutants: 'x/*.patch', env: {PATCHES: p}}",
     r"env.PATCHES: set by `mutants`"),
    ("{suites: [bugs], mutants: 'kernel-config/mutants/*.patch'}",
     r"suite\(s\) bugs run twice"),                   # no ${LAB_KERNEL} in the suffix
    ("{suites: [bugs], name_suffix: '[${NOPE}]'}", r"name_suffix: .* names NOPE"),
])
def test_bad_mutants_phases(tmp_path: Path, phase: str, error: str) -> None:
    f = tmp_path / "p.yaml"
    f.write_text(f"phases: [{phase}]\n")
    with pytest.raises(plan.PlanError, match=error):
        plan.load(f)


# ---------------------------------------------------------------- the matrix
VARIANTS = [(1, "a-x", "[lab+a-x,nested]", f"{M}a-x.patch"),
            (2, "b-y", "[lab+b-y,nested]", f"{M}b-y.patch"),
            (3, "stock", "[lab,nested]", None)]
SUF = {v[1]: v[2] for v in VARIANTS}


def bug(name: str, mutant: str | None, stock: str = "pass", mut: str | None = "fail",
        others: dict[str, str] | None = None) -> sens.Bug:
    v = {"stock": stock, **({"mutant": mut} if mut else {})}
    return sens.Bug(name, mutant=mutant, mutant_path=f"{M}{mutant}.patch" if mutant else None,
                    verdicts=v, others=others or {})


def t(name: str, col: str, status: str = "pass", reason: str = "",
      **metrics: Any) -> dict[str, Any]:
    return {"name": name + SUF[col], "status": status, "reason": reason, "metrics": metrics,
            "dut_kernel": f"7.2.12-lab-{col}"}


def kunit(col: str, failed: tuple[str, ...] = (), n: int = 3) -> dict[str, Any]:
    cases = [{"case": f"case{i}", "status": "pass"} for i in range(n - len(failed))] + \
        [{"case": c, "status": "fail", "reason": "EXPECTATION FAILED"} for c in failed]
    return t("kunit-arm-smmu-v3", col, "fail" if failed else "pass",
             "KUnit: failed" if failed else "", kunit_cases=cases,
             cases_pass=n - len(failed), cases_fail=len(failed), cases_skip=0)


def good_run() -> tuple[list[dict[str, Any]], list[sens.Bug]]:
    """Two mutants, each caught by its scenario; a bug without a mutant
    that is xfail everywhere; KUnit catches b-y only."""
    bugs = [bug("catch-a", "a-x"), bug("catch-b", "b-y"), bug("luo", None, "xfail", None)]
    tests = []
    for col in ("a-x", "b-y", "stock"):
        tests.append(t("catch-a", col, "fail" if col == "a-x" else "pass",
                       "C_BAD_STE captured" if col == "a-x" else ""))
        tests.append(t("catch-b", col, "fail" if col == "b-y" else "pass"))
        tests.append(t("luo", col, "xfail", "no IOMMU preservation in this kernel"))
        tests.append(kunit(col, ("write_entry_order",) if col == "b-y" else ()))
    return tests, bugs


def test_matrix_every_mutant_caught_and_stock_clean() -> None:
    tests, bugs = good_run()
    mx = sens.build(tests, VARIANTS, bugs)
    assert mx.ok and mx.problems == []
    assert [c.id for c in mx.columns] == ["stock", "a-x", "b-y"]        # stock first
    assert [c.label for c in mx.columns] == ["stock", "mutant a-x", "mutant b-y"]
    rows = {r["scenario"]: r["cells"] for r in mx.rows}
    assert set(rows) == {"catch-a", "catch-b", "luo"}
    a = rows["catch-a"]["a-x"]
    assert (a["actual"], a["expected"], a["match"], a["caught"], a["own"]) == \
        ("fail", "fail", True, True, True)
    assert a["reason"] == "C_BAD_STE captured" and a["test"] == "catch-a[lab+a-x,nested]"
    # the other mutant's column expects the stock verdict
    assert rows["catch-a"]["b-y"]["expected"] == "pass" and not rows["catch-a"]["b-y"]["caught"]
    assert rows["luo"]["stock"]["actual"] == "xfail" and rows["luo"]["a-x"]["match"]
    by = {k["mutant"]: k for k in mx.caught_by}
    assert by["a-x"]["scenarios"] == ["catch-a"] and by["a-x"]["kunit"] is False
    assert by["b-y"]["kunit"] is True and by["b-y"]["kunit_failed_cases"] == ["write_entry_order"]
    assert by["a-x"]["line"] == "a-x: caught by catch-a (own); KUnit did not (3 cases pass)"
    assert by["b-y"]["line"] == ("b-y: caught by catch-b (own); "
                                 "KUnit caught it (write_entry_order)")
    assert mx.columns[0].releases == ["7.2.12-lab-stock"]
    assert mx.to_dict()["verdict"].startswith("OK: 9 cells as expected (3 scenarios x 3 "
                                              "kernels), 2 expected failure(s)")


def test_a_scenario_passing_on_its_mutant_fails_the_matrix() -> None:
    tests, bugs = good_run()
    for x in tests:
        if x["name"] == "catch-a[lab+a-x,nested]":
            x.update(status="pass", reason="")
    mx = sens.build(tests, VARIANTS, bugs)
    assert not mx.ok
    assert mx.problems == ["catch-a on mutant a-x: pass, expected fail"]
    cell = mx.rows[0]["cells"]["a-x"]
    assert not cell["match"] and not cell["caught"]
    assert sens.cell_text(cell) == "! pass (expected fail)"
    assert [k["line"] for k in mx.caught_by][0].startswith("a-x: caught by no scenario")


def test_a_stock_failure_and_a_skip_fail_the_matrix() -> None:
    tests, bugs = good_run()
    for x in tests:
        if x["name"] == "catch-b[lab,nested]":
            x.update(status="fail", reason="3 C_BAD_STE\nmore")
        if x["name"] == "catch-a[lab+b-y,nested]":
            x.update(status="skip", reason="missing SMMU features: S2P")
    mx = sens.build(tests, VARIANTS, bugs)
    assert sorted(mx.problems) == sorted([
        "catch-b on stock: fail, expected pass (3 C_BAD_STE)",
        "catch-a on mutant b-y: skip, expected pass (missing SMMU features: S2P)"])


def test_other_mutants_columns_follow_others_then_stock() -> None:
    tests, bugs = good_run()
    for x in tests:      # catch-a also fails on b-y
        if x["name"] == "catch-a[lab+b-y,nested]":
            x["status"] = "fail"
    assert sens.build(tests, VARIANTS, bugs).problems == \
        ["catch-a on mutant b-y: fail, expected pass"]
    bugs[0] = bug("catch-a", "a-x", others={"b-y": "fail"})
    mx = sens.build(tests, VARIANTS, bugs)
    assert mx.ok
    cell = mx.rows[0]["cells"]["b-y"]
    assert cell["caught"] and not cell["own"]
    assert {k["mutant"]: k["scenarios"] for k in mx.caught_by}["b-y"] == ["catch-a", "catch-b"]
    bugs[0] = bug("catch-a", "a-x", others={"b-y": "any"})
    assert sens.build(tests, VARIANTS, bugs).ok
    assert sens.matches("pass", "any") and not sens.matches("skip", "any")


def test_missing_test_and_missing_scenario_for_a_mutant() -> None:
    tests, bugs = good_run()
    tests = [x for x in tests if x["name"] != "catch-b[lab+b-y,nested]"]
    mx = sens.build(tests, VARIANTS, bugs[:1] + bugs[1:])
    assert mx.problems == ["catch-b on mutant b-y: not run, expected fail"]
    mx = sens.build(tests, VARIANTS, [bugs[0], bugs[2]])       # nobody names b-y
    assert mx.problems == [f"mutant b-y: no bug scenario names it (bug.mutant: {M}b-y.patch)"]
    mx = sens.build(tests, VARIANTS, [bug("catch-z", "z-gone")] + bugs)
    assert f"catch-z: its mutant {M}z-gone.patch is not a column" in mx.problems[0]


def test_no_bug_scenarios_is_a_clear_failure_not_a_crash() -> None:
    tests, _ = good_run()
    mx = sens.build([x for x in tests if x["name"].startswith("kunit")], VARIANTS, [])
    assert not mx.ok and mx.rows == []
    assert mx.problems[0].startswith("no bug scenario (scenarios/bugs/*.yaml")
    text = sens.summary_text(mx.to_dict())
    assert "SENSITIVITY MATRIX: FAILED" in text and "KUnit (cases pass/run)" in text


def test_stock_kunit_failure_is_not_clean_and_not_a_catch() -> None:
    tests, bugs = good_run()
    tests = [x for x in tests if not x["name"].startswith("kunit")]
    tests += [kunit("stock", ("flaky",)), kunit("a-x", ("flaky",)), kunit("b-y", ("flaky", "new"))]
    mx = sens.build(tests, VARIANTS, bugs)
    assert mx.problems == ["stock: KUnit 1 case(s) failed (flaky): the stock kernel is not clean"]
    by = {k["mutant"]: k for k in mx.caught_by}
    assert by["a-x"]["kunit"] is False            # fails on stock too: not this mutant's
    assert by["b-y"]["kunit"] is True and by["b-y"]["kunit_failed_cases"] == ["new"]


def test_a_mutant_that_does_not_apply(tmp_path: Path) -> None:
    tests, bugs = good_run()
    tests = [x for x in tests if not x["name"].endswith(SUF["b-y"])]
    tests.append({"name": "setup" + SUF["b-y"], "status": "fail",
                  "reason": "set-up `make lab-kernel` exited 2; ..."})
    (tmp_path / "setup-2.log").write_text(
        "lab-kernel: error: patch b-y.patch does not apply to linux-6.18:\n"
        "checking file drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c\n"
        "Hunk #1 FAILED at 1093.\n1 out of 1 hunk FAILED\n"
        "setup.sh: error: the lab kernel did not build (above)\n")
    mx = sens.build(tests, VARIANTS, bugs, tmp_path, "the tree /src/linux (KSRC)")
    col = mx.columns[2]
    assert col.state == "not applied" and col.reason.startswith(
        "patch b-y.patch does not apply to linux-6.18: checking file drivers/")
    assert "Hunk #1 FAILED at 1093." in col.reason
    cell = mx.rows[1]["cells"]["b-y"]
    assert cell["actual"] == "not applied" and not cell["match"] and not cell["caught"]
    assert len(mx.problems) == 1 and mx.problems[0].startswith(
        "mutant b-y: does not apply to the kernel tree, not tested (patch b-y.patch")
    assert mx.caught_by[1]["line"].startswith("b-y: not applied: patch b-y.patch")
    # another set-up failure is reported as that, not as "does not apply"
    (tmp_path / "setup-2.log").write_text("lab-kernel: error: the build failed\n")
    mx = sens.build(tests, VARIANTS, bugs, tmp_path)
    assert mx.columns[2].state == "setup failed"
    assert mx.rows[1]["cells"]["b-y"]["actual"] == "not run"


def test_verdict_of_a_test() -> None:
    assert sens.verdict(None) == ("not run", "")
    # a skip stays a skip whatever its reason says (only the status is xfail)
    assert sens.verdict({"status": "skip", "reason": "xfail: no IOMMU preservation\nx"}) == \
        ("skip", "xfail: no IOMMU preservation")
    assert sens.verdict({"status": "xfail", "reason": "no IOMMU preservation\nx"}) == \
        ("xfail", "no IOMMU preservation")
    assert sens.verdict({"status": "skip", "reason": "missing SMMU features: S2P"})[0] == "skip"
    assert sens.verdict({"status": "fail", "reason": ""}) == ("fail", "")


def test_load_bugs(tmp_path: Path) -> None:
    head = "description: d\nrequires: []\n"
    (tmp_path / "one.yaml").write_text(
        "name: one\n" + head + "bug:\n  report: r\n  affected: '< 7.0'\n  fixed_in: '7.0'\n"
        f"  mutant: {M}a-no-update-safe.patch\n  verdicts: {{stock: pass, mutant: fail,\n"
        f"    others: {{{M}c-breaking-off-by-one.patch: any}}}}\n")
    (tmp_path / "two.yaml").write_text("name: two\n" + head)
    (tmp_path / "three.yaml").write_text("name: three\n" + head + "bug:\n  report: r\n"
                                         "  affected: all\n  verdicts: {stock: maybe}\n")
    bugs = {b.name: b for b in sens.load_bugs(tmp_path)}
    one = bugs["one"]
    assert (one.mutant, one.mutant_path, one.error) == \
        ("a-no-update-safe", f"{M}a-no-update-safe.patch", "")
    assert one.others == {"c-breaking-off-by-one": "any"}
    assert one.expected("stock") == "pass" and one.expected("a-no-update-safe") == "fail"
    assert one.expected("c-breaking-off-by-one") == "any"
    assert one.expected("b-no-dma-wmb") == "pass"
    assert "no `bug:` block" in bugs["two"].error
    assert "bug.verdicts.stock" in bugs["three"].error
    assert sens.load_bugs(tmp_path / "absent") == []
    # the schema checks `others`: patches of kernel-config/mutants/, verdicts or any
    for bad, key in (("{/tmp/x.patch: fail}", "bug.verdicts.others"),
                     (f"{{{M}b.patch: maybe}}", "bug.verdicts.others")):
        (tmp_path / "four.yaml").write_text(
            "name: four\n" + head + "bug:\n  report: r\n  affected: all\n"
            f"  verdicts: {{stock: pass, others: {bad}}}\n")
        four = {b.name: b for b in sens.load_bugs(tmp_path)}["four"]
        assert key in four.error, four.error
    (tmp_path / "four.yaml").unlink()
    mx = sens.build([], VARIANTS[2:], list(bugs.values()))
    assert any(p.startswith("bug scenario two:") for p in mx.problems)


# ---------------------------------------------------------------- the run directory
class FakePlan:
    def __init__(self) -> None:
        self.phases = [plan.Phase(suites=["bugs"], name_suffix=s, variant=v, patch=p)
                       for _, v, s, p in VARIANTS]


def write_run(run_dir: Path, tests: list[dict[str, Any]]) -> None:
    Report(run_id=run_dir.name, target="qemu", tests=[
        TestResult(x["name"], x["status"], 1.0, x["reason"], x["metrics"], x.get("dut_kernel"),
                   "nested") for x in tests]).write(run_dir)


def bug_files(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, mutant, v in (("catch-a", "a-x", "{stock: pass, mutant: fail}"),
                            ("catch-b", "b-y", "{stock: pass, mutant: fail}"),
                            ("luo", None, "{stock: xfail}")):
        m = f"{M}{mutant}.patch" if mutant else "null"
        (directory / f"{name}.yaml").write_text(
            f"name: {name}\ndescription: d\nbug:\n  report: seen <b>here</b>\n  affected: all\n"
            f"  mutant: {m}\n  verdicts: {v}\n")
    return directory


def test_judge_run_writes_report_summary_and_html(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = tmp_path / "20261203T170000Z-abcd"
    tests, _ = good_run()
    write_run(run_dir, tests)
    bugs_dir = bug_files(tmp_path / "bugs")
    assert sens.judge_run(run_dir, FakePlan(), bugs_dir) == 0
    doc = json.loads((run_dir / "report.json").read_text())
    assert doc["sensitivity"]["ok"] is True and len(doc["sensitivity"]["rows"]) == 3
    assert [c["id"] for c in doc["sensitivity"]["columns"]] == ["stock", "a-x", "b-y"]
    summary = (run_dir / "summary.txt").read_text()
    assert summary.startswith("smmu-hil run ")          # the plugin's part is kept
    assert "SENSITIVITY MATRIX: OK" in summary and "fail caught" in summary
    assert "caught_by b-y: caught by catch-b (own); KUnit caught it (write_entry_order)" \
        in summary
    assert "SENSITIVITY MATRIX" in capsys.readouterr().out
    assert sens.judge_run(run_dir, FakePlan(), bugs_dir) == 0     # again: one block
    assert (run_dir / "summary.txt").read_text().count("SENSITIVITY MATRIX") == 1
    publish.write_all(run_dir)
    page = (run_dir / "report.html").read_text()
    body = " ".join(parsed(page).text)
    assert "Sensitivity matrix" in body and "mutant a-x" in body and "fail caught" in body
    assert "KUnit caught it (write_entry_order)" in body and "pass 3/3" in body
    assert 'class="cell-caught"' in page and 'href="#t-catch-a-lab-a-x-nested-"' in page
    # a mismatch: red exit status and a marked cell
    tests[0].update(status="pass", reason="")      # catch-a passes on its mutant
    write_run(run_dir, tests)
    assert sens.judge_run(run_dir, FakePlan(), bugs_dir) == 1
    publish.write_all(run_dir)
    page = (run_dir / "report.html").read_text()
    assert 'class="cell-mismatch"' in page and "! pass (expected fail)" in \
        " ".join(parsed(page).text)
    assert sens.judge_run(tmp_path / "absent", FakePlan(), bugs_dir) == 2


# ---------------------------------------------------------------- end to end
BUGS_SUITE = '''
import os, pytest

@pytest.mark.scenario("catch-a")
def test_catch_a(scenario, metrics):
    # the "DUT" misbehaves on the kernel with a-x's bug
    assert not os.environ["PATCHES"].endswith("a-x.patch"), "C_BAD_STE captured"

@pytest.mark.scenario("catch-b")
def test_catch_b(scenario, metrics):
    assert not os.environ["PATCHES"].endswith("b-y.patch"), "torn STE"

@pytest.mark.scenario("luo")
def test_luo(scenario):
    pytest.xfail("no IOMMU preservation in this kernel")
'''
SMOKE_SUITE = '''
import os, pytest

@pytest.mark.scenario("kunit-arm-smmu-v3")
def test_kunit_arm_smmu_v3(scenario, metrics):
    metrics.update(cases_pass=3, cases_fail=0, cases_skip=0, kunit_cases=[])

@pytest.mark.scenario("boot")
def test_boot(scenario):
    raise AssertionError("deselected: must not run")
'''


def test_plan_end_to_end_is_judged_by_its_matrix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 fake_target: None) -> None:  # noqa: F811
    """Three mutant patches (a-x, b-y, c-z that does not apply) and stock:
    the bug tests fail on their mutants (expected: caught), the smoke
    suite's other test is deselected, c-z's column is "not applied" and
    makes the plan red; without c-z the same failures give exit 0."""
    from smmu_hil_lab import paths, runner
    suites, scen = tmp_path / "suites", tmp_path / "scenarios"
    for s, code in (("bugs", BUGS_SUITE), ("smoke", SMOKE_SUITE)):
        (suites / s).mkdir(parents=True)
        (suites / s / f"test_sens{s}.py").write_text(code)
    bug_files(scen / "bugs")
    (scen / "smoke").mkdir()
    for n in ("kunit-arm-smmu-v3", "boot"):
        (scen / "smoke" / f"{n}.yaml").write_text(f"name: {n}\ndescription: d\n")
    monkeypatch.setattr(runner, "SUITES", suites)
    monkeypatch.setattr(paths, "SCENARIOS", scen)
    mutants = tmp_path / "mutants"
    mutants.mkdir()
    for n in ("a-x", "b-y", "c-z"):
        (mutants / f"{n}.patch").write_text("--- a\n+++ b\n")
    step = ("import os, sys; p = os.environ['PATCHES']; "
            "print('lab-kernel: error: patch c-z.patch does not apply to linux-x:' + chr(10) + "
            "'Hunk #1 FAILED at 7.') if p.endswith('c-z.patch') else print('built', p); "
            "sys.exit(2 if p.endswith('c-z.patch') else 0)")
    p = tmp_path / "sensitivity.yaml"
    p.write_text(
        "name: sensitivity\nphases:\n  - suites: [bugs, smoke]\n"
        f"    mutants: {mutants}/*.patch\n    target: fake\n"
        "    select: 'bugs or kunit_arm_smmu_v3'\n"
        "    name_suffix: '[${LAB_KERNEL},nested]'\n"
        f"    setup: [{sys.executable}, -c, {json.dumps(step)}]\n")
    for mod in ("test_sensbugs", "test_senssmoke"):
        sys.modules.pop(mod, None)
    try:
        rc, run_dir = runner.run_plan(p, tmp_path / "results")
        doc = json.loads((run_dir / "report.json").read_text())
        names = {x["name"]: x for x in doc["tests"]}
        assert "boot[lab,nested]" not in names                # deselected
        assert names["catch-a[lab+a-x,nested]"]["status"] == "fail"
        assert (names["luo[lab,nested]"]["status"], names["luo[lab,nested]"]["reason"]) == \
            ("xfail", "no IOMMU preservation in this kernel")
        mx = doc["sensitivity"]
        assert rc == 1 and not mx["ok"]
        assert [c["state"] for c in mx["columns"]] == ["ran", "ran", "ran", "not applied"]
        # (nobody names c-z either, but an untested column is its one problem)
        assert mx["problems"] == [
            "mutant c-z: does not apply to the kernel tree, not tested (patch c-z.patch does "
            "not apply to linux-x: Hunk #1 FAILED at 7.)"]
        cells = {r["scenario"]: r["cells"] for r in mx["rows"]}
        assert cells["catch-a"]["a-x"]["caught"] and cells["catch-a"]["a-x"]["match"]
        assert cells["catch-b"]["c-z"]["actual"] == "not applied"
        assert cells["luo"]["stock"]["actual"] == "xfail" and cells["luo"]["stock"]["match"]
        assert "not applied" in (run_dir / "summary.txt").read_text()
        assert "Sensitivity matrix" in (run_dir / "report.html").read_text()
        # without the mutant that does not apply: the expected failures are green
        (mutants / "c-z.patch").unlink()
        for mod in ("test_sensbugs", "test_senssmoke"):
            sys.modules.pop(mod, None)
        rc, run_dir = runner.run_plan(p, tmp_path / "results")
        doc = json.loads((run_dir / "report.json").read_text())
        assert doc["summary"]["fail"] == 2                    # the two catches
        assert rc == 0 and doc["sensitivity"]["ok"], doc["sensitivity"]["problems"]
    finally:
        for mod in ("test_sensbugs", "test_senssmoke"):
            sys.modules.pop(mod, None)
