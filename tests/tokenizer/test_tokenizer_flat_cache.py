"""encode_flat (ids + offsets) and the per-tokenizer, memory-capped piece cache."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from fineweb_kit.exceptions import TokenizerError
from fineweb_kit.shards.tokenizer import from_fineweb_kit
from fineweb_kit.tokenizer import Tokenizer


def _docs(shared_data: Path, name: str, limit: int) -> list[str]:
    raw = gzip.decompress((shared_data / "text" / name).read_bytes()).decode()
    return [d for d in raw.split("\n\n") if d][:limit]


@pytest.fixture(scope="module")
def multi_docs(shared_data: Path) -> list[str]:
    # Many scripts: Cyrillic, CJK, Arabic, ... (lots of pieces that need merging).
    return _docs(shared_data, "multi-docs-debian-handbook-2.txt.gz", 1500) + _docs(
        shared_data, "multi-cldr-locale-strings.txt.gz", 1500
    )


@pytest.mark.parametrize("name", ["cl100k_base", "o200k_base"])
def test_encode_flat_equals_tiktoken_per_document(ours, theirs, multi_docs, name):
    tok, ref = ours[name], theirs[name]
    docs = ["", *multi_docs[:400], ""]
    ids, offsets = tok.encode_flat(docs, num_threads=1)
    assert ids.dtype == np.uint32 and offsets.dtype == np.int64
    assert offsets.shape == (len(docs) + 1,) and offsets[0] == 0 and offsets[-1] == ids.size
    for i, d in enumerate(docs):
        assert ids[offsets[i] : offsets[i + 1]].tolist() == ref.encode_ordinary(d), i
    many_ids, many_offsets = tok.encode_flat(docs * 8, num_threads=2)
    assert np.array_equal(many_ids, np.tile(ids, 8))
    assert many_offsets[len(docs)] == ids.size and many_offsets[-1] == 8 * ids.size
    lists = tok.encode_batch(docs, num_threads=1, disallowed_special=())
    assert lists == [ref.encode_ordinary(d) for d in docs]


def test_encode_flat_eot_and_errors(ours):
    tok = ours["cl100k_base"]
    ids, offsets = tok.encode_flat(["a b", "c"], append_eot=True)
    assert ids[offsets[1] - 1] == tok.eot_token and ids[-1] == tok.eot_token
    with pytest.raises(TokenizerError, match=r"texts\[1\].*<\|endoftext\|>"):
        tok.encode_flat(["fine", "x <|endoftext|>"])
    with pytest.raises(TokenizerError, match="not one str"):
        tok.encode_flat("one text")
    ids, offsets = tok.encode_flat([])
    assert ids.size == 0 and offsets.tolist() == [0]


def test_cache_memory_is_capped_and_ids_stay_exact(ref, theirs, multi_docs):
    cap = 64 << 10
    tok = Tokenizer.from_tiktoken(ref / "o200k_base.tiktoken", "o200k_base")
    tok.cache_bytes = cap
    want = [theirs["o200k_base"].encode_ordinary(d) for d in multi_docs]
    got = [tok.encode_ordinary(d) for d in multi_docs]
    assert got == want
    info = tok.cache_info()
    assert info["max_bytes"] == cap and info["caches"] == 1
    # The text holds far more distinct merged pieces than fit: the cap is what limits it.
    assert 0 < info["bytes"] <= cap, info
    assert info["pieces"] > 100, info
    off = Tokenizer.from_tiktoken(ref / "o200k_base.tiktoken", "o200k_base")
    off.cache_bytes = 0
    assert [off.encode_ordinary(d) for d in multi_docs[:200]] == want[:200]
    assert off.cache_info()["bytes"] == 0
    with pytest.raises(TokenizerError, match="cache_bytes"):
        tok.cache_bytes = -1


def test_cache_grows_with_the_working_set_up_to_its_cap(ref, theirs, multi_docs):
    tok = Tokenizer.from_tiktoken(ref / "cl100k_base.tiktoken", "cl100k_base")
    assert tok.cache_bytes == 4 << 20  # the default cap
    tok.encode_ordinary("Настройка сети в Debian: интерфейсы, маршруты и разрешение имён. " * 20)
    small = tok.cache_info()
    # A short text: a small table (a few cache lines per piece), not the whole cap up front.
    assert 0 < small["bytes"] <= 128 << 10 and small["pieces"] > 0, small
    got = [tok.encode_ordinary(d) for d in multi_docs]
    assert got == [theirs["cl100k_base"].encode_ordinary(d) for d in multi_docs]
    big = tok.cache_info()
    assert small["bytes"] < big["bytes"] <= 4 << 20 and big["pieces"] > small["pieces"], big
    # Warm: the same documents again give the same ids from the cache.
    assert [tok.encode_ordinary(d) for d in multi_docs] == got


def test_each_tokenizer_has_its_own_cache(ref, multi_docs):
    a = Tokenizer.from_tiktoken(ref / "cl100k_base.tiktoken", "cl100k_base")
    b = Tokenizer.from_tiktoken(ref / "cl100k_base.tiktoken", "cl100k_base")
    a.encode_flat(multi_docs[:300], num_threads=1)
    before = a.cache_info()["pieces"]
    assert before > 0 and b.cache_info()["pieces"] == 0
    b.encode_flat(multi_docs[300:600], num_threads=1)
    # Using b did not empty a's cache (a thread-wide cache would have been reset).
    assert a.cache_info()["pieces"] == before and b.cache_info()["pieces"] > 0


def test_shard_path_uses_flat_offsets(ours, multi_docs):
    tok = ours["cl100k_base"]
    docs = [*multi_docs[:200], "has <|endoftext|> as plain text", ""]
    flat, ends = from_fineweb_kit(tok, "cl100k").encode_batch(docs)
    # The former path: EOT appended after each text, then found and deleted again.
    old = tok.encode_to_numpy(docs, append_eot=True, disallowed_special=(), num_threads=1)
    stops = np.flatnonzero(old == tok.eot_token)
    assert flat.dtype == np.uint32 and ends.dtype == np.uint64
    assert np.array_equal(flat, np.delete(old, stops))
    assert np.array_equal(ends, (stops - np.arange(len(stops))).astype(np.uint64))
