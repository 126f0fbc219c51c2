"""The sample pipeline against a real S3 server (moto on 127.0.0.1, through s3fs): WARCs read
from a bucket, JSONL and Parquet written to a bucket, the run folder in the bucket; results
equal to the local run; a run killed with SIGKILL and rerun loses and duplicates nothing."""

from __future__ import annotations

import gzip
import io
import json
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from tests.conftest import REPO
from tests.pipeline.helpers import cli, split_cc_docs
from tests.s3 import cli_env, vocab_and_tokenize_stages

pytestmark = pytest.mark.slow  # several full pipeline runs against the server


def _jsonl_records(data: list[bytes]) -> Counter:
    out: Counter = Counter()
    for blob in data:
        for line in filter(None, gzip.decompress(blob).decode().split("\n")):
            r = json.loads(line)
            out[(r["id"], r["text"], json.dumps(r["metadata"], sort_keys=True))] += 1
    return out


def _local_parts(folder: Path, pattern: str) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob(pattern))}


def _remote_parts(fs, prefix: str, suffix: str) -> dict[str, bytes]:
    keys = [k for k in fs.find(prefix) if k.endswith(suffix)]
    return {k.rsplit("/", 1)[1]: fs.cat_file(k) for k in sorted(keys)}


def _parquet_rows(blob: bytes) -> list[tuple]:
    t = pq.read_table(io.BytesIO(blob))
    return list(zip(*(t.column(c).to_pylist() for c in t.column_names), strict=True))


def test_sample_from_bucket_to_bucket_matches_local(s3_sample, local_sample_run, tmp_path):
    endpoint, fs = s3_sample
    env = cli_env(endpoint, tmp_path)
    cli(
        "run", "pipelines/sample.yaml", "--input", "s3://in-bucket/crawl/*.warc.gz",
        "--output", "s3://out-bucket/sample-run1", "--tasks", "3", check=True, env=env,
    )  # fmt: skip
    remote = _remote_parts(fs, "out-bucket/sample-run1/output/", ".jsonl.gz")
    local = _local_parts(local_sample_run / "output", "*.jsonl.gz")
    assert sorted(remote) == sorted(local) and len(local) == 3
    assert _jsonl_records(list(remote.values())) == _jsonl_records(list(local.values()))
    assert sum(_jsonl_records(list(local.values())).values()) > 0
    for name, blob in _remote_parts(
        fs, "out-bucket/sample-run1/output_parquet/", ".parquet"
    ).items():
        assert _parquet_rows(blob) == _parquet_rows(
            (local_sample_run / "output_parquet" / name).read_bytes()
        )
    # the removed/ folders, the run folder: markers, stats, logs all live in the bucket
    for folder in ("removed/1_url", "removed/2_non_english"):
        assert sorted(
            _remote_parts(fs, f"out-bucket/sample-run1/{folder}/", ".jsonl.gz")
        ) == sorted(_local_parts(local_sample_run / folder, "*.jsonl.gz"))
    assert len(fs.ls("out-bucket/sample-run1/_state/filter/files")) == 3
    assert len(fs.ls("out-bucket/sample-run1/logs/filter")) == 3
    stats = json.loads(fs.cat_file("out-bucket/sample-run1/stats.json"))
    local_stats = json.loads((local_sample_run / "stats.json").read_text())
    counters = lambda s: [st["counters"] for st in s["stages"][0]["steps"]]  # noqa: E731
    assert counters(stats) == counters(local_stats)
    assert not [k for k in fs.find("out-bucket/sample-run1") if k.endswith(".tmp")]
    # a rerun skips every finished file: no part is written again
    before = {k: fs.info(k)["LastModified"] for k in fs.find("out-bucket/sample-run1/output")}
    cli(
        "run", "pipelines/sample.yaml", "--input", "s3://in-bucket/crawl/*.warc.gz",
        "--output", "s3://out-bucket/sample-run1", "--tasks", "3", "--plain", check=True, env=env,
    )  # fmt: skip
    fs.invalidate_cache()
    assert {
        k: fs.info(k)["LastModified"] for k in fs.find("out-bucket/sample-run1/output")
    } == before
    status = cli("status", "s3://out-bucket/sample-run1", check=True, env=env)
    assert "3/3" in status.stdout.replace(" ", "") or "done" in status.stdout, status.stdout


def test_kill_9_mid_run_then_rerun_loses_and_duplicates_nothing(
    s3_sample, local_sample_run, tmp_path
):
    endpoint, fs = s3_sample
    env = cli_env(endpoint, tmp_path)
    args = [
        sys.executable, "-m", "fineweb_kit", "run", "pipelines/sample.yaml",
        "--input", "s3://in-bucket/crawl/*.warc.gz", "--output", "s3://out-bucket/sample-killed",
        "--tasks", "3", "--workers", "1",
    ]  # fmt: skip
    proc = subprocess.Popen(
        args, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 120
    # kill as soon as the first file is committed (its marker is in the bucket), before the end
    while time.monotonic() < deadline and proc.poll() is None:
        if fs.exists("out-bucket/sample-killed/_state/filter/files") and fs.ls(
            "out-bucket/sample-killed/_state/filter/files"
        ):
            break
        time.sleep(0.05)
        fs.invalidate_cache()
    killed_early = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    fs.invalidate_cache()
    done_before = len(fs.ls("out-bucket/sample-killed/_state/filter/files"))
    assert killed_early and done_before < 3, "the run finished before it could be killed"
    cli(*args[3:], check=True, env=env)
    fs.invalidate_cache()
    remote = _remote_parts(fs, "out-bucket/sample-killed/output/", ".jsonl.gz")
    local = _local_parts(local_sample_run / "output", "*.jsonl.gz")
    assert sorted(remote) == sorted(local)
    assert _jsonl_records(list(remote.values())) == _jsonl_records(list(local.values()))
    assert not [k for k in fs.find("out-bucket/sample-killed") if k.endswith(".tmp")]


def _tokenizer_pipeline(tmp_path: Path, inputs: str, shards: str) -> Path:
    config = {
        "name": "tok",
        "executor": {"type": "local", "tasks": 1, "workers": 1},
        "stages": vocab_and_tokenize_stages(inputs, shards),
    }
    path = tmp_path / "tok.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def test_tokenizer_and_shards_written_to_bucket_match_local(s3_sample, tmp_path):
    endpoint, fs = s3_sample
    split_cc_docs(tmp_path / "in", 2, limit=150)
    cfg = _tokenizer_pipeline(tmp_path, str(tmp_path / "in" / "*.jsonl.gz"), "shards")
    local = tmp_path / "local"
    cli("run", str(cfg), "--output", str(local), check=True)
    env = cli_env(endpoint, tmp_path)
    cli("run", str(cfg), "--output", "s3://out-bucket/tok", check=True, env=env)
    fs.invalidate_cache()
    # the trained tokenizer uploaded whole, staged to the local cache for the Tokenize stage
    assert fs.cat_file("out-bucket/tok/tokenizer.json") == (local / "tokenizer.json").read_bytes()
    assert list((tmp_path / "staging" / "cache").rglob("tokenizer.json"))
    # the shards: written locally by the Rust writer, uploaded when each input file completes
    remote = _remote_parts(fs, "out-bucket/tok/shards/", ".fks")
    assert remote == _local_parts(local / "shards", "*.fks") and len(remote) >= 4
    assert not [k for k in fs.find("out-bucket/tok") if k.endswith(".tmp")]
    assert not list((tmp_path / "staging").glob("work-*")), "scratch folders are removed"
