"""JsonlWriter: one JSON object per document, ``{"text", "id", "url", "metadata"}``.

Read directly by polars (``pl.read_ndjson``), HF ``datasets`` (``load_dataset("json", ...)``),
datatrove's JsonlReader and our :class:`~fineweb_kit.steps.readers.jsonl.JsonlReader`.
Compression: ``gzip`` (default, level 6), ``zstd`` or ``none``.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import IO, Literal

from fineweb_kit.document import Batch
from fineweb_kit.io.storage import AnyPath
from fineweb_kit.steps.base import TaskContext, Writer
from fineweb_kit.steps.writers.record import to_record

EXTENSIONS = {"gzip": ".jsonl.gz", "zstd": ".jsonl.zst", "none": ".jsonl"}


class JsonlWriter(Writer):
    """Writes JSON Lines, one part per input file."""

    abstract = False

    def __init__(
        self, output_folder: str, compression: Literal["gzip", "zstd", "none"] = "gzip"
    ) -> None:
        super().__init__(output_folder)
        self.compression = compression
        self._file: IO[bytes] | None = None

    def part_path(self, ctx: TaskContext) -> AnyPath:
        assert ctx.part_name is not None
        return ctx.resolve(self.output_folder) / f"{ctx.part_name}{EXTENSIONS[self.compression]}"

    def open_part(self, tmp_path: Path) -> None:
        if self.compression == "gzip":
            self._file = gzip.open(tmp_path, "wb", compresslevel=6)  # type: ignore[assignment]
        elif self.compression == "zstd":
            import zstandard

            raw = open(tmp_path, "wb")
            self._file = zstandard.ZstdCompressor(level=3).stream_writer(raw, closefd=True)
        else:
            self._file = open(tmp_path, "wb")

    def write_part(self, batch: Batch) -> None:
        assert self._file is not None
        lines = [json.dumps(to_record(d), ensure_ascii=False) for d in batch]
        self._file.write(("\n".join(lines) + "\n").encode("utf-8"))

    def close_part(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
