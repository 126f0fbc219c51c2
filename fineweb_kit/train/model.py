"""A GPT in the style of GPT-2 / nanoGPT, with each modern choice a config switch.

Shape: token embedding -> ``n_layer`` pre-norm blocks (causal self-attention + MLP, residual)
-> final norm -> linear head (tied to the embedding by default). Choices (``ModelConfig``):

- positions: ``rope`` (rotary, applied to q and k per head; no parameters, extrapolates
  better than a learned table) or ``learned`` (GPT-2's ``wpe`` table of ``max_seq_len`` rows);
- norm: ``rmsnorm`` (no mean subtraction, no bias; what LLaMA uses) or ``layernorm`` (GPT-2);
- ``bias``: biases in linear layers and norms (GPT-2: yes; today: no, slightly faster and no
  worse, as nanoGPT's README notes);
- attention through ``F.scaled_dot_product_attention(is_causal=True)``, which dispatches to
  FlashAttention / memory-efficient kernels on CUDA and a plain kernel on CPU.

Two optional inputs of ``forward`` serve fine-tuning and generation; without them the
pre-training path is the code above, unchanged (same kernel, same speed):

- ``doc_ids`` (B, T): document-aware attention inside a packed window. A token attends only
  to earlier tokens with the same id (a block-diagonal causal mask, passed to SDPA as a
  boolean ``attn_mask``) and its position (RoPE angle or ``wpe`` row) restarts at 0 with each
  document. So a conversation packed after others gets the logits it gets alone
  (``tests/train/test_model_cache.py``: equal within 1e-5 in float32). The mask costs
  O(T^2) booleans per row and routes CUDA to SDPA's memory-efficient kernel instead of flash.
- ``cache`` (:class:`KVCache`): keys and values of earlier tokens are kept per layer, so
  generation runs one forward per new token over the new token only (not the whole prefix).
  Rows may be left-padded (``KVCache.start``): pad keys are masked out and positions count
  from each row's first real token, so a batch of prompts of different lengths gives each
  the tokens it would get alone.

Initialisation follows GPT-2: normal(0, 0.02), residual output projections scaled by
``1/sqrt(2 * n_layer)``. ``flops_per_token`` counts 6N + 12·L·d·T (PaLM appendix B), the
basis of the MFU figure the trainer logs on GPUs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from fineweb_kit.train.config import ModelConfig


def padded_vocab(cfg: ModelConfig) -> int:
    m = max(1, cfg.vocab_pad_to)
    return (cfg.vocab_size + m - 1) // m * m


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xf = x.float()
        return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)).type_as(
            x
        ) * self.weight


def make_norm(cfg: ModelConfig) -> nn.Module:
    if cfg.norm == "rmsnorm":
        return RMSNorm(cfg.n_embd)
    return nn.LayerNorm(cfg.n_embd, bias=cfg.bias)


Rope = tuple[torch.Tensor, torch.Tensor]
"""The (cos, sin) tables of :func:`rope_tables`."""
Mask = torch.Tensor | None
"""An attention mask (True: may attend), or None for plain causal attention."""


def rope_tables(head_dim: int, seq_len: int, base: float) -> Rope:
    inv = 1.0 / (base ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
    angles = torch.outer(torch.arange(seq_len, dtype=torch.float32), inv)  # (T, hd/2)
    return angles.cos(), angles.sin()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotates pairs (first half, second half) of each head's channels; x is (B, H, T, hd),
    ``cos``/``sin`` are (T, hd/2) or per row (B, 1, T, hd/2)."""
    cos, sin = cos.to(x.dtype), sin.to(x.dtype)
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1)


def positions_in_documents(doc_ids: torch.Tensor) -> torch.Tensor:
    """Per-token index within its document (runs of equal ids along T): (B, T) int64."""
    t = doc_ids.shape[1]
    idx = torch.arange(t, device=doc_ids.device).expand_as(doc_ids)
    starts = torch.ones_like(doc_ids, dtype=torch.bool)
    starts[:, 1:] = doc_ids[:, 1:] != doc_ids[:, :-1]
    first = torch.where(starts, idx, torch.zeros_like(idx)).cummax(dim=1).values
    return idx - first


def document_mask(doc_ids: torch.Tensor) -> torch.Tensor:
    """Block-diagonal causal mask (B, 1, T, T): True where query i may attend key j."""
    t = doc_ids.shape[1]
    causal = torch.ones(t, t, dtype=torch.bool, device=doc_ids.device).tril()
    return ((doc_ids[:, :, None] == doc_ids[:, None, :]) & causal)[:, None]


