"""S3 faults (a proxy answering 500s or dropping connections in front of the test server):
transient ones are retried by the client and the output is complete; persistent ones fail the
file with a StorageError naming it, never a silently shorter output, and a rerun once the
server is healthy completes exactly what was missing."""

from __future__ import annotations

import gzip
import json
import os
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.pipeline.helpers import cli
from tests.s3_faults import faulty_proxy
from tests.s3_server import moto_s3, s3_env, s3fs_client

SAMPLE = REPO / "pipelines" / "sample-data"
pytestmark = pytest.mark.slow  # several full pipeline runs against the server
BAD = "ukwa-IAH-urls-wget.warc.gz"


@pytest.fixture(scope="module")
def s3():
    with moto_s3() as endpoint:
        fs = s3fs_client(endpoint)
        fs.mkdir("crawl-in")
        fs.mkdir("runs-out")
        for path in sorted(SAMPLE.glob("*.warc.gz")):
            fs.put_file(str(path), f"crawl-in/crawl/{path.name}")
        yield endpoint, fs


@pytest.fixture(scope="module")
def local_records(tmp_path_factory):
    out = tmp_path_factory.mktemp("local") / "run"
    cli("run", "pipelines/sample.yaml", "--output", str(out), check=True)
    return _records(p.read_bytes() for p in (out / "output").glob("*.jsonl.gz"))


def _records(blobs) -> Counter:
    out: Counter = Counter()
    for blob in blobs:
        for line in gzip.decompress(blob).decode().splitlines():
            r = json.loads(line)
            out[(r["id"], r["text"])] += 1
    return out


def _run(endpoint: str, output: str, tmp: Path):
    env = {**os.environ, **s3_env(endpoint), "FWK_STAGING_DIR": str(tmp / "staging")}
    return cli(
        "run", "pipelines/sample.yaml", "--input", "s3://crawl-in/crawl/*.warc.gz",
        "--output", output, "--plain", env=env,
    )  # fmt: skip


def _output(fs, prefix: str) -> Counter:
    fs.invalidate_cache()
    return _records(fs.cat_file(k) for k in fs.find(prefix) if k.endswith(".jsonl.gz"))


@pytest.mark.parametrize("fault", ["500", "drop"])
def test_transient_faults_are_retried_and_output_is_complete(s3, local_records, tmp_path, fault):
    endpoint, fs = s3
    # every third request fails once: listings, reads, uploads, copies alike
    with faulty_proxy(endpoint, lambda m, p, n: fault if n % 3 == 0 else None) as (url, seen):
        proc = _run(url, f"s3://runs-out/transient-{fault}", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert seen[fault] > 5, seen
    assert _output(fs, f"runs-out/transient-{fault}/output") == local_records


def test_persistent_faults_fail_the_file_and_a_rerun_completes(s3, local_records, tmp_path):
    endpoint, fs = s3

    def policy(method: str, path: str, n: int) -> str | None:
        # every read of one WARC's bytes fails: a 500 or a dropped connection, alternately
        if method == "GET" and BAD in path:
            return "500" if n % 2 else "drop"
        return None

    with faulty_proxy(endpoint, policy) as (url, seen):
        proc = _run(url, "s3://runs-out/persistent", tmp_path)
    assert proc.returncode == 1
    assert BAD in proc.stderr and "StorageError" in proc.stderr, proc.stderr
    assert seen["500"] + seen["drop"] >= 2, seen
    fs.invalidate_cache()
    assert len(fs.ls("runs-out/persistent/_state/filter/files")) == 2
    parts = [k for k in fs.find("runs-out/persistent/output") if k.endswith(".jsonl.gz")]
    assert len(parts) == 2 and not any("ukwa" in k for k in parts)
    partial = _output(fs, "runs-out/persistent/output")
    assert partial and all(local_records[k] == v for k, v in partial.items())
    proc = _run(endpoint, "s3://runs-out/persistent", tmp_path)  # healthy again
    assert proc.returncode == 0, proc.stderr
    assert _output(fs, "runs-out/persistent/output") == local_records
