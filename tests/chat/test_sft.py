"""SFT training: masked loss, exact resume, and refusals of mismatched inputs."""

from __future__ import annotations

import json

import pytest
import torch

from fineweb_kit.exceptions import ConfigError, FormatError
from fineweb_kit.tokenizer import Tokenizer
from fineweb_kit.train.config import parse_config
from fineweb_kit.train.sft import SFTTrainer
from fineweb_kit.train.train import train
from tests.chat.conftest import sft_config
from tests.train.conftest import cc_texts, tiny_config, write_byte_shards


def losses(out) -> list[float]:
    return [json.loads(line)["loss"] for line in (out / "log.jsonl").read_text().splitlines()]


def test_loss_counts_only_assistant_tokens(sft_setup, tmp_path):
    root = sft_setup
    cfg = sft_config(root, tmp_path / "probe", max_steps=1, eval_interval=1)
    trainer = SFTTrainer(parse_config(cfg, "sft"))
    x, y, doc = trainer.sampler.batch(0, 0, 1, 16)
    chat = Tokenizer.load(root / "data" / "train" / "tokenizer.json")
    sid = chat.special_tokens
    counted = y[y != -1]
    # never a prompt, a tool output or padding: only what the assistant writes
    for name in (
        "<|bos|>",
        "<|user_start|>",
        "<|user_end|>",
        "<|assistant_start|>",
        "<|tool_output_start|>",
        "<|tool_output_end|>",
    ):
        assert not (counted == sid[name]).any(), name
    for name in ("<|tool_call_start|>", "<|tool_call_end|>", "<|assistant_end|>"):
        assert (counted == sid[name]).any(), name
    # a target never reaches into the next conversation of the window
    assert ((doc[:, 1:] != doc[:, :-1]) <= (y[:, :-1] == -1)).all()
    with torch.no_grad():
        logits, _ = trainer.model(x, doc_ids=doc)
        keep = y != -1
        want = torch.nn.functional.cross_entropy(logits[keep], y[keep]).item()
    rows = train(parse_config(sft_config(root, tmp_path / "run", max_steps=1), "sft"))
    assert rows[0]["loss"] == pytest.approx(want, rel=1e-5)  # the logged loss: masked mean
    assert rows[0]["val_loss"] is not None


def test_step_loss_is_the_token_mean_over_all_micro_batches(sft_setup, tmp_path):
    """With accumulation, a step's gradient and logged loss are those of one batch holding all
    its micro-batches (counted-token sum / count), not a mean of micro-batch means."""
    root = sft_setup

    def trainer(name: str, batch_size: int, grad_accum: int) -> SFTTrainer:
        cfg = sft_config(
            root, tmp_path / name, max_steps=1, batch_size=batch_size, grad_accum=grad_accum
        )
        return SFTTrainer(parse_config(cfg, "sft"))

    one, two = trainer("one", 4, 1), trainer("two", 2, 2)
    x, y, doc = one.sampler.batch(0, 0, 1, 4)
    y = y.clone()
    y[:2][(y[:2] != -1).cumsum(1) > 1] = -1  # micro-batch 0: 2 counted targets, 1: many more
    counts = [int((y[:2] != -1).sum()), int((y[2:] != -1).sum())]
    assert counts[0] == 2 and counts[1] > 10 * counts[0], counts
    one.sampler.batch = lambda step, stream, streams, batch: (x, y, doc)  # type: ignore[method-assign]
    two.sampler.batch = (
        lambda step, stream, streams, batch: (  # type: ignore[method-assign]
            x[2 * stream : 2 * stream + 2],
            y[2 * stream : 2 * stream + 2],
            doc[2 * stream : 2 * stream + 2],
        )
    )
    loss_one, loss_two = one.accumulate(), two.accumulate()
    assert loss_two == pytest.approx(loss_one, rel=1e-5)
    for (name, p1), p2 in zip(one.model.named_parameters(), two.model.parameters(), strict=True):
        assert p1.grad is not None and p2.grad is not None
        torch.testing.assert_close(p2.grad, p1.grad, rtol=1e-4, atol=1e-7, msg=name)
    with torch.no_grad():  # the mean of micro-batch means would have logged another loss
        means = [float(two.model(*two.sampler.batch(0, k, 2, 2))[1]) for k in (0, 1)]
    assert abs(sum(means) / 2 - loss_one) > 0.01 * loss_one


