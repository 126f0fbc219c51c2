"""Per-filter fixtures of the URL, language and decontamination filters (the quality filters'
are in test_fixtures.py): small documents, one case per rule, in ``fixtures/<Filter>.txt``,
each case's verdict in ``fixtures/<Filter>.snap``, reviewed in diffs (format and update
command: tests/steps/snapshots.py). Built with FineWeb's settings and the assets of
``fineweb-kit assets fetch``; their oracles against datatrove are in test_url.py and
test_language.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from fineweb_kit.document import Document
from fineweb_kit.steps.base import Filter
from fineweb_kit.steps.filters.decontaminate import Decontaminate
from fineweb_kit.steps.filters.language import LanguageFilter
from fineweb_kit.steps.filters.url import URLFilter
from tests.steps.snapshots import check_snapshot, read_cases, verdict_lines

FIXTURES = Path(__file__).parent / "fixtures"


def _language(doc: Document) -> str:
    return f" ({doc.metadata['language']} {doc.metadata['language_score']:.2f})"


# filter name -> (the filter as the fixture runs it, what its snapshot line adds per document)
CASES: dict[str, tuple[Callable[[], Filter], Callable[[Document], str] | None]] = {
    "URLFilter": (URLFilter, None),
    "LanguageFilter": (LanguageFilter, _language),
    "Decontaminate": (
        lambda: Decontaminate(eval_files=str(FIXTURES / "Decontaminate.eval.jsonl")),
        None,
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_filter_fixture_matches_snapshot(name: str) -> None:
    docs = read_cases(FIXTURES, name)
    assert len({d.id for d in docs}) == len(docs) >= 5
    make, note = CASES[name]
    got = verdict_lines(make().filter_batch(docs), docs, note)
    check_snapshot(FIXTURES, name, got)
    for doc, line in zip(docs, got, strict=True):
        # each case is named for its verdict: keep_... / drop_... (URLFilter: by its reason)
        assert (": keep" in line) == doc.id.startswith("keep"), f"{name}: {line}"
