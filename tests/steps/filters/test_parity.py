"""Parity with datatrove 0.10.1: each of our four quality filters and datatrove's decide
keep/drop the same way on >= 98 % of the 2,219 real documents of ``cc-docs`` (see
``conftest.py`` for a faster sample).

Each filter runs alone on the original texts (FineWeb's settings). Every disagreement is
printed with both reasons (run with ``-s`` to see them).
"""

from __future__ import annotations

import hashlib

import pytest

from fineweb_kit.document import Document
from fineweb_kit.steps.filters.c4_quality import C4QualityFilter
from fineweb_kit.steps.filters.fineweb_quality import FineWebQualityFilter
from fineweb_kit.steps.filters.gopher_quality import GopherQualityFilter
from fineweb_kit.steps.filters.gopher_repetition import GopherRepetitionFilter

pytestmark = pytest.mark.slow  # first run computes datatrove's verdicts (~2 min on 2 cores)

OURS = {
    "GopherRepetitionFilter": GopherRepetitionFilter,
    "GopherQualityFilter": GopherQualityFilter,
    "C4QualityFilter": C4QualityFilter,
    "FineWebQualityFilter": FineWebQualityFilter,
}
MIN_AGREEMENT = 0.98


def run_ours(name: str, parity_docs: list[dict], batch_size: int = 256) -> tuple[list, list]:
    flt = OURS[name]()
    docs = [Document(text=d["text"], id=d["id"]) for d in parity_docs]
    reasons: list[str | None] = []
    for i in range(0, len(docs), batch_size):
        reasons.extend(flt.filter_batch(docs[i : i + batch_size]))
    return reasons, docs


@pytest.mark.parametrize("name", list(OURS))
def test_keep_drop_agreement(name: str, parity_docs: list[dict], datatrove_verdicts: dict) -> None:
    ours, _ = run_ours(name, parity_docs)
    theirs = datatrove_verdicts["reasons"][name]
    assert len(ours) == len(theirs) == len(parity_docs)
    disagree = [
        (d["id"], o, t)
        for d, o, t in zip(parity_docs, ours, theirs, strict=True)
        if (o is None) != (t is None)
    ]
    same_reason = sum(o == t for o, t in zip(ours, theirs, strict=True))
    agreement = 1 - len(disagree) / len(parity_docs)
    n_ours, n_theirs = (sum(r is not None for r in rs) for rs in (ours, theirs))
    print(
        f"\n{name}: keep/drop agreement {agreement:.2%} on {len(parity_docs)} documents "
        f"({len(disagree)} disagreements); identical reason {same_reason / len(parity_docs):.2%}; "
        f"dropped: ours {n_ours}, datatrove {n_theirs}"
    )
    for doc_id, o, t in disagree:
        print(f"  {doc_id}: ours={o or 'keep'} datatrove={t or 'keep'}")
    assert agreement >= MIN_AGREEMENT
    # Sanity: the filter really drops a real share of this unfiltered crawl.
    assert 0 < n_ours < len(parity_docs)


def test_c4_rewritten_text_matches(parity_docs: list[dict], datatrove_verdicts: dict) -> None:
    """Where both keep a document, C4's cleaned text is byte-identical in >= 98 % of them."""
    ours, docs = run_ours("C4QualityFilter", parity_docs)
    pairs = [
        (d, h)
        for d, o, h in zip(docs, ours, datatrove_verdicts["c4"], strict=True)
        if o is None and h is not None
    ]
    same = [hashlib.sha1(d.text.encode("utf-8")).hexdigest() == h for d, h in pairs]
    print(f"\nC4 text identical for {sum(same)}/{len(pairs)} documents kept by both")
    for (d, _), ok in zip(pairs, same, strict=True):
        if not ok:
            print(f"  text differs: {d.id}")
    assert len(pairs) > len(parity_docs) // 2
    assert sum(same) / len(pairs) >= MIN_AGREEMENT


def test_fineweb_chain_agreement(parity_docs: list[dict], datatrove_verdicts: dict) -> None:
    """The four filters chained in FineWeb's order (FineWeb's filter sees C4's cleaned text):
    the same documents survive, and each dropped one is dropped by the same filter."""
    docs = [Document(text=d["text"], id=d["id"]) for d in parity_docs]
    first: dict[str, str] = {}
    alive = docs
    for name, cls in OURS.items():
        flt = cls()
        survivors = []
        for i in range(0, len(alive), 256):
            part = alive[i : i + 256]
            for doc, reason in zip(part, flt.filter_batch(part), strict=True):
                if reason is None:
                    survivors.append(doc)
                else:
                    first[doc.id] = name
        alive = survivors
    ours = [first.get(d["id"]) for d in parity_docs]
    theirs = datatrove_verdicts["chain"]
    disagree = [
        (d["id"], o, t) for d, o, t in zip(parity_docs, ours, theirs, strict=True) if o != t
    ]
    print(f"\nchain: {len(alive)} kept by us, {theirs.count(None)} by datatrove")
    for doc_id, o, t in disagree:
        print(f"  {doc_id}: ours={o or 'keep'} datatrove={t or 'keep'}")
    assert 1 - len(disagree) / len(parity_docs) >= MIN_AGREEMENT
