"""Outputs are read by the tools people use: polars, HF datasets, and our own readers."""

from __future__ import annotations

import json

import pytest

from fineweb_kit.io.files import open_text
from tests.pipeline.helpers import (
    cli,
    local_pipeline,
    multiset,
    read_jsonl_folder,
    split_cc_docs,
    write_pipeline,
)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("outputs")
    docs = split_cc_docs(tmp / "in", 3, limit=600)
    stages = {
        "write": [
            {"type": "JsonlReader", "paths": str(tmp / "in" / "*.jsonl.gz")},
            {"type": "JsonlWriter", "output_folder": "jsonl"},
            {"type": "ParquetWriter", "output_folder": "parquet"},
        ],
        "reread": [
            {"type": "ParquetReader", "paths": "{output}/parquet/*.parquet"},
            {"type": "JsonlWriter", "output_folder": "from_parquet", "compression": "zstd"},
        ],
    }
    cfg = local_pipeline("formats", tmp / "out", stages)
    cli("run", str(write_pipeline(tmp / "p.yaml", cfg)), "--plain", check=True)
    return tmp / "out", docs


def test_polars_reads_parquet_and_jsonl(run_dir):
    import polars as pl

    out, docs = run_dir
    pq = pl.read_parquet(out / "parquet" / "*.parquet")
    js = pl.concat([pl.read_ndjson(p) for p in sorted((out / "jsonl").glob("*.jsonl.gz"))])
    assert pq.height == js.height == len(docs)
    assert {"text", "id", "url", "metadata"} <= set(pq.columns)
    assert sorted(pq["text"].to_list()) == sorted(d["text"] for d in docs)
    assert pq["metadata"].str.json_decode().struct.field("source").null_count() == 0


def test_hf_datasets_reads_parquet_and_jsonl(run_dir):
    import datasets

    out, docs = run_dir
    pq = datasets.load_dataset("parquet", data_files=str(out / "parquet" / "*.parquet"))["train"]
    js = datasets.load_dataset("json", data_files=str(out / "jsonl" / "*.jsonl.gz"))["train"]
    assert len(pq) == len(js) == len(docs)
    assert sorted(pq["url"]) == sorted(d["url"] for d in docs)


def test_parquet_round_trip_keeps_every_document(run_dir):
    out, docs = run_dir
    records = []
    for p in sorted((out / "from_parquet").glob("*.jsonl.zst")):
        with open_text(p) as f:
            records += [json.loads(line) for line in f]
    assert multiset(records) == multiset(docs)
    assert multiset(read_jsonl_folder(out / "jsonl")) == multiset(docs)
