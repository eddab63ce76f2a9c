"""Reading the lab's YAML files (scenarios, inventories, plans) with one
set of error messages."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml


class NoBase60Loader(yaml.SafeLoader):
    """yaml.SafeLoader without YAML 1.1's base-60 numbers: `0000:00:03.0`
    and `12:34` stay strings, as libyaml's plain scalars do for the agent
    (a PCI address in a scenario is not the float 3.0)."""


NoBase60Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers
            if tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
# PyYAML's own int and float patterns, without their base-60 alternatives
NoBase60Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)"
               r"|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"))
NoBase60Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?"
               r"|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)"
               r"|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."))


MAX_BYTES = 1 << 20   # the agent's limit for a scenario file (harness/agent/scenario.c)
MAX_DEPTH = 16        # nesting of sequences and mappings, as the agent's


def read(path: Path, error: type[Exception],
         loader: type[yaml.SafeLoader] = yaml.SafeLoader) -> Any:
    """The document of the YAML file @path (plain data, with @loader: a
    yaml.SafeLoader or a subclass such as NoBase60Loader).

    Raises @error("<path>: cannot read: <reason>") when the file cannot be
    read, @error("<path>: larger than ...") past MAX_BYTES, @error("<path>:
    nested deeper than ...") past MAX_DEPTH (checked on the event stream
    before anything is built: a deep document would take the recursive
    constructor past Python's recursion limit), @error("<path>: not YAML:
    <parser message>") when it does not parse.
    """
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise error(f"{path}: cannot read: {e.strerror}") from None
    if len(raw) > MAX_BYTES:
        raise error(f"{path}: larger than {MAX_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
        check_depth(text, loader, MAX_DEPTH)
        return yaml.load(text, Loader=loader)  # noqa: S506 - safe
    except _TooDeep as e:
        raise error(f"{path}:{e.line}: nested deeper than {MAX_DEPTH} levels") from None
    except UnicodeDecodeError as e:
        raise error(f"{path}: not UTF-8: {e.reason} at byte {e.start}") from None
    except yaml.YAMLError as e:
        raise error(f"{path}: not YAML: {e}") from None
    except RecursionError:
        raise error(f"{path}: nested too deeply") from None


class _TooDeep(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def check_depth(text: str, loader: type[yaml.SafeLoader], limit: int) -> None:
    """Walk @text's YAML events; raise _TooDeep (with the 1-based line) at
    the first sequence or mapping nested deeper than @limit. Malformed YAML
    raises the parser's yaml.YAMLError."""
    depth = 0
    for ev in yaml.parse(text, Loader=loader):
        if isinstance(ev, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            depth += 1
            if depth > limit:
                raise _TooDeep(ev.start_mark.line + 1 if ev.start_mark else 0)
        elif isinstance(ev, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            depth -= 1
