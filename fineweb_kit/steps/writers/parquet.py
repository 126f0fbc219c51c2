"""ParquetWriter: string columns ``text``, ``id``, ``url``, ``metadata`` (JSON), zstd-compressed.

Every part of every run has this same schema, so a whole output folder is read in one go by
polars (``pl.read_parquet("out/*.parquet")``), HF ``datasets`` (``load_dataset("parquet", ...)``)
and our ParquetReader. Metadata keys differ between documents and runs, so ``metadata`` is a
JSON object as a string: ``pl.col("metadata").str.json_decode()`` (polars) or ``json.loads``
turns it back into fields. Rows are written in row groups of ``row_group_size`` as they come,
so a part is never held in memory whole.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

from fineweb_kit.document import Batch
from fineweb_kit.steps.base import Writer
from fineweb_kit.steps.params import Check, at_least

COLUMNS = ("text", "id", "url", "metadata")


class ParquetWriter(Writer):
    """Writes one Parquet file per input file."""

    abstract = False
    extension = ".parquet"
    requires = (("pyarrow", "pyarrow"),)
    param_checks: ClassVar[dict[str, Check]] = {"row_group_size": at_least(1)}

    def __init__(self, output_folder: str, row_group_size: int = 10_000) -> None:
        super().__init__(output_folder)
        self.row_group_size = row_group_size
        self._rows: dict[str, list[Any]] = {c: [] for c in COLUMNS}
        self._writer: Any = None

    def open_part(self, tmp_path: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = pa.schema([(c, pa.string()) for c in COLUMNS])
        self._writer = pq.ParquetWriter(tmp_path, schema, compression="zstd")
        self._rows = {c: [] for c in COLUMNS}

    def write_part(self, batch: Batch) -> None:
        for doc in batch:
            self._rows["text"].append(doc.text)
            self._rows["id"].append(doc.id)
            self._rows["url"].append(doc.url)
            self._rows["metadata"].append(json.dumps(doc.metadata, ensure_ascii=False))
        if len(self._rows["text"]) >= self.row_group_size:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        if self._rows["text"]:
            self._writer.write_table(pa.table(self._rows, schema=self._writer.schema))
            self._rows = {c: [] for c in COLUMNS}

    def close_part(self) -> None:
        if self._writer is not None:
            self._flush()
            self._writer.close()
            self._writer = None
