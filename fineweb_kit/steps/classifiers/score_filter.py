"""ScoreFilter: keeps documents whose score (a metadata field) passes a fixed threshold.

The second half of DCLM's and FineWeb-Edu's recipes, after a scorer step:

- FineWeb-Edu keeps ``int_score >= 3`` (``key: edu_score_int, threshold: 3``; HuggingFaceFW/
  fineweb-edu card); FineWeb-Edu-score-2 keeps ``>= 2``.
- DCLM-Baseline kept ``fasttext_oh_eli5_vs_rw_v2_prob >= 0.018112`` on its pool (mlfoundations/
  dclm ``baselines/README.md``), which was its top ~10 %; use :class:`TopFractionFilter` to
  keep an exact fraction of your own data instead.

``keep: above`` keeps ``score >= threshold``; ``keep: below`` keeps ``score < threshold``.
A document without the field stops the file with an error naming the document: a missing score
means the scorer did not run, and silently dropping (or keeping) everything would hide it.
Dropped documents are counted as ``dropped_score_below`` / ``dropped_score_above``.
"""

from __future__ import annotations

import math

from fineweb_kit.document import Batch, Document
from fineweb_kit.exceptions import InputError
from fineweb_kit.steps.base import Filter, Params
from fineweb_kit.steps.params import ParamError, WriterConfig, check_choice, check_name


def read_score(doc: Document, key: str) -> float:
    """The numeric score ``metadata[key]``, or an :class:`InputError` naming the document."""
    value = doc.metadata.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        what = "has no" if value is None else f"has a non-numeric ({value!r})"
        raise InputError(
            f"document {doc.id!r} {what} score field {key!r}: run a scorer step "
            f"(FastTextScorer / EmbeddingScorer) with key: {key} before this filter"
        )
    return float(value)


class ScoreFilter(Filter):
    """Keeps documents with ``metadata[key] >= threshold`` (or ``<`` with ``keep: below``)."""

    abstract = False

    def __init__(
        self,
        key: str,
        threshold: float,
        keep: str = "above",
        exclusion_writer: WriterConfig | None = None,
    ) -> None:
        super().__init__(exclusion_writer)
        self.key, self.threshold = key, float(threshold)
        self.keep = keep

    @classmethod
    def check_params(cls, params: Params) -> None:
        super().check_params(params)
        check_name("key", params["key"])
        threshold = params["threshold"]
        if isinstance(threshold, bool) or not isinstance(threshold, int | float):
            raise ParamError("threshold", f"expected a number, got {threshold!r}")
        check_choice("keep", params["keep"], ("above", "below"))

    def filter_batch(self, batch: Batch) -> list[str | None]:
        above = self.keep == "above"
        out: list[str | None] = []
        for doc in batch:
            passes = read_score(doc, self.key) >= self.threshold
            if passes == above:
                out.append(None)
            else:
                out.append("score_below" if above else "score_above")
        return out
