"""MinhashFilter: MinHash stage 4, drops the documents stage 3 marked as duplicates.

Runs per input file, over the same input files as the signature stage and at the same place
in its stage (documents are matched by position). It checks that: stage 3 finished
(``clusters/summary.json``) with this configuration; this input file was signed (same path);
every document's text hash equals the one recorded in stage 1 and the document count is the
same, so a changed input or a different step order fails loudly instead of dropping the
wrong documents. Dropped documents count as ``dropped_minhash_duplicate`` and go to the
``exclusion_writer`` if one is given. ``annotate``: write ``minhash_cluster_id`` and
``minhash_cluster_size`` into the metadata of every kept document (-1 and 1 when it has no
duplicate), like datatrove's ``load_cluster_ids``/``load_cluster_sizes``.
"""

from __future__ import annotations

import json
import os
from typing import Any

import xxhash

from fineweb_kit.document import Batch
from fineweb_kit.exceptions import ConfigError, InputError
from fineweb_kit.steps.base import Filter, TaskContext
from fineweb_kit.steps.dedup.minhash_config import MinhashSettings, check_config

REASON = "minhash_duplicate"


class MinhashFilter(Filter):
    """MinHash stage 4: removes all but one document of every cluster."""

    abstract = False
    kind = "dedup"

    def __init__(
        self,
        folder: str = "minhash",
        config: dict[str, Any] | None = None,
        annotate: bool = False,
        exclusion_writer: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(exclusion_writer)
        self.folder = folder
        self.settings = MinhashSettings.from_config(config)
        self.annotate = annotate
        self._fingerprint = 0
        self._hashes: Any = None
        self._clusters: dict[int, tuple[int, int, int]] = {}
        self._file_id = 0
        self._next = 0
        self._input = ""

    def setup(self, ctx: TaskContext) -> None:
        super().setup(ctx)
        root = ctx.resolve(self.folder)
        self._fingerprint = self.settings.core().fingerprint
        check_config(root, self._fingerprint)
        if not (root / "clusters" / "summary.json").is_file():
            raise ConfigError(f"{root}: MinhashCluster has not finished; run it before the filter")

    def open_file(self, ctx: TaskContext) -> None:
        from fineweb_kit import _core

        super().open_file(ctx)
        root = ctx.resolve(self.folder)
        docs = root / "signatures" / "docs" / f"{ctx.part_name}.docs"
        self._input = ctx.input_path or ""
        if not docs.is_file():
            raise InputError(
                f"{self._input}: was not signed by MinhashSignature ({docs} missing); the "
                "filter must read the same input files as the signature stage"
            )
        meta, hashes = _core.read_records(str(docs), "docs", self._fingerprint, 1)
        info = json.loads(meta)
        if info["input"] != os.path.realpath(self._input):
            raise InputError(
                f"{self._input}: signature stage's file number {info['file_index']} was "
                f"{info['input']}; the filter must read the same input files as the signature stage"
            )
        self._hashes = hashes[:, 0]
        self._file_id = int(info["file_index"])
        self._next = 0
        self._clusters = {}
        path = root / "clusters" / f"{self._file_id:06d}.clusters"
        if path.is_file():
            _, recs = _core.read_records(str(path), "clusters", self._fingerprint, 4)
            self._clusters = {int(r[0]): (int(r[1]), int(r[2]), int(r[3])) for r in recs}

    def filter_batch(self, batch: Batch) -> list[str | None]:
        reasons: list[str | None] = []
        for doc in batch:
            index = self._next
            self._next += 1
            self._check(index, doc.text)
            cluster = self._clusters.get(index)
            if cluster is None:
                if self.annotate:
                    doc.metadata["minhash_cluster_id"] = -1
                    doc.metadata["minhash_cluster_size"] = 1
                reasons.append(None)
                continue
            kept, number, size = cluster
            if self.annotate:
                doc.metadata["minhash_cluster_id"] = number
                doc.metadata["minhash_cluster_size"] = size
            reasons.append(None if kept == (self._file_id << 32 | index) else REASON)
        return reasons

    def _check(self, index: int, text: str) -> None:
        if index >= len(self._hashes):
            raise InputError(
                f"{self._input}: more documents than the signature stage saw "
                f"({len(self._hashes)}); inputs changed since MinhashSignature ran"
            )
        if xxhash.xxh3_64_intdigest(text.encode("utf-8")) != int(self._hashes[index]):
            raise InputError(
                f"{self._input}: document {index} differs from the one MinhashSignature signed; "
                "inputs or steps before the filter changed"
            )

    def close_file(self, ctx: TaskContext, ok: bool) -> None:
        complete = self._hashes is None or self._next == len(self._hashes)
        super().close_file(ctx, ok and complete)
        if ok and not complete:
            raise InputError(
                f"{self._input}: {self._next} documents read, the signature stage saw "
                f"{len(self._hashes)}; inputs changed since MinhashSignature ran"
            )
