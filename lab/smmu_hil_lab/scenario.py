"""Scenario files: scenarios/<suite>/<name>.yaml.

One schema, scenarios/scenario.schema.json (JSON Schema, checked with
python3-jsonschema), describes both formats:

- a lab-run scenario ($defs/lab; all keys but params and requires are
  mandatory, no other keys):

      name: fault-accounting          # the test's name in reports; equals the file stem
      description: one or more lines
      requires: [S1P]                 # SMMU features from `smmu-hil dut info`
      params: {count: 128}            # free-form mapping the test reads

- an agent-run scenario (`smmu-hil run`, scenarios/transitions; it has a
  `mode` key): the agent's format ($defs/agent, docs/scenarios.md), the same
  key tables as harness/agent/scenario.c. The lab keeps every key but name,
  description and requires in `params`; the agent still parses the file
  itself (field names, field values) before it runs anything.

A malformed file raises ScenarioError("<file>: key '<key path>': <problem>"),
the key path dotted with list indices: `expect.events.C_BAD_STE`,
`transitions[2].S1DSS`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import jsonschema

from . import paths, yamlfile
from .errors import ScenarioError

SCHEMA = paths.SCENARIOS / "scenario.schema.json"
_TYPES = {"object": "a mapping", "array": "a list", "string": "a string",
          "integer": "a whole number", "number": "a number", "boolean": "true or false",
          "null": "nothing"}


@dataclass(frozen=True)
class Scenario:
    """One validated scenario."""

    name: str
    description: str
    path: Path
    requires: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)
    runner: str = "lab"     # "lab": a pytest test drives it; "agent": `smmu-hil run` does
    # the bug-library block ($defs/bug: report, affected, fixed_in, mutant,
    # verdicts), empty for other scenarios
    bug: dict[str, Any] = field(default_factory=dict)

    def missing(self, features: set[str] | list[str]) -> list[str]:
        """The required features absent from @features, in file order."""
        have = set(features)
        return [f for f in self.requires if f not in have]

    def param(self, key: str, default: Any = None) -> Any:
        """params[@key], or @default when the file does not set it."""
        return self.params.get(key, default)


@lru_cache(maxsize=None)
def validator(schema: Path = SCHEMA) -> jsonschema.protocols.Validator:
    """The (checked, cached) validator of the scenario schema @schema.

    Raises ScenarioError when the schema file is unreadable or not a valid
    JSON Schema."""
    try:
        doc = json.loads(schema.read_text(encoding="utf-8"))
        cls = jsonschema.validators.validator_for(doc)
        cls.check_schema(doc)
    except (OSError, ValueError, jsonschema.SchemaError) as e:
        raise ScenarioError(f"{schema}: not a usable JSON Schema: {e}") from None
    return cls(doc)


def key_path(parts: Iterable[Any]) -> str:
    """["transitions", 2, "S1DSS"] -> "transitions[2].S1DSS"."""
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(file)"


def _short(v: Any, n: int = 80) -> str:
    r = repr(v)
    return r if len(r) <= n else r[:n - 3] + "..."


def _resolve(root: Any, ref: str) -> Any:
    """The schema a local $ref ("#/$defs/name") points to in @root."""
    node = root
    for step in ref.lstrip("#/").split("/"):
        node = node.get(step, {}) if isinstance(node, dict) else {}
    return node


def _description(err: jsonschema.ValidationError, root: Any) -> str:
    """The description of the innermost schema (below the root) on the way
    to @err's failing keyword: what the key or the rule is for."""
    node, last = root, ""
    for i, part in enumerate(err.absolute_schema_path):
        while isinstance(node, dict) and part not in node and isinstance(node.get("$ref"), str):
            if i and isinstance(node.get("description"), str):
                last = node["description"]
            node = _resolve(root, node["$ref"])     # jsonschema follows $ref silently
        if i and isinstance(node, dict) and isinstance(node.get("description"), str):
            last = node["description"]
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
    return last


def _telling(err: jsonschema.ValidationError) -> bool:
    """False for a failure that only says "another alternative was meant": a
    type mismatch, or a mapping or list compared with constants."""
    if err.validator == "type":
        return False
    return not (err.validator in ("const", "enum") and isinstance(err.instance, (dict, list)))


