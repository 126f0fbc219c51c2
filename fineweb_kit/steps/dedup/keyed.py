"""Shared stages of exact and sentence dedup: keys per input file, then one find pass.

The folder layout and the passes are in :mod:`fineweb_kit.dedup.keys`. Stage 2 is one unit
of work (``duplicates``, one task) that merges all keys in ``memory_budget_mb``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fineweb_kit.dedup.keys import check_key_folder, find_duplicates, open_key_sink
from fineweb_kit.dedup.records import budget_bytes, file_index
from fineweb_kit.io.storage import AnyPath
from fineweb_kit.steps.base import TaskContext, UnitStep
from fineweb_kit.steps.dedup.sink_step import DedupParams, SinkStep


class KeyedStep:
    """What stages 1 and 2 share: the key folder, the window size (1 for exact dedup) and the
    memory budget of the sorted runs; ``method`` is ``exact`` or ``sentences``."""

    method = "exact"

    def __init__(self, folder: str, n_sentences: int, memory_budget_mb: float) -> None:
        super().__init__()
        self.folder = folder
        self.n_sentences = n_sentences
        self.budget = budget_bytes(memory_budget_mb)


class KeySignature(KeyedStep, SinkStep):
    """Stage 1: writes the sorted keys of each input file."""

    abstract = True
    _fp = 0  # the key folder's fingerprint, checked in setup

    @property
    def stat_prefix(self) -> str:  # type: ignore[override]
        return self.method

    def setup(self, ctx: TaskContext) -> None:
        self._fp = check_key_folder(
            ctx.resolve(self.folder),
            self.method,
            self.n_sentences,
            True,
        )

    def open_sink(self, ctx: TaskContext) -> Any:
        assert ctx.part_name is not None
        return open_key_sink(
            ctx.resolve(self.folder),
            self.method,
            self.n_sentences,
            self._fp,
            ctx.part_name,
            file_index(ctx.part_name),
            ctx.input_path or "",
            self.budget,
        )


class KeyFind(KeyedStep, DedupParams, UnitStep):
    """Stage 2: one merge over all keys; duplicates written per input file."""

    abstract = True

    @classmethod
    def list_units(cls, params: Mapping[str, Any], output_root: AnyPath) -> list[str]:
        return ["duplicates"]

    def run_unit(self, unit: str, ctx: TaskContext) -> None:
        counts = find_duplicates(
            ctx.resolve(self.folder),
            self.method,
            self.n_sentences,
            self.budget,
        )
        for key, value in counts.items():
            self.stats.add(f"{self.method}_{key}", value)
