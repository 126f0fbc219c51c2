"""Fixtures for trainer tests: byte-level shards of real web documents (cc-docs).

Byte-level ids (vocabulary 257) keep the models tiny, so these tests run in seconds on CPU.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA
from tests.shards.conftest import tiktoken_cache  # noqa: F401  (shared fixture)


def cc_texts(limit: int) -> list[str]:
    path = SHARED_DATA / "cc-docs" / "dolma-cc-2019-30.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line)["text"] for _, line in zip(range(limit), f, strict=False)]


def write_byte_shards(
    folder: Path, texts: list[str], val_tokens: int, tokenizer: str = "bytes"
) -> Path:
    """Shards of ``texts`` (``tokenizer``: a spec with byte ids and end-of-text 256)."""
    from fineweb_kit.shards import ShardFormat, ShardSetWriter, load_tokenizer
    from fineweb_kit.shards.merge import merge_shards

    tok = load_tokenizer(tokenizer)
    raw = ShardSetWriter(
        folder / "raw", "cc", ShardFormat(257, tok.fingerprint, "append", 256), 1 << 30
    )
    raw.append(*tok.encode_batch(texts))
    merge_shards(raw.commit(), folder / "merged", seed=0, val_tokens=val_tokens)
    return folder / "merged"


@pytest.fixture(scope="session")
def byte_shards(tmp_path_factory) -> Path:
    """~200 kB of real web text as byte tokens: merged/train-00000.fks + val-00000.fks."""
    return write_byte_shards(tmp_path_factory.mktemp("bytes"), cc_texts(60), val_tokens=20_000)


def tiny_config(out_dir: Path, train_path: str, val: str | None = None, **sections) -> dict:
    cfg = {
        "out_dir": str(out_dir),
        "tokenizer": "bytes",
        "model": {"n_layer": 2, "n_head": 2, "n_embd": 32},
        "data": {"train": train_path, "val": val, "seq_len": 32},
        "optim": {"lr": 3.0e-3, "warmup_steps": 5},
        "train": {
            "batch_size": 8,
            "max_steps": 12,
            "eval_interval": 4,
            "eval_batches": 2,
            "checkpoint_interval": 4,
            "log_interval": 1,
            "cpu_threads": 1,
        },
    }
    for name, values in sections.items():
        cfg[name].update(values)
    return cfg
