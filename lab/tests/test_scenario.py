"""Scenario files: schema validation with errors naming file and key."""
from __future__ import annotations

from pathlib import Path

import pytest

from smmu_hil_lab import paths
from smmu_hil_lab.__main__ import validate
from smmu_hil_lab.scenario import ScenarioError, is_lab_file, load, load_suite

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
    ("name: x\ndescription: d\nrequires: [1]\n", "requires"),
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
    assert {s.name for s in good} == {"boot", "dma-translated", "fault-accounting",
                                      "transitions-under-dma", "kexec"}
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
    assert lab == {"evtmon-cost"}, lab      # run by the lab's own test, not by the agent
    assert is_lab_file(paths.SCENARIOS / "transitions" / "evtmon-cost.yaml")
    assert not is_lab_file(paths.SCENARIOS / "transitions" / "driver-storm.yaml")
