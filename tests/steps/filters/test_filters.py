"""Unit tests of the four quality filters: rules on hand-made documents, configuration errors,
stats, the C4 rewrite and the shared per-document analysis cache."""

from __future__ import annotations

import pytest

from fineweb_kit.document import Document
from fineweb_kit.exceptions import ConfigError
from fineweb_kit.pipeline import build_step
from fineweb_kit.steps.base import TaskContext
from fineweb_kit.steps.filters.c4_quality import C4QualityFilter
from fineweb_kit.steps.filters.fineweb_quality import FineWebQualityFilter
from fineweb_kit.steps.filters.gopher_quality import GopherQualityFilter
from fineweb_kit.steps.filters.gopher_repetition import GopherRepetitionFilter
from fineweb_kit.text import (
    DEFAULT_CONFIG,
    AnalysisConfig,
    analyse_batch,
    analyse_texts,
    split_words,
)

PROSE = (
    "The history of the city goes back to the Roman period, and the old walls still stand. "
    "Visitors come to see the cathedral, which was built with stone from the nearby hills. "
    "In the summer the market square is full of people who have travelled from far away. "
    "Local families sell bread, cheese and wine that have been made in the same way for ages.\n"
    "The museum of modern art opened in 1990 and shows work of artists from the whole region. "
    "It is open every day except Monday, and the entrance to the permanent collection is free."
)


def docs(*texts: str) -> list[Document]:
    return [Document(text=t, id=str(i)) for i, t in enumerate(texts)]


def test_prose_passes_every_filter() -> None:
    for flt in (
        GopherRepetitionFilter(),
        GopherQualityFilter(),
        C4QualityFilter(),
        FineWebQualityFilter(),
    ):
        assert flt.filter_batch(docs(PROSE)) == [None], flt.name


def test_gopher_repetition_reasons() -> None:
    repeated_lines = "\n".join(["buy cheap shoes now"] * 6 + ["something else entirely here"])
    reasons = GopherRepetitionFilter().filter_batch(docs("", repeated_lines, PROSE))
    assert reasons == ["empty", "dup_line_frac", None]
    # 2-gram "spam spam" covers almost all characters once lines are unique
    spam = " ".join(f"spam spam {i}" for i in range(30))
    assert GopherRepetitionFilter(dup_line_frac=None).filter_batch(docs(spam)) == ["top_2_gram"]


def test_gopher_quality_reasons() -> None:
    short = "The cat and the dog."
    bullets = "\n".join(f"- the item number {i} of the list and more words" for i in range(20))
    no_stop = " ".join(["lorem"] * 60)
    reasons = GopherQualityFilter().filter_batch(docs(short, bullets, no_stop, PROSE))
    assert reasons == [
        "gopher_short_doc",
        "gopher_too_many_bullets",
        "gopher_enough_stop_words",
        None,
    ]
    # thresholds of 0 / None disable their rule, as in datatrove
    assert GopherQualityFilter(min_doc_words=0).filter_batch(docs(short)) == [None]


def test_fineweb_quality_reasons() -> None:
    no_punct = "\n".join(f"menu entry number {i} without any stop" for i in range(10))
    dup = PROSE + "\n" + PROSE.split("\n")[1]
    reasons = FineWebQualityFilter().filter_batch(docs("\n\n", no_punct, dup))
    assert reasons == ["empty", "line_punct_ratio", "char_dup_ratio"]
    assert FineWebQualityFilter(char_duplicates_ratio=1.0).filter_batch(docs(dup)) == [None]


def test_c4_rewrites_text_and_counts_lines() -> None:
    page = "Home\nAbout us\n" + PROSE + "\nThis site uses cookies to improve the experience."
    batch = docs(page, "Lorem ipsum dolor sit amet, consectetur.", "Too short here.")
    flt = C4QualityFilter()
    kept = flt.process_batch(batch, TaskContext(stage="t"))
    assert [d.id for d in kept] == ["0"]
    assert kept[0].text == PROSE  # menu lines and the cookie notice are gone
    assert flt.stats.counters["dropped_lorem_ipsum"] == 1
    assert flt.stats.counters["dropped_too_few_sentences"] == 1
    assert flt.stats.counters["line_policy"] == 1
    assert flt.stats.counters["line_too_few_words"] == 2
    assert batch[1].metadata["filter_reason"] == "lorem_ipsum"


def test_terminal_punct_rule_is_off_by_default_as_in_fineweb() -> None:
    text = "\n".join(["A line without an end mark but enough words here"] * 3 + [PROSE])
    assert C4QualityFilter().filter_batch(docs(text)) == [None]
    strict = C4QualityFilter(filter_no_terminal_punct=True)
    d = docs(text)
    assert strict.filter_batch(d) == [None] and d[0].text == PROSE


def test_analysis_is_shared_and_refreshed_when_text_changes() -> None:
    batch = docs(PROSE, "short text")
    first = analyse_batch(batch, DEFAULT_CONFIG)
    entry = batch[0].cache[("text_analysis", DEFAULT_CONFIG)]
    analyse_batch(batch, DEFAULT_CONFIG)
    assert batch[0].cache[("text_analysis", DEFAULT_CONFIG)] is entry  # not recomputed
    batch[1].text = PROSE + " Extra."  # replaced without set_text: still detected
    again = analyse_batch(batch, DEFAULT_CONFIG)
    assert again["n_chars"][1] == len(PROSE) + 7 and again["n_chars"][0] == first["n_chars"][0]


@pytest.mark.parametrize(
    ("cfg", "key"),
    [
        ({"type": "GopherRepetitionFilter", "dup_line_frac": "high"}, "dup_line_frac"),
        ({"type": "GopherRepetitionFilter", "top_n_grams": [[0, 0.2]]}, "top_n_grams"),
        ({"type": "GopherQualityFilter", "min_doc_words": -5}, "min_doc_words"),
        ({"type": "C4QualityFilter", "min_num_sentences": -3}, "min_num_sentences"),
        ({"type": "FineWebQualityFilter", "line_punct_thr": 2}, "line_punct_thr"),
        ({"type": "FineWebQualityFilter", "stop_chars": []}, "stop_chars"),
        ({"type": "FineWebQualityFilter", "short_line_lenght": 3}, "short_line_lenght"),
    ],
)
def test_bad_parameters_name_the_key(cfg: dict, key: str) -> None:
    with pytest.raises(ConfigError, match=rf"stages\[0\]\.steps\[1\]\.{key}"):
        build_step(cfg, "p.yaml: stages[0].steps[1]")


def test_yaml_parameters_build() -> None:
    flt = build_step(
        {"type": "GopherRepetitionFilter", "top_n_grams": [[2, 0.3]], "dup_n_grams": [[5, 0.2]]},
        "x",
    )
    assert flt.config.top_ngrams == (2,) and flt.config.dup_ngrams == (5,)
    custom = build_step({"type": "GopherQualityFilter", "stop_words": ["der", "die"]}, "x")
    assert custom.filter_batch(docs(PROSE)) == ["gopher_enough_stop_words"]


def test_bad_input_is_handled() -> None:
    # lone surrogates (from a lossy decode) cannot cross into Rust: replaced, lengths kept
    text = "The cat \ud800 sat."
    assert analyse_texts([text])["n_chars"].tolist() == [len(text)]
    assert split_words([text]) == [["The", "cat", "?", "sat", "."]]
    with pytest.raises(ValueError, match="n-gram sizes must be >= 1"):
        analyse_texts(["x"], AnalysisConfig(top_ngrams=(0,)))
