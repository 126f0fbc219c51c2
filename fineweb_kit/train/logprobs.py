"""Per-token log-probabilities of given sequences under a model: the shared core of the SFT
loss and of RL's policy-gradient and KL terms (GRPO, DPO).

``token_logprobs(model, inputs, targets)`` returns ``log p(targets[b, t] | inputs[b, :t+1])``
for every position, computed in float32 from the logits (``log_softmax`` then a gather), with
0 where ``targets`` is ``-1`` (ignored: prompt, tool outputs, padding). Differentiable, so a
policy loss backpropagates through it; wrap in ``torch.no_grad()`` for reference models.

``masked_mean_nll`` is the SFT loss as the trainer computes it: the mean negative
log-likelihood over the positions that count, exactly ``F.cross_entropy(...,
ignore_index=-1)`` (``GPT.forward`` with targets), written out for callers that want the
per-token terms (e.g. to weight them).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

IGNORE = -1


def token_logprobs(
    model: torch.nn.Module,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    doc_ids: torch.Tensor | None = None,
) -> torch.Tensor:
    """(B, T) log-probabilities of ``targets`` (B, T) after each prefix of ``inputs`` (B, T);
    0 where ``targets == -1``. ``doc_ids``: packed sequences (see ``GPT.forward``)."""
    logits, _ = model(inputs, doc_ids=doc_ids)
    logp = F.log_softmax(logits.float(), dim=-1)
    keep = targets != IGNORE
    picked = logp.gather(-1, targets.clamp_min(0).unsqueeze(-1)).squeeze(-1)
    return picked * keep


def sequence_logprobs(
    model: torch.nn.Module, ids: torch.Tensor, mask: torch.Tensor
) -> torch.Tensor:
    """(B, T-1) log-probabilities of ``ids[:, 1:]`` given the tokens before, 0 where
    ``mask[:, 1:]`` is 0: the form RL uses (a prompt + completion row and the completion's
    0/1 mask, e.g. :class:`~fineweb_kit.chat.engine.Completion.mask` after the prompt's 0s)."""
    targets = torch.where(mask[:, 1:].bool(), ids[:, 1:], torch.full_like(ids[:, 1:], IGNORE))
    return token_logprobs(model, ids[:, :-1], targets)


def masked_mean_nll(logprobs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean of ``-logprobs`` over positions where ``targets != -1`` (0 if there are none)."""
    keep = targets != IGNORE
    return -(logprobs * keep).sum() / keep.sum().clamp_min(1)
