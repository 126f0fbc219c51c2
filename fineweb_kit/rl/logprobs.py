"""Batching helpers for post-training on top of :mod:`fineweb_kit.train.logprobs`:
right-padding, log-probs with the policy's entropy from one forward, and the hidden state of
each sequence's last token (reward models).

Sequences of different lengths are right-padded: with causal attention a real token never
sees a pad, so no attention mask is needed; the pads' outputs are masked out by the callers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def pad_right(
    seqs: Sequence[Sequence[int] | np.ndarray], pad: int = 0, device: torch.device | str = "cpu"
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(ids (B, T) long, lengths (B,) long)`` of sequences right-padded with ``pad``."""
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long)
    out = torch.full((len(seqs), int(lengths.max())), pad, dtype=torch.long)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = torch.as_tensor(list(s), dtype=torch.long)
    return out.to(device), lengths.to(device)


def logprobs_and_entropy(model: nn.Module, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``log p(ids[:, t+1] | ids[:, :t+1])`` (B, T-1) and the entropy of each of those
    next-token distributions (B, T-1, no gradient), from one forward pass."""
    logits, _ = model(ids[:, :-1])
    logp = F.log_softmax(logits.float(), dim=-1)
    picked = logp.gather(-1, ids[:, 1:, None]).squeeze(-1)
    with torch.no_grad():
        entropy = -(logp.exp() * logp).sum(-1)
    return picked, entropy


def last_hidden(model: nn.Module, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """The final-norm hidden state (B, n_embd) of each row's last real token.

    Read with a forward hook on ``model.norm`` so any GPT variant (KV cache, document masks)
    works unchanged; the LM head runs too, a small cost next to the blocks."""
    seen: list[torch.Tensor] = []
    handle = model.get_submodule("norm").register_forward_hook(lambda _m, _i, out: seen.append(out))
    try:
        model(ids)
    finally:
        handle.remove()
    h = seen[-1]
    return h[torch.arange(h.shape[0], device=h.device), lengths - 1]
