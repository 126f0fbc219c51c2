"""The shape every extractor has: HTML text in, main-content text out, with a hard time limit.

An extractor replaces ``doc.text`` (the decoded HTML from :class:`WarcReader`) with the text it
extracts. Per document: pages larger than ``max_html_chars`` are dropped (``dropped_too_large``:
one C-level parse of such a page cannot be interrupted); the extraction runs under
``timeout`` seconds (:mod:`.timeout`: a timer inside the worker, not a process per page;
timeouts are counted as ``timeouts`` and the document dropped); an extractor exception is
counted as ``errors_extract`` (logged once); an empty result is dropped as ``dropped_empty``.
The task itself never stops because of a page.
"""

from __future__ import annotations

import logging

from fineweb_kit.document import Batch, Document
from fineweb_kit.exceptions import StepTimeout
from fineweb_kit.steps.base import BatchStep, Params, TaskContext
from fineweb_kit.steps.extractors.timeout import call_with_timeout
from fineweb_kit.steps.params import ParamError, check_positive_int


class Extractor(BatchStep):
    """Base of extractors. Subclasses implement :meth:`extract` (``html -> text``).

    ``timeout``: seconds per document (<= 0: none). ``max_html_chars``: larger pages dropped.
    """

    kind = "extractor"
    abstract = True

    def __init__(self, timeout: float = 1.0, max_html_chars: int = 10_000_000) -> None:
        super().__init__()
        self.timeout = float(timeout)
        self.max_html_chars = max_html_chars
        self._warned = False

    @classmethod
    def check_params(cls, params: Params) -> None:
        super().check_params(params)
        timeout = params["timeout"]
        if isinstance(timeout, bool) or not isinstance(timeout, int | float):
            raise ParamError("timeout", f"expected seconds as a number, got {timeout!r}")
        check_positive_int("max_html_chars", params["max_html_chars"])

    def extract(self, html: str) -> str:
        """The main-content text of one page ('' if none)."""
        raise NotImplementedError

    def process_batch(self, batch: Batch, ctx: TaskContext) -> Batch:
        out: Batch = []
        for doc in batch:
            text = self._extract_one(doc, ctx.log)
            if text is None:
                continue
            if not text.strip():
                self.stats.add("dropped_empty")
                continue
            doc.set_text(text)
            out.append(doc)
        return out

    def _extract_one(self, doc: Document, log: logging.Logger) -> str | None:
        if len(doc.text) > self.max_html_chars:
            self.stats.add("dropped_too_large")
            return None
        try:
            return call_with_timeout(lambda: self.extract(doc.text), self.timeout) or ""
        except StepTimeout:
            self.stats.add("timeouts")
            log.warning(
                "%s: extraction of %s (%s) took over %gs; dropped",
                self.name,
                doc.id,
                doc.url,
                self.timeout,
            )
        except Exception as e:  # a library bug on one page must not stop the task
            self.stats.add("errors_extract")
            if not self._warned:
                self._warned = True
                log.warning(
                    "%s: %s on %s: %s (logged once)", self.name, type(e).__name__, doc.id, e
                )
        return None
