"""Word n-gram overlap with evaluation sets (GPT-3's decontamination, Brown et al. 2020, C.1).

A training conversation is contaminated when it shares one word n-gram (default 13 words)
with any evaluation item. Words are maximal runs of alphanumeric characters, lower-cased,
numbers kept as written (``rust/fineweb-kit-text/src/ngrams.rs``), taken per message so
that an n-gram never spans two turns. Items with fewer than ``n`` words are skipped
(``short_items``): a short item would match common phrases everywhere.

Memory and speed: the index is a sorted ``uint64`` array of n-gram hashes (8 bytes per
distinct evaluation n-gram: GSM8K test's 1,000 items are ~100k n-grams, under 1 MB), built
once per process. A batch of training texts is hashed in one Rust call (GIL released: xxh3
of each word, a polynomial rolling hash of each window of ``n`` word hashes, no Python
string per word), then looked up with one ``searchsorted`` into the index. Nothing grows
with the number of training conversations. A 64-bit collision gives a false drop with
probability about (index size x n-grams checked) / 2^64: negligible.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from fineweb_kit import _core
from fineweb_kit.chat.messages import Message, content_parts


def message_texts(conversation: Sequence[Message]) -> list[str]:
    """One text per message (its parts joined by spaces): the units n-grams stay inside."""
    return [" ".join(p["text"] for p in content_parts(m)) for m in conversation]


def ngram_hashes(texts: list[str], n: int) -> tuple[np.ndarray, np.ndarray]:
    """``(hashes, text index)`` of every window of ``n`` words inside one text (Rust)."""
    return _core.word_ngram_hashes(texts, n)


class NgramIndex:
    """The n-grams of evaluation items; :meth:`contaminated` checks training texts."""

    def __init__(self, n: int = 13) -> None:
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        self.n = n
        self._parts: list[np.ndarray] = []
        self._sorted: np.ndarray = np.zeros(0, np.uint64)
        self.items = 0
        self.short_items = 0

    def add(self, items: Iterable[list[str]], batch: int = 1024) -> None:
        """Adds evaluation items, each a list of texts (e.g. :func:`message_texts`)."""
        pending: list[list[str]] = []
        for item in items:
            pending.append(item)
            if len(pending) >= batch:
                self._add(pending)
                pending = []
        if pending:
            self._add(pending)
        self._sorted = np.unique(np.concatenate([self._sorted, *self._parts]))
        self._parts = []

    def _add(self, items: list[list[str]]) -> None:
        texts = [t for item in items for t in item]
        owner = np.repeat(np.arange(len(items)), [len(i) for i in items])
        hashes, text_of = ngram_hashes(texts, self.n)
        has = np.zeros(len(items), dtype=bool)
        has[owner[text_of]] = True
        self.items += len(items)
        self.short_items += int((~has).sum())
        self._parts.append(hashes)

    def __len__(self) -> int:
        return len(self._sorted)

    def contaminated(self, docs: Sequence[list[str]]) -> np.ndarray:
        """Per document (a list of texts), whether it shares an n-gram with the index."""
        out = np.zeros(len(docs), dtype=bool)
        if not len(self._sorted) or not docs:
            return out
        texts = [t for d in docs for t in d]
        owner = np.repeat(np.arange(len(docs)), [len(d) for d in docs])
        hashes, text_of = ngram_hashes(texts, self.n)
        pos = np.searchsorted(self._sorted, hashes)
        pos[pos == len(self._sorted)] = 0
        hit = self._sorted[pos] == hashes
        out[owner[text_of[hit]]] = True
        return out
