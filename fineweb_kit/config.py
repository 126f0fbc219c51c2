"""Config files: safe YAML loading, and errors that point into the file.

Every error reads ``FILE: path.to.key: message``; unknown names get a "did you mean".
YAML is loaded with ``yaml.safe_load``: a config can never run code. The pipeline file's
structure is checked by :mod:`fineweb_kit.pipeline.spec`, the trainer's by
:mod:`fineweb_kit.train.config`.
"""

from __future__ import annotations

import difflib
import typing
from pathlib import Path
from typing import Any

import yaml

from fineweb_kit.exceptions import ConfigError


def did_you_mean(word: str, choices: typing.Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def fail(where: str, message: str) -> typing.NoReturn:
    raise ConfigError(f"{where}: {message}")


def load_yaml(path: str | Path) -> Any:
    """Safe-loads a YAML file; a syntax error names the line and column."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{p}: config file not found")
    try:
        return yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise ConfigError(f"{p}: invalid YAML: {e}") from None
