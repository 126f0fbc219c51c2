"""Reward model: the base GPT with a scalar head read at the last token, trained on
preference pairs with the Bradley–Terry loss (``fineweb-kit train rm.yaml``).

Loss (TRL's ``RewardTrainer``): ``-log σ(r_chosen - r_rejected - margin)`` averaged over the
batch, plus ``center_coef * mean((r_chosen + r_rejected)^2)`` when reward centering is on
(keeps rewards near zero, Eisenstein et al. 2023). Evaluation: pairwise accuracy (the share
of held-out pairs with ``r_chosen > r_rejected``) and the mean margin.

A trained reward model is a run folder like any other (``OUT/checkpoints/...``, ``kind: rm``);
:class:`RewardScorer` loads it to score conversations or plain documents (as one assistant
turn), for RLHF rewards or a pipeline step.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from fineweb_kit.chat.messages import Conversation
from fineweb_kit.chat.template import ChatTemplate
from fineweb_kit.exceptions import ConfigError
from fineweb_kit.rl.config import PostTrainConfig
from fineweb_kit.rl.logprobs import last_hidden, pad_right
from fineweb_kit.rl.runs import PostTrainer
from fineweb_kit.rl.tokens import chat_tokenizer
from fineweb_kit.train import checkpoint
from fineweb_kit.train.config import ModelConfig
from fineweb_kit.train.model import GPT


class RewardModel(nn.Module):
    """``forward(ids (B, T), lengths (B,)) -> rewards (B,)``: a linear head on the final-norm
    hidden state of each sequence's last real token."""

    def __init__(self, gpt: GPT) -> None:
        super().__init__()
        self.gpt = gpt
        self.score = nn.Linear(gpt.cfg.n_embd, 1)
        nn.init.normal_(self.score.weight, 0.0, 1.0 / (gpt.cfg.n_embd + 1) ** 0.5)
        nn.init.zeros_(self.score.bias)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return self.score(last_hidden(self.gpt, ids, lengths)).squeeze(-1).float()


def bradley_terry_loss(
    r_chosen: torch.Tensor, r_rejected: torch.Tensor, margin: float = 0.0, center_coef: float = 0.0
) -> torch.Tensor:
    """``mean(-log σ(r_c - r_r - margin)) + center_coef * mean((r_c + r_r)^2)``."""
    loss = -F.logsigmoid(r_chosen - r_rejected - margin).mean()
    if center_coef:
        loss = loss + center_coef * ((r_chosen + r_rejected) ** 2).mean()
    return loss


@torch.no_grad()
def score_ids(
    model: RewardModel, seqs: Sequence[Sequence[int] | np.ndarray], batch_size: int = 16
) -> torch.Tensor:
    """Rewards of token sequences, in batches."""
    dev = next(model.parameters()).device
    out = []
    was = model.training
    model.eval()
    for i in range(0, len(seqs), batch_size):
        ids, lengths = pad_right(seqs[i : i + batch_size], 0, dev)
        out.append(model(ids, lengths).cpu())
    model.train(was)
    return torch.cat(out) if out else torch.zeros(0)


def pairwise_accuracy(model: RewardModel, pairs: list, batch_size: int = 16) -> dict[str, float]:
    """Share of pairs scored ``r_chosen > r_rejected`` and the mean margin (RenderedPairs)."""
    rc = score_ids(model, [p.chosen for p in pairs], batch_size)
    rr = score_ids(model, [p.rejected for p in pairs], batch_size)
    return {
        "accuracy": float((rc > rr).float().mean()),
        "margin": float((rc - rr).mean()),
    }


class RewardScorer:
    """A saved reward model, ready to score: ``RewardScorer.load(run_folder)``."""

    def __init__(self, model: RewardModel, template: ChatTemplate, max_len: int) -> None:
        self.model, self.template, self.max_len = model.eval(), template, max_len

    @classmethod
    def load(cls, path: str | Path, device: torch.device | str = "cpu") -> RewardScorer:
        ckpt = checkpoint.latest(path)
        if ckpt is None:
            raise ConfigError(f"{path}: no reward model checkpoint found")
        state = checkpoint.load(ckpt)
        if state.get("kind") != "rm":
            raise ConfigError(f"{ckpt}: a {state.get('kind', 'pre-training')} run, not a rm run")
        model = RewardModel(GPT(ModelConfig(**state["model_config"])))
        model.load_state_dict(state["model"])
        template = ChatTemplate(chat_tokenizer(state["tokenizer"]))
        return cls(model.to(device), template, state["model_config"]["max_seq_len"])

    def score_conversations(self, conversations: Sequence[Conversation]) -> list[float]:
        rendered = self.template.render_batch(list(conversations))
        return score_ids(self.model, [r.ids[-self.max_len :] for r in rendered]).tolist()

    def score_texts(self, texts: Sequence[str]) -> list[float]:
        """Documents scored as one assistant turn each."""
        return self.score_conversations([[{"role": "assistant", "content": t}] for t in texts])


class RMTrainer(PostTrainer):
    """``kind: rm`` runs: Bradley–Terry on preference pairs, pairwise accuracy held out."""

    def __init__(self, cfg: PostTrainConfig, stop_after: int | None = None) -> None:
        super().__init__(cfg, stop_after)
        self.model = RewardModel(self.pair_model()).to(self.device)
        self.make_optimizer(self.model)
        self.resume()

    def trained(self) -> nn.Module:
        return self.model

    def batch(self) -> list:
        r = random.Random(self.cfg.train.seed * 1_000_003 + self.step)
        return r.sample(self.train_pairs, min(self.cfg.train.batch_size, len(self.train_pairs)))

    def train_step(self) -> dict[str, float]:
        lr = self.set_lr()
        pairs = self.batch()
        seqs = [p.chosen for p in pairs] + [p.rejected for p in pairs]
        ids, lengths = pad_right(seqs, 0, self.device)
        rewards = self.model(ids, lengths)
        rc, rr = rewards[: len(pairs)], rewards[len(pairs) :]
        o = self.cfg.rm
        loss = bradley_terry_loss(rc, rr, o.margin, o.center_coef)
        loss.backward()
        return {
            "loss": float(loss.detach()),
            "lr": lr,
            "grad_norm": self.optimizer_step(self.model),
            "train_accuracy": float((rc > rr).float().mean()),
        }

    def evaluate(self) -> dict[str, float]:
        if not self.val_pairs:
            return {}
        m = pairwise_accuracy(self.model, self.val_pairs, self.cfg.train.batch_size)
        return {f"val_{k}": v for k, v in m.items()}
