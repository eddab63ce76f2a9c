"""Scenario files: scenarios/<suite>/<name>.yaml.

Schema (all keys but params and requires are mandatory; no other keys):

    name: fault-accounting          # the test's name in reports; equals the file stem
    description: one or more lines
    requires: [S1P]                 # SMMU features from `smmu-hil dut info`
    params: {count: 128}            # free-form mapping the test reads

Scenarios that the DUT agent runs itself (`smmu-hil run`, scenarios/transitions)
use the agent's richer schema (docs/scenarios.md): such a file has a `mode` key.
The lab accepts the agent's top-level keys there and keeps every key but name,
description and requires in `params`; the agent validates the rest (file:line)
before it runs anything.

A malformed file raises ScenarioError naming the file and the key.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import yamlfile
from .drivers import LabError

KEYS = {"name", "description", "requires", "params"}
# Top-level keys of an agent-run scenario (docs/scenarios.md, harness/agent/scenario.c).
AGENT_KEYS = {"name", "description", "requires", "device", "mode", "entry", "transitions",
              "repeat", "dwell_us", "workloads", "dma_len", "dma_every", "record",
              "legality", "expect"}


class ScenarioError(LabError):
    """A scenario file is unreadable or does not match the schema."""


@dataclass(frozen=True)
class Scenario:
    """One validated scenario."""

    name: str
    description: str
    path: Path
    requires: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)
    runner: str = "lab"     # "lab": a pytest test drives it; "agent": `smmu-hil run` does

    def missing(self, features: set[str] | list[str]) -> list[str]:
        """The required features absent from @features, in file order."""
        have = set(features)
        return [f for f in self.requires if f not in have]

    def param(self, key: str, default: Any = None) -> Any:
        """params[@key], or @default when the file does not set it."""
        return self.params.get(key, default)


def load(path: Path) -> Scenario:
    """Read and validate one scenario file.

    Returns the Scenario. Raises ScenarioError("<file>: key '<key>': ...").
    """
    doc = yamlfile.read(path, ScenarioError)
    if not isinstance(doc, dict):
        raise ScenarioError(f"{path}: expected a mapping at the top level, "
                            f"got {type(doc).__name__}")
    runner = "agent" if "mode" in doc else "lab"
    allowed = AGENT_KEYS if runner == "agent" else KEYS
    unknown = sorted(str(k) for k in doc if k not in allowed)
    if unknown:
        raise ScenarioError(f"{path}: key '{unknown[0]}': unknown key "
                            f"(allowed: {', '.join(sorted(allowed))})")
    for key in ("name", "description"):
        if key not in doc:
            raise ScenarioError(f"{path}: key '{key}': missing")
        if not isinstance(doc[key], str) or not doc[key].strip():
            raise ScenarioError(f"{path}: key '{key}': expected a non-empty string")
    if doc["name"] != path.stem:
        raise ScenarioError(f"{path}: key 'name': {doc['name']!r} differs from the "
                            f"file name {path.stem!r}")
    requires = doc.get("requires") or []
    if not isinstance(requires, list) or not all(isinstance(r, str) and r for r in requires):
        raise ScenarioError(f"{path}: key 'requires': expected a list of feature names")
    if runner == "agent":
        params = {k: v for k, v in doc.items() if k not in ("name", "description", "requires")}
    else:
        params = doc.get("params") or {}
    if not isinstance(params, dict) or not all(isinstance(k, str) for k in params):
        raise ScenarioError(f"{path}: key 'params': expected a mapping with string keys")
    return Scenario(name=doc["name"], description=doc["description"].strip(), path=path,
                    requires=tuple(requires), params=dict(params), runner=runner)


def is_lab_file(path: Path) -> bool:
    """True when @path holds a lab-run scenario (a mapping without `mode`).

    Agent scenarios and unreadable or malformed files give False: they go to
    the agent, whose parser reports them with file:line.
    """
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return False
    return isinstance(doc, dict) and "mode" not in doc


def load_suite(directory: Path) -> tuple[list[Scenario], list[ScenarioError]]:
    """Load every *.yaml in @directory (sorted by name).

    Returns (valid scenarios, errors of the malformed ones). Raises
    ScenarioError when the directory does not exist or holds no scenario.
    """
    if not directory.is_dir():
        raise ScenarioError(f"{directory}: no such suite directory")
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise ScenarioError(f"{directory}: no *.yaml scenario files")
    good: list[Scenario] = []
    bad: list[ScenarioError] = []
    for f in files:
        try:
            good.append(load(f))
        except ScenarioError as e:
            bad.append(e)
    return good, bad
