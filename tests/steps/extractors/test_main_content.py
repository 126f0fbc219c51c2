"""MainContentExtractor (Rust) on the real pages of ../shared/data/html and their ground truth.

Quality bars are the peers' measured ones: mean bag-of-words F1 over all 299 page-level
ground truths at least resiliparse's in every source group and >= 0.88 overall (trafilatura
with FineWeb settings: 0.891), also on the quarter of pages held out of tuning.
"""

from __future__ import annotations

import gzip
import json

import pytest

from benchmarks.extract_quality import bag_prf, held_out, strip_tags
from fineweb_kit.document import Document
from fineweb_kit.extract import extract, extract_batch
from fineweb_kit.pipeline import load_pipeline
from fineweb_kit.steps.base import TaskContext
from fineweb_kit.steps.extractors.main_content import MainContentExtractor
from fineweb_kit.steps.extractors.resiliparse import ResiliparseExtractor
from fineweb_kit.steps.params import ParamError
from fineweb_kit.warc.charset import decode_html
from tests.conftest import REPO
from tests.conftest import SHARED_DATA as DATA

HTML = DATA / "html"


def truths() -> list[tuple[str, str]]:
    out = []
    for g in sorted((HTML / "ground-truth").iterdir()):
        if g.name.endswith(".txt"):
            out.append((g.name.removesuffix(".txt"), g.read_text("utf-8")))
        elif g.name.endswith(".expected.html.gz"):
            text = strip_tags(gzip.open(g).read().decode("utf-8", "replace"))
            out.append((g.name.removesuffix(".expected.html.gz"), text))
    return out


def page(name: str) -> str:
    return decode_html(gzip.open(HTML / f"{name}.html.gz").read())[0]


@pytest.fixture(scope="module")
def scored() -> list[tuple[str, float, float]]:
    """(name, our F1, resiliparse's F1) for every page with page-level ground truth."""
    pairs = truths()
    assert len(pairs) == 299
    htmls = [page(n) for n, _ in pairs]
    ours = [r.text for r in extract_batch(htmls, timeout=0)]
    res = ResiliparseExtractor(timeout=0)
    return [
        (n, bag_prf(o, t)[2], bag_prf(res.extract(h), t)[2])
        for (n, t), h, o in zip(pairs, htmls, ours, strict=True)
    ]


def test_f1_on_all_ground_truth_and_held_out_part(scored):
    def mean(xs):
        return sum(xs) / len(xs)

    assert mean([f for _, f, _ in scored]) >= 0.88
    assert mean([f for n, f, _ in scored if held_out(n)]) >= 0.88


@pytest.mark.parametrize("source", ["aeb", "np4k", "rdb"])
def test_not_worse_than_resiliparse_on_any_source(scored, source):
    group = [(f, r) for n, f, r in scored if n.startswith(source + "-")]
    assert len(group) >= 30
    assert sum(f for f, _ in group) >= sum(r for _, r in group)


def test_trafilatura_snippets():
    lines = (HTML / "ground-truth" / "trafilatura-with-without.jsonl").read_text("utf-8")
    right = total = 0
    for line in lines.splitlines()[:80]:
        case = json.loads(line)
        text = " ".join(extract(page(case["filename"].removesuffix(".html.gz"))).split())
        right += sum(" ".join(s.split()) in text for s in case["with"])
        right += sum(" ".join(s.split()) not in text for s in case["without"])
        total += len(case["with"]) + len(case["without"])
    assert right / total >= 0.85


def test_output_conventions_and_boilerplate():
    html = (
        "<html><head><title>T</title><style>p{}</style></head><body>"
        "<nav><a href=/>Home</a> <a href=/a>About</a></nav>"
        "<div class='post-content'><h2>Heading</h2>"
        "<p>First paragraph, with enough words, to be a paragraph of the article.</p>"
        "<p>Second   paragraph\n spans\tlines, and has <b>bold</b> text, inside it.</p>"
        "<ul><li>one point</li><li>two points</li></ul>"
        "<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table></div>"
        "<div class='comments'><p>First comment, so good, thanks, very helpful indeed.</p></div>"
        "<footer>Copyright, all rights reserved, contact, privacy.</footer></body></html>"
    )
    assert extract(html).split("\n") == [
        "Heading",
        "First paragraph, with enough words, to be a paragraph of the article.",
        "Second paragraph spans lines, and has bold text, inside it.",
        "- one point",
        "- two points",
        "a | b |",
        "1 | 2 |",
    ]
    assert extract(html, include_tables=False).split("\n")[-1] == "- two points"
    assert extract(html, include_title=True).startswith("T\nHeading\n")
    assert extract(html, min_text_chars=10_000) == ""
    with pytest.raises(ValueError, match="bias"):
        extract(html, bias="fast")


def test_batch_threads_give_the_same_texts():
    htmls = [page(n) for n, _ in truths()[:40]]
    one = extract_batch(htmls)
    assert extract_batch(htmls, threads=2) == one
    assert all(r.status == "ok" for r in one)


def test_step_counts_drops_and_timeouts():
    good = page("aeb-042bb7b5fedab6ea")  # 597 kB
    empty = Document(text="<html><body><script>var a = 1;</script></body></html>", id="empty")
    step = MainContentExtractor(max_html_chars=100_000)
    out = step.process_batch([empty, Document(text=good, id="large")], TaskContext(stage="t"))
    assert out == []
    assert step.stats.counters["dropped_empty"] == 1
    assert step.stats.counters["dropped_too_large"] == 1
    # 1 us is over for any page long enough to reach a deadline poll (4096 tokens)
    step = MainContentExtractor(timeout=1e-6)
    slow = Document(text="<div><p>word, word, word, word.</p></div>" * 5_000, id="slow")
    assert step.process_batch([slow], TaskContext(stage="t")) == []
    assert step.stats.counters["timeouts"] == 1
    step = MainContentExtractor()
    out = step.process_batch([Document(text=good, id="good")], TaskContext(stage="t"))
    assert out[0].text.startswith("Gaming used to be so simple")
    assert "Subscribe" not in out[0].text
    with pytest.raises(ParamError):
        MainContentExtractor(bias="fast")


def test_fineweb_fast_pipeline_uses_it():
    stage = load_pipeline(REPO / "pipelines" / "fineweb-fast.yaml").stages[0]
    names = [type(s).__name__ for s in stage.build()]
    assert names[:4] == ["WarcReader", "URLFilter", "MainContentExtractor", "LanguageFilter"]
