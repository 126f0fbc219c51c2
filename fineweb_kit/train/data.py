"""Batches of ``seq_len + 1``-token windows from memory-mapped shards, deterministically.

Documents are packed as written (each ends with the boundary token), so a window may span a
document boundary, as in GPT-2 / nanoGPT / llm.c; no tokens are dropped by packing, only the
tail of each shard shorter than one window (< seq_len tokens per shard). Windows never span
two shards.

Determinism without state: the windows of micro-batch ``m`` of step ``s`` on rank ``r`` of a
``W``-rank run are a pure function of ``(seed, s, m * W + r)``. So

- each rank reads disjoint data (a different stream index) with no coordination;
- the loader's position is just the step, saved in every checkpoint: resuming at step ``s``
  yields exactly the batches an uninterrupted run would have seen;
- W ranks with ``grad_accum = A`` see exactly the batches of 1 rank with ``A * W``
  (stream ``m * W + r`` covers ``0 .. A*W-1`` either way).

``random`` sampling draws window starts uniformly over all valid positions (with
replacement; every token position is equally likely). ``sequential`` walks non-overlapping
windows in order, epoch after epoch, each epoch in a fresh seeded permutation of the windows.

Cost: a batch is one fancy-index gather per shard from the memmap (the OS page cache does the
I/O), then one ``torch.from_numpy``; ``benchmarks/train_bench.py`` measures it (millions of
tokens/s per core, far above what even a GPU consumes for the model sizes here).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from fineweb_kit.exceptions import ConfigError
from fineweb_kit.io import storage
from fineweb_kit.shards.reader import Shard, list_shards


@dataclass(frozen=True)
class ShardSet:
    """Shards opened for training, with their common vocabulary and fingerprint."""

    shards: list[Shard]
    vocab_size: int
    fingerprint: str
    boundary_token: int | None

    @classmethod
    def open(cls, paths: str | list[str], expect_fingerprint: str | None = None) -> ShardSet:
        """Opens shard files or folders; a URL (``s3://bucket/shards``) is first copied to the
        local cache (``io/storage.py: stage_local``, reused while sizes match): training
        memory-maps local files."""
        given = [paths] if isinstance(paths, str) else list(paths)
        local = [str(storage.stage_local(p)) if storage.is_remote(p) else p for p in given]
        shards = [Shard(p, expect_fingerprint) for p in list_shards(local)]
        first = shards[0].header
        for s in shards[1:]:
            if s.header.fingerprint != first.fingerprint:
                raise ConfigError(
                    f"{s.path}: tokenizer {s.header.fingerprint[:12]} differs from "
                    f"{shards[0].path}'s {first.fingerprint[:12]}"
                )
        if sum(s.header.n_tokens for s in shards) == 0:
            raise ConfigError(f"{paths}: the shards hold no tokens (empty corpus)")
        return cls(shards, first.vocab_size, first.fingerprint, first.boundary_token)

    @property
    def n_tokens(self) -> int:
        return sum(s.header.n_tokens for s in self.shards)


class WindowSampler:
    """Windows of ``seq_len + 1`` tokens over a :class:`ShardSet` (see the module doc)."""

    def __init__(self, data: ShardSet, seq_len: int, seed: int, sampling: str) -> None:
        self.data, self.seq_len, self.seed, self.sampling = data, seq_len, seed, sampling
        sizes = np.array([s.header.n_tokens for s in data.shards], dtype=np.int64)
        if sizes.max() < seq_len + 1:
            raise ConfigError(
                f"seq_len {seq_len} needs windows of {seq_len + 1} tokens, but the largest "
                f"shard holds {int(sizes.max())}: lower data.seq_len or write larger shards"
            )
        # random: number of valid starts per shard; sequential: whole windows per shard.
        per = sizes - seq_len if sampling == "random" else (sizes - 1) // seq_len
        self.counts = np.maximum(per, 0)
        self.cum = np.cumsum(self.counts)
        self.total = int(self.cum[-1])
        self._perm: tuple[int, np.ndarray] = (-1, np.zeros(0, dtype=np.int64))

    def _permutation(self, epoch: int) -> np.ndarray:
        if self._perm[0] != epoch:
            self._perm = (epoch, np.random.default_rng([self.seed, epoch]).permutation(self.total))
        return self._perm[1]

    def _locate(self, flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        shard = np.searchsorted(self.cum, flat, side="right")
        within = flat - np.concatenate(([0], self.cum[:-1]))[shard]
        start = within if self.sampling == "random" else within * self.seq_len
        return shard, start

    def starts(
        self, step: int, stream: int, streams: int, batch: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """(shard index, start offset) of the ``batch`` windows of ``stream`` at ``step``."""
        if self.sampling == "random":
            rng = np.random.default_rng([self.seed, step, stream])
            return self._locate(rng.integers(0, self.total, size=batch))
        first = (step * streams + stream) * batch
        flat = np.arange(first, first + batch, dtype=np.int64)
        epoch, pos = np.divmod(flat, self.total)
        out = np.empty(batch, dtype=np.int64)
        for e in np.unique(epoch):
            out[epoch == e] = self._permutation(int(e))[pos[epoch == e]]
        return self._locate(out)

    def batch(
        self, step: int, stream: int, streams: int, batch: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Inputs and targets, int64 tensors of shape (batch, seq_len)."""
        shard, start = self.starts(step, stream, streams, batch)
        rows = np.empty((batch, self.seq_len + 1), dtype=np.int64)
        offsets = np.arange(self.seq_len + 1)
        for s in np.unique(shard):
            sel = shard == s
            rows[sel] = self.data.shards[s].tokens[start[sel, None] + offsets]
        t = torch.from_numpy(rows)
        return t[:, :-1], t[:, 1:]


def eval_windows(data: ShardSet, seq_len: int, n_batches: int, batch: int) -> list[torch.Tensor]:
    """A fixed set of the first non-overlapping windows of the held-out shards (the same for
    every evaluation, so validation losses are comparable across steps and runs)."""
    sampler = WindowSampler(data, seq_len, 0, "sequential")
    n = min(n_batches * batch, sampler.total)
    flat = np.arange(n, dtype=np.int64)
    shard, start = sampler._locate(flat)
    offsets = np.arange(seq_len + 1)
    rows = np.stack([data.shards[s].tokens[o + offsets] for s, o in zip(shard, start, strict=True)])
    t = torch.from_numpy(rows.astype(np.int64))
    return list(t.split(batch))


def unigram_entropy(data: ShardSet, max_tokens: int = 50_000_000) -> float:
    """Cross-entropy (nats/token) of the train set's own unigram distribution: the loss a
    model that ignores context can reach; a trained model should go well below it. Counted
    over at most ``max_tokens`` tokens (the first shards; an estimate for larger sets)."""
    counts = np.zeros(data.vocab_size, dtype=np.int64)
    left = max_tokens
    for s in data.shards:
        if left <= 0:
            break
        part = np.asarray(s.tokens[:left])
        counts += np.bincount(part, minlength=data.vocab_size)
        left -= part.size
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())
