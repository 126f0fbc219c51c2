"""What every post-training run shares: device, seeding, the model (fresh or from an ``init``
checkpoint), AdamW with the pre-trainer's schedule, atomic checkpoints with resume, and the
``log.jsonl`` of per-step rows (trimmed on resume, as in :mod:`fineweb_kit.train.train`)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import torch
from torch import nn

from fineweb_kit.exceptions import ConfigError
from fineweb_kit.rl.config import PostTrainConfig
from fineweb_kit.rl.preferences import prepare_pairs
from fineweb_kit.rl.tokens import chat_tokenizer
from fineweb_kit.train import checkpoint
from fineweb_kit.train.config import ModelConfig
from fineweb_kit.train.model import GPT, param_groups
from fineweb_kit.train.train import lr_at, resolve_device


def load_gpt(path: str | Path, device: torch.device | str = "cpu") -> GPT:
    """A GPT from a run folder or checkpoint folder (its newest complete checkpoint)."""
    ckpt = checkpoint.latest(path)
    if ckpt is None:
        raise ConfigError(f"{path}: no checkpoint found (expected OUT/checkpoints/LATEST)")
    state = checkpoint.load(ckpt)
    model = GPT(ModelConfig(**state["model_config"]))
    model.load_state_dict(state["model"])
    return model.to(device)


class PostTrainer:
    """Base of the rm / dpo / rl runs. Subclasses build their model in ``build_model``
    and implement ``train_step`` and ``evaluate``; ``extra_state`` adds to checkpoints."""

    def __init__(self, cfg: PostTrainConfig, stop_after: int | None = None) -> None:
        self.cfg, self.stop_after = cfg, stop_after
        self.out = Path(cfg.out_dir)
        self.device = resolve_device(cfg)  # type: ignore[arg-type]
        if self.device.type == "cpu" and cfg.train.cpu_threads > 0:
            torch.set_num_threads(cfg.train.cpu_threads)
        self._init_model: GPT | None = None
        if cfg.init and cfg.tokenizer is None:
            # an SFT run: its own chat tokenizer, fingerprint-checked against the checkpoint
            from fineweb_kit.chat.load import load_chat_model

            self._init_model, template = load_chat_model(cfg.init, device=str(self.device))
            self.tokenizer = template.tokenizer
            state = checkpoint.load(checkpoint.latest(cfg.init))  # type: ignore[arg-type]
            self.tokenizer_spec = str(state["tokenizer"])
        else:
            self.tokenizer_spec = cfg.tokenizer or "bytes"
            self.tokenizer = chat_tokenizer(self.tokenizer_spec)
        torch.manual_seed(cfg.train.seed)
        self.step = 0
        self.stop_reason = ""

    def base_model(self) -> GPT:
        """The policy/backbone: the ``init`` checkpoint or a fresh ``model``-shaped GPT."""
        c = self.cfg
        if c.init:
            model = self._init_model or load_gpt(c.init, self.device)
            model.train()
            if model.cfg.vocab_size < self.tokenizer.n_vocab:
                raise ConfigError(
                    f"{c.source}: init: checkpoint {c.init} has {model.cfg.vocab_size} ids but "
                    f"the chat tokenizer {self.tokenizer.n_vocab}; start from an SFT checkpoint"
                )
            c.model = model.cfg
            return model
        c.model.vocab_size = self.tokenizer.n_vocab
        c.model.max_seq_len = max(c.model.max_seq_len, 256)
        return GPT(c.model).to(self.device)

    def pair_model(self) -> GPT:
        """The backbone of a preference-pair run (rm, dpo), long enough for ``pairs.max_len``;
        loads the rendered pairs it fits into ``train_pairs``, ``val_pairs`` (and ``skipped``)."""
        c = self.cfg
        assert c.pairs is not None
        c.model.max_seq_len = max(c.model.max_seq_len, c.pairs.max_len)
        gpt = self.base_model()
        max_len = min(c.pairs.max_len, gpt.cfg.max_seq_len)  # an init model may be shorter
        self.train_pairs, self.val_pairs, self.skipped = prepare_pairs(
            c.pairs, self.tokenizer, c.train.seed, max_len, c.source
        )
        return gpt

    def make_optimizer(self, model: nn.Module) -> None:
        o = self.cfg.optim
        self.opt = torch.optim.AdamW(
            param_groups(model, o.weight_decay),
            lr=o.lr,
            betas=(o.beta1, o.beta2),
            eps=o.eps,
            fused=self.device.type == "cuda",
        )

    def optimizer_step(self, model: nn.Module) -> float:
        """Clips the gradients of ``model`` to ``optim.grad_clip`` (0: no clipping), takes an
        optimizer step, zeroes the gradients; returns the gradient norm before clipping."""
        clip = self.cfg.optim.grad_clip or float("inf")
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        self.opt.step()
        self.opt.zero_grad(set_to_none=True)
        return float(norm)

    def set_lr(self) -> float:
        lr = lr_at(self.step, self.cfg)  # type: ignore[arg-type]
        for g in self.opt.param_groups:
            g["lr"] = lr
        return lr

    # -------------------------------------------------------------- checkpoints
    def trained(self) -> nn.Module:
        raise NotImplementedError

    def extra_state(self) -> dict[str, Any]:
        return {}

    def load_extra(self, state: dict[str, Any]) -> None:
        pass

    def save(self) -> Path:
        model = self.trained()
        state = {
            "model": model.state_dict(),
            "optim": self.opt.state_dict(),
            "step": self.step,
            "model_config": dataclasses.asdict(self.cfg.model),
            "kind": self.cfg.kind,
            "tokenizer": self.tokenizer_spec,
            "rng": torch.get_rng_state(),
            **self.extra_state(),
        }
        return checkpoint.save(self.out, self.step, state, self.cfg.to_dict())

    def resume(self) -> bool:
        ckpt = checkpoint.latest(self.out)
        if ckpt is None:
            return False
        state = checkpoint.load(ckpt)
        checkpoint.check_model_config(
            ckpt, state["model_config"], dataclasses.asdict(self.cfg.model)
        )
        self.trained().load_state_dict(state["model"])
        self.opt.load_state_dict(state["optim"])
        torch.set_rng_state(state["rng"])
        self.step = state["step"]
        self.load_extra(state)
        log = self.out / "log.jsonl"
        if log.is_file():
            keep = [
                ln
                for ln in log.read_text().splitlines()
                if json.loads(ln).get("step", 0) < self.step
            ]
            log.write_text("".join(f"{ln}\n" for ln in keep))
        print(f"resumed from {ckpt} at step {self.step}", flush=True)
        return True

    def log(self, row: dict[str, Any]) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        with open(self.out / "log.jsonl", "a") as f:
            f.write(json.dumps(row) + "\n")
        if row["step"] % self.cfg.train.log_interval == 0:
            shown = " | ".join(
                f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()
            )
            print(shown, flush=True)

    # -------------------------------------------------------------- the loop
    def train_step(self) -> dict[str, float]:
        raise NotImplementedError

    def evaluate(self) -> dict[str, float]:
        return {}

    def should_stop(self, row: dict[str, Any]) -> bool:
        """Ends the run early after ``row`` (e.g. RLHF's KL budget); checkpointed first."""
        return False

    def run(self) -> list[dict[str, Any]]:
        """Steps until ``train.max_steps`` (or ``stop_after`` steps of this invocation, or
        ``should_stop``); evaluates every ``eval_interval``; checkpoints every
        ``checkpoint_interval`` and at the end. Returns this invocation's rows."""
        c = self.cfg
        rows: list[dict[str, Any]] = []
        if self.step == 0:
            row: dict[str, Any] = {"step": 0, **self.evaluate(), "initial": True}
            self.log(row)
            rows.append(row)
        done = 0
        while self.step < c.train.max_steps:
            if self.stop_after is not None and done >= self.stop_after:
                self.save()
                break
            row = {"step": self.step, **self.train_step()}
            self.step += 1
            done += 1
            last = self.step == c.train.max_steps
            stop = self.should_stop(row)
            if self.step % c.train.eval_interval == 0 or last or stop:
                row.update(self.evaluate())
            if stop:
                row["stopped"] = self.stop_reason
            self.log(row)
            rows.append(row)
            if self.step % c.train.checkpoint_interval == 0 or last or stop:
                self.save()
            if stop:
                print(f"stopping at step {self.step}: {self.stop_reason}", flush=True)
                break
        return rows
