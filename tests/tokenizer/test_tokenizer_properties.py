"""Property tests (hypothesis): round trips, batch == single, agreement with tiktoken."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

ALPHABET = st.sampled_from([*"aAsS'ſ 0912\t\n\r/.!é中\u0301\u3000😀-", "ll", "re", "  "])
MIXED = st.one_of(st.text(max_size=80), st.lists(ALPHABET, max_size=40).map("".join))


@settings(max_examples=300, deadline=None)
@given(MIXED)
def test_decode_encode_round_trip(ours, theirs, s):
    for name in ("r50k_base", "cl100k_base", "o200k_base"):
        ids = ours[name].encode_ordinary(s)
        assert ours[name].decode(ids) == s
        assert ids == theirs[name].encode_ordinary(s)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64))
def test_decode_bytes_round_trip(ours, data):
    """Any bytes: ids of each byte as a token decode back exactly; so do text round trips of
    the valid-UTF-8 part."""
    tok = ours["o200k_base"]
    ranks = _byte_ranks(tok)
    ids = [ranks[b] for b in data]
    assert tok.decode_bytes(ids) == data
    assert tok.decode(ids) == data.decode("utf-8", "replace")


_CACHE: dict = {}


def _byte_ranks(tok):
    if id(tok) not in _CACHE:
        r = tok.mergeable_ranks()
        _CACHE[id(tok)] = [r[bytes([b])] for b in range(256)]
    return _CACHE[id(tok)]


@settings(max_examples=50, deadline=None)
@given(st.lists(MIXED, max_size=20))
def test_batch_equals_single(ours, texts):
    tok = ours["cl100k_base"]
    single = [tok.encode(t, disallowed_special=()) for t in texts]
    assert tok.encode_batch(texts, num_threads=2, disallowed_special=()) == single
    flat = [i for ids in single for i in ids]
    assert tok.encode_to_numpy(texts, disallowed_special=()).tolist() == flat
