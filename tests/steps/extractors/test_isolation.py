"""Hostile pages between real ones: the extraction child process is killed or dies, the page is
counted and dropped, every other page is kept, and the run takes a few seconds.

Pages: real pages of ../shared/data/html, and crafted ones (30,000 unclosed ``<div>``s, a page
of 300,000 tags, marker pages on which a test double aborts, segfaults or stalls with the timer
signal blocked, as a C parser can)."""

from __future__ import annotations

import gzip
import time
from collections import Counter

import pytest

from fineweb_kit.document import Document
from fineweb_kit.steps.base import TaskContext
from fineweb_kit.steps.extractors.base import HEAD_PAGES
from fineweb_kit.steps.extractors.resiliparse import ResiliparseExtractor
from fineweb_kit.steps.extractors.trafilatura import Trafilatura
from fineweb_kit.warc.charset import decode_html
from tests.conftest import SHARED_DATA as DATA
from tests.steps.extractors.doubles import (
    ABORT,
    RAISE,
    SEGFAULT,
    STUCK_IN_C,
    HostileResiliparse,
    HostileTrafilatura,
)

REAL = ["aeb-042bb7b5fedab6ea", "aeb-04a6711caa7c6875", "aeb-05844573ca7e1fba"]
DEEP = "<html><body>" + "<div>" * 30_000 + "spam " * 20 + "</body></html>"  # 150 kB
MANY_TAGS = "<html><body>" + "<span>x</span>" * 300_000 + "</body></html>"
EXTRACTORS = {"resiliparse": (ResiliparseExtractor, HostileResiliparse)}
EXTRACTORS["trafilatura"] = (Trafilatura, HostileTrafilatura)


def real_pages() -> list[Document]:
    docs = []
    for name in REAL:
        html = decode_html(gzip.open(DATA / "html" / f"{name}.html.gz").read())[0]
        docs.append(Document(html, name, url=f"https://example.org/{name}"))
    return docs


def around(bad: str) -> list[Document]:
    """Real page, bad page, two real pages: the bad one in the middle of a batch."""
    docs = real_pages()
    return [docs[0], Document(bad, "bad", url="https://spam.example/"), *docs[1:]]


def run(step, docs):
    t0 = time.monotonic()
    try:
        out = step.process_batch(docs, TaskContext(stage="t"))
    finally:
        step.teardown()
    return [d.id for d in out], step.stats.counters, time.monotonic() - t0


@pytest.mark.parametrize("name", sorted(EXTRACTORS))
def test_the_issue_case_deep_page_is_cut_by_the_timeout(name):
    """4 pages, 1 s timeout, the depth guard off: the parser is stuck in C on the deep page
    (resiliparse: ~40 s), the child is killed, the 3 real pages are kept."""
    step = EXTRACTORS[name][0](timeout=1.0, max_tag_depth=0)
    step.process_batch(
        real_pages()[:1], TaskContext(stage="t")
    )  # start the child: its start is not the page's time
    ids, counters, elapsed = run(step, around(DEEP))
    assert ids == REAL
    assert counters["timeouts"] + counters["dropped_empty"] == 1
    # the deep page ends at timeout + 0.5 s, plus one child restart and 3 real pages
    assert elapsed < 10, elapsed
    if name == "resiliparse":  # lexbor's quadratic tree building: only killing stops it
        assert counters["timeouts"] == 1 and counters["timeouts_killed"] == 1
        assert counters["child_starts"] == 2  # the first, and one after the kill


@pytest.mark.parametrize("name", sorted(EXTRACTORS))
def test_the_issue_case_with_default_guards_is_dropped_before_parsing(name):
    ids, counters, _ = run(EXTRACTORS[name][0](timeout=1.0), around(DEEP))
    assert ids == REAL and counters["dropped_too_deep"] == 1
    assert counters["timeouts"] == 0 and counters["child_starts"] == 1


