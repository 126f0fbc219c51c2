"""JsonlReader: one JSON object per line (``.jsonl``, ``.jsonl.gz``, ``.jsonl.zst``).

Compression is detected from magic bytes. ``text_key``/``id_key``/``url_key`` name the fields;
a ``metadata`` object and every other field go into ``Document.metadata``, so files written by
:class:`~fineweb_kit.steps.writers.jsonl.JsonlWriter` or by datatrove read back unchanged. A line
that is not valid JSON or lacks the text field is counted (``errors_bad_line``) and logged with
its line number; the rest of the file is still read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from fineweb_kit.document import Document
from fineweb_kit.io.files import open_text
from fineweb_kit.steps.base import Reader, TaskContext


def document_from_record(
    record: dict[str, Any], text_key: str, id_key: str, url_key: str, fallback_id: str
) -> Document:
    """Builds a Document from one JSON/Parquet record (keys not named go to metadata)."""
    data = dict(record)
    text = data.pop(text_key)
    if not isinstance(text, str):
        raise TypeError(f"field {text_key!r} is {type(text).__name__}, expected a string")
    doc_id = data.pop(id_key, None)
    url = data.pop(url_key, None)
    metadata = data.pop("metadata", None) or {}
    if not isinstance(metadata, dict):
        metadata = {"metadata": metadata}
    metadata.update(data)
    return Document(
        text=text,
        id=str(doc_id) if doc_id is not None else fallback_id,
        url=url if url is None else str(url),
        metadata=metadata,
    )


class JsonlReader(Reader):
    """Reads JSON Lines files (plain, gzip or zstd)."""

    abstract = False

    def __init__(
        self,
        paths: str | list[str],
        text_key: str = "text",
        id_key: str = "id",
        url_key: str = "url",
        limit: int = -1,
        batch_size: int = 256,
    ) -> None:
        super().__init__(paths, limit=limit, batch_size=batch_size)
        self.text_key = text_key
        self.id_key = id_key
        self.url_key = url_key

    def read_file(self, path: str, ctx: TaskContext) -> Iterator[Document]:
        with open_text(path) as f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                    yield document_from_record(
                        record, self.text_key, self.id_key, self.url_key, f"{path}:{lineno}"
                    )
                except (ValueError, TypeError, KeyError, AttributeError) as e:
                    self.stats.add("errors_bad_line")
                    ctx.log.warning("%s:%d: skipped line: %s", path, lineno, _describe(e))


def _describe(e: Exception) -> str:
    if isinstance(e, KeyError):
        return f"missing field {e}"
    return str(e)[:200]
