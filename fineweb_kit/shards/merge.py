"""Merging shards: a global document-level shuffle, fixed-size outputs, a held-out shard.

Every document of every input is listed (input index, document index, length), permuted with
``np.random.default_rng(seed)``, and the first documents of the permutation, up to
``val_tokens`` tokens, become ``val-00000.fks``; the rest are cut into ``train-NNNNN.fks`` of
``max_tokens_per_shard`` tokens (a shard closes at the first document that reaches the size,
documents are never split). The copying runs in Rust (``_core.shard_copy_docs``, GIL released)
and reads only the documents' token ranges. Outputs are written to temporary names and renamed
once all are complete; ``merge.json`` records the seed, inputs and counts. Same inputs and seed
give byte-identical outputs.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from fineweb_kit import _core
from fineweb_kit.exceptions import FormatError
from fineweb_kit.shards.reader import SUFFIX, Shard


@dataclass
class MergeResult:
    seed: int
    inputs: list[str]
    n_docs: int
    n_tokens: int
    val_docs: int
    val_tokens: int
    outputs: list[str] = field(default_factory=list)


def _catalog(shards: list[Shard]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    src = np.concatenate([np.full(len(s), i, dtype=np.uint32) for i, s in enumerate(shards)])
    doc = np.concatenate([np.arange(len(s), dtype=np.uint64) for s in shards])
    lens = np.concatenate([np.diff(np.asarray(s.doc_ends), prepend=np.uint64(0)) for s in shards])
    return src, doc, lens.astype(np.uint64)


def _cut(lens: np.ndarray, max_tokens: int) -> list[tuple[int, int]]:
    """Consecutive ``[start, stop)`` runs of documents, each closed once it reaches
    ``max_tokens`` tokens."""
    runs, start, total = [], 0, 0
    for i, n in enumerate(lens.tolist()):
        total += n
        if total >= max_tokens:
            runs.append((start, i + 1))
            start, total = i + 1, 0
    if start < len(lens):
        runs.append((start, len(lens)))
    return runs


def merge_shards(
    inputs: list[Path],
    output: Path,
    seed: int = 0,
    max_tokens_per_shard: int = 100_000_000,
    val_tokens: int = 0,
    shuffle: bool = True,
    input_names: list[str] | None = None,
    output_name: str | None = None,
) -> MergeResult:
    """Merges ``inputs`` into ``output/{val,train}-NNNNN.fks`` (see the module doc).

    ``input_names``/``output_name``: what ``merge.json`` records for the inputs and the output
    folder (default: the paths themselves; the URLs when these are local scratch copies)."""
    shards = [Shard(p) for p in inputs]
    fps = {s.header.fingerprint for s in shards}
    if len(fps) > 1:
        by_fp = {s.header.fingerprint[:12]: s.path for s in shards}
        raise FormatError(f"inputs were written by {len(fps)} different tokenizers: {by_fp}")
    src, doc, lens = _catalog(shards)
    if len(src) == 0:
        raise FormatError(f"no documents in the {len(inputs)} input shards: nothing to merge")
    order = np.random.default_rng(seed).permutation(len(src)) if shuffle else np.arange(len(src))
    src, doc, lens = src[order], doc[order], lens[order]
    n_val = 0
    if val_tokens > 0:
        n_val = int(np.searchsorted(np.cumsum(lens), val_tokens, side="left")) + 1
        if n_val >= len(src):
            raise FormatError(
                f"val_tokens={val_tokens} takes all {len(src)} documents "
                f"({int(lens.sum())} tokens): nothing left to train on"
            )
    plan = [("val", 0, n_val)] if n_val else []
    train_runs = _cut(lens[n_val:], max_tokens_per_shard)
    plan += [("train", n_val + a, n_val + b) for a, b in train_runs]
    output.mkdir(parents=True, exist_ok=True)
    names = [str(s.path) for s in shards]
    recorded = list(input_names) if input_names is not None else names
    result = MergeResult(seed, recorded, len(src), int(lens.sum()), n_val, int(lens[:n_val].sum()))
    pending: list[tuple[Path, Path]] = []
    counters = {"val": 0, "train": 0}
    try:
        for split, a, b in plan:
            final = output / f"{split}-{counters[split]:05d}{SUFFIX}"
            counters[split] += 1
            tmp = final.with_name(f".{final.name}.tmp")
            pending.append((tmp, final))
            _core.shard_copy_docs(names, src[a:b].copy(), doc[a:b].copy(), str(tmp))
    except BaseException:
        for tmp, _ in pending:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, final in pending:
        tmp.replace(final)
        result.outputs.append(
            f"{output_name.rstrip('/')}/{final.name}" if output_name else str(final)
        )
    (output / "merge.json").write_text(json.dumps(asdict(result), indent=1))
    return result
