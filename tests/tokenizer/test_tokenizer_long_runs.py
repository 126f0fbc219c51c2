"""Long pieces (the left-to-right linear-time encoder) give tiktoken's ids exactly.

Each string below is one pre-token piece of 10k-60k bytes (no spaces, no digits: the patterns
would split those), built to stress the encoder: repeats (ties between equal pairs), random
letters (many distinct tokens), punctuation runs, multi-byte characters whose tokens cut
through UTF-8 sequences.
"""

from __future__ import annotations

import random
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

ENCODINGS = ("r50k_base", "p50k_base", "cl100k_base", "o200k_base")


def _chars(lo: int, hi: int, cats: tuple[str, ...]) -> list[str]:
    return [c for c in map(chr, range(lo, hi)) if unicodedata.category(c).startswith(cats)]


def _runs() -> dict[str, str]:
    rnd = random.Random(0)
    letters = "abcdefghijklmnopqrstuvwxyz"
    cjk = _chars(0x4E00, 0x9FFF, ("L",))
    many_letters = _chars(0x00C0, 0x2FFF, ("Ll", "Lu", "Lo"))
    symbols = _chars(0x2190, 0x2BFF, ("S", "P"))
    return {
        "a": "a" * 60_000,
        "ab": "ab" * 20_000,
        "aab": "aab" * 15_000,
        "random lowercase": "".join(rnd.choice(letters) for _ in range(50_000)),
        "random two letters": "".join(rnd.choice("ab") for _ in range(30_000)),
        "random mixed case": "".join(rnd.choice(letters + letters.upper()) for _ in range(30_000)),
        "dashes": "-" * 40_000,
        "punctuation": "".join(rnd.choice("=-_*#!?.,;:/<>") for _ in range(30_000)),
        "cjk repeat": "\u4e00\u4e8c" * 5_000,
        "random cjk": "".join(rnd.choice(cjk) for _ in range(10_000)),
        "random letters of many scripts": "".join(rnd.choice(many_letters) for _ in range(10_000)),
        "random symbols": "".join(rnd.choice(symbols) for _ in range(8_000)),
        "emoji": "".join(rnd.choice("\U0001f600\U0001f680\u2764\U0001f44d") for _ in range(8_000)),
    }


@pytest.fixture(scope="module")
def runs() -> dict[str, str]:
    return _runs()


@pytest.mark.parametrize("enc", ENCODINGS)
def test_long_adversarial_runs_equal_tiktoken(enc, runs, ours, theirs):
    for name, text in runs.items():
        ids = ours[enc].encode_ordinary(text)
        assert ids == theirs[enc].encode_ordinary(text), f"{enc}: {name}"
        assert ours[enc].decode(ids) == text


@settings(max_examples=40, deadline=None)
@given(
    alphabet=st.sampled_from(["ab", "abc-", "aA", "xyz", "-=", "\u4e00\u4e8c"]),
    seed=st.integers(0, 2**32),
    n=st.integers(8_192, 20_000),
)
def test_random_long_pieces_equal_tiktoken(alphabet, seed, n, ours, theirs):
    """Random strings over small alphabets, long enough for the linear-time encoder."""
    text = "".join(random.Random(seed).choices(alphabet, k=n))
    for enc in ("cl100k_base", "o200k_base"):
        assert ours[enc].encode_ordinary(text) == theirs[enc].encode_ordinary(text)


def test_batch_of_long_runs_on_a_fresh_tokenizer(ref, runs, theirs):
    """Threads that meet their first long piece together share one build of the tables."""
    from fineweb_kit.tokenizer import Tokenizer

    tok = Tokenizer.from_tiktoken(ref / "cl100k_base.tiktoken", "cl100k_base")
    texts = [runs["random lowercase"], runs["a"], runs["punctuation"], runs["random cjk"]] * 2
    got = tok.encode_batch(texts, num_threads=4, disallowed_special=())
    assert got == [theirs["cl100k_base"].encode_ordinary(t) for t in texts]