def test_pages_with_too_many_tags_are_dropped_before_parsing():
    ids, counters, _ = run(ResiliparseExtractor(), around(MANY_TAGS))
    assert ids == REAL and counters["dropped_too_many_tags"] == 1
    # the guard off: the page goes to the parser (which may well take over a second on it)
    ids, counters, _ = run(ResiliparseExtractor(max_tags=0), around(MANY_TAGS))
    assert counters["dropped_too_many_tags"] == 0 and [i for i in ids if i != "bad"] == REAL
    assert ("bad" in ids) + counters["timeouts"] == 1


@pytest.mark.parametrize("name", sorted(EXTRACTORS))
@pytest.mark.parametrize("marker", [ABORT, SEGFAULT])
def test_a_page_that_crashes_the_parser_costs_only_itself(name, marker):
    step = EXTRACTORS[name][1](timeout=1.0)
    ids, counters, elapsed = run(step, around(real_pages()[0].text + marker))
    assert ids == REAL  # the pages after the crash were sent to a fresh child
    assert counters["crashed"] == 1 and counters["timeouts"] == 0
    assert counters["child_starts"] == 2
    assert elapsed < 15, elapsed


@pytest.mark.parametrize("name", sorted(EXTRACTORS))
def test_a_page_stuck_in_native_code_is_cut_by_killing_the_child(name):
    step = EXTRACTORS[name][1](timeout=0.5)
    step.process_batch(real_pages()[:1], TaskContext(stage="t"))
    ids, counters, elapsed = run(step, around(STUCK_IN_C))
    assert ids == REAL
    assert counters["timeouts"] == 1 and counters["timeouts_killed"] == 1
    assert elapsed < 8, elapsed


def test_an_exception_on_one_page_is_counted_and_the_child_kept():
    ids, counters, _ = run(HostileResiliparse(), around(RAISE))
    assert ids == REAL and counters["errors_extract"] == 1 and counters["child_starts"] == 1


def test_several_bad_pages_in_one_batch():
    docs = real_pages()
    bad = [Document(ABORT, "a"), Document(STUCK_IN_C, "s"), Document(DEEP, "d")]
    batch = [bad[0], docs[0], bad[1], bad[2], docs[1], bad[0], docs[2]]
    ids, counters, _ = run(HostileResiliparse(timeout=0.5), batch)
    assert ids == REAL
    assert (counters["crashed"], counters["timeouts_killed"], counters["dropped_too_deep"]) == (
        2,
        1,
        1,
    )


def test_isolated_extraction_equals_in_process_extraction_on_real_pages():
    names = sorted(p.name[: -len(".html.gz")] for p in (DATA / "html").glob("*.html.gz"))[::20]
    docs = [
        Document(decode_html(gzip.open(DATA / "html" / f"{n}.html.gz").read())[0], n) for n in names
    ]
    isolated = ResiliparseExtractor(timeout=0)
    here = ResiliparseExtractor(timeout=0, isolation="none")
    a = isolated.process_batch([Document(d.text, d.id) for d in docs], TaskContext(stage="t"))
    b = here.process_batch([Document(d.text, d.id) for d in docs], TaskContext(stage="t"))
    isolated.teardown()
    assert len(a) > 30 and [(d.id, d.text) for d in a] == [(d.id, d.text) for d in b]
    assert isolated.stats.counters == here.stats.counters + Counter(child_starts=1)


