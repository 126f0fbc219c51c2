"""Text analysis shared by the quality filters (and later MinHash), backed by the Rust core.

One Rust call analyses a whole batch (GIL released, documents in parallel) and returns columns:
numpy arrays with one entry per document. :func:`analyse_batch` caches each document's row in
``doc.cache``, so the Gopher and FineWeb filters, which share an :class:`AnalysisConfig` when
they use default parameters, analyse a document once.

Every column reproduces a datatrove expression exactly (see ``rust/fineweb-kit-text/src``);
words come from a re-implementation of spaCy's blank English tokeniser (what datatrove counts as
words for English), which tokenises 2,212 of the 2,219 ``cc-docs`` documents identically.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from fineweb_kit import _core
from fineweb_kit.document import Batch

GOPHER_STOP_WORDS: tuple[str, ...] = ("the", "be", "to", "of", "and", "that", "have", "with")
"""Gopher's stop words (Rae et al. 2021, A.1.1; datatrove ``gopher_quality_filter.STOP_WORDS``)."""

Columns = dict[str, np.ndarray]
"""Column name -> array with one entry per document (``*_ngram_chars``: documents x sizes)."""


@dataclass(frozen=True)
class AnalysisConfig:
    """What the analysis measures; filters with default parameters share the default config.

    ``line_stop_chars=None`` means datatrove's ``TERMINAL_PUNCTUATION`` (FineWeb's default).
    """

    top_ngrams: tuple[int, ...] = (2, 3, 4)
    dup_ngrams: tuple[int, ...] = (5, 6, 7, 8, 9, 10)
    stop_words: tuple[str, ...] = GOPHER_STOP_WORDS
    line_stop_chars: tuple[str, ...] | None = None
    short_line_length: int = 30


DEFAULT_CONFIG = AnalysisConfig()

T = TypeVar("T")


def _call(fn: Callable[..., T], texts: Sequence[str], *args: Any, **kwargs: Any) -> T:
    """Calls a batch function of the Rust core. Texts holding lone surrogates (which cannot
    cross into Rust as UTF-8) are passed with each surrogate replaced by ``?``, which keeps
    every length in characters unchanged."""
    batch = list(texts)
    try:
        return fn(batch, *args, **kwargs)
    except UnicodeEncodeError:
        clean = [t.encode("utf-8", "replace").decode("utf-8") for t in batch]
        return fn(clean, *args, **kwargs)


def analyse_texts(texts: Sequence[str], config: AnalysisConfig = DEFAULT_CONFIG) -> Columns:
    """Analyses ``texts`` in one Rust call and returns the columns (no caching)."""
    return _call(
        _core.analyse_texts,
        texts,
        list(config.top_ngrams),
        list(config.dup_ngrams),
        list(config.stop_words),
        None if config.line_stop_chars is None else list(config.line_stop_chars),
        config.short_line_length,
    )


def analyse_batch(batch: Batch, config: AnalysisConfig = DEFAULT_CONFIG) -> Columns:
    """The columns for ``batch``, analysing only documents without a cached, current row.

    A cached row remembers the text object it was computed from, so a document whose ``text``
    was replaced (even without ``set_text``) is analysed again.
    """
    key = ("text_analysis", config)
    missing = [d for d in batch if (d.cache.get(key) or (None,))[0] is not d.text]
    if missing:
        cols = analyse_texts([d.text for d in missing], config)
        for i, d in enumerate(missing):
            d.cache[key] = (d.text, cols, i)
    rows: list[tuple[Any, Columns, int]] = [d.cache[key] for d in batch]
    first = rows[0][1] if rows else {}
    if all(r[1] is first for r in rows):
        idx = np.fromiter((r[2] for r in rows), dtype=np.intp, count=len(rows))
        return {name: col[idx] for name, col in first.items()}
    return {name: np.stack([r[1][name][r[2]] for r in rows]) for name in first}


def split_words(texts: Sequence[str]) -> list[list[str]]:
    """The words of each text, as datatrove's ``split_into_words`` (English) has them."""
    return _call(_core.split_words, texts)


def count_sentences(texts: Sequence[str]) -> list[int]:
    """Sentences per text, as ``len(datatrove split_into_sentences(text))`` counts them."""
    return _call(_core.count_sentences, texts)


def simplify_texts(texts: Sequence[str]) -> list[str]:
    """datatrove's ``simplify_text`` (lowercase, numbers -> 0, no punctuation, no accents)."""
    return _call(_core.simplify_texts, texts)


def normalized_words(texts: Sequence[str]) -> list[list[str]]:
    """The words MinHash shingles: ``split_words(simplify_text(text))`` per text."""
    return _call(_core.normalized_words, texts)


def c4_line_filter(texts: Sequence[str], **options: Any) -> dict[str, Any]:
    """C4's line rules over ``texts`` (options: see ``C4QualityFilter``). Returns ``reason``
    (list of ``str | None``), ``text`` (rewritten text, ``None`` if dropped), ``num_sentences``
    and per-line counters ``line_*`` (arrays)."""
    return _call(_core.c4_filter_texts, texts, **options)


def safe_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` as float64, with 0 where ``den`` is 0 (datatrove would raise there)."""
    num = num.astype(np.float64)
    den = den.astype(np.float64)
    out = np.zeros_like(num)
    np.divide(num, den, out=out, where=den != 0)
    return out


def first_failure(n: int, checks: Sequence[tuple[str, np.ndarray]]) -> list[str | None]:
    """Per document, the reason of the first check (in order) whose mask is true, else None."""
    reasons: list[str | None] = [None] * n
    for reason, mask in checks:
        for i in np.flatnonzero(mask):
            if reasons[i] is None:
                reasons[i] = reason
    return reasons


__all__ = [
    "DEFAULT_CONFIG",
    "GOPHER_STOP_WORDS",
    "AnalysisConfig",
    "Columns",
    "analyse_batch",
    "analyse_texts",
    "c4_line_filter",
    "count_sentences",
    "first_failure",
    "normalized_words",
    "safe_ratio",
    "simplify_texts",
    "split_words",
]
