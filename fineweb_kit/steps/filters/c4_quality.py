"""C4QualityFilter: C4's line rules; removes bad lines and drops documents with too little left.

What (Raffel et al. 2020, section 2.2, as datatrove applies it; first matching rule wins per
line, reason in brackets for rules that drop the whole document). Lines are ``str.splitlines()``
of the text, stripped; "words" here are whitespace-separated.

- a line with a word longer than ``max_word_length`` 1000 characters is removed;
- Wikipedia citations (``[1]``, ``[edit]``, ``[citation needed]``) are cut out
  (``remove_citations``);
- a line not ending in ``.`` ``?`` ``!`` ``"`` ``'`` (or ending in ``...``) is removed, only if
  ``filter_no_terminal_punct``;
- a line with fewer than ``min_words_per_line`` 3 words is removed;
- "lorem ipsum" anywhere in a line drops the document [``lorem_ipsum``];
- a line mentioning "javascript" is removed;
- a ``{`` drops the document [``curly_bracket``];
- a line with a cookie / terms-of-use phrase is removed (``filter_policy``);
- the document is dropped if its kept lines hold fewer than ``min_num_sentences`` 5 sentences
  (spaCy sentencizer rules) [``too_few_sentences``].

A kept document's text becomes its kept lines joined by newlines (so later filters see the
cleaned text, as in FineWeb). Line removals are counted as ``line_<rule>`` stats.

Why: C4's rules remove navigation, boilerplate and code from web pages.

Defaults: FineWeb's recipe (datatrove ``examples/fineweb.py``), which differs from the paper and
from datatrove's own default in one place: ``filter_no_terminal_punct`` is **false** (FineWeb found
the terminal-punctuation rule removed too much). Everything else is datatrove 0.10.1's default
(``pipeline/filters/c4_filters.py``). Not implemented (as in datatrove's ``C4QualityFilter``):
the bad-words list. ``min_num_sentences``, ``min_words_per_line``, ``max_word_length``: -1
disables.
"""

from __future__ import annotations

from typing import Any, ClassVar

from fineweb_kit.document import Batch
from fineweb_kit.steps.base import Filter
from fineweb_kit.steps.params import Check, ParamError, WriterConfig
from fineweb_kit.text import c4_line_filter

LINE_STATS = (
    "line_total",
    "line_too_long_word",
    "line_no_terminal_punct",
    "line_too_few_words",
    "line_javascript",
    "line_policy",
    "line_kept",
)


def _limit(key: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < -1:
        raise ParamError(key, f"expected -1 (off) or an integer >= 0, got {value!r}")
    return value


class C4QualityFilter(Filter):
    """C4's line rules: removes bad lines; drops lorem ipsum, ``{`` and too few sentences."""

    param_checks: ClassVar[dict[str, Check]] = {
        "min_num_sentences": _limit,
        "min_words_per_line": _limit,
        "max_word_length": _limit,
    }

    def __init__(
        self,
        split_paragraph: bool = True,
        remove_citations: bool = True,
        filter_no_terminal_punct: bool = False,
        min_num_sentences: int = 5,
        min_words_per_line: int = 3,
        max_word_length: int = 1000,
        filter_lorem_ipsum: bool = True,
        filter_javascript: bool = True,
        filter_curly_bracket: bool = True,
        filter_policy: bool = True,
        exclusion_writer: WriterConfig | None = None,
    ) -> None:
        super().__init__(exclusion_writer)
        flags = {
            "split_paragraph": split_paragraph,
            "remove_citations": remove_citations,
            "filter_no_terminal_punct": filter_no_terminal_punct,
            "filter_lorem_ipsum": filter_lorem_ipsum,
            "filter_javascript": filter_javascript,
            "filter_curly_bracket": filter_curly_bracket,
            "filter_policy": filter_policy,
        }
        for key, value in flags.items():
            if not isinstance(value, bool):
                raise ParamError(key, f"expected true or false, got {value!r}")
        self.options: dict[str, Any] = {
            **flags,
            "min_num_sentences": _limit("min_num_sentences", min_num_sentences),
            "min_words_per_line": _limit("min_words_per_line", min_words_per_line),
            "max_word_length": _limit("max_word_length", max_word_length),
        }

    def filter_batch(self, batch: Batch) -> list[str | None]:
        out = c4_line_filter([d.text for d in batch], **self.options)
        for name in LINE_STATS:
            self.stats.add(name, int(out[name].sum()))
        reasons: list[str | None] = out["reason"]
        for doc, reason, text in zip(batch, reasons, out["text"], strict=True):
            if reason is None and text != doc.text:
                doc.set_text(text)
        return reasons
