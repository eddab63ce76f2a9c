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
  - suites: [transitions]
    name_suffix: "[6.12,nested]"   # raw-hitless@edu[6.12,nested]
    env: {DUT_KERNEL: "6.12", SMMU_HIL_SMMU_MODEL: nested}
    setup: [make, modules, "DUT_KERNEL=${DUT_KERNEL}"]   # before the phase boots
  - suites: [transitions]
    name_suffix: "@quick"
    select: "not virtio"       # pytest -k: only the tests whose names match
```

Each phase is one pytest session on its own target (booted and shut down
by that session); runner.run_plan() chains them. load() validates the file
and raises PlanError naming the file and the key.

`env` values are strings (or integers): a YAML number such as 6.10 would
read as the float 6.1, so a float is refused (quote it). `setup` is a
command (an argument list, or a string split like a shell would, without a
shell) run from the repository root with the phase's env before the phase's
session; `${NAME}` in an argument is the phase's env value NAME (it must be
in `env`). A plan whose phases run one combination of DUT kernel and SMMU
model each names them in the suffix `[KERNEL,MODEL]` (lab/plans/matrix.yaml;
combos.py reads it back for the report's comparison table). `select` is a
pytest `-k` expression over the test names of the phase's suites (before
the suffix): a plan that runs part of a suite says which part, and the
tests it leaves out are not in the report.

A phase with `mutants` (a glob of patch files, relative to the repository
root: kernel-config/mutants/*.patch) stands for one phase per lab-kernel
variant (lab/plans/sensitivity.yaml): one per matching patch, in name
order, then the stock lab kernel last (so a finished plan leaves the stock
kernel selected as DUT_KERNEL=lab). Each copy's env gets PATCHES (the
patch, "" for stock) and LAB_KERNEL ("lab", or "lab+" and the patch's file
name without .patch: lab+a-no-update-safe), usable as `${NAME}` in `setup`
and in `name_suffix` ("[${LAB_KERNEL},nested]"). Such a plan is judged by
its sensitivity matrix (sensitivity.py), not by its tests' statuses.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass, field, replace
from pathlib import Path
from string import Template

from . import paths, yamlfile
from .errors import PlanError
from .targets import TARGETS

_PLAN_KEYS = {"name", "description", "phases"}
_PHASE_KEYS = {"suites", "target", "inventory", "name_suffix", "env", "setup", "select",
               "mutants"}
# a `mutants` phase's copy on the lab kernel without patches
STOCK = "stock"


@dataclass(frozen=True)
class Phase:
    """One pytest session of a plan: @suites on @target (None: the
    inventory DUT's, else qemu), test names + @name_suffix, with @env set;
    @setup (argv, `${NAME}` not yet expanded: setup_argv()) runs first;
    @select: a pytest -k expression choosing the tests ("" all of them)."""

    suites: list[str]
    target: str | None = None
    inventory: Path | None = None
    name_suffix: str = ""
    env: dict[str, str] = field(default_factory=dict)
    setup: list[str] = field(default_factory=list)
    select: str = ""
    # a `mutants` phase's copy: its lab-kernel variant (STOCK, or the
    # patch's file name without .patch) and its patch (None for STOCK)
    variant: str | None = None
    patch: str | None = None

    def pytest_args(self) -> list[str]:
        """The phase's own pytest arguments: `-k @select` when it has one."""
        return ["-k", self.select] if self.select else []

    def setup_argv(self) -> list[str]:
        """@setup with each `${NAME}` replaced by @env[NAME] (load() checked
        that every name is there). Empty when the phase has no set-up."""
        return [Template(a).substitute(self.env) for a in self.setup]


@dataclass(frozen=True)
class Plan:
    """A named list of phases."""

    name: str
    phases: list[Phase]

    @property
    def variants(self) -> list[Phase]:
        """The phases that run a lab-kernel variant (expanded from
        `mutants`), in plan order; [] for a plan without."""
        return [ph for ph in self.phases if ph.variant is not None]


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
    for k, v in env.items():
        if isinstance(v, float):
            raise PlanError(f"{where}.env.{k}: {v!r} is a YAML number; quote it "
                            "(6.10 would read as 6.1)")
        if not isinstance(v, (str, int)):
            raise PlanError(f"{where}.env.{k}: a string")
    env = {k: str(v) for k, v in env.items()}
    setup = _setup(where, raw.get("setup"), env)
    target = raw.get("target")
    if target is not None and target not in TARGETS:
        raise PlanError(f"{where}.target: one of {', '.join(sorted(TARGETS))}, not {target!r}")
    suffix = raw.get("name_suffix", "")
    if not isinstance(suffix, str):
        raise PlanError(f"{where}.name_suffix: a string")
    suffix = _expand(f"{where}.name_suffix", suffix, env)
    select = raw.get("select", "")
    if not isinstance(select, str) or (not select.strip() and "select" in raw):
        raise PlanError(f"{where}.select: a pytest -k expression (a non-empty string)")
    if select:
        _check_select(where, select)
    return Phase(suites=list(suites), target=target, inventory=inv_path,
                 name_suffix=suffix, env=env, setup=setup, select=select)


def _expand(where: str, text: str, env: dict[str, str]) -> str:
    """@text with each `${NAME}` replaced by @env[NAME]. Raises PlanError
    for a malformed `$` or a NAME not in @env."""
    t = Template(text)
    if not t.is_valid():
        raise PlanError(f"{where}: {text!r}: write ${{NAME}} (and $$ for a $)")
    missing = [n for n in t.get_identifiers() if n not in env]
    if missing:
        raise PlanError(f"{where}: {text!r} names {', '.join(missing)}, not in this phase's env")
    return t.substitute(env)


def mutant_patches(pattern: str, root: Path | None = None) -> list[Path]:
    """The patch files matching glob @pattern (relative to @root, default
    the repository root, unless absolute), in name order; [] when none."""
    base = root or paths.REPO
    if Path(pattern).is_absolute():
        anchor = Path(pattern).anchor
        found = Path(anchor).glob(pattern[len(anchor):])
    else:
        found = base.glob(pattern)
    return sorted((p for p in found if p.is_file()), key=lambda p: p.name)


def variant_env(patch: Path | None, root: Path | None = None) -> tuple[str, dict[str, str]]:
    """(variant, env additions) of the lab kernel with @patch (None: stock):
    PATCHES (the patch, relative to @root when inside it) and LAB_KERNEL."""
    if patch is None:
        return STOCK, {"PATCHES": "", "LAB_KERNEL": "lab"}
    base = (root or paths.REPO).resolve()
    p = patch.resolve()
    rel = str(p.relative_to(base)) if p.is_relative_to(base) else str(p)
    name = p.name[:-len(".patch")] if p.name.endswith(".patch") else p.stem
    return name, {"PATCHES": rel, "LAB_KERNEL": f"lab+{name}"}


def _variants(path: Path, i: int, raw: dict) -> list[Phase]:
    """Phase @raw with `mutants` as one phase per matching patch, then the
    stock one (see the module's doc). Raises PlanError."""
    where = f"{path}: phases[{i}]"
    pattern = raw.get("mutants")
    if not isinstance(pattern, str) or not pattern.strip().endswith(".patch"):
        raise PlanError(f"{where}.mutants: a glob of patch files "
                        "(kernel-config/mutants/*.patch)")
    env = raw.get("env") or {}
    if not isinstance(env, dict):
        raise PlanError(f"{where}.env: a mapping of variable names to values")
    for k in ("PATCHES", "LAB_KERNEL"):
        if k in env:
            raise PlanError(f"{where}.env.{k}: set by `mutants` for each variant")
    try:
        patches = mutant_patches(pattern.strip())
    except (ValueError, OSError) as e:
        raise PlanError(f"{where}.mutants: {pattern!r}: {e}") from e
    out = []
    for patch in [*patches, None]:
        variant, extra = variant_env(patch)
        one = {**{k: v for k, v in raw.items() if k != "mutants"}, "env": {**env, **extra}}
        out.append(replace(_phase(path, i, one), variant=variant,
                           patch=extra["PATCHES"] or None))
    return out


def _check_select(where: str, expr: str) -> None:
    """Raise PlanError when @expr is not an expression pytest's -k accepts
    (checked with pytest's own parser, before anything boots)."""
    from _pytest.mark.expression import Expression, ParseError  # -k's own parser
    try:
        Expression.compile(expr)
    except ParseError as e:
        raise PlanError(f"{where}.select: {expr!r} is not a pytest -k expression: {e}") from e


def _setup(where: str, raw: object, env: dict[str, str]) -> list[str]:
    """A phase's `setup` @raw (None, a command string or a list of
    arguments) as a list of arguments whose `${NAME}`s all name @env
    variables. Raises PlanError."""
    if raw is None:
        return []
    if isinstance(raw, str):
        try:
            argv = shlex.split(raw)
        except ValueError as e:
            raise PlanError(f"{where}.setup: {e}") from e
    elif isinstance(raw, list) and all(isinstance(a, (str, int)) for a in raw):
        argv = [str(a) for a in raw]
    else:
        raise PlanError(f"{where}.setup: a command (a string or a list of arguments)")
    if not argv or not argv[0]:
        raise PlanError(f"{where}.setup: an empty command")
    for a in argv:
        t = Template(a)
        if not t.is_valid():
            raise PlanError(f"{where}.setup: {a!r}: write ${{NAME}} (and $$ for a $)")
        missing = [n for n in t.get_identifiers() if n not in env]
        if missing:
            raise PlanError(f"{where}.setup: {a!r} names {', '.join(missing)}, "
                            "not in this phase's env")
    return argv


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
    out = []
    for i, p in enumerate(phases):
        if isinstance(p, dict) and "mutants" in p:
            out += _variants(path, i, p)
        else:
            out.append(_phase(path, i, p))
    names = [(p.name_suffix, s) for p in out for s in p.suites]
    dup = sorted({f"{s}{x}" for x, s in names if names.count((x, s)) > 1})
    if dup:
        raise PlanError(f"{path}: suite(s) {', '.join(dup)} run twice under the same "
                        "test names (give one phase a name_suffix)")
    return Plan(name=str(raw.get("name") or path.stem), phases=out)
