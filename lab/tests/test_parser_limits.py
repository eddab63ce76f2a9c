"""Issue 14 #6 and the host parsers' bounded garbage test: the lab's YAML
readers (scenario, plan, inventory) refuse deep nesting and oversize files
at once with their own error, and random garbage never raises anything but
that error. SHL_GARBAGE_N sets the number of inputs per parser and test
(default 300 here); SHL_GARBAGE_SECONDS runs each for that long instead
(`make fuzz`), and SHL_GARBAGE_LOG names a file that gets one line of
counts per parser and test."""
from __future__ import annotations

import os
import random
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from smmu_hil_lab import inventory, plan, scenario
from smmu_hil_lab.errors import InventoryError, LabError, PlanError, ScenarioError

PARSERS: list[tuple[str, Callable[[Path], Any], type[LabError]]] = [
    ("scenario", scenario.load, ScenarioError),
    ("plan", plan.load, PlanError),
    ("inventory", inventory.load, InventoryError),
]


def refused_at_once(f: Path, text: str, load: Callable[[Path], Any], err: type[LabError],
                    match: str) -> None:
    """@text in file @f is refused by @load with @err naming @match, before
    any quadratic scan or recursive walk (a hang guard, not a speed goal:
    the unbounded readers took > 300 s or never returned)."""
    f.write_text(text)
    t0 = time.monotonic()
    with pytest.raises(err, match=match):
        load(f)
    assert time.monotonic() - t0 < 10


DEEP = {
    "flow": "[" * ((1 << 20) - 1),              # the case: 1 MB of '['
    "block": "- " * ((1 << 19) - 1),
    "mapping": "{a: " * 200_000,
    "inside": "name: x\nparams:\n  a: " + "[" * 5000 + "]" * 5000 + "\n",
}


@pytest.mark.parametrize("kind", sorted(DEEP))
@pytest.mark.parametrize("name,load,err", PARSERS, ids=[p[0] for p in PARSERS])
def test_deep_nesting_is_refused_at_once(tmp_path: Path, kind: str, name: str,
                                         load: Callable[[Path], Any],
                                         err: type[LabError]) -> None:
    refused_at_once(tmp_path / f"{name}.yaml", DEEP[kind], load, err,
                    "nested deeper than 16 levels")


ALIASES = {
    # make fuzz found this one: a merge key aliasing the mapping it is in
    "merge-self": '&a   \n0000:00:03.0,0000:00:03.0!!strtarget:"---<<: *a',
    "list-self": "&a [*a]\n",
    "map-self": "a: &x {b: *x}\n",
    "laughs": "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi")),
}


@pytest.mark.parametrize("kind", sorted(ALIASES))
@pytest.mark.parametrize("name,load,err", PARSERS, ids=[p[0] for p in PARSERS])
def test_recursive_and_many_aliases_are_refused(tmp_path: Path, kind: str, name: str,
                                                load: Callable[[Path], Any],
                                                err: type[LabError]) -> None:
    refused_at_once(tmp_path / f"{name}.yaml", ALIASES[kind], load, err, "alias")


@pytest.mark.parametrize("name,load,err", PARSERS, ids=[p[0] for p in PARSERS])
def test_oversize_is_refused(tmp_path: Path, name: str, load: Callable[[Path], Any],
                             err: type[LabError]) -> None:
    f = tmp_path / f"{name}.yaml"
    f.write_text("# " + "x" * (1 << 20) + "\n")
    with pytest.raises(err, match="larger than 1048576 bytes"):
        load(f)


def test_lab_file_probe_survives_deep_files(tmp_path: Path) -> None:
    f = tmp_path / "deep.yaml"
    f.write_text(DEEP["flow"])
    assert scenario.is_lab_file(f) is False


TOKENS = ["name:", "x", " ", "\n", "  ", "- ", "[", "]", "{", "}", ",", ":", "'", '"',
          "&a", "*a", "!!str", "!!python/object:os.system", "? ", "|", ">", "#", "---",
          "...", "%YAML 1.1", "0x1f", "1e309", "0000:00:03.0", "suites:", "phases:",
          "duts:", "target:", "requires:", "params:", "\t", "\x00", "\ufeff", "\xff",
          "expect:", "ipmi:", "console:", "<<: *a"]


