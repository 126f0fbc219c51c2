"""Our word tokeniser against spaCy's blank English tokeniser (what datatrove counts as words)
on real documents, and the MinHash word list against datatrove's normalisation."""

from __future__ import annotations

import pytest
import spacy

from fineweb_kit.text import count_sentences, normalized_words, split_words


@pytest.fixture(scope="module")
def sample(cc_docs: list[dict]) -> list[str]:
    """Every 5th cc-docs document (444 documents, all three sources)."""
    return [d["text"] for d in cc_docs[::5]]


@pytest.fixture(scope="module")
def nlp():
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.max_length = 10_000_000
    return nlp


def spacy_words(nlp, text: str) -> list[str]:
    return [t.text.strip() for t in nlp.make_doc(text) if t.text.strip()]


def test_words_match_spacy_on_real_documents(sample: list[str], nlp) -> None:
    ours = split_words(sample)
    theirs = [spacy_words(nlp, t) for t in sample]
    differ = [i for i, (a, b) in enumerate(zip(ours, theirs, strict=True)) if a != b]
    for i in differ:
        extra = sorted(set(ours[i]) ^ set(theirs[i]))[:10]
        print(f"doc {i}: {len(ours[i])} vs spaCy {len(theirs[i])} words; differing tokens {extra}")
    n_tokens = sum(map(len, theirs))
    count_diff = sum(abs(len(a) - len(b)) for a, b in zip(ours, theirs, strict=True))
    assert len(differ) <= 0.01 * len(sample)
    assert count_diff <= 1e-4 * n_tokens


def test_sentences_match_spacy_sentencizer(sample: list[str], nlp) -> None:
    lines = [line.strip() for t in sample[:150] for line in t.splitlines() if line.strip()]
    ours = count_sentences(lines)
    theirs = [max(1, len(list(nlp(line).sents))) for line in lines]
    agree = sum(a == b for a, b in zip(ours, theirs, strict=True))
    assert len(lines) > 1000
    assert agree / len(lines) >= 0.995


def test_normalized_words_match_datatrove(sample: list[str]) -> None:
    import datatrove.utils.text as text_utils

    texts = sample[:200]
    theirs = [text_utils.split_into_words(text_utils.simplify_text(t), "en") for t in texts]
    ours = normalized_words(texts)
    same = sum(a == b for a, b in zip(ours, theirs, strict=True))
    assert same / len(texts) >= 0.99


def test_contractions_and_abbreviations() -> None:
    assert split_words(["I can't go, Dr. Who's here."]) == [
        ["I", "ca", "n't", "go", ",", "Dr.", "Who", "'s", "here", "."]
    ]
