"""A step's parameters read from its constructor's signature, and values checked against
their annotations (the messages the pipeline spec reports)."""

from __future__ import annotations

import functools
import inspect
import types
import typing
from typing import Any

from fineweb_kit.steps.params import StepConfig


def step_parameters(cls: type) -> dict[str, inspect.Parameter]:
    """The constructor parameters of a step class, with annotations resolved to types."""
    return _parameters(cls)


@functools.cache
def _parameters(cls: Any) -> dict[str, inspect.Parameter]:
    init = cls.__init__  # the class's constructor
    sig = inspect.signature(init)
    try:
        hints = typing.get_type_hints(init)
    except Exception:  # unresolvable annotation: skip type checks, keep names
        hints = {}
    return {
        name: p.replace(annotation=hints.get(name, Any))
        for name, p in sig.parameters.items()
        if name != "self" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }


def nested_kind(ann: Any) -> type[StepConfig] | None:
    """The :class:`StepConfig` class in ``ann`` (a parameter that is itself a step), if any."""
    if isinstance(ann, type) and issubclass(ann, StepConfig):
        return ann
    if typing.get_origin(ann) in (typing.Union, types.UnionType):
        for a in typing.get_args(ann):
            found = nested_kind(a)
            if found is not None:
                return found
    return None


def type_problem(value: Any, annotation: Any) -> str | None:
    """``None`` if ``value`` fits ``annotation``, else a message saying what was expected."""
    if _fits(value, annotation):
        return None
    return f"expected {describe(annotation)}, got {value!r}"


def _fits(value: Any, ann: Any) -> bool:
    if ann is Any or ann is inspect.Parameter.empty:
        return True
    origin = typing.get_origin(ann)
    args = typing.get_args(ann)
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, a) for a in args)
    if origin is typing.Literal:
        return value in args
    if ann is type(None):
        return value is None
    if ann is bool:
        return isinstance(value, bool)
    if ann is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if ann is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if ann is str:
        return isinstance(value, str)
    if isinstance(ann, type) and issubclass(ann, StepConfig):
        return isinstance(value, dict)
    if origin in (list, tuple, typing.Sequence) or ann in (list, tuple):
        return isinstance(value, list) and (not args or all(_fits(v, args[0]) for v in value))
    if origin is dict or ann is dict:
        return isinstance(value, dict) and (
            len(args) != 2 or all(_fits(k, args[0]) and _fits(v, args[1]) for k, v in value.items())
        )
    return True  # types we do not check here are checked by the step's check_params


def describe(ann: Any) -> str:
    """``ann`` in words: ``an integer``, ``one of 'a', 'b'``, ``a list of string``, ..."""
    origin = typing.get_origin(ann)
    args = typing.get_args(ann)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(describe(a) for a in args)
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    names = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}
    if ann in names:
        return names[ann]
    if ann is type(None):
        return "null"
    if isinstance(ann, type) and issubclass(ann, StepConfig):
        return f"a {ann.kind} step ({{type: ..., ...}})"
    if origin in (list, tuple) or ann in (list, tuple):
        inner = describe(args[0]).removeprefix("a ").removeprefix("an ")
        return f"a list of {inner}" if args else "a list"
    if origin is dict or ann is dict:
        return "a mapping"
    return getattr(ann, "__name__", str(ann))
