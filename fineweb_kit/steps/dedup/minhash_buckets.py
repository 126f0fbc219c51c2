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

import json
import shutil
from pathlib import Path
from typing import Any

from fineweb_kit.steps.base import TaskContext
from fineweb_kit.steps.dedup.minhash_config import MinhashSettings, check_config
from fineweb_kit.steps.dedup.sink_step import budget_bytes
from fineweb_kit.steps.dedup.units import UnitStep


class MinhashBuckets(UnitStep):
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

    def list_units(self, output_root: Path) -> list[str]:
        return [f"bucket_{b:03d}" for b in range(self.settings.num_buckets)]

    def run_unit(self, unit: str, ctx: TaskContext) -> None:
        from fineweb_kit import _core

        root = ctx.resolve(self.folder)
        fingerprint = self.settings.core().fingerprint
        check_config(root, fingerprint)
        runs = sorted(str(p) for p in (root / "signatures" / unit).glob("*.sig"))
        out = root / "pairs" / f"{unit}.pairs"
        tmp = out.with_name(f".{out.name}.tmp")
        tmp_dir = root / "tmp" / unit
        shutil.rmtree(tmp_dir, ignore_errors=True)
        meta = json.dumps({"bucket": unit})
        counts = _core.minhash_find_pairs(
            runs, tmp, fingerprint, self.settings.hashes_per_bucket, self.budget, tmp_dir, meta
        )
        tmp.replace(out)
        shutil.rmtree(tmp_dir, ignore_errors=True)
        for key, value in counts.items():
            self.stats.add(f"minhash_{key}", value)
