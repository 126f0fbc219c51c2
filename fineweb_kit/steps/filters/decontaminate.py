"""Decontaminate: drops training conversations that share a word n-gram with an evaluation set.

What: a document is dropped (``dropped_contaminated``) when one window of ``ngram`` words
(default 13) of any of its messages also occurs in an item of ``eval_files`` (e.g. GSM8K's
test split). Documents without a conversation (plain text) are checked on their text.
Why: GPT-3 (Brown et al., 2020, appendix C) removed 13-gram overlaps with its benchmarks
from the training data; an SFT set that contains test problems inflates pass@1.
How: see :mod:`fineweb_kit.chat.decontaminate` (a sorted u64 array of the evaluation
n-grams, a vectorised rolling hash per batch). ``eval_files`` are read with
:class:`~fineweb_kit.steps.readers.conversations.ConversationReader` (``eval_format``:
``gsm8k``, ``hh``, ``openai``, ``sharegpt``; ``eval_field`` as its ``field``) once per
process, in ``setup``; the stats report ``eval_items``, ``eval_ngrams`` and
``eval_items_short`` (items under ``ngram`` words, which cannot match).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fineweb_kit.chat.decontaminate import NgramIndex, message_texts
from fineweb_kit.document import Batch
from fineweb_kit.steps.base import Filter, TaskContext
from fineweb_kit.steps.params import ParamError, check_positive_int
from fineweb_kit.steps.readers.conversations import MESSAGES_KEY, ConversationReader

_INDEXES: dict[tuple, NgramIndex] = {}


class Decontaminate(Filter):
    """Drops documents sharing a word n-gram with any item of ``eval_files``."""

    abstract = False

    def __init__(
        self,
        eval_files: str | list[str],
        eval_format: str = "gsm8k",
        eval_field: str | None = None,
        ngram: int = 13,
        exclusion_writer: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(exclusion_writer)
        self.ngram = check_positive_int("ngram", ngram)
        try:
            self._eval = ConversationReader(eval_files, format=eval_format, field=eval_field)
        except ParamError as e:
            key = f"eval_{e.key}" if e.key != "paths" else "eval_files"
            raise ParamError(key, e.detail) from None
        self._index: NgramIndex | None = None

    def load_index(self, ctx: TaskContext | None = None) -> NgramIndex:
        """The evaluation n-grams (built once per process and configuration)."""
        files = self._eval.list_files(ctx.output_root if ctx is not None else Path("."))
        key = (tuple(files), self._eval.format, self._eval.field, self.ngram)
        if key not in _INDEXES:
            index = NgramIndex(self.ngram)
            reader_ctx = TaskContext(stage="decontaminate", log=logging.getLogger(__name__))
            items = (
                message_texts(doc.metadata[MESSAGES_KEY])
                for path in files
                for doc in self._eval.read_file(path, reader_ctx)
            )
            index.add(items)  # a missing file raises InputError naming it
            _INDEXES[key] = index
        return _INDEXES[key]

    def setup(self, ctx: TaskContext) -> None:
        super().setup(ctx)
        self._index = self.load_index(ctx)
        self.stats.add("eval_items", self._index.items)
        self.stats.add("eval_items_short", self._index.short_items)
        self.stats.add("eval_ngrams", len(self._index))

    def filter_batch(self, batch: Batch) -> list[str | None]:
        if self._index is None:
            self._index = self.load_index()
        docs = [
            message_texts(d.metadata[MESSAGES_KEY])
            if isinstance(d.metadata.get(MESSAGES_KEY), list)
            else [d.text]
            for d in batch
        ]
        hit = self._index.contaminated(docs)
        return ["contaminated" if h else None for h in hit.tolist()]
