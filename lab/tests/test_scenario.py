"""Scenario files: schema validation with errors naming file and key."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from smmu_hil_lab import paths
from smmu_hil_lab.__main__ import validate
from smmu_hil_lab.scenario import ScenarioError, is_lab_file, load, load_suite, schema_errors

GOOD = "name: {n}\ndescription: d\nrequires: [S1P]\nparams: {{count: 3}}\n"


def write(d: Path, name: str, text: str) -> Path:
    p = d / f"{name}.yaml"
    p.write_text(text)
    return p


def test_valid(tmp_path: Path) -> None:
    s = load(write(tmp_path, "x", GOOD.format(n="x")))
    assert s.name == "x" and s.requires == ("S1P",) and s.param("count") == 3
    assert s.param("absent", 7) == 7
    assert s.missing(["S1P", "S2P"]) == [] and s.missing([]) == ["S1P"]


def test_optional_keys(tmp_path: Path) -> None:
    s = load(write(tmp_path, "y", "name: y\ndescription: d\n"))
    assert s.requires == () and s.params == {}


@pytest.mark.parametrize("text,key", [
    ("name: x\ndescription: d\nrequires: S1P\n", "requires"),
    ("name: x\ndescription: d\nrequires: [1]\n", "requires[0]"),
    ("name: x\ndescription: d\nparams: [1, 2]\n", "params"),
    ("description: d\n", "name"),
    ("name: x\n", "description"),
    ("name: x\ndescription: ''\n", "description"),
    ("name: other\ndescription: d\n", "name"),
    ("name: x\ndescription: d\nrequire: [S1P]\n", "require"),
])
def test_errors_name_file_and_key(tmp_path: Path, text: str, key: str) -> None:
    p = write(tmp_path, "x", text)
    with pytest.raises(ScenarioError) as ei:
        load(p)
    assert str(p) in str(ei.value) and f"key '{key}'" in str(ei.value)


BUG = ("name: x\ndescription: d\nbug:\n  report: seen in a VM\n  affected: '< 7.0'\n"
       "  fixed_in: '7.0'\n  mutant: kernel-config/mutants/a-no-update-safe.patch\n"
       "  verdicts: {stock: pass, mutant: fail}\n")


def test_bug_block(tmp_path: Path) -> None:
    s = load(write(tmp_path, "x", BUG))
    assert s.bug["mutant"] == "kernel-config/mutants/a-no-update-safe.patch"
    assert s.bug["verdicts"] == {"stock": "pass", "mutant": "fail"}
    assert load(write(tmp_path, "y", GOOD.format(n="y"))).bug == {}


@pytest.mark.parametrize("old,new,key", [
    ("  report: seen in a VM\n", "", "bug.report"),
    ("mutant: fail", "mutant: maybe", "bug.verdicts.mutant"),
    ("kernel-config/mutants/a-no-update-safe.patch", "/tmp/x.patch", "bug.mutant"),
    ("  verdicts: {stock: pass, mutant: fail}\n", "  verdicts: {mutant: fail}\n", "bug.verdicts.stock"),
    ("  fixed_in: '7.0'\n", "  fixed: '7.0'\n", "bug.fixed"),
])
def test_bug_block_errors(tmp_path: Path, old: str, new: str, key: str) -> None:
    assert old in BUG
    p = write(tmp_path, "x", BUG.replace(old, new))
    with pytest.raises(ScenarioError) as ei:
        load(p)
    assert f"key '{key}'" in str(ei.value), str(ei.value)


@pytest.mark.parametrize("text", ["name: [unclosed\n", "- a list\n", ""])
def test_not_a_mapping_or_not_yaml(tmp_path: Path, text: str) -> None:
    p = write(tmp_path, "x", text)
    with pytest.raises(ScenarioError, match=str(p)):
        load(p)


def test_load_suite_splits_good_and_bad(tmp_path: Path) -> None:
    write(tmp_path, "a", GOOD.format(n="a"))
    write(tmp_path, "b", "name: b\n")
    good, bad = load_suite(tmp_path)
    assert [s.name for s in good] == ["a"] and len(bad) == 1
    with pytest.raises(ScenarioError):
        load_suite(tmp_path / "nope")


def test_shipped_smoke_scenarios_are_valid(capsys: pytest.CaptureFixture[str]) -> None:
    good, bad = load_suite(paths.SCENARIOS / "smoke")
    assert not bad
    assert {s.name for s in good} == {"boot", "kunit-arm-smmu-v3", "dma-translated",
                                      "fault-accounting", "evtq-overflow", "transitions-under-dma",
                                      "kexec"}
    assert validate([paths.SCENARIOS / "smoke"]) == 0


def test_validate_cli_reports_failures(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "bad", "name: bad\ndescription: d\nparams: 3\n")
    assert validate([tmp_path]) == 1
    assert "key 'params'" in capsys.readouterr().out


def test_agent_scenario_keys_accepted(tmp_path):
    """A file with `mode` is an agent-run scenario: its own keys are allowed."""
    s = load(write(tmp_path, "raw", "name: raw\ndescription: d\nrequires: [S1P]\n"
                   "mode: raw\ntransitions: [{S1DSS: 1}]\nrepeat: 3\nexpect: {events: none}\n"))
    assert s.runner == "agent"
    assert s.requires == ("S1P",)
    assert s.param("mode") == "raw" and s.param("repeat") == 3
    assert "name" not in s.params


def test_agent_scenario_unknown_key_rejected(tmp_path):
    with pytest.raises(ScenarioError, match="key 'repat'"):
        load(write(tmp_path, "raw", "name: raw\ndescription: d\nmode: raw\nrepat: 3\n"))


def test_lab_scenario_rejects_agent_keys(tmp_path):
    """Without `mode`, the lab schema holds: agent keys are unknown there."""
    with pytest.raises(ScenarioError, match="key 'repeat'"):
        load(write(tmp_path, "x", "name: x\ndescription: d\nrepeat: 3\n"))


def test_shipped_transition_scenarios_load():
    """Every shipped agent scenario passes the lab's loader."""
    good, bad = load_suite(paths.SCENARIOS / "transitions")
    assert not bad, bad
    assert {s.name for s in good} >= {"driver-storm", "raw-breaking-dwell", "raw-hitless",
                                      "recorder", "legality-conformance"}
    lab = {s.name for s in good if s.runner == "lab"}
    assert lab == {"evtmon-cost", "raw-kill-restore"}, lab   # run by the lab's own tests
    assert is_lab_file(paths.SCENARIOS / "transitions" / "evtmon-cost.yaml")
    assert not is_lab_file(paths.SCENARIOS / "transitions" / "driver-storm.yaml")