def test_a_pipeline_run_with_two_workers_survives_deep_pages(tmp_path):
    """Through the CLI and the local executor's worker processes: two WARC files, each with a
    deep page between real ones, the depth guard off; the run finishes, the real pages are
    written, the stats count the kills."""
    import json

    from fineweb_kit.tools.html_to_warc import pages, write_warc
    from tests.pipeline.helpers import cli, read_jsonl_folder, write_pipeline

    real = list(pages(DATA / "html", limit=4))
    deep = ("deep.html", "https://spam.example/", DEEP.encode(), None)
    (tmp_path / "in").mkdir()
    for i in range(2):
        with open(tmp_path / "in" / f"{i}.warc.gz", "wb") as f:
            write_warc([real[2 * i], deep, real[2 * i + 1]], f, f"{i}.warc.gz")
    steps = [
        {"type": "WarcReader", "paths": str(tmp_path / "in" / "*.warc.gz")},
        {"type": "ResiliparseExtractor", "timeout": 1.0, "max_tag_depth": 0},
        {"type": "JsonlWriter", "output_folder": "docs"},
    ]
    cfg = {
        "name": "deep",
        "output": str(tmp_path / "out"),
        "executor": {"type": "local", "tasks": 2, "workers": 2},
        "stages": [{"name": "extract", "steps": steps}],
    }
    t0 = time.monotonic()
    cli("run", str(write_pipeline(tmp_path / "p.yaml", cfg)), "--plain", check=True)
    assert time.monotonic() - t0 < 40  # was minutes: 2 x ~40 s of lexbor, one core each
    assert len(read_jsonl_folder(tmp_path / "out" / "docs")) == 4
    stats = json.loads((tmp_path / "out" / "stats.json").read_text())
    counters = stats["stages"][0]["steps"][1]["counters"]
    assert counters["timeouts_killed"] == 2 and counters["documents_out"] == 4


def test_pipelined_stream_a_bad_page_in_one_batch_costs_nothing_else():
    """The step as a worker runs it (``process`` over a stream): batch N+1 is in the child's
    hands while batch N is extracted. A crash in batch 1 and a stall in batch 2 each cost only
    their page; every real page comes out, in its batch, in order, and documents are counted."""
    docs = real_pages()

    def batches():
        yield [Document(docs[0].text, "r0"), Document(docs[0].text + ABORT, "crash")]
        yield [Document(STUCK_IN_C, "stuck"), Document(docs[1].text, "r1")]
        yield [Document(docs[2].text, "r2")]

    step = HostileResiliparse(timeout=0.5)
    try:
        out = [[d.id for d in b] for b in step.process(batches(), TaskContext(stage="t"))]
    finally:
        step.teardown()
    assert out == [["r0"], ["r1"], ["r2"]]
    c = step.stats.counters
    assert (c["crashed"], c["timeouts_killed"], c["child_starts"]) == (1, 1, 3)
    assert (c["documents_in"], c["documents_out"]) == (5, 3)


def test_pipelined_stream_equals_in_process_extraction_and_counts():
    names = sorted(p.name[: -len(".html.gz")] for p in (DATA / "html").glob("*.html.gz"))[::15]
    pages = [decode_html(gzip.open(DATA / "html" / f"{n}.html.gz").read())[0] for n in names]
    steps = [ResiliparseExtractor(timeout=0), ResiliparseExtractor(timeout=0, isolation="none")]
    outputs = []
    for step in steps:
        stream = (
            [Document(p, n) for p, n in zip(pages[i : i + 40], names[i : i + 40], strict=True)]
            for i in range(0, len(pages), 40)
        )
        outputs.append(
            [[(d.id, d.text) for d in b] for b in step.process(stream, TaskContext(stage="t"))]
        )
        step.teardown()
    isolated, here = outputs
    # the same batches, texts and order (the first batch went to the child in two parts)
    assert len(isolated) == 2 and len(isolated[0]) > HEAD_PAGES * 2 and isolated == here
    counters = [s.stats.counters for s in steps]
    assert counters[0]["documents_in_bytes"] > 10**6
    assert counters[0] == counters[1] + Counter(child_starts=1)


def test_an_abandoned_stream_ends_the_child_and_the_next_file_works():
    docs = real_pages()
    step = ResiliparseExtractor(timeout=1.0)
    stream = step.process(iter([[docs[0]], [docs[1]], [docs[2]]]), TaskContext(stage="t"))
    next(stream)  # a later step fails here: the worker drops the stream
    proc = step._pool._child.proc
    stream.close()
    assert proc.poll() is not None and step._pool is None
    again = [d.id for b in step.process(iter([real_pages()]), TaskContext(stage="t")) for d in b]
    step.teardown()
    assert again == REAL
