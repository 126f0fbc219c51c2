"""Fixtures of the filter tests: the cc-docs corpus and datatrove's verdicts on it.

datatrove's verdicts on all 2,219 documents take ~1.5-3 minutes to compute on 2 cores (spaCy),
so they are computed once, in 2 processes, and kept in pytest's cache (``.pytest_cache``),
keyed by the corpus contents and the datatrove and spaCy versions: reruns take a second.
``FWK_PARITY_EVERY=4`` compares every 4th document only (555 documents, ~4x faster first run).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from importlib.metadata import version

import pytest

from tests.steps.filters.datatrove_oracle import FILTERS, run_chunk


def _compute(texts: list[str], workers: int = 2) -> dict:
    chunks = [texts[i::workers] for i in range(workers)]
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
        parts = list(pool.map(run_chunk, chunks))
    out: dict = {
        "reasons": {name: [None] * len(texts) for name in FILTERS},
        "c4": [None] * len(texts),
        "chain": [None] * len(texts),
    }
    for w, part in enumerate(parts):
        for name in FILTERS:
            out["reasons"][name][w::workers] = part["reasons"][name]
        out["c4"][w::workers] = part["c4"]
        out["chain"][w::workers] = part["chain"]
    return out


@pytest.fixture(scope="session")
def parity_docs(cc_docs: list[dict]) -> list[dict]:
    """The documents of the parity tests: all, or every ``FWK_PARITY_EVERY``-th."""
    every = int(os.environ.get("FWK_PARITY_EVERY", "1"))
    docs = cc_docs[::every]
    assert len(docs) >= 500, "parity needs at least 500 documents"
    return docs


@pytest.fixture(scope="session")
def datatrove_verdicts(request: pytest.FixtureRequest, parity_docs: list[dict]) -> dict:
    """``{"reasons": {filter: [reason | None]}, "c4": [sha1 of C4's text | None],
    "chain": [first dropping filter | None]}``."""
    import datatrove  # noqa: F401 - a missing oracle must fail, not skip
    import spacy  # noqa: F401 - a missing oracle must fail, not skip

    texts = [d["text"] for d in parity_docs]
    h = hashlib.sha1()
    for t in texts:
        h.update(t.encode("utf-8"))
        h.update(b"\0")
    versions = f"{version('datatrove')}-{version('spacy')}"
    key = f"fineweb_kit/datatrove_verdicts/v2-{versions}-{h.hexdigest()}"
    cache = getattr(request.config, "cache", None)  # absent with -p no:cacheprovider
    cached = cache.get(key, None) if cache is not None else None
    if cached is None:
        cached = _compute(texts)
        if cache is not None:
            cache.set(key, cached)
    return cached
