"""Checks of keyword arguments, shared by steps and libraries.

A check raises :class:`ParamError` naming the argument; the pipeline spec turns it into a
``ConfigError`` with the file and YAML path (``pipelines/x.yaml: stages[0].steps[3].threshold:
...``), so users see where to fix it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fineweb_kit.exceptions import ConfigError


class ParamError(ConfigError):
    """A step argument is invalid. ``key`` is the argument's name."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.detail = message


def check_range(key: str, value: Any, lo: float, hi: float) -> float:
    """Returns ``value`` as float if it is a number in ``[lo, hi]``, else raises ParamError."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ParamError(key, f"expected a number in [{lo:g}, {hi:g}], got {value!r}")
    if not lo <= value <= hi:
        raise ParamError(key, f"expected a number in [{lo:g}, {hi:g}], got {value!r}")
    return float(value)


def check_name(key: str, value: Any, what: str = "a metadata field name") -> str:
    """Returns ``value`` if it is a non-empty string, else raises ParamError."""
    if not isinstance(value, str) or not value:
        raise ParamError(key, f"expected {what}, got {value!r}")
    return value


def check_globs(key: str, value: Any) -> list[str]:
    """Returns ``value`` (one glob or a list of globs) as a non-empty list of non-empty strings."""
    globs = [value] if isinstance(value, str) else value
    if not isinstance(globs, list) or not globs or not all(isinstance(p, str) and p for p in globs):
        raise ParamError(key, f"expected a glob or a list of globs, got {value!r}")
    return list(globs)


def check_positive_int(key: str, value: Any, minimum: int = 1) -> int:
    """Returns ``value`` if it is an int >= ``minimum``, else raises ParamError."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ParamError(key, f"expected an integer >= {minimum}, got {value!r}")
    return value


def check_choice(key: str, value: Any, choices: tuple[str, ...] | list[str]) -> str:
    """Returns ``value`` if it is one of ``choices``, else raises ParamError."""
    if value not in choices:
        raise ParamError(key, f"expected one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


Check = Callable[[str, Any], Any]
"""A check of one argument: ``check(key, value)`` raises :class:`ParamError` or returns."""


def in_range(lo: float, hi: float) -> Check:
    """A number in ``[lo, hi]``."""
    return lambda key, value: check_range(key, value, lo, hi)


def at_least(minimum: int = 1) -> Check:
    """An integer >= ``minimum``."""
    return lambda key, value: check_positive_int(key, value, minimum)


def optional(check: Check) -> Check:
    """``null``, or what ``check`` accepts."""
    return lambda key, value: None if value is None else check(key, value)
