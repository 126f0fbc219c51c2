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

from collections.abc import Mapping
from typing import Any, Literal

from fineweb_kit.dedup.minhash import MinhashSettings, cluster
from fineweb_kit.io.storage import AnyPath
from fineweb_kit.steps.base import TaskContext, UnitStep
from fineweb_kit.steps.dedup.sink_step import DedupParams


class MinhashCluster(DedupParams, UnitStep):
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
        self.keep = keep

    @classmethod
    def list_units(cls, params: Mapping[str, Any], output_root: AnyPath) -> list[str]:
        return ["clusters"]

    def run_unit(self, unit: str, ctx: TaskContext) -> None:
        counts = cluster(ctx.resolve(self.folder), self.settings, self.keep)
        for key, value in counts.items():
            self.stats.add(f"minhash_{key}", value)
