"""Fixtures for shard tests: tiktoken loaded offline from the shared rank files."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA

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
    tiktoken = pytest.importorskip("tiktoken")
    from fineweb_kit.shards.tokenizer import from_tiktoken

    return from_tiktoken(tiktoken.get_encoding("r50k_base"))
