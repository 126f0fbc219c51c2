"""The per-document timeout: a slow or stuck extraction is cut, counted, and the task goes on."""

from __future__ import annotations

import contextlib
import threading
import time

from fineweb_kit.document import Document
from fineweb_kit.steps.base import TaskContext
from fineweb_kit.steps.extractors.resiliparse import ResiliparseExtractor
from fineweb_kit.steps.extractors.trafilatura import Trafilatura
from fineweb_kit.steps.readers.warc import WarcReader
from tests.datadir import DATA

PAGE = (
    "<html><body><article><p>" + "A sentence of real text. " * 40 + "</p></article></body></html>"
)


def stuck(html: str) -> str:
    while True:  # a pathological page: never returns, and swallows ordinary exceptions
        with contextlib.suppress(Exception):
            time.sleep(0.01)


def run(step, docs):
    t0 = time.monotonic()
    out = step.process_batch(docs, TaskContext(stage="t"))
    return out, time.monotonic() - t0


def test_stuck_extraction_is_cut_and_counted(monkeypatch):
    step = Trafilatura(timeout=0.2, deduplicate=False)
    real = step.extract
    monkeypatch.setattr(
        step, "extract", lambda html: stuck(html) if "STUCK" in html else real(html)
    )
    docs = [Document(PAGE, "a"), Document(PAGE + "STUCK", "b"), Document(PAGE, "c")]
    out, elapsed = run(step, docs)
    assert [d.id for d in out] == ["a", "c"]
    assert step.stats.counters["timeouts"] == 1
    assert elapsed < 5  # cut near 0.2 s, not hung


def test_timeout_also_works_off_the_main_thread(monkeypatch):
    step = ResiliparseExtractor(timeout=0.2)
    monkeypatch.setattr(step, "extract", stuck)
    result = {}
    worker = threading.Thread(target=lambda: result.update(out=run(step, [Document(PAGE, "x")])))
    worker.start()
    worker.join(10)
    assert not worker.is_alive()
    assert result["out"][0] == [] and step.stats.counters["timeouts"] == 1


def test_huge_single_line_page_times_out_cleanly():
    path = str(DATA / "warc-edge" / "huge-single-line-html.warc.gz")
    docs = list(WarcReader(paths=path).read_file(path, TaskContext(stage="t")))
    step = Trafilatura(timeout=0.3, deduplicate=False)
    out, elapsed = run(step, [*docs, Document(PAGE, "ok")])
    assert [d.id for d in out] == ["ok"]
    assert step.stats.counters["timeouts"] == 1
    assert elapsed < 10


def test_errors_in_one_page_do_not_stop_the_batch(monkeypatch):
    step = Trafilatura(timeout=1, deduplicate=False)
    real = step.extract

    def flaky(html: str) -> str:
        if "BOOM" in html:
            raise ValueError("broken page")
        return real(html)

    monkeypatch.setattr(step, "extract", flaky)
    out, _ = run(step, [Document(PAGE + "BOOM", "a"), Document(PAGE, "b")])
    assert [d.id for d in out] == ["b"] and step.stats.counters["errors_extract"] == 1


def test_oversized_pages_are_dropped_before_parsing():
    step = ResiliparseExtractor(max_html_chars=1000)
    out, _ = run(step, [Document(PAGE * 10, "big"), Document(PAGE[:900], "small")])
    assert [d.id for d in out] == ["small"] and step.stats.counters["dropped_too_large"] == 1
