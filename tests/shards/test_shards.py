"""Token shards on real documents: round trip, header refusals, merge."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from fineweb_kit.exceptions import FormatError
from fineweb_kit.shards import Shard, ShardFormat, ShardSetWriter, list_shards
from fineweb_kit.shards.merge import merge_shards
from tests.shards.conftest import SHARD_TOKENS


def test_fingerprint_is_the_same_for_ours_and_tiktoken(r50k, r50k_ours):
    assert r50k_ours.fingerprint == r50k.fingerprint
    assert r50k_ours.n_vocab == r50k.n_vocab and r50k_ours.eot_token == r50k.eot_token == 50256


def test_round_trip_equals_tokenizer_encoding(tokenized, r50k, r50k_ours):
    folder, inputs = tokenized
    shards = list_shards(str(folder))
    assert not list(folder.glob(".*.tmp"))
    for name, texts in inputs.items():
        parts = [s for s in shards if f"_{name.split('.')[0]}-" in s.name]
        assert len(parts) > 1, "max_tokens_per_shard must split each input into several shards"
        docs = [d for p in parts for d in Shard(p, r50k.fingerprint_hex).docs()]
        assert len(docs) == len(texts)
        for text, ids in zip(texts, docs, strict=True):
            assert ids[-1] == r50k.eot_token
            assert ids[:-1].tolist() == r50k.encode(text).tolist()  # tiktoken, the oracle
            assert ids[:-1].tolist() == r50k_ours.encode(text).tolist()
            assert r50k.decode(ids[:-1]) == text
        for p in parts[:-1]:
            s = Shard(p)
            last = s.doc_range(len(s) - 1)
            assert last[0] < SHARD_TOKENS <= s.header.n_tokens, "a shard closes at the limit"
            s.verify()


def test_sections_are_memory_maps_without_copy(tokenized):
    folder, _ = tokenized
    s = Shard(list_shards(str(folder))[0])
    assert s.header.dtype == "u16" and s.tokens.dtype == np.uint16
    assert isinstance(s.tokens, np.memmap) and isinstance(s.doc_ends, np.memmap)
    assert s.tokens.offset == 256 and s.doc_ends.offset % 64 == 0
    doc = s.doc(3)
    assert np.shares_memory(doc, s.tokens)


def test_wrong_tokenizer_is_refused(tokenized, tiktoken_cache):
    import tiktoken

    from fineweb_kit.shards.tokenizer import from_tiktoken

    cl100k = from_tiktoken(tiktoken.get_encoding("cl100k_base"))
    path = list_shards(str(tokenized[0]))[0]
    with pytest.raises(FormatError, match="tokenizer"):
        Shard(path, expect_fingerprint=cl100k.fingerprint_hex)


def _corrupt(src, dst, edit):
    data = bytearray(src.read_bytes())
    edit(data)
    dst.write_bytes(bytes(data))
    return dst


def test_truncated_damaged_and_other_version_are_refused(tokenized, tmp_path):
    path = list_shards(str(tokenized[0]))[0]
    size = path.stat().st_size
    cut = _corrupt(path, tmp_path / "cut.fks", lambda d: d.__delitem__(slice(size - 100, size)))
    with pytest.raises(FormatError, match=r"cut\.fks.*truncated"):
        Shard(cut)
    short = _corrupt(path, tmp_path / "short.fks", lambda d: d.__delitem__(slice(100, size)))
    with pytest.raises(FormatError, match="shorter than the 256-byte"):
        Shard(short)
    v2 = _corrupt(path, tmp_path / "v2.fks", lambda d: d.__setitem__(8, 2))
    with pytest.raises(FormatError, match="version 2"):
        Shard(v2)
    other = _corrupt(path, tmp_path / "x.fks", lambda d: d.__setitem__(slice(0, 8), b"GARBAGE!"))
    with pytest.raises(FormatError, match="not a fineweb-kit token shard"):
        Shard(other)
    flipped = _corrupt(path, tmp_path / "flip.fks", lambda d: d.__setitem__(300, d[300] ^ 1))
    Shard(flipped)  # the header is intact ...
    with pytest.raises(FormatError, match="checksum of the token array"):
        Shard(flipped).verify()  # ... the data is not


def test_writer_refuses_bad_ids_and_dtype(tmp_path, r50k):
    fmt = ShardFormat(r50k.n_vocab, r50k.fingerprint, "append", r50k.eot_token)
    w = ShardSetWriter(tmp_path, "x", fmt, 1000)
    with pytest.raises(ValueError, match="token id 50257"):
        w.append(np.array([1, 50257], np.uint32), np.array([2], np.uint64))
    w.abort()
    assert not list(tmp_path.iterdir())
    big = ShardFormat(100_277, r50k.fingerprint, "none", None, dtype="u16")
    with pytest.raises(ValueError, match="does not fit dtype u16"):
        ShardSetWriter(tmp_path, "y", big, 1000).append(
            np.array([1], np.uint32), np.array([1], np.uint64)
        )


def test_loss_mask_round_trips(tmp_path, r50k):
    fmt = ShardFormat(r50k.n_vocab, r50k.fingerprint, "prepend", r50k.eot_token, with_mask=True)
    w = ShardSetWriter(tmp_path, "m", fmt, 1 << 20)
    flat, ends = r50k.encode_batch(["User: hi", "Assistant: hello there"])
    mask = np.zeros(flat.size, np.uint8)
    mask[int(ends[0]) :] = 1
    w.append(flat, ends, mask)
    (path,) = w.commit()
    s = Shard(path)
    s.verify()
    assert s.mask is not None and s.header.boundary == "prepend"
    assert s.doc(1, strip_boundary=True).tolist() == flat[int(ends[0]) :].tolist()
    assert s.mask.tolist() == [1, *mask[: ends[0]].tolist(), 1, *mask[ends[0] :].tolist()]


def test_merge_keeps_every_document_once(tokenized, tmp_path):
    folder, inputs = tokenized
    paths = list_shards(str(folder))
    before = Counter(tuple(d.tolist()) for p in paths for d in Shard(p).docs())
    res = merge_shards(paths, tmp_path / "m", seed=7, max_tokens_per_shard=30_000, val_tokens=5000)
    outs = list_shards(str(tmp_path / "m"))
    names = [p.name for p in outs]
    assert names[0] == "train-00000.fks" and names[-1] == "val-00000.fks"
    after = Counter(tuple(d.tolist()) for p in outs for d in Shard(p).docs())
    assert after == before and res.n_docs == sum(len(t) for t in inputs.values())
    val = Shard(tmp_path / "m" / "val-00000.fks")
    assert val.header.n_tokens >= 5000 > val.header.n_tokens - len(val.doc(len(val) - 1))
    # shuffled: the first train shard's documents do not come in input order
    first = [tuple(d.tolist()) for d in Shard(outs[0]).docs()]
    in_order = [tuple(d.tolist()) for d in Shard(paths[0]).docs()]
    assert first[:5] != in_order[:5]
    again = merge_shards(
        paths, tmp_path / "m2", seed=7, max_tokens_per_shard=30_000, val_tokens=5000
    )
    assert [open(p, "rb").read() for p in again.outputs] == [
        open(p, "rb").read() for p in res.outputs
    ]


def test_batch_encoding_keeps_special_strings_as_text_and_empty_documents(r50k, r50k_ours):
    texts = ["a <|endoftext|> b", "", "naïve café", ""]
    flat, ends = r50k_ours.encode_batch(texts)
    ref_flat, ref_ends = r50k.encode_batch(texts)
    assert flat.tolist() == ref_flat.tolist() and ends.tolist() == ref_ends.tolist()
    assert ends[0] == ends[1] and 50256 not in flat.tolist()
