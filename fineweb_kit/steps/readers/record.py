"""RecordReader: the shared base of readers of record formats (JSON Lines, Parquet).

``text_key``/``id_key``/``url_key`` name the fields; a ``metadata`` object (or JSON string, as our
ParquetWriter stores it) and every other field go into ``Document.metadata``.
"""

from __future__ import annotations

import json
from typing import Any

from fineweb_kit.document import Document
from fineweb_kit.steps.base import Reader


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
    if isinstance(metadata, str):  # our ParquetWriter stores metadata as a JSON string
        try:
            metadata = json.loads(metadata)
        except ValueError:
            metadata = {"metadata": metadata}
    if not isinstance(metadata, dict):
        metadata = {"metadata": metadata}
    metadata.update(data)
    return Document(
        text=text,
        id=str(doc_id) if doc_id is not None else fallback_id,
        url=url if url is None else str(url),
        metadata=metadata,
    )


class RecordReader(Reader):
    """Base of readers whose files hold records with a text field."""

    abstract = True

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

    def document(self, record: dict[str, Any], fallback_id: str) -> Document:
        """The Document of one record; ``fallback_id`` names it when it has no id."""
        return document_from_record(record, self.text_key, self.id_key, self.url_key, fallback_id)
