"""Per-filter fixtures: small hand-written documents, one per rule (``fixtures/<Filter>.txt``),
and the verdict of each in a snapshot (``fixtures/<Filter>.snap``) that diffs show when a rule
changes, as ruff does per rule. Each verdict is also checked against datatrove's filter with
FineWeb's settings. After an intended change: ``FWK_UPDATE_SNAPSHOTS=1 pytest <this file>``,
then review the snapshot diff."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from fineweb_kit.document import Document
from tests.steps.filters.datatrove_oracle import FILTERS, run_datatrove
from tests.steps.filters.test_parity import OURS

FIXTURES = Path(__file__).parent / "fixtures"


def read_cases(name: str) -> list[tuple[str, str]]:
    """``(case, text)`` pairs of ``fixtures/<name>.txt``: a ``=== case`` line opens each."""
    cases: list[tuple[str, list[str]]] = []
    for line in (FIXTURES / f"{name}.txt").read_text(encoding="utf-8").split("\n"):
        if line.startswith("=== "):
            cases.append((line[4:].strip(), []))
        elif cases:
            cases[-1][1].append(line)
    return [(case, "\n".join(lines).rstrip("\n")) for case, lines in cases]


def verdicts(name: str, cases: list[tuple[str, str]]) -> list[str]:
    """One snapshot line per case: ``case: keep`` or ``case: drop <reason>``; for C4, which
    rewrites documents, the kept text's length and SHA-1 prefix too."""
    docs = [Document(text=text, id=case) for case, text in cases]
    originals = [d.text for d in docs]
    reasons = OURS[name]().filter_batch(docs)
    lines = []
    for doc, original, reason in zip(docs, originals, reasons, strict=True):
        verdict = f"drop {reason}" if reason else "keep"
        if reason is None and doc.text != original:
            digest = hashlib.sha1(doc.text.encode()).hexdigest()[:12]
            verdict += f" (edited: {len(doc.text)} chars, sha1 {digest})"
        lines.append(f"{doc.id}: {verdict}")
    return lines


@pytest.mark.parametrize("name", FILTERS)
def test_filter_fixture_matches_snapshot_and_datatrove(name: str) -> None:
    cases = read_cases(name)
    assert len({c for c, _ in cases}) == len(cases) >= 5
    got = verdicts(name, cases)
    snap = FIXTURES / f"{name}.snap"
    if os.environ.get("FWK_UPDATE_SNAPSHOTS") == "1":
        snap.write_text("\n".join(got) + "\n", encoding="utf-8")
    assert got == snap.read_text(encoding="utf-8").splitlines(), f"{snap} differs (see module doc)"
    kept = [line.endswith(": keep") or ": keep (" in line for line in got]
    assert any(kept) and not all(kept)  # every fixture shows both sides of its filter
    theirs = run_datatrove([text for _, text in cases])
    for (case, _), ours_line, their_reason, their_text in zip(
        cases, got, theirs.reasons[name], theirs.c4_texts, strict=True
    ):
        ours_kept = ": keep" in ours_line
        assert ours_kept == (their_reason is None), f"{name} {case}: datatrove {their_reason}"
        if name == "C4QualityFilter" and ours_kept and their_text is not None:
            digest = hashlib.sha1(their_text.encode()).hexdigest()[:12]
            assert "edited" not in ours_line or digest in ours_line, f"C4 {case}: other text"
