"""Properties of the shard-set writer and merge over random documents (hypothesis)."""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from fineweb_kit.shards import Shard, ShardFormat, ShardSetWriter
from fineweb_kit.shards.merge import merge_shards

docs_st = st.lists(st.lists(st.integers(0, 999), max_size=30), min_size=1, max_size=40)


def _write(folder: Path, docs: list[list[int]], max_tokens: int, boundary: str, batch: int):
    fmt = ShardFormat(1001, bytes(range(32)), boundary, None if boundary == "none" else 1000)
    w = ShardSetWriter(folder, "p", fmt, max_tokens)
    for i in range(0, len(docs), batch):
        part = docs[i : i + batch]
        flat = np.array([t for d in part for t in d], dtype=np.uint32)
        w.append(flat, np.cumsum([len(d) for d in part], dtype=np.uint64))
    return w.commit()


@settings(max_examples=40, deadline=None)
@given(
    docs_st, st.integers(1, 200), st.sampled_from(["append", "prepend", "none"]), st.integers(1, 7)
)
def test_shard_sets_keep_documents_in_order_and_respect_the_size(docs, max_tokens, boundary, batch):
    with tempfile.TemporaryDirectory() as tmp:
        paths = _write(Path(tmp), docs, max_tokens, boundary, batch)
        shards = [Shard(p) for p in paths]
        got = [d.tolist() for s in shards for d in s.docs(strip_boundary=boundary != "none")]
        assert got == docs
        for s in shards[:-1]:  # every shard but the last closed at the first doc reaching the size
            start_last, _ = s.doc_range(len(s) - 1)
            assert start_last < max_tokens <= s.header.n_tokens
        for s in shards:
            s.verify()


@settings(max_examples=25, deadline=None)
@given(docs_st, st.integers(1, 100), st.integers(0, 50), st.integers(0, 2**32 - 1))
def test_merge_is_a_permutation_of_documents(docs, max_tokens, val_tokens, seed):
    with tempfile.TemporaryDirectory() as tmp:
        inputs = _write(Path(tmp) / "in", docs, 60, "append", 5)
        total = sum(len(d) + 1 for d in docs)
        if val_tokens and val_tokens >= total - max(len(d) + 1 for d in docs):
            val_tokens = 0  # keep at least one training document possible
        try:
            res = merge_shards(inputs, Path(tmp) / "out", seed, max_tokens, val_tokens)
        except ValueError as e:
            assert "nothing left to train on" in str(e)
            return
        out = [tuple(d.tolist()) for p in res.outputs for d in Shard(p).docs(strip_boundary=True)]
        assert Counter(out) == Counter(tuple(d) for d in docs)
        assert res.n_tokens == total
