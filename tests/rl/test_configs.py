"""The worked configs parse (every key known, every value typed), and mistakes are named."""

from __future__ import annotations

import pytest

from fineweb_kit.exceptions import ConfigError
from fineweb_kit.rl.config import load_post_config, parse_post_config
from tests.conftest import REPO, SHARED_DATA

SHARED = SHARED_DATA / "posttrain"


@pytest.mark.parametrize("name", ["rl-gsm8k", "rm-hh", "dpo-hh"])
def test_worked_configs_parse(name):
    cfg = load_post_config(REPO / "pipelines" / f"{name}.yaml")
    assert cfg.kind == name.split("-")[0]
    assert cfg.init == "runs/sft-gsm8k" and cfg.tokenizer is None
    if cfg.kind == "dpo":
        assert cfg.dpo.beta == 0.1


def test_config_errors_name_the_key():
    with pytest.raises(ConfigError, match=r"rl.group_sise: unknown key \(did you mean"):
        parse_post_config({"kind": "rl", "tasks": {}, "rl": {"group_sise": 4}}, "x.yaml")
    with pytest.raises(ConfigError, match=r"pairs\.train"):
        parse_post_config({"kind": "rm"}, "x.yaml")
    with pytest.raises(ConfigError, match="token_count reward needs text"):
        parse_post_config(
            {"kind": "rl", "tasks": {}, "rl": {"rewards": [{"kind": "token_count"}]}}, "x.yaml"
        )


def test_gsm8k_rl_config_runs_a_step_on_a_tiny_model(tmp_path):
    """The worked GSM8K config, shrunk: a fresh byte-level model instead of the SFT run."""
    from fineweb_kit.rl.grpo import GRPOTrainer

    cfg = load_post_config(
        REPO / "pipelines" / "rl-gsm8k.yaml",
        [
            "init=null",
            "tokenizer=bytes",
            f"out_dir={tmp_path}",
            "model={n_layer: 1, n_head: 2, n_embd: 32, max_seq_len: 400}",
            "tasks.path=" + str(SHARED / "gsm8k-train.jsonl.gz"),
            "tasks.val_path=" + str(SHARED / "gsm8k-test.jsonl.gz"),
            "tasks.n_train=8",
            "tasks.n_val=4",
            "rl.group_size=2",
            "rl.prompts_per_step=2",
            "rl.max_new_tokens=4",
            "train.max_steps=1",
            "train.device=cpu",
        ],
    )
    trainer = GRPOTrainer(cfg)
    assert 0 < len(trainer.train_tasks) <= 8 and trainer.train_tasks[0].checker == "gsm8k"
    rows = trainer.run()
    assert rows[0]["initial"] and "val_pass1" in rows[-1] and rows[-1]["step"] == 0
    assert (tmp_path / "checkpoints" / "LATEST").is_file()


def test_an_init_run_brings_its_own_chat_tokenizer(tmp_path):
    """``init`` without ``tokenizer``: the run's recorded tokenizer file is loaded and checked
    against the checkpoint's fingerprint (as an SFT run records them); the RM saved from it
    names that tokenizer, so ``RewardScorer.load`` finds it again."""
    import dataclasses

    from fineweb_kit.rl.reward_model import RewardScorer, RMTrainer
    from fineweb_kit.rl.tokens import byte_chat_tokenizer
    from fineweb_kit.shards.tokenizer import from_fineweb_kit
    from fineweb_kit.train import checkpoint
    from fineweb_kit.train.config import ModelConfig
    from fineweb_kit.train.model import GPT
    from tests.rl.planted import planted_pairs

    tok = byte_chat_tokenizer()
    tok_path = tmp_path / "chat-bytes.json"
    tok.save(tok_path)
    cfg = ModelConfig(n_layer=1, n_head=2, n_embd=32, vocab_size=tok.n_vocab, max_seq_len=96)
    state = {
        "model": GPT(cfg).state_dict(),
        "model_config": dataclasses.asdict(cfg),
        "tokenizer": str(tok_path),
        "fingerprint": from_fineweb_kit(tok, tok.name).fingerprint_hex,
        "step": 1,
    }
    checkpoint.save(tmp_path / "sft", 1, state, {})
    raw = {
        "kind": "rm",
        "out_dir": str(tmp_path / "rm"),
        "init": str(tmp_path / "sft"),
        "pairs": {"train": str(planted_pairs(tmp_path / "p.jsonl", 20)), "max_len": 512},
        "train": {"max_steps": 1, "batch_size": 4, "cpu_threads": 1},
    }
    trainer = RMTrainer(parse_post_config(raw, "init-test"))
    assert trainer.tokenizer_spec == str(tok_path)
    trainer.run()
    assert RewardScorer.load(tmp_path / "rm").score_texts(["hello"])
    state["fingerprint"] = "0" * 16
    checkpoint.save(tmp_path / "sft", 2, state, {})
    with pytest.raises(ConfigError, match="not the one the model was trained with"):
        RMTrainer(parse_post_config({**raw, "out_dir": str(tmp_path / "rm2")}, "x"))
