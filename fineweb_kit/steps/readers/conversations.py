"""ConversationReader: JSON Lines / Parquet records holding conversations -> documents.

``format`` picks the parser of :mod:`fineweb_kit.chat.formats`:

- ``openai``: ``{"messages": [{"role", "content"}, ...]}``; also reads back what
  :class:`~fineweb_kit.steps.writers.jsonl.JsonlWriter` wrote after this reader (the messages
  then sit in ``metadata.messages``), so conversations survive multi-stage pipelines;
- ``sharegpt``: ``{"conversations": [{"from", "value"}, ...]}``;
- ``hh``: an HH-RLHF dialogue text in the field ``field`` (default ``chosen``);
- ``gsm8k``: ``{"question", "answer"}``; ``metadata.final_answer`` keeps the number after
  ``####`` (for evaluation and rewards).

Each document holds the validated conversation in ``metadata["messages"]`` and a plain
rendering (``role: text`` blocks, :func:`~fineweb_kit.chat.messages.plain_text`) as its
text, so filters, MinHash / exact dedup and PII steps work on conversations unchanged
(formatters also rewrite the messages, see :mod:`fineweb_kit.steps.formatters.base`).
Other fields of the record go to metadata. A malformed record is skipped and counted as
``dropped_<reason>`` (``dropped_unknown_role``, ``dropped_empty``, ``dropped_bad_type``,
``dropped_no_assistant``, ...; see :mod:`fineweb_kit.chat.messages`) and logged with its
file and line; a line that is not JSON counts as ``errors_bad_line``. Never raises mid-file.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fineweb_kit.chat.formats import PARSERS, gsm8k_final_answer
from fineweb_kit.chat.messages import ConversationError, plain_text
from fineweb_kit.document import Document
from fineweb_kit.exceptions import InputError
from fineweb_kit.io.files import json_lines
from fineweb_kit.steps.base import Reader, TaskContext
from fineweb_kit.steps.params import ParamError, check_choice

MESSAGES_KEY = "messages"
"""Where a document keeps its conversation (``Document.metadata[MESSAGES_KEY]``)."""

_CONSUMED = {
    "openai": ("messages",),
    "sharegpt": ("conversations",),
    "gsm8k": ("question", "answer"),
}


class ConversationReader(Reader):
    """Reads conversations (OpenAI, ShareGPT, HH-RLHF or GSM8K records) from JSON Lines or
    Parquet files into documents (see the module doc)."""

    abstract = False

    def __init__(
        self,
        paths: str | list[str],
        format: str = "openai",
        field: str | None = None,
        id_key: str = "id",
        limit: int = -1,
        batch_size: int = 256,
    ) -> None:
        super().__init__(paths, limit=limit, batch_size=batch_size)
        self.format = check_choice("format", format, tuple(PARSERS))
        if field is not None and (not isinstance(field, str) or not field):
            raise ParamError("field", f"expected a record field name, got {field!r}")
        self.field = field or {"hh": "chosen"}.get(format)
        self.id_key = id_key
        self._parse = PARSERS[format]

    def _records(self, path: str) -> Iterator[tuple[int, Any]]:
        if path.lower().endswith(".parquet"):
            import pyarrow.parquet as pq

            try:
                pf = pq.ParquetFile(path)
            except Exception as e:
                raise InputError(f"{path}: not a readable Parquet file: {e}") from None
            row = 0
            for batch in pf.iter_batches(batch_size=self.batch_size):
                for record in batch.to_pylist():
                    row += 1
                    yield row, record
        else:
            yield from json_lines(path)

    def to_document(self, record: Any, fallback_id: str) -> Document:
        """The document of one record; raises :class:`ConversationError` if malformed."""
        if not isinstance(record, dict):
            raise ConversationError("bad_type", f"record is {type(record).__name__}, not object")
        data = dict(record)
        meta = data.pop("metadata", None)
        meta = dict(meta) if isinstance(meta, dict) else {}
        if self.format == "openai" and MESSAGES_KEY not in data and MESSAGES_KEY in meta:
            data[MESSAGES_KEY] = meta.pop(MESSAGES_KEY)  # our own JsonlWriter's output
            data.pop("text", None)
        if self.field is not None:
            if self.field not in data:
                raise ConversationError("missing_field", f"record has no field {self.field!r}")
            messages = self._parse(data.pop(self.field))
        else:
            messages = self._parse(data)
            for key in _CONSUMED.get(self.format, ()):
                answer = data.pop(key, None)
                if key == "answer" and isinstance(answer, str):
                    meta["final_answer"] = gsm8k_final_answer(answer)
        doc_id = data.pop(self.id_key, None)
        meta.update(data)
        meta[MESSAGES_KEY] = messages
        return Document(
            text=plain_text(messages),
            id=str(doc_id) if doc_id is not None else fallback_id,
            metadata=meta,
        )

    def read_file(self, path: str, ctx: TaskContext) -> Iterator[Document]:
        for lineno, record in self._records(path):
            if isinstance(record, ValueError):
                self.stats.add("errors_bad_line")
                ctx.log.warning("%s:%d: skipped line: %s", path, lineno, str(record)[:200])
                continue
            try:
                yield self.to_document(record, f"{path}:{lineno}")
            except ConversationError as e:
                self.stats.add(f"dropped_{e.reason}")
                ctx.log.info("%s:%d: skipped conversation: %s", path, lineno, str(e)[:200])
