"""Reward model: the Bradley–Terry loss, 100 % on planted pairs, above chance on HH-RLHF,
saved and loaded through ``fineweb-kit train rm.yaml`` as a scorer."""

from __future__ import annotations

import json

import pytest
import torch
import yaml

from fineweb_kit.cli import main
from fineweb_kit.rl.config import parse_post_config
from fineweb_kit.rl.reward_model import RewardScorer, RMTrainer, bradley_terry_loss
from tests.rl.planted import planted_pairs

TINY = {"n_layer": 2, "n_head": 2, "n_embd": 64}


def rm_config(out, train, steps, max_len=128, **extra) -> dict:
    return {
        "kind": "rm",
        "out_dir": str(out),
        "model": TINY,
        "pairs": {"train": str(train), "val_fraction": 0.2, "max_len": max_len},
        "optim": {"lr": 1e-3, "warmup_steps": 10, "weight_decay": 0.0},
        "train": {
            "batch_size": 16,
            "max_steps": steps,
            "eval_interval": steps,
            "checkpoint_interval": steps,
            "log_interval": 1000,
            "cpu_threads": 1,
            "seed": 0,
        },
        **extra,
    }


def test_bradley_terry_loss_matches_its_definition():
    rc, rr = torch.tensor([2.0, -1.0, 0.5]), torch.tensor([1.0, 0.0, 0.5])
    want = torch.log1p(torch.exp(-(rc - rr))).mean()
    assert torch.allclose(bradley_terry_loss(rc, rr), want)
    with_margin = torch.log1p(torch.exp(-(rc - rr - 0.5))).mean()
    assert torch.allclose(bradley_terry_loss(rc, rr, margin=0.5), with_margin)
    centered = want + 0.01 * ((rc + rr) ** 2).mean()
    assert torch.allclose(bradley_terry_loss(rc, rr, center_coef=0.01), centered)


def test_planted_preferences_are_learned_perfectly_and_the_model_scores_after_loading(tmp_path):
    data = planted_pairs(tmp_path / "planted.jsonl", 200)
    cfg_path = tmp_path / "rm.yaml"
    cfg_path.write_text(yaml.safe_dump(rm_config(tmp_path / "run", data, 40, max_len=64)))
    assert main(["train", str(cfg_path)]) == 0
    rows = [json.loads(ln) for ln in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert rows[0]["initial"] and rows[0]["val_accuracy"] < 0.9
    assert rows[-1]["val_accuracy"] == 1.0
    scorer = RewardScorer.load(tmp_path / "run")
    prompt = [{"role": "user", "content": "Tell me about hill."}]
    good, bad = scorer.score_conversations(
        [
            [*prompt, {"role": "assistant", "content": "lamp door wind :)"}],
            [*prompt, {"role": "assistant", "content": "lamp door wind :("}],
        ]
    )
    assert good > bad
    a, b = scorer.score_texts(["seed river :)", "seed river :("])
    assert a > b
    # the same model as a pipeline step: conversations and plain documents
    from fineweb_kit.document import Document
    from fineweb_kit.steps.base import TaskContext
    from fineweb_kit.steps.classifiers.reward_scorer import RewardModelScorer

    step = RewardModelScorer(str(tmp_path / "run"), key="rm")
    step.setup(TaskContext("s", output_root=tmp_path))
    conv = [*prompt, {"role": "assistant", "content": "lamp door wind :)"}]
    docs = [
        Document("x", "1", metadata={"messages": conv}),
        Document("seed river :)", "2"),
        Document("seed river :(", "3"),
    ]
    step.process_batch(docs, TaskContext("s", output_root=tmp_path))
    assert docs[0].metadata["rm"] == pytest.approx(good, abs=1e-5)
    assert docs[1].metadata["rm"] == pytest.approx(a, abs=1e-5)
    assert docs[1].metadata["rm"] > docs[2].metadata["rm"]


@pytest.mark.slow
def test_hh_rlhf_held_out_accuracy_above_chance(tmp_path, shared_data):
    """Measured in a first run (seed 0, 60 steps, 2x64 byte-level model, last 128 tokens):
    held-out pairwise accuracy 0.5825 on 400 pairs (chance 0.5, one std error 0.025)."""
    hh = shared_data / "posttrain" / "hh-rlhf-harmless-base-test.jsonl.gz"
    cfg = parse_post_config(rm_config(tmp_path / "hh", hh, 60), "hh-test")
    trainer = RMTrainer(cfg)
    assert len(trainer.val_pairs) == 400
    rows = trainer.run()
    acc = rows[-1]["val_accuracy"]
    print(f"HH-RLHF held-out pairwise accuracy: {acc:.4f}")
    assert acc >= 0.55  # chance + 2 std errors
