"""The record layout every writer uses: ``text``, ``id``, ``url``, ``metadata``."""

from __future__ import annotations

from typing import Any

from fineweb_kit.document import Document


def to_record(doc: Document) -> dict[str, Any]:
    """A plain dict for JSON / Parquet. ``Document.cache`` is never written."""
    return {"text": doc.text, "id": doc.id, "url": doc.url, "metadata": doc.metadata}