def test_every_shipped_scenario_matches_the_schema():
    """scenarios/scenario.schema.json accepts every scenarios/**/*.yaml."""
    files = sorted(paths.SCENARIOS.glob("**/*.yaml"))
    assert len(files) >= 18
    for f in files:
        assert schema_errors(yaml.safe_load(f.read_text())) == [], f
        load(f)


AGENT = "name: a\nmode: {mode}\ntransitions: {tr}\nexpect: {expect}\n"


@pytest.mark.parametrize("mode,tr,expect,extra,key,words", [
    ("raw", "[{S1DSS: foo}]", "{events: none}", "", "transitions[0].S1DSS", "unsigned number"),
    ("raw", "[sideways]", "{events: none}", "", "transitions[0]", "not one of"),
    ("driver", "[{S1DSS: 1}]", "{events: none}", "", "transitions[0]", "not one of"),
    ("raw", "[identity]", "{events: none}", "", "transitions[0]", "abort, bypass, s1, s2, nested"),
    ("raw", "[abort]", "{events: {C_BAD_STEE: 1}}", "", "expect.events", "C_BAD_STE"),
    ("raw", "[abort]", "{events: {C_BAD_STE: '>=x'}}", "", "expect.events.C_BAD_STE", "count"),
    ("raw", "[abort]", "{events: none, expected_kinds: [C_BAD_STE]}", "",
     "expect.expected_kinds", "contradicts events: none"),
    ("raw", "[abort]", "{dma_errors: none}", "", "expect", "events, expected_kinds"),
    ("raw", "[abort]", "{events: none, explian: x}", "", "expect.explian", "unknown key"),
    ("raw", "[abort]", "{events: none}", "repeat: 0\n", "repeat", "1..1000000"),
    ("raw", "[abort]", "{events: none}", "record: true\n", "mode", "driver mode only"),
    ("driver", "[dma]", "{events: none}", "legality: true\n", "mode", "raw mode"),
    ("raw", "[abort]", "{events: none}", "requires: [S3P]\n", "requires[0]", "S1P"),
    ("raw", "[abort]", "{events: none}", "workloads: [fio, fio]\n", "workloads", "unique"),
    ("raw", "[{from: '1', to: '2'}, abort]", "{events: none}", "", "transitions", "too long"),
    ("raw", "[abort]", "{events: none}", "mode: raw\n", "mode", ""),   # YAML: given twice
    ("raw", "[{base: s2, S2T0SZ: 40}]", "{events: none}", "", "transitions[0].base",
     "legality corpus item"),
    ("raw", "[{base: paging}]", "{events: none}", "legality: true\n", "transitions[0].base",
     "not one of"),
    ("raw", "[{entry: cd, base: s2}]", "{events: none}", "legality: true\n",
     "transitions[0].base", "not with a CD item"),
    ("raw", "[{base: s2, requires: [S3P]}]", "{events: none}", "legality: true\n",
     "transitions[0].requires[0]", "S1P"),
    ("raw", "[{base: s2, skip_on: {bochs: x}}]", "{events: none}", "legality: true\n",
     "transitions[0].skip_on.bochs", "unknown key"),
])
def test_agent_schema_errors_name_key_path(tmp_path, mode, tr, expect, extra, key, words):
    """Agent-run scenarios: the schema's rules (the C parser's), each error
    naming the file and the key path."""
    p = write(tmp_path, "a", AGENT.format(mode=mode, tr=tr, expect=expect) + extra)
    if key == "mode" and not words:
        load(p)     # PyYAML keeps the last of a key given twice; the agent refuses it
        return
    with pytest.raises(ScenarioError) as ei:
        load(p)
    msg = str(ei.value)
    assert msg.startswith(f"{p}: key '{key}': ") and words in msg, msg


