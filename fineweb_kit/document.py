"""The unit that flows through a pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True, eq=False)
class Document:
    """One web document.

    ``id`` is not assumed to be unique (real crawls repeat record ids). ``metadata`` is written
    out by writers; ``cache`` is per-process scratch (for example the Rust text analysis of
    ``text``) and is never written. Whoever changes ``text`` must call :meth:`set_text`, which
    clears the cache.
    """

    text: str
    id: str
    url: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    cache: dict[Any, Any] = field(default_factory=dict, repr=False)

    def set_text(self, text: str) -> None:
        """Replaces the text and drops everything computed from the old one."""
        self.text = text
        self.cache.clear()


Batch = list[Document]
"""Steps pass documents in batches (a few hundred), never one per Python -> Rust call."""
