"""Reading the lab's YAML files (scenarios, inventories, plans) with one
set of error messages."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def read(path: Path, error: type[Exception]) -> Any:
    """The document of the YAML file @path (yaml.safe_load: plain data).

    Raises @error("<path>: cannot read: <reason>") when the file cannot be
    read, @error("<path>: not YAML: <parser message>") when it does not parse.
    """
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise error(f"{path}: cannot read: {e.strerror}") from None
    except yaml.YAMLError as e:
        raise error(f"{path}: not YAML: {e}") from None
