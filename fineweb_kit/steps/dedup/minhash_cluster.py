"""MinhashCluster: MinHash stage 3, clusters of duplicates and the document each keeps.

One unit of work (``clusters``) run by one task. Union-find in Rust over every bucket's pairs,
taken bucket by bucket (memory: about 36 bytes per document that has a duplicate, reported as
``minhash_union_find_bytes``). Every member of a cluster but one is removed; ``keep`` says
which one stays:

- ``datatrove`` (default): datatrove's rule, so FineWeb's choices are reproduced: union by
  size over the pairs in bucket order; within one bucket the kept document is the smallest
  document id, and when clusters merge the larger one's kept document stays (on a tie, the
  one of the pair's smaller id). Deterministic for a given input and configuration.
- ``first``: the smallest document id, i.e. the document of the earliest input file of the
  signature stage's input list and, within it, the first read; independent of pair order.

Writes ``clusters/NNNNNN.clusters`` per input file with clustered documents (document index,
kept document id, cluster number, cluster size), then ``clusters/summary.json`` last.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from fineweb_kit.exceptions import InputError
from fineweb_kit.io.files import atomic_write
from fineweb_kit.steps.base import TaskContext
from fineweb_kit.steps.dedup.minhash_config import MinhashSettings, check_config
from fineweb_kit.steps.dedup.units import UnitStep
from fineweb_kit.steps.params import check_choice


class MinhashCluster(UnitStep):
    """MinHash stage 3: union-find over all duplicate pairs."""

    abstract = False

    def __init__(
        self,
        folder: str = "minhash",
        config: dict[str, Any] | None = None,
        keep: Literal["datatrove", "first"] = "datatrove",
    ) -> None:
        super().__init__()
        self.folder = folder
        self.settings = MinhashSettings.from_config(config)
        self.keep = check_choice("keep", keep, ("datatrove", "first"))

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
        counts = _core.minhash_cluster([str(p) for p in pairs], out, fingerprint, self.keep)
        for key, value in counts.items():
            self.stats.add(f"minhash_{key}", value)
        with atomic_write(out / "summary.json") as f:
            json.dump({"fingerprint": f"{fingerprint:016x}", **counts}, f, indent=2)
