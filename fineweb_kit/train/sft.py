"""Supervised fine-tuning: the pre-trainer's loop on conversations with a loss mask.

``fineweb-kit train sft.yaml`` with ``kind: sft`` runs :class:`SFTTrainer`, a
:class:`~fineweb_kit.train.train.Trainer` that changes only what differs from pre-training,
so the loop, schedule, accumulation, clipping, logging, atomic checkpoints, exact resume,
seeded data order and DDP are the pre-trainer's own:

- **Data**: shards with a loss-mask section written by ``PackConversations`` (checked by
  :func:`fineweb_kit.chat.shards.open_sft_shards`): either windows of ``seq_len + 1`` tokens
  packed by best-fit (one document per window, padded with ``<|bos|>``), or one conversation
  per document. :class:`ConversationWindows` groups consecutive documents, in stored order,
  into windows of at most ``data.seq_len + 1`` tokens (so packed windows are read back as
  they were packed); a longer document is cut and counted. Conversations inside a window are
  told apart by their leading ``<|bos|>`` (:func:`fineweb_kit.chat.packing.segment_ids`).
  Target ``t`` is token ``t + 1`` when it is in the same conversation and its mask is 1, else
  ``-1``: prompts, tool outputs, padding and the step from one conversation into the next
  never count, in the loss and in the logged loss. The loss of an optimizer step is the sum
  of the per-token losses over all its counted targets (every micro-batch, every rank)
  divided by their count (``Trainer.accumulate``; HF ``Trainer``/TRL's normalisation), so a
  micro-batch weighs by its assistant tokens; the eval loss is the same mean over the
  held-out windows.
- **Attention**: each window carries per-token conversation ids, so the model attends only
  within a conversation and positions restart at each (document-aware masks, see
  ``model.py``): a packed conversation is trained exactly as if it were alone.
- **Start**: the weights of ``init_from`` (a pre-training checkpoint); the optimizer starts
  fresh. A later restart of the same ``out_dir`` resumes from its own newest checkpoint.
- **Tokenizer checks**, before anything trains: the shards must carry a loss mask and the
  fingerprint of ``tokenizer`` (default: the ``tokenizer.json`` saved beside the training
  shards), which must hold every chat special token; the base model must
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

from fineweb_kit.chat.packing import segment_ids
from fineweb_kit.chat.shards import open_sft_shards, tokenizer_beside
from fineweb_kit.chat.specials import CHAT_SPECIALS
from fineweb_kit.exceptions import ConfigError
from fineweb_kit.shards.tokenizer import from_fineweb_kit
from fineweb_kit.tokenizer import Tokenizer
from fineweb_kit.train import checkpoint
from fineweb_kit.train.data import ShardSet, WindowSampler
from fineweb_kit.train.model import padded_vocab
from fineweb_kit.train.train import Trainer


class ConversationWindows(WindowSampler):
    """Windows of ``seq_len + 1`` tokens holding whole conversations (see the module doc);
    ``batch()`` returns ``(inputs, targets, doc_ids)``, each (batch, seq_len) int64. Which
    windows a micro-batch gets is :class:`WindowSampler`'s deterministic function of
    (seed, step, stream)."""

    def __init__(self, data: ShardSet, seq_len: int, seed: int, sampling: str, bos_id: int) -> None:
        self.data, self.seq_len, self.seed, self.sampling = data, seq_len, seed, sampling
        self.bos_id = bos_id
        self.truncated = 0
        self.empty = 0
        spans: list[tuple[int, int, int]] = []  # (shard, start, end) of each window
        for k, shard in enumerate(data.shards):
            spans += self._pack(k, shard)
        if not spans:
            raise ConfigError(
                f"{data.shards[0].path}: no conversation with an assistant token to learn"
            )
        self.windows = np.array(spans, dtype=np.int64)
        self.total = len(spans)
        self._perm = (-1, np.zeros(0, dtype=np.int64))

    def _pack(self, k: int, shard: Any) -> list[tuple[int, int, int]]:
        """Consecutive documents grouped into windows of at most ``seq_len + 1`` tokens."""
        room = self.seq_len + 1
        ends = np.asarray(shard.doc_ends, dtype=np.int64)
        starts = np.concatenate(([0], ends[:-1]))
        out: list[tuple[int, int, int]] = []
        w_start: int | None = None  # the open window, if any: [w_start, w_end)
        w_end = 0
        for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
            if e - s > room:
                self.truncated += 1
                e = s + room
            if not shard.mask[s + 1 : e].any():
                self.empty += 1
                continue
            if w_start is not None and s == w_end and e - w_start <= room:
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
        n, room = len(windows), self.seq_len + 1
        ids = np.full((n, room), self.bos_id, dtype=np.int64)  # padding: <|bos|>, mask 0
        mask = np.zeros((n, room), dtype=bool)
        for r, w in enumerate(windows):
            k, s, e = (int(v) for v in self.windows[w])
            ids[r, : e - s] = self.data.shards[k].tokens[s:e]
            loss_mask = self.data.shards[k].mask
            assert loss_mask is not None  # open_sft_shards refuses shards without one
            mask[r, : e - s] = loss_mask[s:e]
        seg = segment_ids(ids, self.bos_id)
        same = seg[:, 1:] == seg[:, :-1]
        y = np.where(same & mask[:, 1:], ids[:, 1:], -1)
        return (
            torch.from_numpy(ids[:, :-1].copy()),
            torch.from_numpy(y),
            torch.from_numpy(seg[:, :-1].copy()),
        )

    def batch(  # type: ignore[override]
        self, step: int, stream: int, streams: int, batch: int
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        windows, _ = self.starts(step, stream, streams, batch)
        return self.rows(windows)

    def first(self, n_batches: int, batch: int) -> list[tuple[torch.Tensor, ...]]:
        """The first windows in order, as fixed validation batches."""
        idx = np.arange(min(n_batches * batch, self.total))
        return [self.rows(idx[i : i + batch]) for i in range(0, len(idx), batch)]


def load_chat_tokenizer(spec: str | None, train: str | list[str]) -> tuple[Tokenizer, str]:
    """The chat tokenizer: the file ``spec``, else the ``tokenizer.json`` that the packing
    step saved beside the training shards; returns it and its path."""
    if spec is None:
        first = train if isinstance(train, str) else train[0]
        folder = Path(first) if Path(first).is_dir() else Path(first).parent
        return tokenizer_beside(folder), str(folder / "tokenizer.json")
    path = Path(spec)
    if not path.is_file():
        raise ConfigError(f"tokenizer {spec!r}: kind sft needs the chat tokenizer as a file")
    pattern = path.stem if path.suffix == ".tiktoken" else "cl100k_base"
    return Tokenizer.from_file(path, pattern), spec


def base_fingerprint(tok: Tokenizer) -> str | None:
    """Fingerprint of ``tok`` without the chat specials, when they are its last ids (what
    ``with_chat_specials`` appended to a base tokenizer), else ``None``."""
    from fineweb_kit.shards.tokenizer import canonical_fingerprint

    specials = tok.special_tokens
    if any(s not in specials for s in CHAT_SPECIALS):
        return None
    chat_ids = sorted(specials[s] for s in CHAT_SPECIALS)
    first = chat_ids[0]
    if chat_ids != list(range(first, tok.n_vocab)):
        return None
    by_id = {r: b for b, r in tok.mergeable_ranks().items()}
    rest = {k: v for k, v in specials.items() if k not in CHAT_SPECIALS}
    return canonical_fingerprint(by_id.get, first, tok.pattern, rest).hex()


class SFTTrainer(Trainer):
    """Supervised fine-tuning (see the module doc); ``run()`` as for pre-training."""

    def _load_data(self) -> None:
        c = self.cfg
        tok, c.tokenizer = load_chat_tokenizer(c.tokenizer, c.data.train)
        bos = open_sft_shards(c.data.train, tok).bos_id  # mask, fingerprint, specials
        if c.data.val:
            open_sft_shards(c.data.val, tok)
        fp = from_fineweb_kit(tok, tok.name).fingerprint_hex
        self.base_fp = base_fingerprint(tok)
        self.train_set = ShardSet.open(c.data.train, fp)
        self.val_set = ShardSet.open(c.data.val, fp) if c.data.val else None
        self.sampler = ConversationWindows(
            self.train_set, c.data.seq_len, c.train.seed, c.data.sampling, bos
        )
        self._load_base_config(tok.n_vocab)
        self.val_batches = (
            ConversationWindows(self.val_set, c.data.seq_len, 0, "sequential", bos).first(
                c.train.eval_batches, c.train.batch_size
            )
            if self.val_set
            else []
        )
        if self.dist.main:
            print(
                f"sft: {self.sampler.total:,} windows of {c.data.seq_len + 1} tokens; "
                f"{self.sampler.truncated} conversations cut to fit, {self.sampler.empty} "
                "without assistant tokens skipped",
                flush=True,
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
