"""Our four MinHash stages against datatrove's on >= 2,000 real and planted near-duplicates."""

from __future__ import annotations

import json
from collections import Counter

import datatrove  # noqa: F401 - a missing oracle must fail, not skip
import pytest
import spacy  # noqa: F401 - a missing oracle must fail, not skip

from fineweb_kit import _core
from fineweb_kit.dedup.minhash import MinhashSettings
from tests.dedup.corpus import build_corpus, write_files
from tests.dedup.pipeline import run_minhash


def our_removed(minhash_folder) -> set[tuple[int, int]]:
    """(file index, document index) of every document our cluster stage removes."""
    fp = MinhashSettings().core().fingerprint
    removed = set()
    for path in sorted((minhash_folder / "clusters").glob("*.clusters")):
        meta, recs = _core.read_records(str(path), "clusters", fp, 4)
        f = json.loads(meta)["file_index"]
        removed.update((f, int(d)) for d, kept, _, _ in recs if int(kept) != (f << 32 | int(d)))
    return removed


@pytest.mark.slow  # ~30-50 s: datatrove's spaCy tokenisation of 2,700 documents
def test_removed_documents_agree_with_datatrove(tmp_path):
    from tests.dedup.datatrove_ref import datatrove_removed

    docs = build_corpus(max_chars=1000)
    assert len(docs) >= 2000
    per_file = write_files(docs, tmp_path / "in", 6)
    kept, removed = run_minhash(tmp_path, tmp_path / "in")
    ours = our_removed(tmp_path / "out" / "minhash")
    theirs = datatrove_removed(per_file, tmp_path / "datatrove")
    for f, d in sorted(ours ^ theirs):
        doc = per_file[f][d]
        who = "only ours" if (f, d) in ours else "only datatrove"
        print(f"disagreement ({who}): file {f} doc {d} {doc['kind']} {doc['text'][:80]!r}")
    agreement = len(ours & theirs) / len(ours | theirs)
    print(f"removed: ours {len(ours)}, datatrove {len(theirs)}, agreement {agreement:.4f}")
    assert agreement >= 0.99
    # the planted exact copies and light edits are found, heavy edits mostly not
    kinds = Counter(r["metadata"]["kind"] for r in removed)
    assert kinds["boiler"] >= 50
    assert len(kept) + len(removed) == len(docs)
    # the filter stage removed exactly the documents the cluster stage marked
    assert len(removed) == len(ours)
