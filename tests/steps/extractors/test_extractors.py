"""Extractors on real pages (../shared/data/html) against the pages' ground truth.

Ground truth: the article-extraction-benchmark's annotated article bodies (aeb-*.txt) and
trafilatura's own evaluation snippets (what must / must not be in the main text).
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from functools import cache

import pytest

from fineweb_kit.document import Document
from fineweb_kit.steps.base import TaskContext
from fineweb_kit.steps.extractors.resiliparse import ResiliparseExtractor
from fineweb_kit.steps.extractors.trafilatura import Trafilatura
from fineweb_kit.warc.charset import decode_html
from tests.conftest import SHARED_DATA as DATA

HTML = DATA / "html"
AEB = sorted((HTML / "ground-truth").glob("aeb-*.txt"))[:30]


@cache
def page(name: str) -> str:
    return decode_html(gzip.open(HTML / f"{name}.html.gz").read())[0]


def bag_f1(pred: str, truth: str) -> float:
    """Word-bag F1, the article-extraction-benchmark's measure."""
    p, t = Counter(re.findall(r"\w+", pred.lower())), Counter(re.findall(r"\w+", truth.lower()))
    common = sum((p & t).values())
    if not common:
        return 0.0
    precision, recall = common / sum(p.values()), common / sum(t.values())
    return 2 * precision * recall / (precision + recall)


def mean_f1(extractor) -> float:
    scores = [bag_f1(extractor.extract(page(g.stem)), g.read_text("utf-8")) for g in AEB]
    return sum(scores) / len(scores)


def test_trafilatura_settings_are_datatrove_fineweb_ones():
    import datatrove  # noqa: F401 - a missing oracle must fail, not skip
    from datatrove.pipeline.extractors import Trafilatura as DatatroveTrafilatura

    # deduplicate off on both: trafilatura's duplicate cache is per process and shared
    theirs = DatatroveTrafilatura(deduplicate=False)
    ours = Trafilatura(deduplicate=False)
    assert (ours.favour_precision, ours.include_tables) == (True, True)
    for g in AEB[:10]:
        html = page(g.stem)
        assert ours.extract(html) == theirs.extract(html)
    default = Trafilatura()
    assert default.deduplicate is True and default.fast is False  # FineWeb's settings


def test_trafilatura_finds_the_annotated_article_bodies():
    # the benchmark's published trafilatura F1 is about 0.9; a broken setting (e.g. comments or
    # boilerplate kept, or favour_recall) pulls the mean well below
    assert mean_f1(Trafilatura(timeout=0, deduplicate=False)) >= 0.9


def test_resiliparse_main_content_beats_all_visible_text():
    main = mean_f1(ResiliparseExtractor(timeout=0))
    everything = mean_f1(ResiliparseExtractor(timeout=0, main_content=False))
    assert main >= 0.8
    assert main > everything + 0.05


@pytest.mark.parametrize(
    "extractor", [Trafilatura(timeout=0, deduplicate=False), ResiliparseExtractor(timeout=0)]
)
def test_with_and_without_snippets(extractor):
    lines = (
        (HTML / "ground-truth" / "trafilatura-with-without.jsonl").read_text("utf-8").splitlines()
    )
    found_with = found_without = n_with = n_without = 0
    for line in lines[:40]:
        case = json.loads(line)
        text = extractor.extract(page(case["filename"].removesuffix(".html.gz")))
        found_with += sum(s in text for s in case["with"])
        found_without += sum(s in text for s in case["without"])
        n_with += len(case["with"])
        n_without += len(case["without"])
    assert found_with / n_with >= 0.7
    assert found_without / n_without <= 0.3


def test_documents_without_text_are_dropped_and_counted():
    docs = [
        Document(text="<html><body><script>var a = 1;</script></body></html>", id="1"),
        Document(text=page(AEB[0].stem), id="2"),
    ]
    step = Trafilatura(deduplicate=False)
    out = step.process_batch(docs, TaskContext(stage="t"))
    assert [d.id for d in out] == ["2"]
    assert step.stats.counters["dropped_empty"] == 1
    assert out[0].text.startswith("Gaming used to be so simple")
