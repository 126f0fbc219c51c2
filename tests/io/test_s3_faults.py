"""S3 faults (a proxy answering 500s or dropping connections in front of the test server):
transient ones are retried by the client and the output is complete; persistent ones fail the
file with a StorageError naming it, never a silently shorter output, and a rerun once the
server is healthy completes exactly what was missing."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import pytest

from fineweb_kit.tools.s3_proxy import faulty_proxy
from tests.pipeline.helpers import cli
from tests.s3 import cli_env

pytestmark = pytest.mark.slow  # several full pipeline runs against the server
BAD = "ukwa-IAH-urls-wget.warc.gz"


@pytest.fixture(scope="module")
def local_records(local_sample_run):
    return _records(p.read_bytes() for p in (local_sample_run / "output").glob("*.jsonl.gz"))


def _records(blobs) -> Counter:
    out: Counter = Counter()
    for blob in blobs:
        for line in filter(None, gzip.decompress(blob).decode().split("\n")):
            r = json.loads(line)
            out[(r["id"], r["text"])] += 1
    return out


def _run(endpoint: str, output: str, tmp: Path):
    return cli(
        "run", "pipelines/sample.yaml", "--input", "s3://in-bucket/crawl/*.warc.gz",
        "--output", output, "--plain", env=cli_env(endpoint, tmp),
    )  # fmt: skip


def _output(fs, prefix: str) -> Counter:
    fs.invalidate_cache()
    return _records(fs.cat_file(k) for k in fs.find(prefix) if k.endswith(".jsonl.gz"))


@pytest.mark.parametrize("fault", ["500", "drop"])
def test_transient_faults_are_retried_and_output_is_complete(
    s3_sample, local_records, tmp_path, fault
):
    endpoint, fs = s3_sample
    # every third request fails once: listings, reads, uploads, copies alike
    with faulty_proxy(endpoint, lambda m, p, n: fault if n % 3 == 0 else None) as (url, seen):
        proc = _run(url, f"s3://out-bucket/faults-transient-{fault}", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert seen[fault] > 5, seen
    assert _output(fs, f"out-bucket/faults-transient-{fault}/output") == local_records


def test_persistent_faults_fail_the_file_and_a_rerun_completes(s3_sample, local_records, tmp_path):
    endpoint, fs = s3_sample

    def policy(method: str, path: str, n: int) -> str | None:
        # every read of one WARC's bytes fails: a 500 or a dropped connection, alternately
        if method == "GET" and BAD in path:
            return "500" if n % 2 else "drop"
        return None

    with faulty_proxy(endpoint, policy) as (url, seen):
        proc = _run(url, "s3://out-bucket/faults-persistent", tmp_path)
    assert proc.returncode == 1
    assert BAD in proc.stderr and "StorageError" in proc.stderr, proc.stderr
    assert seen["500"] + seen["drop"] >= 2, seen
    fs.invalidate_cache()
    assert len(fs.ls("out-bucket/faults-persistent/_state/filter/files")) == 2
    parts = [k for k in fs.find("out-bucket/faults-persistent/output") if k.endswith(".jsonl.gz")]
    assert len(parts) == 2 and not any("ukwa" in k for k in parts)
    partial = _output(fs, "out-bucket/faults-persistent/output")
    assert partial and all(local_records[k] == v for k, v in partial.items())
    proc = _run(endpoint, "s3://out-bucket/faults-persistent", tmp_path)  # healthy again
    assert proc.returncode == 0, proc.stderr
    assert _output(fs, "out-bucket/faults-persistent/output") == local_records
