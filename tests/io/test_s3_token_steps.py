"""The token steps that write shards through the Rust core, against a real S3 server (moto on
127.0.0.1): Tokenize -> ShardMerge with the run folder in a bucket (input shards downloaded to
scratch, merged shards uploaded) and PackConversations to a bucket give byte-identical shards to
the local runs (the chat tokenizer read from a URL), and leave no temporary key and no scratch
folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from fineweb_kit.tokenizer import Tokenizer
from tests.conftest import SHARED_DATA
from tests.pipeline.helpers import cli, split_cc_docs
from tests.s3 import cli_env, vocab_and_tokenize_stages

pytestmark = pytest.mark.slow  # pipeline runs against the server


def _files(fs, prefix: str) -> dict[str, bytes]:
    return {k.rsplit("/", 1)[1]: fs.cat_file(k) for k in sorted(fs.find(prefix))}


def _local(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _write(tmp_path: Path, name: str, stages: list[dict]) -> str:
    path = tmp_path / f"{name}.yaml"
    config = {"name": name, "executor": {"type": "local", "tasks": 1}, "stages": stages}
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return str(path)


def _run_both(cfg: str, tmp_path: Path, endpoint: str, url: str) -> Path:
    local = tmp_path / "local"
    env = cli_env(endpoint, tmp_path)
    cli("run", cfg, "--output", str(local), check=True, env=env)
    cli("run", cfg, "--output", url, check=True, env=env)
    return local


def _clean(fs, prefix: str, tmp_path: Path) -> None:
    assert not [k for k in fs.find(prefix) if k.endswith(".tmp")]
    assert not list((tmp_path / "staging").glob("work-*")), "scratch folders are removed"


def test_tokenize_then_shard_merge_in_bucket_matches_local(s3_sample, tmp_path):
    endpoint, fs = s3_sample
    inputs = str(tmp_path / "in" / "*.jsonl.gz")
    split_cc_docs(tmp_path / "in", 2, limit=150)
    cfg = _write(
        tmp_path,
        "merge",
        [
            *vocab_and_tokenize_stages(inputs, "shards"),
            {
                "name": "merge",
                "steps": [
                    {
                        "type": "ShardMerge",
                        "paths": "{output}/shards/*.fks",
                        "output_folder": "merged",
                        "val_tokens": 5000,
                        "max_tokens_per_shard": 30000,
                    }
                ],
            },
        ],
    )
    local = _run_both(cfg, tmp_path, endpoint, "s3://out-bucket/merge")
    fs.invalidate_cache()
    remote = _files(fs, "out-bucket/merge/merged/")
    expected = _local(local / "merged")
    shards = [n for n in expected if n.endswith(".fks")]
    assert "val-00000.fks" in shards and len(shards) >= 3
    assert {n: remote[n] for n in shards} == {n: expected[n] for n in shards}
    meta = json.loads(remote["merge.json"])  # records where the shards really are
    assert all(p.startswith("s3://out-bucket/merge/shards/") for p in meta["inputs"])
    assert sorted(meta["outputs"]) == [f"s3://out-bucket/merge/merged/{n}" for n in shards]
    local_meta = json.loads(expected["merge.json"])
    assert (meta["n_docs"], meta["n_tokens"]) == (local_meta["n_docs"], local_meta["n_tokens"])
    _clean(fs, "out-bucket/merge", tmp_path)


def test_pack_conversations_to_bucket_matches_local(s3_sample, tmp_path):
    endpoint, fs = s3_sample
    tok = tmp_path / "byte-tokenizer.json"
    Tokenizer.from_ranks({bytes([i]): i for i in range(256)}, "gpt2", {"<|eot|>": 256}).save(tok)
    fs.put_file(str(tok), "in-bucket/tok/byte-tokenizer.json")  # the tokenizer from a URL too
    reader = {
        "type": "ConversationReader",
        "paths": str(SHARED_DATA / "posttrain" / "gsm8k-test.jsonl.gz"),
        "format": "gsm8k",
    }
    pack = {
        "type": "PackConversations",
        "output_folder": "sft",
        "tokenizer": "s3://in-bucket/tok/byte-tokenizer.json",
        "add_chat_specials": True,
        "seq_len": 1024,
        "max_tokens_per_shard": 100_000,
    }
    cfg = _write(tmp_path, "pack", [{"name": "pack", "steps": [reader, pack]}])
    local = _run_both(cfg, tmp_path, endpoint, "s3://out-bucket/pack")
    fs.invalidate_cache()
    expected = _local(local / "sft")
    assert "tokenizer.json" in expected and sum(n.endswith(".fks") for n in expected) >= 2
    assert _files(fs, "out-bucket/pack/sft/") == expected
    _clean(fs, "out-bucket/pack", tmp_path)
