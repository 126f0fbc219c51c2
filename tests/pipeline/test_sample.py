"""End to end: the README's first command, pipelines/sample.yaml on bundled real WARC records."""

from __future__ import annotations

import json

from tests.pipeline.helpers import cli, read_jsonl_folder


def test_sample_pipeline_end_to_end(tmp_path):
    out = tmp_path / "sample"
    proc = cli("run", "pipelines/sample.yaml", "--output", str(out), "--plain", check=True)
    assert "stage filter: 3/3 files" in proc.stderr
    kept = read_jsonl_folder(out / "output")
    assert kept, "the sample keeps some documents"
    for doc in kept:
        assert doc["metadata"]["language"] == "en" and doc["metadata"]["language_score"] >= 0.65
        assert doc["metadata"]["dump"] == "sample" and doc["url"].startswith("http")
    # the Aragonese Wikipedia page of the real Common Crawl record is removed as non-English
    non_english = read_jsonl_folder(out / "removed" / "2_non_english")
    assert any(d["url"] == "https://an.wikipedia.org/wiki/Escopete" for d in non_english)
    assert all(d["metadata"]["filter_reason"] == "language" for d in non_english)
    # the funnel is consistent: every document read is either kept or removed by one step
    stats = json.loads((out / "stats.json").read_text())["stages"][0]["steps"]
    read = stats[0]["counters"]["documents_out"]
    removed = sum(read_jsonl_folder(p).__len__() for p in (out / "removed").iterdir())
    extractor_drops = stats[2]["counters"]["documents_in"] - stats[2]["counters"]["documents_out"]
    assert read == len(kept) + removed + extractor_drops
    # Parquet twin of the JSON output
    import polars as pl

    assert pl.read_parquet(out / "output_parquet" / "*.parquet").height == len(kept)
    # report: funnel printed, HTML and plots written
    rep = cli("report", str(out), check=True)
    assert "LanguageFilter" in rep.stdout and "dropped language" in rep.stdout
    html = (out / "report" / "report.html").read_text()
    for png in ("funnel.png", "language.png", "length_chars.png"):
        assert (out / "report" / png).stat().st_size > 1000 and png in html
