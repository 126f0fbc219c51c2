"""The four MinHash stages as a pipeline: outputs, stats, budgets, bad intermediates."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tests.dedup.corpus import build_corpus, write_files
from tests.dedup.pipeline import minhash_pipeline
from tests.pipeline.helpers import cli, multiset, read_jsonl_folder, write_pipeline


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, list[dict]]:
    folder = tmp_path_factory.mktemp("corpus")
    docs = build_corpus(n_planted=120, n_boiler=30, max_chars=1200)[:900]
    write_files(docs, folder / "in", 5)
    return folder / "in", docs


def _run(tmp: Path, inputs: Path, name: str = "p", stage: str | None = None, **kw) -> Path:
    out = tmp / "out"
    tmp.mkdir(parents=True, exist_ok=True)
    cfg = write_pipeline(tmp / f"{name}.yaml", minhash_pipeline(inputs, out, **kw))
    proc = cli("run", str(cfg), "--plain", *(["--stage", stage] if stage else []))
    if proc.returncode != 0:
        raise AssertionError(proc.stderr)
    return out


def _stage(out: Path, name: str) -> dict:
    stats = json.loads((out / "stats.json").read_text())
    stage = next(s for s in stats["stages"] if s["name"] == name)
    merged: Counter = Counter()
    for step in stage["steps"]:
        merged.update(step["counters"])
    return merged


def test_output_is_input_minus_duplicates_with_annotations(tmp_path, corpus):
    inputs, docs = corpus
    out = _run(tmp_path, inputs)
    kept, removed = read_jsonl_folder(out / "deduped"), read_jsonl_folder(out / "removed")
    assert multiset(kept) + multiset(removed) == multiset(docs)
    assert removed and all(r["metadata"]["filter_reason"] == "minhash_duplicate" for r in removed)
    # exact copies (with enough words for a 5-gram) are always caught: one of them is kept
    kept_texts = Counter(r["text"] for r in kept if len(r["text"].split()) >= 20)
    assert all(n == 1 for n in kept_texts.values())
    # the boilerplate-sharing pages collapse into (nearly) one cluster
    n_boiler = sum(d["kind"] == "boiler" for d in docs)
    kept_boiler = [r for r in kept if r["metadata"]["kind"] == "boiler"]
    assert n_boiler >= 5 and len(kept_boiler) <= 2
    assert max(r["metadata"]["minhash_cluster_size"] for r in kept_boiler) >= n_boiler // 2
    sig, cl, flt = _stage(out, "signatures"), _stage(out, "cluster"), _stage(out, "filter")
    assert sig["minhash_signed"] + sig["minhash_empty"] + sig["minhash_too_short"] == len(docs)
    assert sig["minhash_empty"] >= sum(1 for d in docs if not d["text"].strip())
    assert sig["minhash_too_short"] >= 1
    assert cl["minhash_removed"] == len(removed) == flt["dropped_minhash_duplicate"]


def test_small_memory_budget_gives_same_result(tmp_path, corpus):
    """Budget far below the bucket data: many runs, multi-pass merge, identical output."""
    inputs, _ = corpus
    ref = _run(tmp_path / "ref", inputs)
    small = _run(tmp_path / "small", inputs, budget_mb=0.1)
    sig, buckets = _stage(small, "signatures"), _stage(small, "buckets")
    bucket_bytes = sum(p.stat().st_size for p in (small / "minhash/signatures").rglob("*.sig"))
    assert bucket_bytes > 8 * 0.1 * 2**20  # all signatures: 8x the budget
    assert sig["minhash_runs"] > 5 and buckets["minhash_extra_merge_passes"] > 0
    for folder in ("deduped", "removed"):
        assert read_jsonl_folder(small / folder) == read_jsonl_folder(ref / folder)


def _signature_file(out: Path) -> Path:
    return sorted((out / "minhash/signatures/bucket_003").glob("*.sig"))[0]


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_damaged_intermediate_is_detected(tmp_path, corpus, damage):
    inputs, _ = corpus
    out = _run(tmp_path, inputs, stage="signatures")
    path = _signature_file(out)
    data = bytearray(path.read_bytes())
    if damage == "truncate":  # e.g. a full disk
        data = data[: len(data) // 2]
    elif damage == "flip":
        data[len(data) // 2] ^= 0x40
    path.write_bytes(bytes(data))
    cfg = write_pipeline(tmp_path / "p.yaml", minhash_pipeline(inputs, out))
    proc = cli("run", str(cfg), "--plain", "--stage", "buckets")
    assert proc.returncode != 0
    assert path.name in proc.stderr
    # a flipped bit shows as a checksum mismatch, or earlier as records out of order
    expected = ("truncated",) if damage == "truncate" else ("checksum", "not sorted")
    assert any(e in proc.stderr for e in expected), proc.stderr
    assert not (out / "minhash/pairs/bucket_003.pairs").exists()


def test_intermediates_of_another_configuration_are_refused(tmp_path, corpus):
    inputs, _ = corpus
    shared = tmp_path / "minhash-shared"
    first = minhash_pipeline(inputs, tmp_path / "a")
    for stage in first["stages"]:
        for step in stage["steps"]:
            if step["type"].startswith("Minhash"):
                step["folder"] = str(shared)
    first["stages"] = first["stages"][:1]
    cli("run", str(write_pipeline(tmp_path / "a.yaml", first)), "--plain", check=True)
    other = minhash_pipeline(inputs, tmp_path / "b", config={"n_grams": 3})
    other["stages"] = other["stages"][1:2]
    other["stages"][0]["steps"][0]["folder"] = str(shared)
    proc = cli("run", str(write_pipeline(tmp_path / "b.yaml", other)), "--plain")
    assert proc.returncode != 0
    assert "another configuration" in proc.stderr
    assert not (shared / "pairs").exists()  # refused before any work


def test_filter_refuses_changed_inputs(tmp_path, corpus):
    _, docs = corpus
    per_file = write_files(docs, tmp_path / "in", 5)
    for stage in ("signatures", "buckets", "cluster"):
        out = _run(tmp_path, tmp_path / "in", stage=stage)
    # the same file names, one document edited: the filter must not drop by stale positions
    per_file[2][7]["text"] += " edited"
    write_files([d for part in zip(*per_file, strict=False) for d in part], tmp_path / "in", 5)
    cfg = write_pipeline(tmp_path / "p.yaml", minhash_pipeline(tmp_path / "in", out))
    proc = cli("run", str(cfg), "--plain", "--stage", "filter")
    assert proc.returncode != 0
    assert "differs from the one MinhashSignature saw" in proc.stderr


def test_draft_recipe_validates():
    proc = cli("validate", "pipelines/fineweb-dedup.yaml")
    assert proc.returncode == 0, proc.stderr
    assert "MinhashCluster" in proc.stdout
