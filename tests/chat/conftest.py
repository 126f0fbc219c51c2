"""Fixtures of the chat tests: GPT-2's r50k tokenizer with the chat specials, shared data."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from fineweb_kit.chat import with_chat_specials
from fineweb_kit.tokenizer import Tokenizer
from tests.conftest import SHARED_DATA

POSTTRAIN = SHARED_DATA / "posttrain"


def records(name: str) -> list[dict]:
    """The records of a shared posttrain file."""
    with gzip.open(POSTTRAIN / name, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope="session")
def chat_tok() -> Tokenizer:
    base = Tokenizer.from_tiktoken(
        SHARED_DATA / "tokenizer-ref" / "r50k_base.tiktoken", "r50k_base"
    )
    return with_chat_specials(base)


@pytest.fixture(scope="session")
def gsm8k_records() -> list[dict]:
    return records("gsm8k-train.jsonl.gz") + records("gsm8k-test.jsonl.gz")


@pytest.fixture(scope="session")
def hh_texts() -> list[str]:
    return [
        r[k] for r in records("hh-rlhf-harmless-base-test.jsonl.gz") for k in ("chosen", "rejected")
    ]


def posttrain(name: str) -> Path:
    return POSTTRAIN / name
