"""Fixtures of the chat tests: GPT-2's r50k tokenizer with the chat specials, shared data."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import yaml

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


# ---- chat engine and SFT (sft-model) ------------------------------------------------------
# A byte-level tokenizer with the chat specials keeps engine models tiny; ``MiniTemplate`` is
# the part of the chat template the engine needs (``special_id`` and the tokenizer), so the
# engine tests depend on nothing but the engine's contract.

BYTE_CHAT_SPECIALS = (
    "<|bos|>",
    "<|system_start|>",
    "<|system_end|>",
    "<|user_start|>",
    "<|user_end|>",
    "<|assistant_start|>",
    "<|assistant_end|>",
    "<|tool_call_start|>",
    "<|tool_call_end|>",
    "<|tool_output_start|>",
    "<|tool_output_end|>",
)


def byte_chat_tokenizer():
    from fineweb_kit.tokenizer import Tokenizer

    specials = {"<|endoftext|>": 256} | {s: 257 + i for i, s in enumerate(BYTE_CHAT_SPECIALS)}
    return Tokenizer.from_ranks({bytes([i]): i for i in range(256)}, "gpt2", specials)


class MiniTemplate:
    def __init__(self, tokenizer) -> None:
        self.tokenizer = tokenizer

    def special_id(self, name: str) -> int:
        return self.tokenizer.special_tokens[name]


@pytest.fixture(scope="session")
def mini_template():
    return MiniTemplate(byte_chat_tokenizer())


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """Tiny models run fastest on one thread (and do not fight other tests for cores);
    modules that do not use torch are left alone."""
    import sys

    torch = sys.modules.get("torch")
    if torch is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def write_gsm8k(path, records) -> None:
    with gzip.open(path, "wt") as f:
        f.writelines(json.dumps(r) + "\n" for r in records)


def sft_config(root: Path, out: Path, max_steps: int, **train) -> dict:
    """An SFT run from the ``sft_setup`` base model on its packed arithmetic shards."""
    return {
        "kind": "sft",
        "out_dir": str(out),
        "init_from": str(root / "base"),
        "data": {
            "train": str(root / "data" / "train"),
            "val": str(root / "data" / "val"),
            "seq_len": 128,
        },
        "optim": {"lr": 5e-3, "warmup_steps": 20, "min_lr_ratio": 0.1},
        "train": {
            "batch_size": 16,
            "max_steps": max_steps,
            "eval_interval": 100,
            "eval_batches": 2,
            "checkpoint_interval": 1000,
            "log_interval": 100,
            "cpu_threads": 1,
            "seed": 7,
        }
        | train,
    }


@pytest.fixture(scope="session")
def sft_setup(tmp_path_factory) -> Path:
    """A base model and SFT shards, as a user makes them: a byte-level base tokenizer
    (``base-tokenizer.json``); a GPT (2 layers, 64 wide) pre-trained for 60 steps on real web
    text (``base/``); 800 train and 64 validation GSM8K-format arithmetic problems rendered and
    packed by a pipeline (``ConversationReader`` -> ``PackConversations`` with
    ``add_chat_specials``) into ``data/train`` and ``data/val`` (windows of 129 tokens)."""
    from fineweb_kit.tokenizer import Tokenizer
    from fineweb_kit.train.config import parse_config
    from fineweb_kit.train.train import train
    from tests.chat.arithmetic import problems
    from tests.pipeline.helpers import cli
    from tests.train.conftest import cc_texts, tiny_config, write_byte_shards

    root = tmp_path_factory.mktemp("sft")
    tok_file = str(root / "base-tokenizer.json")
    ranks = {bytes([i]): i for i in range(256)}
    Tokenizer.from_ranks(ranks, "gpt2", {"<|endoftext|>": 256}).save(tok_file)
    web = write_byte_shards(root / "web", cc_texts(60), val_tokens=0, tokenizer=tok_file)
    pre = tiny_config(
        root / "base",
        str(web / "train-00000.fks"),
        model={"n_layer": 2, "n_head": 4, "n_embd": 64},
        data={"seq_len": 64},
        train={"max_steps": 60, "batch_size": 16, "checkpoint_interval": 1000},
    )
    pre["tokenizer"] = tok_file
    train(parse_config(pre, "pretrain"))

    write_gsm8k(root / "train.jsonl.gz", problems(800, seed=0))
    write_gsm8k(root / "val.jsonl.gz", problems(64, seed=1))

    def stage(split: str) -> dict:
        return {
            "name": split,
            "steps": [
                {
                    "type": "ConversationReader",
                    "paths": str(root / f"{split}.jsonl.gz"),
                    "format": "gsm8k",
                },
                {
                    "type": "PackConversations",
                    "output_folder": split,
                    "tokenizer": tok_file,
                    "add_chat_specials": True,
                    "seq_len": 128,
                },
            ],
        }

    pipeline = {
        "name": "sft-test",
        "output": str(root / "data"),
        "executor": {"type": "local", "tasks": 1},
        "stages": [stage("train"), stage("val")],
    }
    (root / "data.yaml").write_text(yaml.safe_dump(pipeline))
    proc = cli("run", str(root / "data.yaml"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return root
