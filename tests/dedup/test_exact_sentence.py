"""Exact and sentence (C4) dedup as three-stage pipelines on real documents."""

from __future__ import annotations

import gzip
import json
import random
from collections import defaultdict

from datatrove.utils.text import simplify_text

from tests.dedup.corpus import build_corpus, real_docs, write_files
from tests.dedup.pipeline import key_pipeline
from tests.pipeline.helpers import cli, multiset, read_jsonl_folder, write_pipeline


def _run(tmp_path, method, inputs, **filter_args):
    out = tmp_path / "out"
    cfg = write_pipeline(tmp_path / "p.yaml", key_pipeline(method, inputs, out, **filter_args))
    cli("run", str(cfg), "--plain", check=True)
    return read_jsonl_folder(out / "kept"), read_jsonl_folder(out / "removed"), out


def test_exact_dedup_keeps_first_of_each_normalised_text(tmp_path):
    docs = build_corpus(n_planted=120, n_boiler=0, max_chars=800)[:1000]
    # copies that differ only in case, punctuation and whitespace are exact duplicates too
    variants = [
        dict(d, id=f"variant-{i}", text=f"  {d['text'].upper()} !!\n")
        for i, d in enumerate(docs[:300:20])
    ]
    docs = docs + variants
    per_file = write_files(docs, tmp_path / "in", 4)
    kept, removed, out = _run(tmp_path, "exact", tmp_path / "in", annotate=True)
    # oracle: datatrove's simplify_text, first copy in (file, position) order is kept
    seen: dict[str, int] = {}
    want_removed = []
    copies: dict[str, int] = defaultdict(int)
    for part in per_file:
        for d in part:
            copies[simplify_text(d["text"])] += 1
    for part in per_file:
        for d in part:
            key = simplify_text(d["text"])
            if key and key in seen:
                want_removed.append(d)
            seen.setdefault(key, 1)
    assert len(want_removed) >= 20  # planted copies, variants and real repeated pages
    assert multiset(removed) == multiset(want_removed)
    assert multiset(kept) + multiset(removed) == multiset(docs)
    for r in kept:
        key = simplify_text(r["text"])
        assert r["metadata"]["exact_dup_count"] == (copies[key] if key else 1)
    stats = json.loads((out / "stats.json").read_text())
    assert "exact_duplicates" in json.dumps(stats)


def test_sentence_dedup_removes_repeated_spans_and_short_leftovers(tmp_path):
    rng = random.Random(3)
    base = [d for d in real_docs() if d["text"].count(". ") >= 8 and "source" in d][:120]
    boiler = (
        "Subscribe to our newsletter for weekly updates. We respect your privacy at all times. "
        "Read our cookie policy before you continue. All rights reserved by the publisher."
    )
    docs = []
    for i, d in enumerate(base):
        text = d["text"]
        if i % 3 == 0:
            text = f"{boiler}\n{text}"
        if i % 20 == 1:
            text = f"{boiler} Thanks for reading."  # nothing but boilerplate: too short after
        docs.append({"id": f"d{i}", "text": text})
    rng.shuffle(docs)
    write_files(docs, tmp_path / "in", 3)
    kept, removed, out = _run(tmp_path, "sentence", tmp_path / "in")
    with_boiler = [r for r in kept if "Read our cookie policy" in r["text"]]
    assert len(with_boiler) == 1  # only the first occurrence keeps the span
    planted = sum(1 for d in docs if boiler in d["text"])
    assert planted >= 40
    short = [d for d in docs if d["text"].startswith(boiler) and len(d["text"]) < len(boiler) + 30]
    assert {r["id"] for r in removed} >= {d["id"] for d in short[1:]}
    assert all(r["metadata"]["filter_reason"] == "sentence_dedup_too_short" for r in removed)
    # edited documents keep their own text: what remains is a subsequence of the original
    # (whole sentences removed); real pages that share their own boilerplate lose more
    by_id = {d["id"]: d for d in docs}
    edited = 0
    for r in kept:
        original = by_id[r["id"]]["text"]
        if r["text"] != original:
            edited += 1
            rest = iter(original)
            assert all(c in rest for c in r["text"])
    assert edited >= planted - len(short) - 1
    counters = json.dumps(json.loads((out / "stats.json").read_text()))
    assert "sentences_removed" in counters


def test_exact_dedup_refuses_other_configuration(tmp_path):
    docs = real_docs()[:50]
    write_files(docs, tmp_path / "in", 1)
    shared = tmp_path / "shared"
    cfg = key_pipeline("sentence", tmp_path / "in", tmp_path / "a")
    cfg["stages"] = cfg["stages"][:1]
    cfg["stages"][0]["steps"][1]["folder"] = str(shared)
    cli("run", str(write_pipeline(tmp_path / "a.yaml", cfg)), "--plain", check=True)
    other = key_pipeline("exact", tmp_path / "in", tmp_path / "b")
    other["stages"] = other["stages"][1:2]
    other["stages"][0]["steps"][0]["folder"] = str(shared)
    proc = cli("run", str(write_pipeline(tmp_path / "b.yaml", other)), "--plain")
    assert proc.returncode != 0 and "another configuration" in proc.stderr
    with gzip.open(tmp_path / "in" / "in-000.jsonl.gz", "rt") as f:
        assert sum(1 for _ in f) == 50
