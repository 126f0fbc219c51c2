"""LanguageFilter on the real cc-docs documents, with datatrove's LanguageFilter as the oracle.

datatrove runs offline with the same lid.176.ftz (ECOSYSTEM.md: set ``FT176LID.MODEL_URL`` to a
local path). Both use fastText on the same preprocessed text, so labels, scores and keep/drop
must agree exactly, for every document.
"""

from __future__ import annotations

import gzip
import json

import pytest

from fineweb_kit.document import Document
from fineweb_kit.exceptions import ConfigError
from fineweb_kit.steps.filters.language import LanguageFilter, default_model_path
from tests.conftest import SHARED_DATA as DATA


def cc_docs() -> list[dict]:
    docs = []
    for name in ("dolma-cc-2019-30.jsonl.gz", "trafilatura.jsonl.gz", "wet.jsonl.gz"):
        with gzip.open(DATA / "cc-docs" / name, "rt", encoding="utf-8") as f:
            docs += [json.loads(line) for line in f]
    return docs


def datatrove_decisions(rows: list[dict], languages, threshold: float) -> list[tuple]:
    import datatrove  # noqa: F401 - a missing oracle must fail, not skip
    from datatrove.data import Document as DtDocument
    from datatrove.pipeline.filters import LanguageFilter as DtLanguageFilter
    from datatrove.utils.lid import FT176LID

    FT176LID.MODEL_URL = str(default_model_path())
    step = DtLanguageFilter(languages=languages, language_threshold=threshold)
    out = []
    for r in rows:
        doc = DtDocument(text=r["text"], id=r["id"])
        keep = step.filter(doc)
        out.append((doc.metadata["language"], doc.metadata["language_score"], bool(keep)))
    return out


def ours(rows: list[dict], **kwargs) -> tuple[list[tuple], LanguageFilter]:
    step = LanguageFilter(**kwargs)
    docs = [Document(r["text"], r["id"]) for r in rows]
    out = []
    for i in range(0, len(docs), 256):
        batch = docs[i : i + 256]
        for doc, reason in zip(batch, step.filter_batch(batch), strict=True):
            out.append((doc.metadata["language"], doc.metadata["language_score"], reason is None))
    return out, step


@pytest.mark.parametrize(("languages", "threshold"), [(["en"], 0.65), (["de", "fr"], 0.3)])
def test_same_labels_scores_and_decisions_as_datatrove(languages, threshold):
    rows = cc_docs() if languages == ["en"] else cc_docs()[::3]
    assert len(rows) > 700
    mine, step = ours(rows, languages=languages, language_threshold=threshold)
    theirs = datatrove_decisions(rows, languages, threshold)
    diffs = [
        (r["id"], a, b)
        for r, a, b in zip(rows, mine, theirs, strict=True)
        if a[0] != b[0] or a[2] != b[2] or abs(a[1] - b[1]) > 1e-6
    ]
    assert not diffs, diffs[:10]
    kept = sum(m[2] for m in mine)
    assert 0 < kept < len(rows)  # cc-docs holds ~40 languages: some kept, some dropped
    assert sum(step.stats.hists["language"].values()) == len(rows)
    assert len(step.stats.hists["language"]) >= 20


def test_any_language_and_label_only():
    rows = cc_docs()[:300]
    any_lang, _ = ours(rows, languages=None, language_threshold=0.65)
    assert all(keep == (score > 0.65) for _, score, keep in any_lang)
    labelled, _ = ours(rows, label_only=True)
    assert all(keep for *_, keep in labelled)


def test_bad_parameters_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="language_threshold"):
        LanguageFilter(language_threshold=1.5)
    with pytest.raises(ConfigError, match="model_path"):
        LanguageFilter(model_path=str(tmp_path / "missing.ftz"))
    with pytest.raises(ConfigError, match="languages"):
        LanguageFilter(languages=[])
