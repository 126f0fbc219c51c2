"""The shape every extractor has: HTML text in, main-content text out, with a hard time limit.

An extractor replaces ``doc.text`` (the decoded HTML from :class:`WarcReader`) with the text it
extracts. Per document, in order:

1. guards before parsing: pages larger than ``max_html_chars`` are dropped
   (``dropped_too_large``), and so are pages nested deeper than ``max_tag_depth`` or with more
   than ``max_tags`` tags (``dropped_too_deep``, ``dropped_too_many_tags``; a Rust byte scan,
   :mod:`.html_guard`);
2. extraction under ``timeout`` seconds per page. With ``isolation: process`` (the default of
   the C-backed extractors) it runs in a long-lived child process per worker
   (:class:`fineweb_kit.isolation.pool.IsolatedMap`): Python-level work is cut at ``timeout``
   inside the child; a page stuck in C code is cut by killing the child at ``timeout`` + 0.5 s
   (``timeouts``, of which ``timeouts_killed``); a page that crashes the parser (segfault,
   abort) kills only the child (``crashed``). The child is restarted (``child_starts``) and the
   rest of the batch goes on. With ``isolation: none`` extraction runs in the worker itself under
   a ``SIGALRM`` timer (:mod:`.timeout`), which cannot cut C code, and a crash ends the worker;
3. an extractor exception is counted as ``errors_extract`` (logged once); an empty result is
   dropped as ``dropped_empty``.

The task itself never stops because of a page.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

from fineweb_kit.document import Batch, Document
from fineweb_kit.exceptions import StepTimeout
from fineweb_kit.isolation.alarm import call_with_timeout
from fineweb_kit.isolation.pool import IsolatedMap, Outcome
from fineweb_kit.steps.base import BatchStep, Params, TaskContext
from fineweb_kit.steps.inherited_params import present_inherited_params, takes_inherited
from fineweb_kit.steps.params import ParamError, check_choice, check_positive_int
from fineweb_kit.text.html_guard import (
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_TAGS,
    oversized_shapes,
)

ISOLATION_MODES = ("process", "none")
HEAD_PAGES = 16
"""The first pages of a stream go to the child process on their own, so that it starts on them
while the rest of the first batch is prepared (encoded, checked, copied)."""


class Extractor(BatchStep):
    """Base of extractors. Subclasses implement :meth:`extract` (``html -> text``) and may
    implement :meth:`load` (imports, done once per process outside any page's time).

    ``timeout``: seconds per document (<= 0: none). ``max_html_chars``: larger pages dropped.
    ``max_tag_depth`` / ``max_tags``: pages nested deeper / with more tags dropped (0: off).
    ``isolation``: ``process`` (a killable child process) or ``none`` (in the worker); default:
    the class's ``default_isolation``.

    A subclass's constructor declares only its own options, keyword-only, and passes the
    settings above on: ``def __init__(self, *, option: bool = True, **settings: Any)``; its
    signature (what a pipeline file is checked against) then lists these settings too.
    """

    kind = "extractor"
    abstract = True
    default_isolation: ClassVar[str] = "none"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        init = cls.__dict__.get("__init__")
        if init is not None and takes_inherited(init):  # before the base wraps it (checks)
            present_inherited_params(init, Extractor.__init__, {"isolation": cls.default_isolation})
        super().__init_subclass__(**kwargs)

    def __init__(
        self,
        timeout: float = 1.0,
        max_html_chars: int = 10_000_000,
        max_tag_depth: int = DEFAULT_MAX_DEPTH,
        max_tags: int = DEFAULT_MAX_TAGS,
        isolation: str | None = None,
    ) -> None:
        super().__init__()
        if isinstance(timeout, bool) or not isinstance(timeout, int | float):
            raise ParamError("timeout", f"expected seconds as a number, got {timeout!r}")
        self.timeout = float(timeout)
        self.max_html_chars = check_positive_int("max_html_chars", max_html_chars)
        self.max_tag_depth = check_positive_int("max_tag_depth", max_tag_depth, minimum=0)
        self.max_tags = check_positive_int("max_tags", max_tags, minimum=0)
        self.isolation = check_choice(
            "isolation", self.default_isolation if isolation is None else isolation, ISOLATION_MODES
        )
        self._warned = False
        self._pool: IsolatedMap | None = None

    @classmethod
    def check_params(cls, params: Params) -> None:
        super().check_params(params)
        timeout = params["timeout"]
        if isinstance(timeout, bool) or not isinstance(timeout, int | float):
            raise ParamError("timeout", f"expected seconds as a number, got {timeout!r}")
        check_positive_int("max_html_chars", params["max_html_chars"])
        for key in ("max_tag_depth", "max_tags"):  # subclasses may not take every guard
            if key in params:
                check_positive_int(key, params[key], minimum=0)
        if params.get("isolation") is not None:
            check_choice("isolation", params["isolation"], ISOLATION_MODES)

    def load(self) -> None:
        """Imports what :meth:`extract` needs (called once per process, before any page)."""

    def extract(self, html: str) -> str:
        """The main-content text of one page ('' if none)."""
        raise NotImplementedError

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()  # the child process gets the settings, not our pool
        state["_pool"] = None
        return state

    def setup(self, ctx: TaskContext) -> None:
        if self.isolation == "none":
            self.load()

    def teardown(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def extract_encoded(self, data: bytes | memoryview) -> str:
        """:meth:`extract` of a page given as UTF-8 bytes (what the child process receives,
        as a view of shared memory). Extractors whose library parses bytes may override it."""
        return self.extract(str(data, "utf-8", "surrogatepass"))

    def process(self, batches: Iterable[Batch], ctx: TaskContext) -> Iterator[Batch]:
        if self.isolation == "none":
            yield from super().process(batches, ctx)
            return
        # pipelined: batch N+1 is read, checked and handed to the child (and the output of
        # batch N-1 goes on downstream) while the child extracts batch N
        pending: deque[list[tuple[Batch, int]]] = deque()
        try:
            for n, batch in enumerate(batches):
                t0 = time.perf_counter()
                head = n == 0 and len(batch) > 2 * HEAD_PAGES
                parts = [batch[:HEAD_PAGES], batch[HEAD_PAGES:]] if head else [batch]
                pending.append([self._submit(part) for part in parts])
                out = self._finish_parts(pending.popleft(), ctx) if len(pending) > 1 else None
                self.stats.time_s += time.perf_counter() - t0
                if out:
                    yield out
            while pending:
                t0 = time.perf_counter()
                out = self._finish_parts(pending.popleft(), ctx)
                self.stats.time_s += time.perf_counter() - t0
                if out:
                    yield out
        finally:
            if pending:  # the stream was abandoned (a later step failed): drop the rest
                self.teardown()

    def _finish_parts(self, parts: list[tuple[Batch, int]], ctx: TaskContext) -> Batch:
        return [doc for docs, ticket in parts for doc in self._finish(docs, ticket, ctx)]

    def process_batch(self, batch: Batch, ctx: TaskContext) -> Batch:
        if self.isolation == "none":
            docs, _ = self._admit(batch)
            return self._keep(docs, [self._extract_here(d.text) for d in docs], ctx)
        docs, ticket = self._submit(batch, count=False)
        return self._finish(docs, ticket, ctx, count=False)

    def _submit(self, batch: Batch, count: bool = True) -> tuple[Batch, int]:
        """Counts ``batch`` in, applies the guards and hands the pages that pass to the child
        process; their documents and the pool's ticket."""
        encoded = [d.text.encode("utf-8", "surrogatepass") for d in batch]
        if count:  # documents_in as BatchStep counts them, from the encoding made anyway
            self.stats.add("documents_in", len(batch))
            self.stats.add("documents_in_bytes", sum(map(len, encoded)))
        docs, pages = self._admit(batch, encoded)
        if self._pool is None:
            self._pool = IsolatedMap(self.extract_encoded, self.timeout, setup=self.load)
        starts = self._pool.starts
        ticket = self._pool.submit(pages)
        self.stats.add("child_starts", self._pool.starts - starts)
        return docs, ticket

    def _finish(self, docs: Batch, ticket: int, ctx: TaskContext, count: bool = True) -> Batch:
        assert self._pool is not None
        starts = self._pool.starts
        outcomes = self._pool.collect(ticket)
        self.stats.add("child_starts", self._pool.starts - starts)
        out = self._keep(docs, outcomes, ctx)
        if count:
            self.count_batch("documents_out", out)
        return out

    def _keep(self, docs: Batch, outcomes: list[Outcome], ctx: TaskContext) -> Batch:
        """The documents extracted with a non-empty text (their text set); the rest counted."""
        out: Batch = []
        for doc, outcome in zip(docs, outcomes, strict=True):
            if outcome.status != "ok":
                self._count_failure(doc, outcome, ctx.log)
                continue
            text = outcome.value or ""
            if not text.strip():
                self.stats.add("dropped_empty")
                continue
            doc.set_text(text)
            out.append(doc)
        return out

    def _admit(
        self, batch: Batch, encoded: list[bytes] | None = None
    ) -> tuple[Batch, list[str] | list[bytes]]:
        """The documents that pass the guards before parsing (the others are counted), and
        their pages: the ``encoded`` UTF-8 bytes when given (for the child process), else the
        text."""
        sized = [i for i, d in enumerate(batch) if len(d.text) <= self.max_html_chars]
        if len(sized) < len(batch):
            self.stats.add("dropped_too_large", len(batch) - len(sized))
        source: Any = encoded if encoded is not None else [d.text for d in batch]
        pages: Any = [source[i] for i in sized]
        reasons = oversized_shapes(pages, self.max_tag_depth, self.max_tags)
        if not any(reasons):
            return [batch[i] for i in sized], pages
        for reason in filter(None, reasons):
            self.stats.add(f"dropped_{reason}")
        keep = [i for i, reason in zip(sized, reasons, strict=True) if reason is None]
        return [batch[i] for i in keep], [source[i] for i in keep]

    def _extract_here(self, html: str) -> Outcome:
        try:
            return Outcome("ok", call_with_timeout(lambda: self.extract(html), self.timeout))
        except StepTimeout:
            return Outcome("timeout", detail=f"over {self.timeout:g} s")
        except Exception as e:  # a library bug on one page must not stop the task
            return Outcome("error", detail=f"{type(e).__name__}: {e}")

    def _count_failure(self, doc: Document, outcome: Outcome, log: logging.Logger) -> None:
        if outcome.status == "error":
            self.stats.add("errors_extract")
            if not self._warned:
                self._warned = True
                log.warning("%s: %s: %s (logged once)", self.name, doc.id, outcome.detail)
            return
        if outcome.status == "timeout":
            self.stats.add("timeouts")
            if outcome.killed:
                self.stats.add("timeouts_killed")
            what = "took " + outcome.detail + (" (child process killed)" if outcome.killed else "")
        else:
            self.stats.add("crashed")
            what = "crashed the extraction process: " + outcome.detail
        log.warning("%s: extraction of %s (%s) %s; dropped", self.name, doc.id, doc.url, what)
