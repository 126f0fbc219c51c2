"""Supervised fine-tuning: the pre-trainer's loop on conversations with a loss mask.

``fineweb-kit train sft.yaml`` with ``kind: sft`` runs :class:`SFTTrainer`, a
:class:`~fineweb_kit.train.train.Trainer` that changes only what differs from pre-training,
so the loop, schedule, accumulation, clipping, logging, atomic checkpoints, exact resume,
seeded data order and DDP are the pre-trainer's own:

- **Data**: shards with a loss-mask section (written by the chat packing step, one
  conversation per document). :class:`ConversationWindows` groups consecutive whole
  conversations, in stored order, into windows of at most ``data.seq_len`` tokens (so windows
  packed by best-fit upstream are read back as packed); a conversation longer than a window
  is cut to ``seq_len`` tokens and counted. Target ``t`` of a window is the next token when it
  is in the same conversation and its mask is 1, else ``-1``: prompts, tool outputs, padding
  and the step from one conversation into the next never count, in the loss and in the
  logged loss (the mean over counted tokens of each micro-batch; ``GPT.forward``).
- **Attention**: each window carries per-token conversation ids, so the model attends only
  within a conversation and positions restart at each (document-aware masks, see
  ``model.py``): a packed conversation is trained exactly as if it were alone.
- **Start**: the weights of ``init_from`` (a pre-training checkpoint); the optimizer starts
  fresh. A later restart of the same ``out_dir`` resumes from its own newest checkpoint.
- **Tokenizer checks**, before anything trains: the shards must carry a loss mask and the
  fingerprint of ``tokenizer``, which must hold every chat special token; the base model must
  have been trained with that same tokenizer, or with it minus the chat specials (a base
  tokenizer to which ``with_chat_specials`` appended them): then the embedding grows by the
  new ids, each initialised to the mean of the trained embedding rows. Anything else is
  refused with the two fingerprints named.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import torch

from fineweb_kit.exceptions import ConfigError
from fineweb_kit.train import checkpoint
from fineweb_kit.train.config import TrainConfig
from fineweb_kit.train.data import ShardSet, WindowSampler
from fineweb_kit.train.model import padded_vocab
from fineweb_kit.train.train import Trainer

CHAT_SPECIALS = (
    "<|bos|>",
    "<|system_start|>",
    "<|system_end|>",
    "<|user_start|>",
    "<|user_end|>",
    "<|assistant_start|>",
    "<|assistant_end|>",
    "<|tool_call_start|>",
    "<|tool_call_end|>",
    "<|tool_output_start|>",
    "<|tool_output_end|>",
)


class ConversationWindows(WindowSampler):
    """Windows of whole conversations (see the module doc); ``batch()`` returns
    ``(inputs, targets, doc_ids)``, each (batch, seq_len) int64. Which windows a micro-batch
    gets is :class:`WindowSampler`'s deterministic function of (seed, step, stream)."""

    def __init__(self, data: ShardSet, seq_len: int, seed: int, sampling: str) -> None:
        self.data, self.seq_len, self.seed, self.sampling = data, seq_len, seed, sampling
        self.truncated = 0
        self.empty = 0
        spans: list[tuple[int, int, int]] = []  # (shard, start, end) of each window
        for k, shard in enumerate(data.shards):
            if shard.mask is None:
                raise ConfigError(
                    f"{shard.path}: no loss mask section: these are pre-training shards; "
                    "fine-tuning needs conversation shards (the chat packing step)"
                )
            spans += self._pack(k, shard)
        if not spans:
            raise ConfigError(
                f"{data.shards[0].path}: no conversation with an assistant token to learn"
            )
        self.windows = np.array(spans, dtype=np.int64)
        self.total = len(spans)
        self._perm = (-1, np.zeros(0, dtype=np.int64))

    def _pack(self, k: int, shard: Any) -> list[tuple[int, int, int]]:
        ends = np.asarray(shard.doc_ends, dtype=np.int64)
        starts = np.concatenate(([0], ends[:-1]))
        out: list[tuple[int, int, int]] = []
        w_start = w_end = None
        for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
            if e - s > self.seq_len:
                self.truncated += 1
                e = s + self.seq_len
            if not shard.mask[s + 1 : e].any():
                self.empty += 1
                continue
            if w_start is not None and s == w_end and e - w_start <= self.seq_len:
                w_end = e
                continue
            if w_start is not None:
                out.append((k, w_start, w_end))
            w_start, w_end = s, e
        if w_start is not None:
            out.append((k, w_start, w_end))
        return out

    def _locate(self, flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return flat, flat

    def rows(self, windows: np.ndarray) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Inputs, targets and conversation ids of the given windows."""
        n, t = len(windows), self.seq_len
        x = np.zeros((n, t), dtype=np.int64)
        y = np.full((n, t), -1, dtype=np.int64)
        doc = np.full((n, t), -1, dtype=np.int64)
        for r, w in enumerate(windows):
            k, s, e = (int(v) for v in self.windows[w])
            shard = self.data.shards[k]
            ends = np.asarray(shard.doc_ends, dtype=np.int64)
            lo = int(np.searchsorted(ends, s, side="right"))
            hi = int(np.searchsorted(ends, e, side="left"))
            bounds = np.clip(ends[lo : hi + 1], s, e) - s  # exclusive ends inside the window
            ids = np.asarray(shard.tokens[s:e], dtype=np.int64)
            mask = np.asarray(shard.mask[s:e]).astype(bool)
            doc_of = np.searchsorted(bounds, np.arange(e - s), side="right")
            same = doc_of[1:] == doc_of[:-1]
            x[r, : e - s] = ids
            y[r, : e - s - 1] = np.where(same & mask[1:], ids[1:], -1)
            doc[r, : e - s] = doc_of
        return torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(doc)

    def batch(  # type: ignore[override]
        self, step: int, stream: int, streams: int, batch: int
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        windows, _ = self.starts(step, stream, streams, batch)
        return self.rows(windows)

    def first(self, n_batches: int, batch: int) -> list[tuple[torch.Tensor, ...]]:
        """The first windows in order, as fixed validation batches."""
        idx = np.arange(min(n_batches * batch, self.total))
        return [self.rows(idx[i : i + batch]) for i in range(0, len(idx), batch)]


def chat_tokenizer_fingerprints(spec: str) -> tuple[str, str | None, int]:
    """(fingerprint of the chat tokenizer ``spec``, fingerprint of it without the chat
    specials or ``None`` when they were not appended at the end, its vocabulary size)."""
    from fineweb_kit.shards.tokenizer import canonical_fingerprint, from_fineweb_kit
    from fineweb_kit.tokenizer import Tokenizer

    path = Path(spec)
    if not path.is_file():
        raise ConfigError(f"tokenizer {spec!r}: kind sft needs the chat tokenizer as a file")
    tok = Tokenizer.from_file(path, path.stem if path.suffix == ".tiktoken" else "cl100k_base")
    specials = tok.special_tokens
    missing = [s for s in CHAT_SPECIALS if s not in specials]
    if missing:
        raise ConfigError(
            f"tokenizer {spec!r} lacks the chat special tokens {missing}: add them with "
            "fineweb_kit.chat.specials.with_chat_specials and render the shards with it"
        )
    full = from_fineweb_kit(tok, path.name).fingerprint_hex
    chat_ids = sorted(specials[s] for s in CHAT_SPECIALS)
    first = chat_ids[0]
    if chat_ids != list(range(first, first + len(CHAT_SPECIALS))) or first + 11 != tok.n_vocab:
        return full, None, tok.n_vocab
    by_id = {r: b for b, r in tok.mergeable_ranks().items()}
    rest = {k: v for k, v in specials.items() if k not in CHAT_SPECIALS}
    base = canonical_fingerprint(by_id.get, first, tok.pattern, rest).hex()
    return full, base, tok.n_vocab


class SFTTrainer(Trainer):
    """Supervised fine-tuning (see the module doc); ``run()`` as for pre-training."""

    def _load_data(self) -> None:
        c = self.cfg
        assert c.tokenizer and c.init_from  # checked by the config
        fp, self.base_fp, n_vocab = chat_tokenizer_fingerprints(c.tokenizer)
        self.train_set = ShardSet.open(c.data.train, fp)
        self.val_set = ShardSet.open(c.data.val, fp) if c.data.val else None
        self.sampler = ConversationWindows(
            self.train_set, c.data.seq_len, c.train.seed, c.data.sampling
        )
        self._load_base_config(n_vocab)
        self.val_batches = (
            ConversationWindows(self.val_set, c.data.seq_len, 0, "sequential").first(
                c.train.eval_batches, c.train.batch_size
            )
            if self.val_set
            else []
        )

    def _load_base_config(self, n_vocab: int) -> None:
        c = self.cfg
        path = checkpoint.latest(c.init_from or "")
        if path is None:
            raise ConfigError(f"{c.source}: init_from: no checkpoint in {c.init_from!r}")
        self.base_path = path
        self.base_state = checkpoint.load(path)
        base_fp = self.base_state["fingerprint"]
        if base_fp not in (self.train_set.fingerprint, self.base_fp):
            raise ConfigError(
                f"{path}: the base model was trained with tokenizer {base_fp[:16]}..., but the "
                f"SFT shards and tokenizer {c.tokenizer!r} are {self.train_set.fingerprint[:16]}"
                f"... (and {str(self.base_fp)[:16]}... without the chat specials): fine-tune "
                "with the base model's tokenizer plus the chat special tokens"
            )
        saved = dict(self.base_state["model_config"])
        if saved["pos_emb"] == "learned" and c.data.seq_len > saved["max_seq_len"]:
            raise ConfigError(
                f"{c.source}: data.seq_len {c.data.seq_len} > the base model's learned "
                f"position table ({saved['max_seq_len']} rows): lower data.seq_len"
            )
        saved.update(
            dropout=c.model.dropout,
            vocab_size=n_vocab,
            max_seq_len=max(saved["max_seq_len"], c.data.seq_len),
        )
        c.model = dataclasses.replace(c.model, **saved)

    def _init_weights(self) -> None:
        """The base weights, the embedding grown by the chat specials' rows if needed."""
        state = dict(self.base_state["model"])
        old_vocab = int(self.base_state["model_config"]["vocab_size"])
        new_vocab = self.cfg.model.vocab_size
        for key in ("wte.weight", "head.weight"):
            if key not in state:
                continue
            old = state[key]
            rows = padded_vocab(self.cfg.model)
            grown = torch.zeros(rows, old.shape[1], dtype=old.dtype)
            grown[: min(rows, old.shape[0])] = old[:rows]
            if new_vocab > old_vocab:
                grown[old_vocab:new_vocab] = old[:old_vocab].mean(0)
            state[key] = grown
        self.model.load_state_dict(state)
        del self.base_state
        if self.dist.main:
            print(f"fine-tuning from {self.base_path}", flush=True)

    def _val_inputs(self, batch: Any) -> tuple[torch.Tensor, ...]:
        return batch