class KVCache:
    """Keys and values of the tokens seen so far, per layer, preallocated for ``max_len``.

    ``start[b]``: index of row ``b``'s first real token (rows are left-padded to a common
    prompt length); ``pos``: number of tokens written. ``GPT.forward(idx, cache=c)`` appends
    ``idx`` (B, t) at ``pos`` and attends over ``[start[b], pos + t)``.
    """

    def __init__(
        self,
        model: GPT,
        batch: int,
        max_len: int,
        start: torch.Tensor | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        c = model.cfg
        if max_len > c.max_seq_len:
            raise ValueError(f"cache of {max_len} tokens > max_seq_len {c.max_seq_len}")
        p = next(model.parameters())
        shape = (c.n_layer, batch, c.n_head, max_len, c.n_embd // c.n_head)
        self.k = torch.zeros(shape, dtype=dtype or p.dtype, device=p.device)
        self.v = torch.zeros_like(self.k)
        self.max_len, self.pos = max_len, 0
        self.start = (
            torch.zeros(batch, dtype=torch.long, device=p.device) if start is None else start
        )
        self._aligned: bool | None = None if start is not None else True
        self._keys_ok: torch.Tensor | None = None

    @property
    def aligned(self) -> bool:
        """Whether no row is padded (every row starts at 0)."""
        if self._aligned is None:
            self._aligned = not bool(self.start.any())
        return self._aligned

    def positions(self, t: int) -> torch.Tensor:
        """Positions (B, t) of the next ``t`` tokens, counted from each row's first real one."""
        idx = torch.arange(self.pos, self.pos + t, device=self.start.device)
        if self.aligned:
            return idx[None, :]
        return (idx[None, :] - self.start[:, None]).clamp_min(0)

    def attention(self, t: int) -> tuple[torch.Tensor | None, bool]:
        """``(mask, causal)`` for SDPA over the ``pos + t`` keys: causal, real keys only (a
        pad query sees itself, so no row of the softmax is empty). One new token of unpadded
        rows needs no mask at all, padded ones a (B, 1, 1, pos + 1) slice of a mask built once;
        a first block of unpadded rows is plain causal."""
        if t == 1:
            if self.aligned:
                return None, False
            if self._keys_ok is None:
                k = torch.arange(self.max_len, device=self.start.device)
                self._keys_ok = (k[None, :] >= self.start[:, None])[:, None, None]
            return self._keys_ok[..., : self.pos + 1], False
        if self.pos == 0 and self.aligned:
            return None, True
        q = torch.arange(self.pos, self.pos + t, device=self.start.device)[:, None]
        k = torch.arange(self.pos + t, device=self.start.device)[None, :]
        ok = (k <= q)[None] & (k[None] >= self.start[:, None, None])
        return (ok | (k == q)[None])[:, None], False

    def update(
        self, layer: int, k: torch.Tensor, v: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Writes ``k``, ``v`` (B, H, t, hd) at ``pos`` in place; returns the keys and values
        so far (views of the preallocated buffers)."""
        t = k.shape[2]
        if self.pos + t > self.max_len:
            raise ValueError(f"KV cache full: {self.pos} + {t} tokens > {self.max_len}")
        end = self.pos + t
        self.k[layer, :, :, self.pos : end] = k
        self.v[layer, :, :, self.pos : end] = v
        return self.k[layer, :, :, :end], self.v[layer, :, :, :end]

    def reorder(self, rows: torch.Tensor) -> None:
        """Keeps (and repeats) the rows ``rows`` (e.g. to sample several times per prompt)."""
        self.k, self.v, self.start = self.k[:, rows], self.v[:, rows], self.start[rows]
        self._keys_ok = None


@dataclass
class AttentionInputs:
    """What every block's attention takes besides its input: the RoPE tables (or ``None``),
    a boolean mask (True = may attend; or ``None``), whether SDPA applies its causal mask, and
    the KV cache to write to (or ``None``)."""

    rope: Rope | None
    mask: Mask = None
    causal: bool = True
    cache: KVCache | None = None


class Attention(nn.Module):
    def __init__(self, cfg: ModelConfig, layer: int = 0) -> None:
        super().__init__()
        self.layer = layer
        self.n_head = cfg.n_head
        self.qkv = nn.Linear(cfg.n_embd, 3 * cfg.n_embd, bias=cfg.bias)
        self.proj = nn.Linear(cfg.n_embd, cfg.n_embd, bias=cfg.bias)
        self.proj.residual = True  # type: ignore[assignment]
        self.dropout = cfg.dropout
        self.rope = cfg.pos_emb == "rope"

    def forward(self, x: torch.Tensor, a: AttentionInputs) -> torch.Tensor:
        b, t, c = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.n_head, c // self.n_head).permute(2, 0, 3, 1, 4)
        if a.rope is not None:
            q, k = apply_rope(q, *a.rope), apply_rope(k, *a.rope)
        if a.cache is not None:
            k, v = a.cache.update(self.layer, k, v)
        y = F.scaled_dot_product_attention(
            q,
            k,
            v,
            attn_mask=a.mask,
            is_causal=a.causal,
            dropout_p=self.dropout if self.training else 0.0,
        )
        return self.proj(y.transpose(1, 2).reshape(b, t, c))


class MLP(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.fc = nn.Linear(cfg.n_embd, cfg.mlp_ratio * cfg.n_embd, bias=cfg.bias)
        self.proj = nn.Linear(cfg.mlp_ratio * cfg.n_embd, cfg.n_embd, bias=cfg.bias)
        self.proj.residual = True  # type: ignore[assignment]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(F.gelu(self.fc(x), approximate="tanh"))


class Block(nn.Module):
    def __init__(self, cfg: ModelConfig, layer: int = 0) -> None:
        super().__init__()
        self.norm1, self.attn = make_norm(cfg), Attention(cfg, layer)
        self.norm2, self.mlp = make_norm(cfg), MLP(cfg)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor, a: AttentionInputs) -> torch.Tensor:
        if self.drop.p == 0 or not self.training:  # generation: two module calls fewer
            x = x + self.attn(self.norm1(x), a)
            return x + self.mlp(self.norm2(x))
        x = x + self.drop(self.attn(self.norm1(x), a))
        return x + self.drop(self.mlp(self.norm2(x)))


class GPT(nn.Module):
    """The model. ``forward(idx, targets)`` returns ``(logits, loss)``; with targets, logits
    are not materialised in full precision beyond what the loss needs. Targets of ``-1`` are
    ignored: the loss is the mean over the other positions (SFT's loss mask)."""

    rope_cos: torch.Tensor  # buffers registered in __init__ when the model uses RoPE
    rope_sin: torch.Tensor

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        if cfg.vocab_size < 1 or cfg.max_seq_len < 1:
            raise ValueError("ModelConfig.vocab_size and max_seq_len must be set")
        self.cfg = cfg
        vocab = padded_vocab(cfg)
        self.wte = nn.Embedding(vocab, cfg.n_embd)
        self.wpe = nn.Embedding(cfg.max_seq_len, cfg.n_embd) if cfg.pos_emb == "learned" else None
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(Block(cfg, i) for i in range(cfg.n_layer))
        self.norm = make_norm(cfg)
        self.head = nn.Linear(cfg.n_embd, vocab, bias=False)
        if cfg.tie_embeddings:
            self.head.weight = self.wte.weight
        if cfg.pos_emb == "rope":
            cos, sin = rope_tables(cfg.n_embd // cfg.n_head, cfg.max_seq_len, cfg.rope_base)
            self.register_buffer("rope_cos", cos, persistent=False)
            self.register_buffer("rope_sin", sin, persistent=False)
        self.apply(self._init)
        self._head_t: tuple[tuple[int, int, torch.dtype], torch.Tensor] | None = None

    def _init(self, m: nn.Module) -> None:
        if isinstance(m, nn.Linear):
            std = 0.02 / math.sqrt(2 * self.cfg.n_layer) if getattr(m, "residual", False) else 0.02
            nn.init.normal_(m.weight, 0.0, std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, 0.0, 0.02)

    def n_params(self, non_embedding: bool = True) -> int:
        n = sum(p.numel() for p in self.parameters())
        if non_embedding and self.wpe is not None:
            n -= self.wpe.weight.numel()
        return n

    def flops_per_token(self, seq_len: int) -> float:
        c = self.cfg
        return 6 * self.n_params() + 12 * c.n_layer * c.n_embd * seq_len

    def logits(self, h: torch.Tensor) -> torch.Tensor:
        """Logits (..., vocab_size) of final hidden states ``h``.

        Generation on CPU (no autograd, a few rows) goes through a transposed contiguous copy
        of the head weight, made again whenever the weight changes (its version counter or
        storage): MKL's matrix-vector product on the (vocab, d) layout runs at a fraction of
        memory speed on some CPUs (AMD EPYC, r50k x 256: 6-10 ms per token vs 2 ms on (d,
        vocab)), and the head is most of a cached step. Costs one more head's memory."""
        w = self.head.weight
        rows = h.numel() // h.shape[-1]
        if torch.is_grad_enabled() or w.device.type != "cpu" or rows > 16:
            return self.head(h)[..., : self.cfg.vocab_size]
        key = (w.data_ptr(), w._version, w.dtype)
        if self._head_t is None or self._head_t[0] != key:
            self._head_t = (key, w[: self.cfg.vocab_size].t().contiguous())
        return h @ self._head_t[1]

    def forward(
        self,
        idx: torch.Tensor,
        targets: torch.Tensor | None = None,
        doc_ids: torch.Tensor | None = None,
        cache: KVCache | None = None,
        last_only: bool = False,
        loss_reduction: str = "mean",
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``doc_ids`` (B, T): document-aware attention and positions (see the module doc);
        ``cache``: append ``idx`` to a :class:`KVCache` and attend over it; ``last_only``:
        logits of the last position only, (B, 1, V) (generation; nanoGPT does the same);
        ``loss_reduction``: ``"mean"`` over the counted targets, or their ``"sum"`` (the
        trainer divides by the count of a whole optimizer step)."""
        t = idx.shape[1]
        end = t + (cache.pos if cache is not None else 0)
        if end > self.cfg.max_seq_len:
            raise ValueError(f"sequence of {end} tokens > max_seq_len {self.cfg.max_seq_len}")
        pos, mask, causal = None, None, True
        if cache is not None:
            pos, (mask, causal) = cache.positions(t), cache.attention(t)
        elif doc_ids is not None:
            pos, mask, causal = positions_in_documents(doc_ids), document_mask(doc_ids), False
        x = self.wte(idx)
        if self.wpe is not None:
            x = x + self.wpe(torch.arange(t, device=idx.device) if pos is None else pos)
        x = self.drop(x)
        rope = None
        if self.wpe is None:
            if pos is None:
                rope = (self.rope_cos[:t], self.rope_sin[:t])
            elif cache is not None and cache.aligned:  # one position row for all
                rope = (
                    self.rope_cos[cache.pos : cache.pos + t],
                    self.rope_sin[cache.pos : cache.pos + t],
                )
            else:
                rope = (self.rope_cos[pos][:, None], self.rope_sin[pos][:, None])
        a = AttentionInputs(rope, mask, causal, cache)
        for block in self.blocks:
            x = block(x, a)
        if cache is not None:
            cache.pos += t
        if last_only:
            x = x[:, -1:]
        logits = self.logits(self.norm(x))
        if targets is None:
            return logits, None
        loss = F.cross_entropy(
            logits.float().reshape(-1, logits.size(-1)),
            targets.reshape(-1),
            ignore_index=-1,
            reduction=loss_reduction,
        )
        return logits, loss

    @torch.no_grad()
    def generate(
        self,
        idx: torch.Tensor,
        max_new_tokens: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        generator: torch.Generator | None = None,
        stop_token: int | None = None,
    ) -> torch.Tensor:
        """Samples continuations of ``idx`` (B, T); crops the context to ``max_seq_len``."""
        for _ in range(max_new_tokens):
            logits, _ = self(idx[:, -self.cfg.max_seq_len :])
            logits = logits[:, -1, :].float()
            if temperature <= 0:
                nxt = logits.argmax(-1, keepdim=True)
            else:
                logits = logits / temperature
                if top_k:
                    kth = torch.topk(logits, min(top_k, logits.size(-1))).values[:, -1:]
                    logits = logits.masked_fill(logits < kth, float("-inf"))
                probs = F.softmax(logits, dim=-1)
                nxt = torch.multinomial(probs, 1, generator=generator)
            idx = torch.cat((idx, nxt), dim=1)
            if stop_token is not None and bool((nxt == stop_token).all()):
                break
        return idx


def param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Decay matrices (2-D weights, embeddings) only; not norms and biases (GPT-2/nanoGPT)."""
    params = {id(p): p for p in model.parameters() if p.requires_grad}.values()
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    return [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
