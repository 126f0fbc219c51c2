"""Direct Preference Optimization (Rafailov et al. 2023), ``fineweb-kit train dpo.yaml``.

Loss (TRL's ``DPOTrainer``, ``loss_type: sigmoid``): with ``π`` the policy and ``ref`` the
frozen starting model, log-probabilities summed over the final assistant turn,

    h = (log π(y_c|x) - log ref(y_c|x)) - (log π(y_r|x) - log ref(y_r|x))
    loss = -(1 - ε) log σ(β h) - ε log σ(-β h)          (ε: label smoothing, default 0)

``β`` defaults to 0.1. The implicit rewards ``β (log π - log ref)`` of chosen and rejected, their
margin and the share of pairs with a positive margin are logged. The reference log-probs are
computed once at the start for every train and held-out pair and cached in
``OUT/reference_logps.pt`` (reused on resume), so no reference model is kept in memory.
Held-out, besides the margin, the *preference accuracy* ``log π(y_c|x) > log π(y_r|x)`` of the
policy is logged beside the reference model's.
"""

from __future__ import annotations

import copy
import hashlib
import random
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from fineweb_kit.rl.config import PostTrainConfig
from fineweb_kit.rl.logprobs import pad_right
from fineweb_kit.rl.preferences import RenderedPair
from fineweb_kit.rl.runs import PostTrainer
from fineweb_kit.train.logprobs import sequence_logprobs


def dpo_loss(
    policy_chosen: torch.Tensor,
    policy_rejected: torch.Tensor,
    ref_chosen: torch.Tensor,
    ref_rejected: torch.Tensor,
    beta: float = 0.1,
    label_smoothing: float = 0.0,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(loss, chosen_rewards, rejected_rewards)``; rewards are ``β (log π - log ref)``."""
    h = (policy_chosen - ref_chosen) - (policy_rejected - ref_rejected)
    losses = -F.logsigmoid(beta * h) * (1 - label_smoothing) - F.logsigmoid(-beta * h) * (
        label_smoothing
    )
    chosen = beta * (policy_chosen - ref_chosen).detach()
    rejected = beta * (policy_rejected - ref_rejected).detach()
    return losses.mean(), chosen, rejected


def _pair_tensors(
    pairs: list[RenderedPair], device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """Chosen rows then rejected rows, padded, and their response masks (B, T)."""
    seqs = [p.chosen for p in pairs] + [p.rejected for p in pairs]
    masks = [p.chosen_mask for p in pairs] + [p.rejected_mask for p in pairs]
    ids, _ = pad_right(seqs, 0, device)
    mask, _ = pad_right(masks, 0, device)
    return ids, mask


@torch.no_grad()
def pair_logprobs(
    model: nn.Module, pairs: list[RenderedPair], batch_size: int, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """Summed response log-probs ``(chosen (N,), rejected (N,))`` of ``model``."""
    was = model.training
    model.eval()
    cs, rs = [], []
    for i in range(0, len(pairs), batch_size):
        chunk = pairs[i : i + batch_size]
        ids, mask = _pair_tensors(chunk, device)
        lp = sequence_logprobs(model, ids, mask).sum(-1).cpu()
        cs.append(lp[: len(chunk)])
        rs.append(lp[len(chunk) :])
    model.train(was)
    return (torch.cat(cs), torch.cat(rs)) if cs else (torch.zeros(0), torch.zeros(0))


def _fingerprint(pairs: list[RenderedPair]) -> str:
    h = hashlib.sha256()
    for p in pairs:
        h.update(p.chosen.tobytes() + b"|" + p.rejected.tobytes() + b"|")
    return h.hexdigest()


class DPOTrainer(PostTrainer):
    """``kind: dpo`` runs."""

    def __init__(self, cfg: PostTrainConfig, stop_after: int | None = None) -> None:
        super().__init__(cfg, stop_after)
        self.policy = self.pair_model()
        self.make_optimizer(self.policy)
        self.ref = self._reference_logps()
        self.resume()

    def _reference_logps(self) -> dict[str, Any]:
        """Reference log-probs of all pairs, computed once (the starting policy is the
        reference) and cached on disk for resumed runs."""
        path = self.out / "reference_logps.pt"
        key = _fingerprint(self.train_pairs) + _fingerprint(self.val_pairs)
        if path.is_file():
            cached = torch.load(path, weights_only=False)
            if cached.get("key") == key:
                return cached
        bs = self.cfg.train.batch_size
        ref = copy.deepcopy(self.policy)
        tc, tr = pair_logprobs(ref, self.train_pairs, bs, self.device)
        vc, vr = pair_logprobs(ref, self.val_pairs, bs, self.device)
        del ref
        out = {"key": key, "train": (tc, tr), "val": (vc, vr)}
        self.out.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        torch.save(out, tmp)
        tmp.replace(path)
        return out

    def trained(self) -> nn.Module:
        return self.policy

    def train_step(self) -> dict[str, float]:
        c = self.cfg
        lr = self.set_lr()
        r = random.Random(c.train.seed * 1_000_003 + self.step)
        idx = r.sample(range(len(self.train_pairs)), min(c.train.batch_size, len(self.train_pairs)))
        pairs = [self.train_pairs[i] for i in idx]
        ids, mask = _pair_tensors(pairs, self.device)
        lp = sequence_logprobs(self.policy, ids, mask).sum(-1)
        n = len(pairs)
        ref_c = self.ref["train"][0][idx].to(self.device)
        ref_r = self.ref["train"][1][idx].to(self.device)
        loss, rc, rr = dpo_loss(lp[:n], lp[n:], ref_c, ref_r, c.dpo.beta, c.dpo.label_smoothing)
        loss.backward()
        return {
            "loss": float(loss.detach()),
            "lr": lr,
            "grad_norm": self.optimizer_step(self.policy),
            "reward_chosen": float(rc.mean()),
            "reward_rejected": float(rr.mean()),
            "margin": float((rc - rr).mean()),
            "reward_accuracy": float((rc > rr).float().mean()),
        }

    def evaluate(self) -> dict[str, float]:
        if not self.val_pairs:
            return {}
        b = self.cfg.dpo.beta
        pc, pr = pair_logprobs(self.policy, self.val_pairs, self.cfg.train.batch_size, self.device)
        rc, rr = self.ref["val"]
        margin = b * ((pc - rc) - (pr - rr))
        return {
            "val_margin": float(margin.mean()),
            "val_reward_accuracy": float((margin > 0).float().mean()),
            "val_preference_accuracy": float((pc > pr).float().mean()),
            "val_reference_preference_accuracy": float((rc > rr).float().mean()),
        }
