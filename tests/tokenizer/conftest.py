"""Fixtures for the tokenizer tests: the shared rank files, loaded by us and by tiktoken."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fineweb_kit.tokenizer import Tokenizer

ENCODINGS = ("r50k_base", "cl100k_base", "o200k_base")


@pytest.fixture(scope="session")
def ref(shared_data: Path) -> Path:
    return shared_data / "tokenizer-ref"


@pytest.fixture(scope="session")
def ours(ref: Path) -> dict[str, Tokenizer]:
    names = (*ENCODINGS, "p50k_base")
    return {n: Tokenizer.from_tiktoken(ref / f"{n}.tiktoken", n) for n in names}


@pytest.fixture(scope="session")
def theirs(ref: Path) -> dict:
    """tiktoken Encodings built offline from the same files (MANIFEST, method b)."""
    import tiktoken
    from tiktoken.load import load_tiktoken_bpe

    specs = {e["name"]: e for e in json.loads((ref / "encodings.json").read_text())["encodings"]}
    out = {}
    for n in (*ENCODINGS, "p50k_base"):
        s = specs[n]
        out[n] = tiktoken.Encoding(
            name=n,
            pat_str=s["pat_str"],
            mergeable_ranks=load_tiktoken_bpe(str(ref / f"{n}.tiktoken")),
            special_tokens=s["special_tokens"],
            explicit_n_vocab=s.get("explicit_n_vocab"),
        )
    return out