def _innermost(err: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """For oneOf/anyOf: the alternative that came closest (failed deepest; a
    type mismatch says least)."""
    while err.context:
        if all(c.validator == "required" for c in err.context):
            break
        err = max(err.context, key=lambda c: (len(c.absolute_path), _telling(c)))
    return err


def explain(err: jsonschema.ValidationError, root: Any) -> tuple[str, str]:
    """(key path, problem) of one schema violation of the schema @root, in
    the words of the C parser's messages where there is one."""
    err = _innermost(err)
    path = list(err.absolute_path)
    v, inst, sch = err.validator, err.instance, err.schema
    what = _description(err, root)
    why = f" ({what})" if what else ""
    if v == "additionalProperties" and isinstance(inst, dict):
        allowed = set(sch.get("properties", {}))
        extra = sorted(str(k) for k in inst if k not in allowed)
        return key_path(path + extra[:1]), f"unknown key (allowed: {', '.join(sorted(allowed))})"
    if v == "required" and isinstance(inst, dict):
        missing = [k for k in err.validator_value if k not in inst]
        return key_path(path + missing[:1]), "missing"
    if v in ("anyOf", "oneOf") and err.context:
        keys = sorted({k for c in err.context for k in c.validator_value})
        return key_path(path), f"needs one of: {', '.join(keys)}"
    if v == "type":
        types = err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]
        return key_path(path), (f"expected {' or '.join(_TYPES.get(t, t) for t in types)}, "
                                f"got {_short(inst)}")
    if v == "enum":
        return key_path(path), (f"{_short(inst)} is not one of: "
                                f"{', '.join(str(x) for x in err.validator_value)}")
    if v == "const":
        return key_path(path), f"expected {err.validator_value!r}{why}"
    if v == "pattern" and err.validator_value == "\\S":
        return key_path(path), "expected a non-empty string"
    if v == "pattern":
        return key_path(path), f"{_short(inst)} is not valid{why}"
    if v in ("minimum", "maximum") and isinstance(sch, dict):
        lo, hi = sch.get("minimum", ""), sch.get("maximum", "")
        return key_path(path), f"expected a whole number {lo}..{hi}, got {_short(inst)}"
    if v is None and sch is False:
        return key_path(path), f"not allowed here{why}"
    msg = err.message if len(err.message) <= 300 else err.message[:297] + "..."
    return key_path(path), msg + why


def _rank(err: jsonschema.ValidationError) -> tuple[int, int]:
    """Which violation to report first: unknown keys, then missing keys (the
    C parser's order), then the shallowest other problem."""
    order = {"additionalProperties": 0, "required": 1}
    return order.get(str(err.validator), 2), len(err.absolute_path)


def schema_errors(doc: Any, schema: Path = SCHEMA) -> list[tuple[str, str]]:
    """Every (key path, problem) of @doc against the scenario schema, the
    one to report first first ([] when @doc is valid)."""
    out: list[tuple[str, str]] = []
    check = validator(schema)
    for e in sorted(check.iter_errors(doc), key=_rank):
        got = explain(e, check.schema)
        if got not in out:
            out.append(got)
    return out


def load(path: Path) -> Scenario:
    """Read and validate one scenario file against the schema.

    Returns the Scenario. Raises ScenarioError("<file>: key '<key>': ...").
    """
    doc = yamlfile.read(path, ScenarioError, yamlfile.NoBase60Loader)
    if not isinstance(doc, dict):
        raise ScenarioError(f"{path}: expected a mapping at the top level, "
                            f"got {type(doc).__name__}")
    bad_key = _non_string_key(doc, [])
    if bad_key is not None:
        where, k = bad_key
        raise ScenarioError(f"{path}: key '{key_path(where)}': {k!r} is not a string key "
                            "(the schema is JSON: keys are strings)")
    problems = schema_errors(doc)
    if problems:
        key, problem = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ScenarioError(f"{path}: key '{key}': {problem}{more}")
    if doc["name"] != path.stem:
        raise ScenarioError(f"{path}: key 'name': {doc['name']!r} differs from the "
                            f"file name {path.stem!r}")
    runner = "agent" if "mode" in doc else "lab"
    if runner == "agent":
        params = {k: v for k, v in doc.items() if k not in ("name", "description", "requires")}
    else:
        params = doc.get("params") or {}
    return Scenario(name=doc["name"], description=(doc.get("description") or "").strip(),
                    path=path, requires=tuple(doc.get("requires") or ()), params=dict(params),
                    runner=runner, bug=dict(doc.get("bug") or {}))


def _non_string_key(node: Any, where: list[Any]) -> tuple[list[Any], Any] | None:
    """The first mapping key in @node that is not a string (YAML allows null,
    numbers, booleans), as (the path to its mapping, the key); else None."""
    if isinstance(node, dict):
        for k, v in node.items():
            if not isinstance(k, str):
                return where, k
            found = _non_string_key(v, where + [k])
            if found is not None:
                return found
    elif isinstance(node, list):
        for i, v in enumerate(node):
            found = _non_string_key(v, where + [i])
            if found is not None:
                return found
    return None


def is_lab_file(path: Path) -> bool:
    """True when @path holds a lab-run scenario (a mapping without `mode`).

    Agent scenarios and unreadable or malformed files give False: they go to
    the agent, whose parser reports them with file:line.
    """
    try:
        doc = yamlfile.read(path, ScenarioError)   # size and depth limits
    except ScenarioError:
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
