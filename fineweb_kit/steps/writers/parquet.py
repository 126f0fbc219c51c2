"""ParquetWriter: columns ``text``, ``id``, ``url`` and a ``metadata`` struct.

Read directly by polars (``pl.read_parquet``), HF ``datasets`` (``load_dataset("parquet", ...)``)
and our ParquetReader. The metadata struct's fields are the union of the keys of the part's
documents (missing keys are null), so a part is buffered in memory and written on close, in row
groups of ``row_group_size``. If metadata values have conflicting types across documents,
the part falls back to a JSON-string ``metadata`` column (counted as ``metadata_as_json``)
rather than losing anything.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fineweb_kit.document import Batch
from fineweb_kit.steps.base import Writer
from fineweb_kit.steps.params import check_positive_int
from fineweb_kit.steps.writers.record import to_record


class ParquetWriter(Writer):
    """Writes one Parquet file per input file (zstd-compressed)."""

    abstract = False
    extension = ".parquet"
    requires = (("pyarrow", "pyarrow"),)

    def __init__(self, output_folder: str, row_group_size: int = 10_000) -> None:
        super().__init__(output_folder)
        self.row_group_size = check_positive_int("row_group_size", row_group_size)
        self._rows: list[dict[str, Any]] = []
        self._path: Path | None = None

    def open_part(self, tmp_path: Path) -> None:
        self._rows = []
        self._path = tmp_path

    def write_part(self, batch: Batch) -> None:
        self._rows.extend(to_record(d) for d in batch)

    def close_part(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        assert self._path is not None
        rows = self._rows
        has_metadata = any(r["metadata"] for r in rows)
        try:
            table = pa.Table.from_pylist(rows) if rows and has_metadata else None
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            self.stats.add("metadata_as_json")
            table = pa.Table.from_pylist(
                [{**r, "metadata": json.dumps(r["metadata"], ensure_ascii=False)} for r in rows]
            )
        if table is None:  # no metadata at all: keep the column, typed as an empty struct-less map
            schema = pa.schema([("text", pa.string()), ("id", pa.string()), ("url", pa.string())])
            table = pa.Table.from_pylist(
                [{k: r[k] for k in ("text", "id", "url")} for r in rows], schema=schema
            )
        pq.write_table(table, self._path, row_group_size=self.row_group_size, compression="zstd")
        self._rows = []
        self._path = None
