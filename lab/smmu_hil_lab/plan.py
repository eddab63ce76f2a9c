"""Run plans: several suites on several targets, one run directory, one
report (lab/plans/*.yaml; `python3 -m smmu_hil_lab run --plan FILE`).

```yaml
name: nightly
phases:
  - suites: [smoke, transitions, liveupdate]        # target: qemu (default)
  - suites: [lab, liveupdate]
    inventory: ../inventory/emulated-ssh.yaml        # relative to this file
    name_suffix: "@ssh"      # kexec-live-update@ssh: a second, distinct test
    env: {SMMU_HIL_ITERATIONS: "3"}                  # for this phase only
```

Each phase is one pytest session on its own target (booted and shut down
by that session); runner.run_plan() chains them. load() validates the file
and raises PlanError naming the file and the key.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import yamlfile
from .errors import PlanError
from .targets import TARGETS

_PLAN_KEYS = {"name", "description", "phases"}
_PHASE_KEYS = {"suites", "target", "inventory", "name_suffix", "env"}


@dataclass(frozen=True)
class Phase:
    """One pytest session of a plan: @suites on @target (None: the
    inventory DUT's, else qemu), test names + @name_suffix, with @env set."""

    suites: list[str]
    target: str | None = None
    inventory: Path | None = None
    name_suffix: str = ""
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    """A named list of phases."""

    name: str
    phases: list[Phase]


def _phase(path: Path, i: int, raw: object) -> Phase:
    where = f"{path}: phases[{i}]"
    if not isinstance(raw, dict):
        raise PlanError(f"{where}: must be a mapping")
    unknown = {str(k) for k in raw} - _PHASE_KEYS   # a key may be null or a number
    if unknown:
        raise PlanError(f"{where}: unknown key(s) {', '.join(sorted(unknown))} "
                        f"(known: {', '.join(sorted(_PHASE_KEYS))})")
    suites = raw.get("suites")
    if not isinstance(suites, list) or not suites or \
            not all(isinstance(s, str) and s for s in suites):
        raise PlanError(f"{where}.suites: a non-empty list of suite names")
    inv = raw.get("inventory")
    if inv is not None and not isinstance(inv, str):
        raise PlanError(f"{where}.inventory: a file name")
    inv_path = (path.parent / inv).resolve() if inv else None
    if inv_path is not None and not inv_path.is_file():
        raise PlanError(f"{where}.inventory: {inv_path} does not exist")
    env = raw.get("env") or {}
    if not isinstance(env, dict) or not all(isinstance(k, str) for k in env):
        raise PlanError(f"{where}.env: a mapping of variable names to values")
    target = raw.get("target")
    if target is not None and target not in TARGETS:
        raise PlanError(f"{where}.target: one of {', '.join(sorted(TARGETS))}, not {target!r}")
    suffix = raw.get("name_suffix", "")
    if not isinstance(suffix, str):
        raise PlanError(f"{where}.name_suffix: a string")
    return Phase(suites=list(suites), target=target, inventory=inv_path,
                 name_suffix=suffix, env={k: str(v) for k, v in env.items()})


def load(path: Path) -> Plan:
    """Read and validate the plan @path. Raises PlanError."""
    raw = yamlfile.read(path, PlanError)
    if not isinstance(raw, dict):
        raise PlanError(f"{path}: must be a mapping with `phases`")
    unknown = {str(k) for k in raw} - _PLAN_KEYS
    if unknown:
        raise PlanError(f"{path}: unknown key(s) {', '.join(sorted(unknown))}")
    phases = raw.get("phases")
    if not isinstance(phases, list) or not phases:
        raise PlanError(f"{path}: `phases` must be a non-empty list")
    out = [_phase(path, i, p) for i, p in enumerate(phases)]
    names = [(p.name_suffix, s) for p in out for s in p.suites]
    dup = sorted({f"{s}{x}" for x, s in names if names.count((x, s)) > 1})
    if dup:
        raise PlanError(f"{path}: suite(s) {', '.join(dup)} run twice under the same "
                        "test names (give one phase a name_suffix)")
    return Plan(name=str(raw.get("name") or path.stem), phases=out)
