"""Per-filter fixture of ScoreFilter (tests/steps/snapshots.py has the format): one case per
side of FineWeb-Edu's threshold in ``fixtures/ScoreFilter.txt``, the verdicts in
``fixtures/ScoreFilter.snap``. TopFractionFilter's verdict depends on the whole run's scores,
so its tests run pipelines (tests/classifiers/test_steps.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fineweb_kit.document import Document
from fineweb_kit.exceptions import InputError
from fineweb_kit.steps.classifiers.score_filter import ScoreFilter
from tests.steps.snapshots import check_snapshot, read_cases, verdict_lines

FIXTURES = Path(__file__).parent / "fixtures"


def test_score_filter_fixture_matches_snapshot() -> None:
    docs = read_cases(FIXTURES, "ScoreFilter")
    step = ScoreFilter(key="edu_score_int", threshold=3)
    got = verdict_lines(step.filter_batch(docs), docs)
    check_snapshot(FIXTURES, "ScoreFilter", got)
    for doc, line in zip(docs, got, strict=True):
        assert line.endswith(": keep") == doc.id.startswith("keep"), line
    below = ScoreFilter(key="edu_score_int", threshold=3, keep="below").filter_batch(docs)
    assert [r is None for r in below] == [not d.id.startswith("keep") for d in docs]


def test_a_document_without_its_score_stops_the_file() -> None:
    with pytest.raises(InputError, match="'unscored' has no score field 'edu_score_int'"):
        ScoreFilter(key="edu_score_int", threshold=3).filter_batch([Document("t", "unscored")])
