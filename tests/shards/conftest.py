"""Fixtures for shard tests: tiktoken loaded offline from the shared rank files."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA
from tests.pipeline.helpers import cli, local_pipeline, split_cc_docs, write_pipeline

SHARD_TOKENS = 20_000

BLOB = "https://openaipublic.blob.core.windows.net/encodings/"


@pytest.fixture(scope="session")
def tiktoken_cache(tmp_path_factory) -> Path:
    """A tiktoken cache holding the shared rank files; TIKTOKEN_CACHE_DIR points at it (also
    for subprocesses)."""
    cache = tmp_path_factory.mktemp("tiktoken-cache")
    for name in ("r50k_base", "cl100k_base"):
        key = hashlib.sha1(f"{BLOB}{name}.tiktoken".encode()).hexdigest()
        shutil.copy(SHARED_DATA / "tokenizer-ref" / f"{name}.tiktoken", cache / key)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
    return cache


@pytest.fixture(scope="session")
def r50k(tiktoken_cache):
    """tiktoken's r50k_base wrapped as a ShardTokenizer."""
    import tiktoken

    from fineweb_kit.shards.tokenizer import from_tiktoken

    return from_tiktoken(tiktoken.get_encoding("r50k_base"))


@pytest.fixture(scope="session")
def tokenized(tmp_path_factory, r50k):
    """cc-docs (600 real documents, 3 files) through JsonlReader -> Tokenize (our encoder on
    the r50k_base rank file), 2 tasks."""
    tmp = tmp_path_factory.mktemp("tokenize")
    split_cc_docs(tmp / "in", 3, limit=600)
    tokenize = {
        "type": "Tokenize",
        "output_folder": "shards",
        "tokenizer": str(SHARED_DATA / "tokenizer-ref" / "r50k_base.tiktoken"),
        "max_tokens_per_shard": SHARD_TOKENS,
    }
    reader = {"type": "JsonlReader", "paths": str(tmp / "in" / "*.jsonl.gz")}
    cfg = local_pipeline("tok", tmp / "out", {"tokenize": [reader, tokenize]})
    cli("run", str(write_pipeline(tmp / "p.yaml", cfg)), "--plain", check=True)
    inputs = {}
    for path in sorted((tmp / "in").glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            inputs[path.name] = [json.loads(line)["text"] for line in f]
    return tmp / "out" / "shards", inputs


@pytest.fixture(scope="session")
def r50k_ours():
    """fineweb-kit's own encoder over the shared r50k_base rank file."""
    from fineweb_kit.shards.tokenizer import load_tokenizer

    return load_tokenizer(str(SHARED_DATA / "tokenizer-ref" / "r50k_base.tiktoken"))