def test_resume_reproduces_uninterrupted_sft(sft_setup, tmp_path):
    root = sft_setup
    full = tmp_path / "full"
    train(parse_config(sft_config(root, full, max_steps=6, checkpoint_interval=3), "sft"))
    part = tmp_path / "part"
    cfg = sft_config(root, part, max_steps=6, checkpoint_interval=3)
    assert len(train(parse_config(cfg, "sft"), stop_after=3)) == 3
    again = train(parse_config(cfg, "sft"))
    assert [r["step"] for r in again] == [3, 4, 5]
    assert losses(part) == losses(full)


def test_refusals(sft_setup, tmp_path):
    root = sft_setup
    web = write_byte_shards(tmp_path / "web", cc_texts(3), val_tokens=0)
    other = tiny_config(tmp_path / "other", str(web / "train-00000.fks"), train={"max_steps": 1})
    train(parse_config(other, "pretrain"))
    chat_tokenizer = str(root / "data" / "train" / "tokenizer.json")
    cases = [  # (what a config changes, the error, its message)
        # a base model of another tokenizer (plain bytes, another pattern)
        ({"init_from": str(tmp_path / "other")}, ConfigError, "base model was trained with"),
        # pre-training shards (no mask, no chat specials)
        (
            {"data": {"train": str(root / "web" / "merged"), "seq_len": 128}},
            FormatError,
            "written with tokenizer",
        ),
        # a tokenizer without the chat specials
        ({"tokenizer": str(root / "base-tokenizer.json")}, FormatError, "lacks the chat specials"),
        ({"init_from": str(tmp_path / "nothing")}, ConfigError, "init_from: no checkpoint"),
    ]
    for k, (change, error, message) in enumerate(cases):
        cfg = {"tokenizer": chat_tokenizer} | sft_config(root, tmp_path / str(k), 1) | change
        with pytest.raises(error, match=message):
            train(parse_config(cfg, "sft.yaml"))
    # config errors name the key
    cfg = sft_config(root, tmp_path / "d", max_steps=1) | {"model": {"n_layer": 4}}
    with pytest.raises(ConfigError, match=r"model.n_layer: kind sft takes the model's shape"):
        parse_config(cfg, "sft.yaml")
    del cfg["model"], cfg["init_from"]
    with pytest.raises(ConfigError, match="init_from: kind sft needs"):
        parse_config(cfg, "sft.yaml")


def test_a_gpt2_base_model_accepts_r50k_plus_chat_specials():
    """The documented path: a base model pre-trained on r50k shards is fine-tuned on shards of
    r50k + the chat specials (its fingerprint without them is the base's)."""
    from fineweb_kit.chat import with_chat_specials
    from fineweb_kit.shards.tokenizer import load_tokenizer
    from fineweb_kit.train.config import load_config
    from fineweb_kit.train.sft import base_fingerprint
    from tests.conftest import REPO, SHARED_DATA

    r50k = SHARED_DATA / "tokenizer-ref" / "r50k_base.tiktoken"
    chat = with_chat_specials(Tokenizer.from_tiktoken(r50k, "r50k_base"))
    assert base_fingerprint(chat) == load_tokenizer(str(r50k)).fingerprint_hex
    assert base_fingerprint(Tokenizer.from_tiktoken(r50k, "r50k_base")) is None  # no specials
    cfg = load_config(REPO / "pipelines" / "sft-gsm8k-train.yaml")
    assert cfg.kind == "sft" and cfg.init_from == "runs/gpt2-124m"


@pytest.mark.slow
def test_sft_ddp_two_processes_equal_one_with_accumulation(sft_setup, tmp_path):
    import math
    import os
    import subprocess
    import sys

    import yaml

    from tests.conftest import REPO

    root = sft_setup
    one = sft_config(root, tmp_path / "one", max_steps=3, grad_accum=2)
    train(parse_config(one, "sft"))
    two = sft_config(root, tmp_path / "two", max_steps=3, grad_accum=1)
    (tmp_path / "two.yaml").write_text(yaml.safe_dump(two))
    proc = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
         "-m", "fineweb_kit", "train", str(tmp_path / "two.yaml")],
        cwd=REPO, capture_output=True, text=True, timeout=300,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "world 2" in proc.stdout
    l1, l2 = losses(tmp_path / "one"), losses(tmp_path / "two")
    assert len(l1) == len(l2) == 3
    assert all(math.isclose(a, b, rel_tol=1e-5) for a, b in zip(l1, l2, strict=True)), (l1, l2)
