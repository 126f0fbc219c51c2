"""VerifiedFilter: base of the last stage of every dedup method.

The last stage re-reads the input files of the first dedup stage and acts on documents by
position (input file index, document index). To make a mismatch impossible to miss, it checks,
before dropping or editing anything: that the find stage finished (``summary.json``) with this
configuration; that this input file is one the first stage saw (same real path, same part
name); that every document's text hash equals the one recorded then; and that the document
count is the same. Any difference fails the file with a message naming it.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import xxhash

from fineweb_kit.dedup.records import read_records
from fineweb_kit.exceptions import ConfigError, InputError
from fineweb_kit.io import storage
from fineweb_kit.io.storage import AnyPath
from fineweb_kit.io.work_folder import WorkFolder
from fineweb_kit.steps.base import Filter, TaskContext
from fineweb_kit.steps.dedup.sink_step import DedupParams
from fineweb_kit.steps.params import WriterConfig


class VerifiedFilter(DedupParams, Filter):
    """A filter over per-file dedup results, checked against the first stage's records."""

    abstract = True
    kind = "dedup"
    first_stage = "the first dedup stage"
    records_suffix = ".dups"

    def __init__(self, folder: str, exclusion_writer: WriterConfig | None = None) -> None:
        super().__init__(exclusion_writer)
        self.folder = folder
        self._fingerprint = 0
        self._hashes: Any = None
        self._file_id = 0
        self._next = 0
        self._input = ""

    def fingerprint(self) -> int:
        """The configuration fingerprint every file must carry."""
        raise NotImplementedError

    def check_folder(self, root: AnyPath) -> None:
        """Refuses a folder of another configuration (ConfigError)."""
        raise NotImplementedError

    def load_records(self, records: Any) -> None:
        """Takes this file's result records (uint64 array, 4 columns; may be empty)."""
        raise NotImplementedError

    def setup(self, ctx: TaskContext) -> None:
        super().setup(ctx)
        root = ctx.resolve(self.folder)
        self._fingerprint = self.fingerprint()
        self.check_folder(root)
        if not (root / "clusters" / "summary.json").is_file():
            raise ConfigError(f"{root}: the find stage has not finished; run it before the filter")

    def open_file(self, ctx: TaskContext) -> None:
        super().open_file(ctx)
        root = ctx.resolve(self.folder)
        self._input = ctx.input_path or ""
        with WorkFolder(root) as work:  # a remote folder: both files downloaded whole
            docs = work.fetch(f"signatures/docs/{ctx.part_name}.docs")
            if docs is None:
                raise InputError(
                    f"{self._input}: not seen by {self.first_stage} "
                    f"({root}/signatures/docs/{ctx.part_name}.docs missing); the filter must "
                    "read the same input files as that stage"
                )
            meta, hashes = read_records(str(docs), "docs", self._fingerprint, 1)
            info = json.loads(meta)
            name = f"clusters/{int(info['file_index']):06d}{self.records_suffix}"
            path = work.fetch(name)
            records = np.zeros((0, 4), dtype=np.uint64)
            if path is not None:
                _, records = read_records(str(path), "clusters", self._fingerprint, 4)
        if info["input"] != storage.canonical(self._input):
            raise InputError(
                f"{self._input}: {self.first_stage}'s file number {info['file_index']} was "
                f"{info['input']}; the filter must read the same input files as that stage"
            )
        self._hashes = hashes[:, 0]
        self._file_id = int(info["file_index"])
        self._next = 0
        self.load_records(records)

    def next_index(self, text: str) -> int:
        """Position of the next document, after checking it is the one first seen there."""
        index = self._next
        self._next += 1
        if index >= len(self._hashes):
            raise InputError(
                f"{self._input}: more documents than {self.first_stage} saw "
                f"({len(self._hashes)}); inputs changed since it ran"
            )
        if xxhash.xxh3_64_intdigest(text.encode("utf-8")) != int(self._hashes[index]):
            raise InputError(
                f"{self._input}: document {index} differs from the one {self.first_stage} "
                "saw; inputs or steps before the filter changed"
            )
        return index

    def doc_id(self, index: int) -> int:
        return self._file_id << 32 | index

    def close_file(self, ctx: TaskContext, ok: bool) -> None:
        complete = self._hashes is None or self._next == len(self._hashes)
        super().close_file(ctx, ok and complete)
        if ok and not complete:
            raise InputError(
                f"{self._input}: {self._next} documents read, {self.first_stage} saw "
                f"{len(self._hashes)}; inputs changed since it ran"
            )
