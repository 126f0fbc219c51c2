"""ParquetReader: Parquet files as written by our ParquetWriter, datatrove or HF datasets.

Reads row groups in batches with pyarrow (never the whole file at once). Columns other than
``text_key``/``id_key``/``url_key`` go into ``Document.metadata`` (a ``metadata`` column,
struct or JSON string, is merged in).
"""

from __future__ import annotations

from collections.abc import Iterator

from fineweb_kit.document import Document
from fineweb_kit.exceptions import InputError, StorageError
from fineweb_kit.io import storage
from fineweb_kit.steps.base import TaskContext
from fineweb_kit.steps.readers.record import RecordReader


class ParquetReader(RecordReader):
    """Reads Parquet files batch by batch."""

    abstract = False
    requires = (("pyarrow", "pyarrow"),)

    def read_file(self, path: str, ctx: TaskContext) -> Iterator[Document]:
        import pyarrow.parquet as pq

        try:
            pf = pq.ParquetFile(storage.open_read(path) if storage.is_remote(path) else path)
        except StorageError:
            raise
        except Exception as e:
            raise InputError(f"{path}: not a readable Parquet file: {e}") from None
        if self.text_key not in pf.schema_arrow.names:
            raise InputError(
                f"{path}: no column {self.text_key!r}; columns: {pf.schema_arrow.names}"
            )
        row = 0
        for record_batch in pf.iter_batches(batch_size=self.batch_size):
            for record in record_batch.to_pylist():
                row += 1
                if record.get(self.text_key) is None:
                    self.stats.add("errors_null_text")
                    continue
                yield self.document(record, f"{path}:{row}")
