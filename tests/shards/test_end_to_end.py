"""pipelines/end-to-end.yaml's vocab, tokenize and merge stages on real web text (cc-docs).

The WARC stage is swapped for a JSONL copy of cc-docs (already-extracted real web documents),
so this test needs no extraction; the rest of the file runs as shipped: a BPE is trained by
one stage and used through ``{output}/tokenizer.json`` by the next.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from fineweb_kit.shards import Shard, list_shards, load_tokenizer
from tests.conftest import REPO
from tests.pipeline.helpers import cli, split_cc_docs, write_pipeline


def test_end_to_end_pipeline_from_text_to_merged_shards(tmp_path):
    docs = split_cc_docs(tmp_path / "in", 2, limit=400)
    cfg = yaml.safe_load((REPO / "pipelines" / "end-to-end.yaml").read_text())
    assert [s["name"] for s in cfg["stages"]] == ["text", "vocab", "tokenize", "merge"]
    cfg["output"] = str(tmp_path / "out")
    cfg["stages"][0]["steps"] = [
        {"type": "JsonlReader", "paths": str(tmp_path / "in" / "*.jsonl.gz")},
        {"type": "JsonlWriter", "output_folder": "text"},
    ]
    cfg["stages"][1]["steps"][1]["vocab_size"] = 1024
    cli("run", str(write_pipeline(tmp_path / "e2e.yaml", cfg)), "--plain", check=True)
    tok = load_tokenizer(str(tmp_path / "out" / "tokenizer.json"))
    assert tok.n_vocab == 1024
    shards = [Shard(p, tok.fingerprint_hex) for p in list_shards(str(tmp_path / "out" / "shards"))]
    encoded = sorted(tuple(d.tolist()) for s in shards for d in s.docs(strip_boundary=True))
    assert encoded == sorted(tuple(tok.encode(d["text"]).tolist()) for d in docs)
    merged = tmp_path / "out" / "merged"
    outs = [Shard(p, tok.fingerprint_hex) for p in list_shards(str(merged))]
    assert Path(outs[-1].path).name == "val-00000.fks" and outs[-1].header.n_tokens >= 20000
    assert sorted(tuple(d.tolist()) for s in outs for d in s.docs(strip_boundary=True)) == encoded
    info = cli("shards", "info", str(merged), "--tokenizer", str(tmp_path / "out/tokenizer.json"))
    assert info.returncode == 0 and f"{len(docs):,} documents" in info.stdout
