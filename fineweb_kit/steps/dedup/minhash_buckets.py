"""MinhashBuckets: MinHash stage 2, duplicate pairs of each bucket.

One unit of work per bucket (``bucket_000`` ... ; split across tasks like files, resumable
per bucket). The bucket's sorted runs from stage 1 are merged with a k-way merge whose read
buffers share ``memory_budget_mb``; when there are too many runs for the budget, they are
merged in groups first (multi-pass external merge), so memory is bounded by the budget, not
by the corpus. Two neighbours with equal bucket hashes are a duplicate pair (datatrove's rule:
each record pairs with the previous equal one). Every input file is checked (header,
configuration fingerprint, length, checksum, sort order) and a bad one fails the bucket with
its name; pairs are written to a temporary name and renamed when the bucket is done.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fineweb_kit.dedup.minhash import MinhashSettings, find_pairs
from fineweb_kit.dedup.records import budget_bytes
from fineweb_kit.io.storage import AnyPath
from fineweb_kit.steps.base import TaskContext, UnitStep
from fineweb_kit.steps.dedup.sink_step import DedupParams


class MinhashBuckets(DedupParams, UnitStep):
    """MinHash stage 2: per bucket, external merge of signatures into duplicate pairs."""

    abstract = False

    def __init__(
        self,
        folder: str = "minhash",
        config: dict[str, Any] | None = None,
        memory_budget_mb: float = 512,
    ) -> None:
        super().__init__()
        self.folder = folder
        self.settings = MinhashSettings.from_config(config)
        self.budget = budget_bytes(memory_budget_mb)

    @classmethod
    def list_units(cls, params: Mapping[str, Any], output_root: AnyPath) -> list[str]:
        settings = MinhashSettings.from_config(params.get("config"))
        return [f"bucket_{b:03d}" for b in range(settings.num_buckets)]

    def run_unit(self, unit: str, ctx: TaskContext) -> None:
        counts = find_pairs(
            ctx.resolve(self.folder),
            unit,
            self.settings,
            self.budget,
        )
        for key, value in counts.items():
            self.stats.add(f"minhash_{key}", value)
