"""Per-filter fixtures of the quality filters: small hand-written documents, one per rule
(``fixtures/<Filter>.txt``), and the verdict of each in a snapshot (``fixtures/<Filter>.snap``)
that diffs show when a rule changes, as ruff does per rule (format: tests/steps/snapshots.py).
Each verdict is also checked against datatrove's filter with FineWeb's settings. After an
intended change: ``FWK_UPDATE_SNAPSHOTS=1 pytest <this file>``, then review the snapshot diff.
The other filters' fixtures are in test_filter_fixtures.py."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from fineweb_kit.document import Document
from tests.steps.filters.datatrove_oracle import FILTERS, run_datatrove
from tests.steps.filters.test_parity import OURS
from tests.steps.snapshots import check_snapshot, read_cases, verdict_lines

FIXTURES = Path(__file__).parent / "fixtures"


def verdicts(name: str, docs: list[Document]) -> list[str]:
    """One snapshot line per case: ``case: keep`` or ``case: drop <reason>``; for C4, which
    rewrites documents, the kept text's length and SHA-1 prefix too."""
    originals = {d.id: d.text for d in docs}
    reasons = OURS[name]().filter_batch(docs)

    def edited(doc: Document) -> str:
        if doc.text == originals[doc.id]:
            return ""
        digest = hashlib.sha1(doc.text.encode()).hexdigest()[:12]
        return f" (edited: {len(doc.text)} chars, sha1 {digest})"

    return verdict_lines(reasons, docs, edited)


@pytest.mark.parametrize("name", FILTERS)
def test_filter_fixture_matches_snapshot_and_datatrove(name: str) -> None:
    docs = read_cases(FIXTURES, name)
    cases = [(d.id, d.text) for d in docs]
    assert len({c for c, _ in cases}) == len(cases) >= 5
    got = verdicts(name, docs)
    check_snapshot(FIXTURES, name, got)
    theirs = run_datatrove([text for _, text in cases])
    for (case, _), ours_line, their_reason, their_text in zip(
        cases, got, theirs.reasons[name], theirs.c4_texts, strict=True
    ):
        ours_kept = ": keep" in ours_line
        assert ours_kept == (their_reason is None), f"{name} {case}: datatrove {their_reason}"
        if name == "C4QualityFilter" and ours_kept and their_text is not None:
            digest = hashlib.sha1(their_text.encode()).hexdigest()[:12]
            assert "edited" not in ours_line or digest in ours_line, f"C4 {case}: other text"
