"""Models loaded once per worker process, however many tasks or steps use them.

A step's ``setup`` runs once per task; a worker process may run several tasks, and a stage may
hold two steps with the same model. Loading through :func:`cached` keys the model by its kind,
resolved path and loading options, so it is read from disk once per process.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

_MODELS: dict[tuple[Hashable, ...], Any] = {}


def cached(key: tuple[Hashable, ...], load: Callable[[], Any]) -> Any:
    """The model for ``key``, loading it with ``load()`` the first time in this process."""
    if key not in _MODELS:
        _MODELS[key] = load()
    return _MODELS[key]


def loaded_count() -> int:
    """How many models this process holds (for tests)."""
    return len(_MODELS)
