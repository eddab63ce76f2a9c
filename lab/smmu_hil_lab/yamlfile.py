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
MAX_ALIASES = 64      # aliases (*name) in one document


def read(path: Path, error: type[Exception],
         loader: type[yaml.SafeLoader] = yaml.SafeLoader) -> Any:
    """The document of the YAML file @path (plain data, with @loader: a
    yaml.SafeLoader or a subclass such as NoBase60Loader).

    Raises @error("<path>: cannot read: <reason>") when the file cannot be
    read, @error("<path>: larger than ...") past MAX_BYTES, @error("<path>:
    nested deeper than ...") past MAX_DEPTH (checked on the event stream
    before anything is built: a deep document would take the recursive
    constructor past Python's recursion limit), @error("<path>:LINE: alias
    ...") for a recursive alias or more than MAX_ALIASES, @error("<path>: not YAML:
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
    except _BadAlias as e:
        raise error(f"{path}:{e.line}: {e.why}") from None
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


class _BadAlias(Exception):
    def __init__(self, line: int, why: str) -> None:
        super().__init__(why)
        self.line, self.why = line, why


def check_depth(text: str, loader: type[yaml.SafeLoader], limit: int,
                max_aliases: int = MAX_ALIASES) -> None:
    """Walk @text's YAML events; raise _TooDeep (with the 1-based line) at
    the first sequence or mapping nested deeper than @limit, and _BadAlias
    at an alias of a node that contains it (a recursive document: every
    walk over it recurses forever) or past @max_aliases aliases (shared
    nodes multiply what a walk visits: a "billion laughs"). Malformed YAML
    raises the parser's yaml.YAMLError."""
    depth, aliases = 0, 0
    open_anchors: list[str | None] = []
    for ev in yaml.parse(text, Loader=loader):
        line = ev.start_mark.line + 1 if ev.start_mark else 0
        if isinstance(ev, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            depth += 1
            if depth > limit:
                raise _TooDeep(line)
            open_anchors.append(ev.anchor)
        elif isinstance(ev, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            depth -= 1
            open_anchors.pop()
        elif isinstance(ev, yaml.AliasEvent):
            aliases += 1
            if ev.anchor in open_anchors:
                raise _BadAlias(line, f"alias *{ev.anchor} inside its own anchor (recursive)")
            if aliases > max_aliases:
                raise _BadAlias(line, f"more than {max_aliases} aliases")
