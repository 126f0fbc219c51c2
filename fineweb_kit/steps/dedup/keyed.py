"""Shared stages of exact and sentence dedup: keys per input file, then one find pass.

Folder layout (``folder``, relative to the run's output folder)::

    config.json                   method and parameters, with their fingerprint
    signatures/bucket_000/*.sig   stage 1: sorted keys per input file (runs)
    signatures/docs/<part>.docs   stage 1: one text hash per document, in reading order
    clusters/NNNNNN.dups          stage 2: per input file NNNNNN, records [document index,
                                  sentence index, original's id, copies]; the original's own
                                  record has ORIGINAL (bit 63) set in the copies word
    clusters/summary.json         stage 2: written last; counts

Stage 2 is one unit of work (one task) that merges all keys in ``memory_budget_mb``.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import xxhash

from fineweb_kit.exceptions import ConfigError
from fineweb_kit.io.files import atomic_write
from fineweb_kit.steps.base import TaskContext
from fineweb_kit.steps.dedup.minhash_config import file_index
from fineweb_kit.steps.dedup.sink_step import SinkStep, budget_bytes
from fineweb_kit.steps.dedup.units import UnitStep
from fineweb_kit.steps.params import check_positive_int

ORIGINAL = 1 << 63


def key_fingerprint(method: str, n_sentences: int) -> int:
    """Fingerprint of a key configuration (format version 1)."""
    blob = json.dumps({"method": method, "n_sentences": n_sentences, "version": 1})
    return xxhash.xxh3_64_intdigest(blob.encode())


def check_key_folder(root: Path, method: str, n_sentences: int, create: bool = False) -> int:
    """Records or checks ``config.json``; returns the fingerprint."""
    fp = key_fingerprint(method, n_sentences)
    path = root / "config.json"
    want = {"method": method, "n_sentences": n_sentences, "fingerprint": f"{fp:016x}"}
    if path.is_file():
        have = json.loads(path.read_text())
        if have != want:
            raise ConfigError(
                f"{root}: holds {have.get('method')} dedup files of another configuration "
                f"({have}); this stage is {want}: use the same parameters or a fresh folder"
            )
    elif create:
        root.mkdir(parents=True, exist_ok=True)
        with atomic_write(path) as f:
            json.dump(want, f)
    else:
        raise ConfigError(f"{root}: no {method} dedup keys here; run its signature stage first")
    return fp


class KeySignature(SinkStep):
    """Stage 1: writes the sorted keys of each input file."""

    abstract = True
    method = "exact"

    def __init__(self, folder: str, n_sentences: int, memory_budget_mb: float) -> None:
        super().__init__()
        self.folder = folder
        self.n_sentences = check_positive_int("n_sentences", n_sentences)
        self.budget = budget_bytes(memory_budget_mb)
        self._fp = 0

    @property
    def stat_prefix(self) -> str:  # type: ignore[override]
        return self.method

    def setup(self, ctx: TaskContext) -> None:
        self._fp = check_key_folder(ctx.resolve(self.folder), self.method, self.n_sentences, True)

    def open_sink(self, ctx: TaskContext) -> Any:
        from fineweb_kit import _core

        assert ctx.part_name is not None  # set for every input file before open_file
        return _core.KeySink(
            self.method,
            self.n_sentences,
            ctx.resolve(self.folder) / "signatures",
            ctx.part_name,
            file_index(ctx.part_name),
            os.path.realpath(ctx.input_path or ""),
            self._fp,
            self.budget,
        )


class KeyFind(UnitStep):
    """Stage 2: one merge over all keys; duplicates written per input file."""

    abstract = True
    method = "exact"

    def __init__(self, folder: str, n_sentences: int, memory_budget_mb: float) -> None:
        super().__init__()
        self.folder = folder
        self.n_sentences = check_positive_int("n_sentences", n_sentences)
        self.budget = budget_bytes(memory_budget_mb)

    def list_units(self, output_root: Path) -> list[str]:
        return ["duplicates"]

    def run_unit(self, unit: str, ctx: TaskContext) -> None:
        from fineweb_kit import _core

        root = ctx.resolve(self.folder)
        fp = check_key_folder(root, self.method, self.n_sentences)
        runs = sorted(str(p) for p in (root / "signatures" / "bucket_000").glob("*.sig"))
        out, tmp = root / "clusters", root / "tmp"
        out.mkdir(parents=True, exist_ok=True)
        (out / "summary.json").unlink(missing_ok=True)
        for stale in out.glob("*.dups"):
            stale.unlink()
        shutil.rmtree(tmp, ignore_errors=True)
        counts = _core.dedup_find_duplicates(runs, out, fp, self.budget, tmp)
        shutil.rmtree(tmp, ignore_errors=True)
        for key, value in counts.items():
            self.stats.add(f"{self.method}_{key}", value)
        with atomic_write(out / "summary.json") as f:
            json.dump({"fingerprint": f"{fp:016x}", **counts}, f, indent=2)
