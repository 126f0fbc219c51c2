"""Property tests: the Rust analysis equals the slow Python twin (datatrove's formulas) on
generated texts full of the edge cases the formulas care about."""

from __future__ import annotations

import datatrove  # noqa: F401 - a missing oracle must fail, not skip
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fineweb_kit.text import (
    analyse_texts,
    c4_line_filter,
    count_sentences,
    simplify_texts,
    split_words,
)
from tests.text import twin

PIECES = [
    "the", "The", "and", "of", "to", "word", "cat", "Mr.", "don't", "e.g.", "3pm", "10km",
    "http://example.com/a", "#", "#tag", "...", "…", "•", "-", "- item", "!", "?", ".", ",",
    "\"", "'", "(", ")", "[1]", "{", "lorem ipsum", "javascript", "use cookies", "é", "ß",
    "Ⅻ", "中文", "١٢", "3.14", "\u00a0", "\x1c", "\u2028", "\r\n", "\r", "\t", "  ", " ",
    "\n", "\n\n", "\n\n\n", "。", "!!", "x" * 35,
]  # fmt: skip

texts = st.lists(st.sampled_from(PIECES), max_size=80).map("".join) | st.text(max_size=60)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.lists(texts, min_size=1, max_size=8))
def test_analysis_matches_python_twin(batch: list[str]) -> None:
    cols = analyse_texts(batch)
    for i, (text, words) in enumerate(zip(batch, split_words(batch), strict=True)):
        expect = twin.analyse(text, words)
        got = {name: col[i].tolist() for name, col in cols.items()}
        assert got == expect, text


@SETTINGS
@given(texts)
def test_c4_matches_python_twin(text: str) -> None:
    out = c4_line_filter(
        [text],
        split_paragraph=True,
        remove_citations=True,
        filter_no_terminal_punct=False,
        min_num_sentences=5,
        min_words_per_line=3,
        max_word_length=1000,
        filter_lorem_ipsum=True,
        filter_javascript=True,
        filter_curly_bracket=True,
        filter_policy=True,
    )
    reason, new_text = twin.c4(text, lambda line: count_sentences([line])[0])
    assert out["reason"][0] == reason
    if reason is None:
        assert out["text"][0] == new_text


latin = st.text(
    alphabet=st.sampled_from(list("aAbBéÉçÇñÑøØßΩωЖж0123456789.,;:!?-'\"()[]{}#… \n\t\u00a0٫،")),
    max_size=60,
)


@SETTINGS
@given(st.lists(latin, min_size=1, max_size=5))
def test_simplify_text_matches_python_twin(batch: list[str]) -> None:
    assert simplify_texts(batch) == [twin.simplify_text(t) for t in batch]


def test_empty_batch_and_empty_text() -> None:
    cols = analyse_texts([])
    assert cols["n_chars"].shape == (0,)
    assert cols["top_ngram_chars"].shape == (0, 3)
    cols = analyse_texts([""])
    assert cols["n_words"].tolist() == [0] and cols["n_paragraphs"].tolist() == [1]
    assert np.all(cols["dup_ngram_chars"] == 0)
