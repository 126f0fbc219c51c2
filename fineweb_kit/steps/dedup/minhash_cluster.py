"""MinhashCluster: MinHash stage 3, clusters of duplicates and the document each keeps.

One unit of work (``clusters``) run by one task. Union-find in Rust over every bucket's pairs
(memory: about 28 bytes per document that has a duplicate, reported as
``minhash_union_find_bytes``). Rule for the kept document: the cluster's smallest document id,
i.e. the one from the earliest input file of the signature stage's input list and, within it,
the first read; every other member is removed. It depends only on the cluster, not on bucket
or task order. datatrove keeps the root of a union-by-size instead, which is the same document
except where clusters of different sizes merged.

Writes ``clusters/NNNNNN.clusters`` per input file with clustered documents (document index,
kept document id, cluster number, cluster size), then ``clusters/summary.json`` last.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fineweb_kit.exceptions import InputError
from fineweb_kit.io.files import atomic_write
from fineweb_kit.steps.base import TaskContext
from fineweb_kit.steps.dedup.minhash_config import MinhashSettings, check_config
from fineweb_kit.steps.dedup.units import UnitStep


class MinhashCluster(UnitStep):
    """MinHash stage 3: union-find over all duplicate pairs."""

    abstract = False

    def __init__(self, folder: str = "minhash", config: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.folder = folder
        self.settings = MinhashSettings.from_config(config)

    def list_units(self, output_root: Path) -> list[str]:
        return ["clusters"]

    def run_unit(self, unit: str, ctx: TaskContext) -> None:
        from fineweb_kit import _core

        root = ctx.resolve(self.folder)
        fingerprint = self.settings.core().fingerprint
        check_config(root, fingerprint)
        pairs = [root / "pairs" / f"bucket_{b:03d}.pairs" for b in range(self.settings.num_buckets)]
        missing = [str(p) for p in pairs if not p.is_file()]
        if missing:
            raise InputError(f"missing pair files (run MinhashBuckets first): {missing[:3]}")
        out = root / "clusters"
        out.mkdir(parents=True, exist_ok=True)
        (out / "summary.json").unlink(missing_ok=True)
        for stale in out.glob("*.clusters"):
            stale.unlink()
        counts = _core.minhash_cluster([str(p) for p in pairs], out, fingerprint)
        for key, value in counts.items():
            self.stats.add(f"minhash_{key}", value)
        with atomic_write(out / "summary.json") as f:
            json.dump({"fingerprint": f"{fingerprint:016x}", **counts}, f, indent=2)
