"""A step constructor that declares only its own options and passes the rest to its base.

A subclass writes ``def __init__(self, *, own: bool = True, **inherited: Any)`` and calls
``super().__init__(**inherited)``; :func:`present_inherited_params` (called from the base's
``__init_subclass__``) gives that constructor the signature and annotations a pipeline file
is checked against: the base's parameters, then the subclass's own, all keyword-only. So the
settings every extractor shares (timeout, guards, isolation) are declared once, in the base.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Mapping
from typing import Any


def takes_inherited(init: Callable[..., None]) -> bool:
    """Whether ``init`` passes unnamed keyword arguments on (``**inherited``)."""
    params = inspect.signature(init).parameters.values()
    return any(p.kind is p.VAR_KEYWORD for p in params)


def present_inherited_params(
    init: Callable[..., None], base_init: Callable[..., None], defaults: Mapping[str, Any]
) -> None:
    """Sets ``init``'s ``__signature__`` and ``__annotations__``: ``base_init``'s parameters
    (with ``defaults`` replacing some of their defaults) followed by ``init``'s named ones."""
    own = inspect.signature(init)
    base = list(inspect.signature(base_init).parameters.values())[1:]  # without self
    first = next(iter(own.parameters.values()))  # self
    named = [p for p in own.parameters.values() if p.kind is p.KEYWORD_ONLY]
    clash = {p.name for p in base} & {p.name for p in named}
    if clash:
        raise TypeError(f"{init.__qualname__} redeclares inherited parameters: {sorted(clash)}")
    inherited = [
        p.replace(kind=p.KEYWORD_ONLY, default=defaults.get(p.name, p.default)) for p in base
    ]
    init.__signature__ = own.replace(parameters=[first, *inherited, *named])  # type: ignore[attr-defined]
    # resolved here: the base's names need not exist in the subclass's module
    hints = {k: v for k, v in typing.get_type_hints(base_init).items() if k != "return"}
    own_hints = {k: v for k, v in init.__annotations__.items() if k not in _var_keyword_names(own)}
    init.__annotations__ = {**hints, **own_hints}


def _var_keyword_names(sig: inspect.Signature) -> set[str]:
    return {p.name for p in sig.parameters.values() if p.kind is p.VAR_KEYWORD}
