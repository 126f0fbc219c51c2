"""Test-only helpers around :mod:`fineweb_kit.tools.local_s3`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fineweb_kit.tools.local_s3 import s3_env


@contextmanager
def patched_env(env: dict[str, str]) -> Iterator[None]:
    """Sets ``env`` in this process's environment, restoring the old values after."""
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def cli_env(endpoint: str, tmp: Path) -> dict[str, str]:
    """Environment of a CLI run against ``endpoint`` with its own staging folder."""
    return {**os.environ, **s3_env(endpoint), "FWK_STAGING_DIR": str(tmp / "staging")}


def vocab_and_tokenize_stages(inputs: str, shards: str) -> list[dict]:
    """Two pipeline stages: train a 600-id tokenizer on ``inputs`` into the run folder, then
    tokenize ``inputs`` with it into ``shards`` (20,000-token shards)."""
    return [
        {
            "name": "vocab",
            "steps": [
                {"type": "JsonlReader", "paths": inputs},
                {"type": "TrainTokenizer", "output": "tokenizer.json", "vocab_size": 600},
            ],
        },
        {
            "name": "tokenize",
            "steps": [
                {"type": "JsonlReader", "paths": inputs},
                {
                    "type": "Tokenize",
                    "output_folder": shards,
                    "tokenizer": "{output}/tokenizer.json",
                    "max_tokens_per_shard": 20000,
                },
            ],
        },
    ]
