"""DPO on planted preferences: the chosen/rejected log-ratio margin rises and the policy's
held-out preference accuracy beats the reference model's; reference log-probs are cached."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from fineweb_kit.rl.config import parse_post_config
from fineweb_kit.rl.dpo import DPOTrainer, dpo_loss
from tests.rl.planted import planted_pairs


def test_dpo_loss_is_trl_sigmoid():
    pc, pr = torch.tensor([-3.0, -5.0]), torch.tensor([-4.0, -4.0])
    rc, rr = torch.tensor([-3.5, -5.0]), torch.tensor([-3.5, -4.5])
    loss, chosen, rejected = dpo_loss(pc, pr, rc, rr, beta=0.1)
    h = (pc - rc) - (pr - rr)
    assert torch.allclose(loss, -F.logsigmoid(0.1 * h).mean())
    assert torch.allclose(chosen, 0.1 * (pc - rc)) and torch.allclose(rejected, 0.1 * (pr - rr))
    smoothed, _, _ = dpo_loss(pc, pr, rc, rr, beta=0.1, label_smoothing=0.2)
    want = (-0.8 * F.logsigmoid(0.1 * h) - 0.2 * F.logsigmoid(-0.1 * h)).mean()
    assert torch.allclose(smoothed, want)


def test_dpo_learns_planted_preferences(tmp_path):
    data = planted_pairs(tmp_path / "planted.jsonl", 160, seed=1)
    raw = {
        "kind": "dpo",
        "out_dir": str(tmp_path / "dpo"),
        "model": {"n_layer": 2, "n_head": 2, "n_embd": 64},
        "pairs": {"train": str(data), "val_fraction": 0.25, "max_len": 64},
        "optim": {"lr": 2e-3, "warmup_steps": 5, "weight_decay": 0.0},
        "train": {
            "batch_size": 16,
            "max_steps": 30,
            "eval_interval": 30,
            "checkpoint_interval": 15,
            "log_interval": 1000,
            "cpu_threads": 1,
            "seed": 0,
        },
    }
    cfg = parse_post_config(raw, "dpo-test")
    trainer = DPOTrainer(cfg)
    assert cfg.dpo.beta == 0.1
    rows = trainer.run()
    first, last = rows[0], rows[-1]
    assert first["initial"] and abs(first["val_margin"]) < 1e-4  # policy == reference
    ref_acc = last["val_reference_preference_accuracy"]
    print(
        f"DPO held-out: margin {last['val_margin']:.3f}, preference accuracy "
        f"{last['val_preference_accuracy']:.3f} vs reference {ref_acc:.3f}"
    )
    assert last["val_margin"] > 0.3
    assert last["val_reward_accuracy"] == 1.0
    assert last["val_preference_accuracy"] == 1.0 > ref_acc + 0.2
    train_margins = [r["margin"] for r in rows if "margin" in r]
    assert sum(train_margins[-5:]) / 5 > sum(train_margins[:5]) / 5
    # the cached reference log-probs are reused by a resumed run (no reference recomputed)
    cached = torch.load(tmp_path / "dpo" / "reference_logps.pt", weights_only=False)
    again = DPOTrainer(parse_post_config({**raw, "train": {**raw["train"], "max_steps": 31}}, "x"))
    assert again.step == 30
    assert torch.equal(again.ref["train"][0], cached["train"][0])
