"""Per-token log-probabilities and last-token hidden states of right-padded sequences.

Sequences of different lengths are right-padded: with causal attention a real token never
sees a pad, so no attention mask is needed; the pads' outputs are masked out here.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn


def pad_right(
    seqs: Sequence[Sequence[int]], pad: int = 0, device: torch.device | str = "cpu"
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(ids (B, T) long, lengths (B,) long)`` of sequences right-padded with ``pad``."""
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long)
    out = torch.full((len(seqs), int(lengths.max())), pad, dtype=torch.long)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = torch.as_tensor(list(s), dtype=torch.long)
    return out.to(device), lengths.to(device)


def token_logprobs(
    model: nn.Module, ids: torch.Tensor, with_entropy: bool = False
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``log p(ids[:, t+1] | ids[:, :t+1])`` for every position, shape (B, T-1) float32, and
    (optionally) the entropy of each of those next-token distributions."""
    logits, _ = model(ids[:, :-1])
    logits = logits.float()
    logp = F.log_softmax(logits, dim=-1)
    picked = logp.gather(-1, ids[:, 1:, None]).squeeze(-1)
    entropy = None
    if with_entropy:
        entropy = -(logp.exp() * logp).sum(-1)
    return picked, entropy


def sequence_logprobs(model: nn.Module, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Sum of ``token_logprobs`` over ``mask`` (B, T-1: 1 where the target token counts)."""
    lp, _ = token_logprobs(model, ids)
    return (lp * mask).sum(-1)


def last_hidden(model: nn.Module, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """The final-norm hidden state (B, n_embd) of each row's last real token.

    Read with a forward hook on ``model.norm`` so any GPT variant (KV cache, document masks)
    works unchanged; the LM head runs too, a small cost next to the blocks."""
    seen: list[torch.Tensor] = []
    handle = model.norm.register_forward_hook(lambda _m, _i, out: seen.append(out))
    try:
        model(ids)
    finally:
        handle.remove()
    h = seen[-1]
    return h[torch.arange(h.shape[0], device=h.device), lengths - 1]
