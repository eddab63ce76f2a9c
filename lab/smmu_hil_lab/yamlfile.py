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


def read(path: Path, error: type[Exception],
         loader: type[yaml.SafeLoader] = yaml.SafeLoader) -> Any:
    """The document of the YAML file @path (plain data, with @loader: a
    yaml.SafeLoader or a subclass such as NoBase60Loader).

    Raises @error("<path>: cannot read: <reason>") when the file cannot be
    read, @error("<path>: not YAML: <parser message>") when it does not parse.
    """
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 - safe
    except OSError as e:
        raise error(f"{path}: cannot read: {e.strerror}") from None
    except yaml.YAMLError as e:
        raise error(f"{path}: not YAML: {e}") from None
