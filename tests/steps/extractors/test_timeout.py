"""The in-process per-document timeout (``isolation: none``): a slow or stuck extraction is cut,
counted, and the task goes on. The child-process mode is tested in test_isolation.py."""

from __future__ import annotations

import contextlib
import threading
import time

from fineweb_kit.document import Document
from fineweb_kit.steps.base import TaskContext
from fineweb_kit.steps.extractors.resiliparse import ResiliparseExtractor
from fineweb_kit.steps.extractors.trafilatura import Trafilatura
from fineweb_kit.steps.readers.warc import WarcReader
from tests.conftest import SHARED_DATA as DATA

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
    step = Trafilatura(timeout=0.3, isolation="none")
    # the normal pages return at once: the test is about the stuck one, not machine load
    monkeypatch.setattr(step, "extract", lambda html: stuck(html) if "STUCK" in html else "text")
    docs = [Document(PAGE, "a"), Document(PAGE + "STUCK", "b"), Document(PAGE, "c")]
    out, elapsed = run(step, docs)
    assert [d.id for d in out] == ["a", "c"]
    assert step.stats.counters["timeouts"] == 1
    assert elapsed < 5  # cut near 0.3 s, not hung


def test_timeout_also_works_off_the_main_thread(monkeypatch):
    step = ResiliparseExtractor(timeout=0.2, isolation="none")
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
    assert len(docs) == 1 and len(docs[0].text) > 5_000_000
    step = Trafilatura(timeout=0.3, deduplicate=False)
    out, elapsed = run(step, docs)
    assert out == [] and step.stats.counters["timeouts"] == 1
    assert elapsed < 10


def test_errors_in_one_page_do_not_stop_the_batch(monkeypatch):
    step = Trafilatura(timeout=0, deduplicate=False, isolation="none")
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


def test_no_alarm_outlives_the_call():
    """Calls ending right at their deadline leave no timer, handler or pending exception."""
    import signal

    from fineweb_kit.exceptions import StepTimeout
    from fineweb_kit.isolation.alarm import call_with_timeout

    before = signal.getsignal(signal.SIGALRM)

    def busy(seconds: float) -> str:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            pass
        return "done"

    for i in range(30):
        with contextlib.suppress(StepTimeout):
            call_with_timeout(lambda i=i: busy(0.018 + 0.0005 * i), 0.02)
    busy(0.2)  # a late alarm would raise here
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) == before
