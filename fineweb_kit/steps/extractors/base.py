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
from typing import Any, ClassVar

from fineweb_kit.document import Batch, Document
from fineweb_kit.exceptions import StepTimeout
from fineweb_kit.isolation.alarm import call_with_timeout
from fineweb_kit.isolation.pool import IsolatedMap, Outcome
from fineweb_kit.steps.base import BatchStep, Params, TaskContext
from fineweb_kit.steps.params import ParamError, check_choice, check_positive_int
from fineweb_kit.text.html_guard import (
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_TAGS,
    oversized_shapes,
)

ISOLATION_MODES = ("process", "none")


class Extractor(BatchStep):
    """Base of extractors. Subclasses implement :meth:`extract` (``html -> text``) and may
    implement :meth:`load` (imports, done once per process outside any page's time).

    ``timeout``: seconds per document (<= 0: none). ``max_html_chars``: larger pages dropped.
    ``max_tag_depth`` / ``max_tags``: pages nested deeper / with more tags dropped (0: off).
    ``isolation``: ``process`` (a killable child process) or ``none`` (in the worker); default:
    the class's ``default_isolation``.
    """

    kind = "extractor"
    abstract = True
    default_isolation: ClassVar[str] = "none"

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

    def process_batch(self, batch: Batch, ctx: TaskContext) -> Batch:
        docs, pages = self._admit(batch)
        outcomes = self._extract_all(docs, pages)
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

    def _admit(self, batch: Batch) -> tuple[Batch, list[str] | list[bytes]]:
        """The documents that pass the guards before parsing (the others are counted), and
        their pages: UTF-8 bytes when they go to the child process (encoded once, for the
        guard and the pipe alike), else the text."""
        sized: Batch = []
        for doc in batch:
            if len(doc.text) > self.max_html_chars:
                self.stats.add("dropped_too_large")
            else:
                sized.append(doc)
        pages: list[str] | list[bytes]
        if self.isolation == "process":
            pages = [d.text.encode("utf-8", "surrogatepass") for d in sized]
        else:
            pages = [d.text for d in sized]
        reasons = oversized_shapes(pages, self.max_tag_depth, self.max_tags)
        if not any(reasons):
            return sized, pages
        for reason in filter(None, reasons):
            self.stats.add(f"dropped_{reason}")
        keep = [i for i, reason in enumerate(reasons) if reason is None]
        return [sized[i] for i in keep], [pages[i] for i in keep]  # type: ignore[return-value]

    def _extract_all(self, docs: Batch, pages: list[str] | list[bytes]) -> list[Outcome]:
        if not docs:
            return []
        if self.isolation == "none":
            return [self._extract_here(d.text) for d in docs]
        if self._pool is None:
            self._pool = IsolatedMap(self.extract_encoded, self.timeout, setup=self.load)
        starts = self._pool.starts
        outcomes = self._pool.map(pages)
        self.stats.add("child_starts", self._pool.starts - starts)
        return outcomes

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
