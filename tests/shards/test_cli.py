"""``fineweb-kit shards info|merge|export`` on shards of real documents."""

from __future__ import annotations

import numpy as np

from fineweb_kit.shards import Shard, list_shards
from tests.pipeline.helpers import cli


def test_info_counts_and_decodes(tokenized, r50k):
    folder, inputs = tokenized
    proc = cli("shards", "info", str(folder), "--tokenizer", "tiktoken:r50k_base", "--verify")
    assert proc.returncode == 0, proc.stderr
    n_docs = sum(len(t) for t in inputs.values())
    total = sum(Shard(p).header.n_tokens for p in list_shards(str(folder)))
    assert f"total: {total:,} tokens, {n_docs:,} documents" in proc.stdout
    assert "verified" in proc.stdout and "first document: " in proc.stdout
    first = Shard(list_shards(str(folder))[0])
    assert repr(r50k.decode(first.doc(0, True)[:300]))[:40] in proc.stdout


def test_info_refuses_another_tokenizer(tokenized):
    proc = cli("shards", "info", str(tokenized[0]), "--tokenizer", "bytes")
    assert proc.returncode == 1 and "written with tokenizer" in proc.stderr


def test_merge_then_export_llmc_and_nanogpt(tokenized, tmp_path):
    folder, _ = tokenized
    merged = tmp_path / "merged"
    proc = cli(
        "shards",
        "merge",
        str(folder),
        "--output",
        str(merged),
        "--seed",
        "3",
        "--max-tokens-per-shard",
        "50000",
        "--val-tokens",
        "4000",
    )
    assert proc.returncode == 0, proc.stderr
    outs = list_shards(str(merged))
    assert len(outs) >= 3 and outs[-1].name == "val-00000.fks"
    proc = cli("shards", "export", str(merged), "--format", "llmc", "--output", str(tmp_path / "l"))
    assert proc.returncode == 0, proc.stderr
    for shard_path in outs:
        raw = (tmp_path / "l" / f"{shard_path.stem}.bin").read_bytes()
        header = np.frombuffer(raw[:1024], dtype="<i4")
        tokens = np.frombuffer(raw[1024:], dtype="<u2")
        assert header[0] == 20240520 and header[1] == 1 and header[2] == tokens.size
        assert np.array_equal(tokens, Shard(shard_path).tokens)
    train = [p for p in outs if p.name.startswith("train")]
    out = tmp_path / "train.bin"
    proc = cli("shards", "export", *map(str, train), "--format", "nanogpt", "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    expected = np.concatenate([np.asarray(Shard(p).tokens) for p in train])
    assert np.array_equal(np.fromfile(out, dtype=np.uint16), expected)
