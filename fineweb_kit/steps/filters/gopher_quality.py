"""GopherQualityFilter: drop documents that do not look like natural-language prose.

What: the quality rules of Gopher (Rae et al. 2021, section A.1.1), in datatrove's order, first
failure wins (reason in brackets). "Words" are English words as datatrove counts them (spaCy's
blank English tokeniser, re-implemented in Rust); "non-symbol words" have a character outside
datatrove's ``PUNCTUATION_SET``.

- fewer than ``min_doc_words`` 50 non-symbol words [``gopher_short_doc``], more than
  ``max_doc_words`` 100,000 [``gopher_long_doc``];
- mean non-symbol word length below ``min_avg_word_length`` 3 [``gopher_below_avg_threshold``]
  or above ``max_avg_word_length`` 10 [``gopher_above_avg_threshold``];
- ``#`` per word above ``max_symbol_word_ratio`` 0.1 [``gopher_too_many_hashes``]; ``...`` and
  ``…`` per word above 0.1 [``gopher_too_many_ellipsis``];
- more than ``max_bullet_lines_ratio`` 90 % of lines starting with ``•`` or ``-``
  [``gopher_too_many_bullets``]; more than ``max_ellipsis_lines_ratio`` 30 % ending with an
  ellipsis [``gopher_too_many_end_ellipsis``];
- fewer than ``max_non_alpha_words_ratio`` 80 % of words with a letter
  [``gopher_below_alpha_threshold``] (the name is datatrove's; it is a minimum);
- fewer than ``min_stop_words`` 2 distinct stop words (the, be, to, of, and, that, have, with;
  case-sensitive as in datatrove) [``gopher_enough_stop_words``].

Why: these rules remove boilerplate, lists, code and gibberish cheaply (Gopher section A.1.1).

Thresholds: the paper's, as datatrove 0.10.1 defaults them
(``pipeline/filters/gopher_quality_filter.py``) and FineWeb used them (``examples/fineweb.py``).
A threshold of 0 or null disables its check. One difference: where datatrove would divide by
zero (a document with no words or no lines when ``min_doc_words`` is disabled), we use a ratio of
0 and keep the document instead of crashing. Only English word tokenisation is offered
(datatrove's ``language`` parameter is not).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from fineweb_kit.document import Batch
from fineweb_kit.steps.base import Filter
from fineweb_kit.steps.params import Check, ParamError, WriterConfig
from fineweb_kit.text import (
    GOPHER_STOP_WORDS,
    AnalysisConfig,
    analyse_batch,
    first_failure,
    safe_ratio,
)


def _non_negative(key: str, value: float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ParamError(key, f"expected a number >= 0 or null, got {value!r}")
    return value


class GopherQualityFilter(Filter):
    """Drops documents failing Gopher's quality rules (word counts, symbols, stop words)."""

    param_checks: ClassVar[dict[str, Check]] = {
        key: _non_negative
        for key in (
            "min_doc_words",
            "max_doc_words",
            "min_avg_word_length",
            "max_avg_word_length",
            "max_symbol_word_ratio",
            "max_bullet_lines_ratio",
            "max_ellipsis_lines_ratio",
            "max_non_alpha_words_ratio",
            "min_stop_words",
        )
    }

    def __init__(
        self,
        min_doc_words: int | None = 50,
        max_doc_words: int | None = 100000,
        min_avg_word_length: float | None = 3,
        max_avg_word_length: float | None = 10,
        max_symbol_word_ratio: float | None = 0.1,
        max_bullet_lines_ratio: float | None = 0.9,
        max_ellipsis_lines_ratio: float | None = 0.3,
        max_non_alpha_words_ratio: float | None = 0.8,
        min_stop_words: int | None = 2,
        stop_words: list[str] | None = None,
        exclusion_writer: WriterConfig | None = None,
    ) -> None:
        super().__init__(exclusion_writer)
        self.min_doc_words = _non_negative("min_doc_words", min_doc_words)
        self.max_doc_words = _non_negative("max_doc_words", max_doc_words)
        self.min_avg_word_length = _non_negative("min_avg_word_length", min_avg_word_length)
        self.max_avg_word_length = _non_negative("max_avg_word_length", max_avg_word_length)
        self.max_symbol_word_ratio = _non_negative("max_symbol_word_ratio", max_symbol_word_ratio)
        self.max_bullet_lines_ratio = _non_negative(
            "max_bullet_lines_ratio", max_bullet_lines_ratio
        )
        self.max_ellipsis_lines_ratio = _non_negative(
            "max_ellipsis_lines_ratio", max_ellipsis_lines_ratio
        )
        self.max_non_alpha_words_ratio = _non_negative(
            "max_non_alpha_words_ratio", max_non_alpha_words_ratio
        )
        self.min_stop_words = _non_negative("min_stop_words", min_stop_words)
        words = GOPHER_STOP_WORDS if stop_words is None else tuple(stop_words)
        self.config = AnalysisConfig(stop_words=words)

    def filter_batch(self, batch: Batch) -> list[str | None]:
        c = analyse_batch(batch, self.config)
        n_words = c["n_words"]
        n_ns = c["n_non_symbol_words"]
        with np.errstate(invalid="ignore", divide="ignore"):
            # NaN for no non-symbol words: every comparison is False, as with datatrove's np.mean.
            avg = c["non_symbol_word_chars"] / n_ns.astype(np.float64)
        rules: list[tuple[str, Any, Any]] = [
            ("gopher_short_doc", self.min_doc_words, lambda t: n_ns < t),
            ("gopher_long_doc", self.max_doc_words, lambda t: n_ns > t),
            ("gopher_below_avg_threshold", self.min_avg_word_length, lambda t: avg < t),
            ("gopher_above_avg_threshold", self.max_avg_word_length, lambda t: avg > t),
            (
                "gopher_too_many_hashes",
                self.max_symbol_word_ratio,
                lambda t: safe_ratio(c["hash_count"], n_words) > t,
            ),
            (
                "gopher_too_many_ellipsis",
                self.max_symbol_word_ratio,
                lambda t: safe_ratio(c["ellipsis_count"], n_words) > t,
            ),
            (
                "gopher_too_many_bullets",
                self.max_bullet_lines_ratio,
                lambda t: safe_ratio(c["bullet_lines"], c["n_splitlines"]) > t,
            ),
            (
                "gopher_too_many_end_ellipsis",
                self.max_ellipsis_lines_ratio,
                lambda t: safe_ratio(c["ellipsis_lines"], c["n_splitlines"]) > t,
            ),
            (
                "gopher_below_alpha_threshold",
                self.max_non_alpha_words_ratio,
                lambda t: (safe_ratio(c["alpha_words"], n_words) < t) & (n_words > 0),
            ),
            ("gopher_enough_stop_words", self.min_stop_words, lambda t: c["stop_words"] < t),
        ]
        with np.errstate(invalid="ignore"):
            checks = [(reason, test(t)) for reason, t, test in rules if t]
        return first_failure(len(batch), checks)
