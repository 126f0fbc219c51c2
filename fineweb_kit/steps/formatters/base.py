"""Formatter: the base of steps that rewrite each document's text.

A formatter maps text to text. Documents whose text changed count as ``documents_modified``
(and ``chars_removed`` counts the net length change); documents left empty are dropped and
counted as ``dropped_empty_after_format``, since an empty document is not training data.
A document holding a conversation (``metadata["messages"]``, from ``ConversationReader``) has
every text of its messages formatted too, and its text re-rendered from them.
"""

from __future__ import annotations

from fineweb_kit.chat.messages import map_texts, plain_text
from fineweb_kit.document import Batch
from fineweb_kit.steps.base import BatchStep, TaskContext


class Formatter(BatchStep):
    """Base of formatters: override :meth:`format`."""

    kind = "formatter"
    abstract = True

    def format(self, text: str) -> str:
        raise NotImplementedError

    def process_batch(self, batch: Batch, ctx: TaskContext) -> Batch:
        out: Batch = []
        for doc in batch:
            messages = doc.metadata.get("messages")
            if isinstance(messages, list):
                doc.metadata["messages"] = messages = map_texts(messages, self.format)
                text = plain_text(messages)
            else:
                text = self.format(doc.text)
            if text != doc.text:
                self.stats.add("documents_modified")
                self.stats.add("chars_removed", len(doc.text) - len(text))
                doc.set_text(text)
            if text.strip():
                out.append(doc)
            else:
                self.stats.add("dropped_empty_after_format")
        return out
