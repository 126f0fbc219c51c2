"""JsonlReader: one JSON object per line (``.jsonl``, ``.jsonl.gz``, ``.jsonl.zst``).

Compression is detected from magic bytes. ``text_key``/``id_key``/``url_key`` name the fields;
a ``metadata`` object and every other field go into ``Document.metadata``, so files written by
:class:`~fineweb_kit.steps.writers.jsonl.JsonlWriter` or by datatrove read back unchanged. A line
that is not valid JSON or lacks the text field is counted (``errors_bad_line``) and logged with
its line number; the rest of the file is still read.
"""

from __future__ import annotations

from collections.abc import Iterator

from fineweb_kit.document import Document
from fineweb_kit.io.files import json_lines
from fineweb_kit.steps.base import TaskContext
from fineweb_kit.steps.readers.record import RecordReader


class JsonlReader(RecordReader):
    """Reads JSON Lines files (plain, gzip or zstd)."""

    abstract = False

    def read_file(self, path: str, ctx: TaskContext) -> Iterator[Document]:
        for lineno, record in json_lines(path):
            try:
                if isinstance(record, ValueError):
                    raise record
                yield self.document(record, f"{path}:{lineno}")
            except (ValueError, TypeError, KeyError, AttributeError) as e:
                self.stats.add("errors_bad_line")
                ctx.log.warning("%s:%d: skipped line: %s", path, lineno, _describe(e))


def _describe(e: Exception) -> str:
    if isinstance(e, KeyError):
        return f"missing field {e}"
    return str(e)[:200]
