"""FineWebQualityFilter: FineWeb's own line-level heuristics (Penedo et al. 2024, section 3.5).

What, in order, first failure wins (reason in brackets). Lines are the non-blank lines of
``text.split("\\n")``, unstripped.

- no non-blank line [``empty``];
- share of lines ending in a terminal punctuation mark below ``line_punct_thr`` 0.12
  [``line_punct_ratio``] (unless it is 0 and ``line_punct_exclude_zero``);
- share of lines of at most ``short_line_length`` 30 characters above ``short_line_thr`` 0.67
  [``short_line_ratio``];
- characters in duplicated lines / characters (newlines excluded) above
  ``char_duplicates_ratio`` 0.01 [``char_dup_ratio``];
- newlines per word above ``new_line_ratio`` 0.3 [``list_ratio``].

Why: these catch lists, menus and repeated boilerplate that Gopher/C4 rules miss; FineWeb chose
them by comparing removed and kept data (paper, section 3.5).

Defaults: datatrove 0.10.1's (``pipeline/filters/fineweb_quality_filter.py``), which FineWeb's
recipe uses (``examples/fineweb.py``). Differences from the paper: the paper states a duplicated
line character ratio of 0.1 while datatrove's default is 0.01; ``new_line_ratio`` is in datatrove
only. ``stop_chars`` defaults to datatrove's ``TERMINAL_PUNCTUATION`` (159 sentence-final marks
of many scripts). Where datatrove would divide by zero (no words), we use a ratio of 0. Words
are English words (spaCy's blank English tokeniser, re-implemented in Rust); datatrove's
``language`` parameter is not offered.
"""

from __future__ import annotations

from typing import ClassVar

from fineweb_kit.document import Batch
from fineweb_kit.steps.base import Filter, Params
from fineweb_kit.steps.params import Check, ParamError, WriterConfig, at_least, in_range
from fineweb_kit.text import AnalysisConfig, analyse_batch, first_failure, safe_ratio


class FineWebQualityFilter(Filter):
    """Drops documents by FineWeb's line punctuation, short-line, duplicate and list ratios."""

    def __init__(
        self,
        line_punct_thr: float = 0.12,
        line_punct_exclude_zero: bool = False,
        stop_chars: list[str] | None = None,
        short_line_thr: float = 0.67,
        short_line_length: int = 30,
        char_duplicates_ratio: float = 0.01,
        new_line_ratio: float = 0.3,
        exclusion_writer: WriterConfig | None = None,
    ) -> None:
        super().__init__(exclusion_writer)
        self.line_punct_thr = float(line_punct_thr)
        self.line_punct_exclude_zero = line_punct_exclude_zero
        self.short_line_thr = float(short_line_thr)
        self.char_duplicates_ratio = float(char_duplicates_ratio)
        self.new_line_ratio = float(new_line_ratio)
        self.config = AnalysisConfig(
            line_stop_chars=None if stop_chars is None else tuple(stop_chars),
            short_line_length=short_line_length,
        )

    param_checks: ClassVar[dict[str, Check]] = {
        "line_punct_thr": in_range(0, 1),
        "short_line_thr": in_range(0, 1),
        "char_duplicates_ratio": in_range(0, 1),
        "new_line_ratio": in_range(0, float("inf")),
        "short_line_length": at_least(0),
    }

    @classmethod
    def check_params(cls, params: Params) -> None:
        super().check_params(params)
        if not isinstance(params["line_punct_exclude_zero"], bool):
            raise ParamError(
                "line_punct_exclude_zero",
                f"expected true or false, got {params['line_punct_exclude_zero']!r}",
            )
        stop_chars = params["stop_chars"]
        if stop_chars is not None and (
            not stop_chars or not all(isinstance(s, str) and s for s in stop_chars)
        ):
            raise ParamError(
                "stop_chars", f"expected a list of non-empty strings, got {stop_chars!r}"
            )

    def filter_batch(self, batch: Batch) -> list[str | None]:
        c = analyse_batch(batch, self.config)
        lines = c["n_nonblank_lines"]
        punct = safe_ratio(c["stop_char_lines"], lines)
        punct_fail = punct < self.line_punct_thr
        if self.line_punct_exclude_zero:
            punct_fail &= punct != 0
        checks = [
            ("empty", lines == 0),
            ("line_punct_ratio", punct_fail),
            ("short_line_ratio", safe_ratio(c["short_lines"], lines) > self.short_line_thr),
            (
                "char_dup_ratio",
                safe_ratio(c["dup_nonblank_line_chars"], c["n_chars"] - c["newlines"])
                > self.char_duplicates_ratio,
            ),
            ("list_ratio", safe_ratio(c["newlines"], c["n_words"]) > self.new_line_ratio),
        ]
        return first_failure(len(batch), checks)