def test_legality_corpus_items_load(tmp_path):
    """A legality corpus item may name its entry, base STE, features and the
    models it is not written on; the lab keeps them in params."""
    s = load(write(tmp_path, "a", AGENT.format(
        mode="raw", expect="{expected_kinds: [C_BAD_STE]}",
        tr="[abort, {base: s2, requires: [S2P], S2T0SZ: 40}, {entry: cd, AA64: 0}, "
           "{base: s2, S2AA64: 0, skip_on: {qemu: aborts}}]") + "legality: true\n"))
    assert s.param("transitions")[1]["requires"] == ["S2P"]
    assert s.param("transitions")[3]["skip_on"] == {"qemu": "aborts"}


@pytest.mark.parametrize("device", ["0000:00:03.0", "00:03.0", "1234:11e8", "edu"])
def test_agent_device_forms_read_as_the_agent_reads_them(tmp_path, device):
    """A PCI address is a string, not YAML 1.1's base-60 float 3.0."""
    s = load(write(tmp_path, "a", AGENT.format(mode="raw", tr="[abort]", expect="{events: none}")
                   + f"device: {device}\n"))
    assert s.param("device") == device


def test_bad_pci_address_is_refused(tmp_path):
    with pytest.raises(ScenarioError, match="key 'device': "):
        load(write(tmp_path, "a", AGENT.format(mode="raw", tr="[abort]", expect="{events: none}")
                   + "device: 0000:00:33.0\n"))
