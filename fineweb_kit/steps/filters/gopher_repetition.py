"""GopherRepetitionFilter: drop documents made of repeated lines, paragraphs or n-grams.

What: removes a document when too much of it repeats (Gopher, Rae et al. 2021, table A1),
checked in this order, first failure wins (datatrove's reason in brackets):

- empty text [``empty``];
- duplicate paragraphs (split on 2+ newlines): share of paragraphs > ``dup_para_frac`` 0.3
  [``dup_para_frac``], their characters / document characters > ``dup_para_char_frac`` 0.2
  [``dup_para_char_frac``];
- duplicate lines (split on newlines): share > ``dup_line_frac`` 0.3 [``dup_line_frac``],
  characters > ``dup_line_char_frac`` 0.2 [``dup_line_char_frac``];
- the most frequent n-gram of words (joined by spaces) times its count, over the document's
  characters, above 0.20 / 0.18 / 0.16 for n = 2 / 3 / 4 [``top_<n>_gram``];
- characters of n-grams repeating an earlier n-gram (joined without spaces, skipping past each
  repeat) above 0.15, 0.14, ..., 0.10 for n = 5..10 [``duplicated_<n>_n_grams``].

Why: repetitive pages (lists, boilerplate, spam) hurt language models (Gopher section A.1.1).

Thresholds are the paper's (table A1) and datatrove 0.10.1's defaults
(``pipeline/filters/gopher_repetition_filter.py``), which FineWeb used unchanged
(datatrove ``examples/fineweb.py``). A threshold of 0 or null disables its check, as in
datatrove. Words are English words as datatrove counts them (spaCy's blank English tokeniser,
re-implemented in Rust). No differences from datatrove's formulas. Only English word
tokenisation is offered (datatrove's ``language`` parameter is not).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from fineweb_kit.document import Batch
from fineweb_kit.steps.base import Filter
from fineweb_kit.steps.params import Check, ParamError, WriterConfig, check_range
from fineweb_kit.text import AnalysisConfig, analyse_batch, first_failure, safe_ratio

TOP_N_GRAMS = ((2, 0.2), (3, 0.18), (4, 0.16))
DUP_N_GRAMS = ((5, 0.15), (6, 0.14), (7, 0.13), (8, 0.12), (9, 0.11), (10, 0.10))


def _ngram_pairs(key: str, value: Any) -> tuple[tuple[int, float], ...]:
    """Validates ``[[n, fraction], ...]``."""
    out = []
    for pair in value:
        if (
            len(pair) != 2
            or isinstance(pair[0], bool)
            or not isinstance(pair[0], int)
            or pair[0] < 1
        ):
            raise ParamError(key, f"expected [n, fraction] pairs with n >= 1, got {pair!r}")
        out.append((int(pair[0]), check_range(key, pair[1], 0, 1)))
    return tuple(out)


def _optional_fraction(key: str, value: float | None) -> float | None:
    return None if value is None else check_range(key, value, 0, 1)


class GopherRepetitionFilter(Filter):
    """Drops documents with repeated lines, paragraphs or n-grams (Gopher table A1)."""

    param_checks: ClassVar[dict[str, Check]] = {
        "dup_line_frac": _optional_fraction,
        "dup_para_frac": _optional_fraction,
        "dup_line_char_frac": _optional_fraction,
        "dup_para_char_frac": _optional_fraction,
        "top_n_grams": _ngram_pairs,
        "dup_n_grams": _ngram_pairs,
    }

    def __init__(
        self,
        dup_line_frac: float | None = 0.3,
        dup_para_frac: float | None = 0.3,
        dup_line_char_frac: float | None = 0.2,
        dup_para_char_frac: float | None = 0.2,
        top_n_grams: list[list[float]] = TOP_N_GRAMS,  # type: ignore[assignment]
        dup_n_grams: list[list[float]] = DUP_N_GRAMS,  # type: ignore[assignment]
        exclusion_writer: WriterConfig | None = None,
    ) -> None:
        super().__init__(exclusion_writer)
        self.dup_line_frac = _optional_fraction("dup_line_frac", dup_line_frac)
        self.dup_para_frac = _optional_fraction("dup_para_frac", dup_para_frac)
        self.dup_line_char_frac = _optional_fraction("dup_line_char_frac", dup_line_char_frac)
        self.dup_para_char_frac = _optional_fraction("dup_para_char_frac", dup_para_char_frac)
        self.top_n_grams = _ngram_pairs("top_n_grams", top_n_grams)
        self.dup_n_grams = _ngram_pairs("dup_n_grams", dup_n_grams)
        self.config = AnalysisConfig(
            top_ngrams=tuple(n for n, _ in self.top_n_grams),
            dup_ngrams=tuple(n for n, _ in self.dup_n_grams),
        )

    def filter_batch(self, batch: Batch) -> list[str | None]:
        c = analyse_batch(batch, self.config)
        chars = c["n_chars"]
        checks: list[tuple[str, np.ndarray]] = [("empty", chars == 0)]
        for reason, frac, num, den in (
            ("dup_para_frac", self.dup_para_frac, c["dup_paragraphs"], c["n_paragraphs"]),
            ("dup_para_char_frac", self.dup_para_char_frac, c["dup_paragraph_chars"], chars),
            ("dup_line_frac", self.dup_line_frac, c["dup_lines"], c["n_lines"]),
            ("dup_line_char_frac", self.dup_line_char_frac, c["dup_line_chars"], chars),
        ):
            if frac:
                checks.append((reason, safe_ratio(num, den) > frac))
        for j, (n, frac) in enumerate(self.top_n_grams):
            checks.append((f"top_{n}_gram", safe_ratio(c["top_ngram_chars"][:, j], chars) > frac))
        for j, (n, frac) in enumerate(self.dup_n_grams):
            mask = safe_ratio(c["dup_ngram_chars"][:, j], chars) > frac
            checks.append((f"duplicated_{n}_n_grams", mask))
        return first_failure(len(batch), checks)