def budget() -> Callable[[int], bool]:
    """A predicate on the inputs done so far: go on while under
    SHL_GARBAGE_N (default 300), or SHL_GARBAGE_SECONDS when set."""
    secs = float(os.environ.get("SHL_GARBAGE_SECONDS") or 0)
    if secs > 0:
        deadline = time.monotonic() + secs
        return lambda _i: time.monotonic() < deadline
    n = int(os.environ.get("SHL_GARBAGE_N", "300"))
    return lambda i: i < n


def note(what: str, name: str, inputs: int, refused: int, t0: float) -> None:
    log = os.environ.get("SHL_GARBAGE_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(f"{what} {name} inputs {inputs} refused {refused} "
                     f"seconds {time.monotonic() - t0:.0f} findings 0\n")


def garbage(rng: random.Random) -> bytes:
    """A random document: YAML-ish tokens, sometimes with random bytes."""
    text = "".join(rng.choice(TOKENS) for _ in range(rng.randint(0, 80)))
    data = text.encode("utf-8", errors="surrogatepass")
    if rng.random() < 0.2:
        pos = rng.randint(0, len(data))
        data = data[:pos] + rng.randbytes(rng.randint(1, 16)) + data[pos:]
    return data


@pytest.mark.parametrize("name,load,err", PARSERS, ids=[p[0] for p in PARSERS])
def test_garbage_gives_only_the_parsers_error(tmp_path: Path, name: str,
                                               load: Callable[[Path], Any],
                                               err: type[LabError]) -> None:
    go = budget()
    rng = random.Random(f"issue-14-{name}")
    f = tmp_path / f"{name}.yaml"
    t0 = time.monotonic()
    i = refused = 0
    while go(i):
        data = garbage(rng)
        f.write_bytes(data)
        t1 = time.monotonic()
        try:
            load(f)
        except err:
            refused += 1
        except Exception as e:  # noqa: BLE001 - the finding
            pytest.fail(f"{name} input {i} {data!r}: {type(e).__name__}: {e}")
        assert time.monotonic() - t1 < 10, f"{name} input {i} {data!r} took > 10 s"
        i += 1
    note("garbage", name, i, refused, t0)


VALUES: list[Any] = [None, [], {}, 0, -1, 2**70, 1.5, "", "x", True, [1], {"a": 1},
                     [None], {"x": [1, {"y": None}]}, "0000:00:03.0", ["a", "b"]]


def mutate(rng: random.Random, doc: Any, depth: int = 0) -> Any:
    """@doc with one random node (or key) replaced by a value of a random type."""
    if depth > 6 or rng.random() < 0.25:
        return rng.choice(VALUES)
    if isinstance(doc, dict) and doc:
        k = rng.choice(list(doc))
        out = dict(doc)
        if rng.random() < 0.15:
            out[rng.choice([None, 7, "bogus", True])] = out.pop(k)
        else:
            out[k] = mutate(rng, doc[k], depth + 1)
        return out
    if isinstance(doc, list) and doc:
        out = list(doc)
        i = rng.randrange(len(out))
        out[i] = mutate(rng, out[i], depth + 1)
        return out
    return rng.choice(VALUES)


SEEDS = {"scenario": "scenarios/*/*.yaml", "plan": "lab/plans/*.yaml",
         "inventory": "lab/inventory/*.yaml"}


@pytest.mark.parametrize("name,load,err", PARSERS, ids=[p[0] for p in PARSERS])
def test_mutated_documents_give_only_the_parsers_error(tmp_path: Path, name: str,
                                                        load: Callable[[Path], Any],
                                                        err: type[LabError]) -> None:
    import yaml
    from smmu_hil_lab import paths
    seeds = [yaml.safe_load(p.read_text()) for p in sorted(paths.REPO.glob(SEEDS[name]))]
    assert seeds
    go = budget()
    rng = random.Random(f"issue-14-mutate-{name}")
    sub = tmp_path / "d"
    sub.mkdir()
    f = sub / f"{name}.yaml"
    t0 = time.monotonic()
    i = refused = 0
    while go(i):
        doc = mutate(rng, rng.choice(seeds))
        f.write_text(yaml.safe_dump(doc))
        t1 = time.monotonic()
        try:
            load(f)
        except err:
            refused += 1
        except Exception as e:  # noqa: BLE001 - the finding
            pytest.fail(f"{name} input {i} {doc!r}: {type(e).__name__}: {e}")
        assert time.monotonic() - t1 < 10, f"{name} input {i} took > 10 s"
        i += 1
    note("mutated", name, i, refused, t0)
