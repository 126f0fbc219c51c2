"""The Ray executor on a real local cluster (``ray start --head``, 2 CPUs, shared by the
session): the sample and the MinHash recipe give the local executor's outputs; a worker killed
with SIGKILL mid-task is retried and the run completes identically; a task failing on bad input
is retried, then reported with its file, error and log; no cluster: a clear error."""

from __future__ import annotations

import gzip
import itertools
import json
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import psutil
import pytest
import yaml

from fineweb_kit.tools.local_s3 import s3fs_client, upload_files
from fineweb_kit.tools.s3_proxy import faulty_proxy
from tests.conftest import REPO
from tests.pipeline.helpers import cli, multiset, read_jsonl_folder, split_cc_docs
from tests.s3 import cli_env

pytestmark = pytest.mark.ray


def _ray_yaml(src: Path, dst: Path, address: str, **extra) -> Path:
    config = yaml.safe_load(src.read_text())
    config["executor"] = {"type": "ray", "address": address, "tasks": 3, **extra}
    dst.write_text(yaml.safe_dump(config, sort_keys=False))
    return dst


def test_sample_on_ray_matches_local_then_rerun_skips(ray_address, local_sample_run, tmp_path):
    cfg = _ray_yaml(REPO / "pipelines/sample.yaml", tmp_path / "ray.yaml", ray_address)
    out = tmp_path / "run"
    cli("run", str(cfg), "--output", str(out), check=True)
    for folder in ("output", "removed/1_url", "removed/2_non_english"):
        assert multiset(read_jsonl_folder(out / folder)) == multiset(
            read_jsonl_folder(local_sample_run / folder)
        )
    assert len(read_jsonl_folder(out / "output")) > 0
    assert len(list((out / "_state/filter/files").glob("*.json"))) == 3
    status = cli("status", str(out), check=True).stdout
    assert "3/3 input files done, complete" in status and "ray tasks: 3 done" in status, status
    mtimes = {p: p.stat().st_mtime_ns for p in (out / "output").iterdir()}
    rerun = cli("run", str(cfg), "--output", str(out), check=True)
    assert "0 Ray task(s)" in rerun.stderr, rerun.stderr
    assert {p: p.stat().st_mtime_ns for p in (out / "output").iterdir()} == mtimes


def test_minhash_recipe_on_ray_matches_local(ray_address, tmp_path):
    docs = split_cc_docs(tmp_path / "in", 3, limit=600)
    assert len(docs) == 600
    args = ["--input", str(tmp_path / "in" / "*.jsonl.gz")]
    local = tmp_path / "local"
    cli("run", "pipelines/fineweb-dedup.yaml", *args, "--output", str(local), check=True)
    cfg = _ray_yaml(REPO / "pipelines/fineweb-dedup.yaml", tmp_path / "ray.yaml", ray_address)
    on_ray = tmp_path / "ray"
    cli("run", str(cfg), *args, "--output", str(on_ray), check=True)
    for folder in ("output", "removed/minhash"):
        assert multiset(read_jsonl_folder(on_ray / folder)) == multiset(
            read_jsonl_folder(local / folder)
        )
    assert read_jsonl_folder(local / "removed/minhash"), "the sample has near-duplicates"


def test_minhash_recipe_on_ray_from_s3_to_s3(ray_address, s3_endpoint, tmp_path):
    """The README's recipe: MinHash on Ray, input, output and the MinHash intermediate files
    in a bucket."""
    split_cc_docs(tmp_path / "in", 3, limit=600)
    fs = s3fs_client(s3_endpoint)
    upload_files(fs, list((tmp_path / "in").glob("*.jsonl.gz")), "ray-in/filtered")
    fs.mkdir("ray-out")
    local = tmp_path / "local"
    args = ["--input", str(tmp_path / "in" / "*.jsonl.gz"), "--output", str(local)]
    cli("run", "pipelines/fineweb-dedup.yaml", *args, check=True)
    cfg = _ray_yaml(REPO / "pipelines/fineweb-dedup.yaml", tmp_path / "ray.yaml", ray_address)
    cli(
        "run", str(cfg), "--input", "s3://ray-in/filtered/*.jsonl.gz",
        "--output", "s3://ray-out/dedup", check=True, env=cli_env(s3_endpoint, tmp_path),
    )  # fmt: skip
    fs.invalidate_cache()
    for folder in ("output", "removed/minhash"):
        blobs = [fs.cat_file(k) for k in fs.find(f"ray-out/dedup/{folder}") if k.endswith(".gz")]
        assert _jsonl_records(blobs) == multiset(read_jsonl_folder(local / folder)), folder
    assert fs.exists("ray-out/dedup/stats.json") and fs.exists("ray-out/dedup/ray/tasks.json")
    assert len(fs.ls("ray-out/dedup/minhash/pairs")) == 14
    assert fs.exists("ray-out/dedup/minhash/clusters/summary.json")


def _jsonl_records(blobs: list[bytes]) -> Counter:
    got: Counter = Counter()
    for blob in blobs:
        lines = filter(None, gzip.decompress(blob).decode().split("\n"))
        got.update((r["id"], r["text"]) for r in map(json.loads, lines))
    return got


def _task_intervals(log_folder: Path) -> list[tuple[datetime, datetime]]:
    """(first, last) log line time of every task log of a stage, sorted."""
    spans = []
    for log in log_folder.glob("task_*.log"):
        stamps = [
            datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")
            for line in log.read_text().splitlines()
            if line[:4].isdigit()
        ]
        spans.append((min(stamps), max(stamps)))
    return sorted(spans)


def test_runtime_env_and_max_concurrent(ray_address, s3_sample, local_sample_run, tmp_path):
    """The tasks read the WARCs from the bucket through the endpoint ``runtime_env.env_vars``
    gives them (a counting proxy; the cluster's own environment names the server directly), at
    most ``max_concurrent: 1`` at a time, with the local executor's outputs."""
    endpoint, _ = s3_sample
    log: list[tuple[str, str]] = []
    with faulty_proxy(endpoint, lambda m, p, n: log.append((m, p))) as (proxy, _):
        cfg = _ray_yaml(
            REPO / "pipelines/sample.yaml", tmp_path / "ray.yaml", ray_address,
            max_concurrent=1, runtime_env={"env_vars": {"AWS_ENDPOINT_URL": proxy}},
        )  # fmt: skip
        out = tmp_path / "run"
        proc = cli(
            "run", str(cfg), "--input", "s3://in-bucket/crawl/*.warc.gz", "--output", str(out),
            check=True, env=cli_env(endpoint, tmp_path),
        )  # fmt: skip
    assert "stage filter: 3 Ray task(s) of 3" in proc.stderr, proc.stderr
    for folder in ("output", "removed/1_url", "removed/2_non_english"):
        assert multiset(read_jsonl_folder(out / folder)) == multiset(
            read_jsonl_folder(local_sample_run / folder)
        )
    # every WARC was read by a task through the proxy (the driver only lists the bucket)
    read = {p.split("?")[0].rsplit("/", 1)[1] for m, p in log if m == "GET" and ".warc" in p}
    assert read == {p.name for p in (REPO / "pipelines/sample-data").glob("*.warc.gz")}, log
    spans = _task_intervals(out / "logs" / "filter")
    assert len(spans) == 3
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert end <= start, f"tasks overlapped with max_concurrent: 1: {spans}"


def test_ray_client_address(ray_cluster, local_sample_run, tmp_path):
    """The sample through a ``ray://`` address (Ray Client): the local executor's outputs.
    (The client server's per-driver process failed to start in 2 of 5 runs on the loaded
    2-core dev machine; ``executors.ray._init`` retries that start.)"""
    cfg = _ray_yaml(REPO / "pipelines/sample.yaml", tmp_path / "ray.yaml", ray_cluster.client)
    out = tmp_path / "run"
    cli("run", str(cfg), "--output", str(out), check=True, timeout=600)
    assert multiset(read_jsonl_folder(out / "output")) == multiset(
        read_jsonl_folder(local_sample_run / "output")
    )


def test_worker_killed_mid_task_is_retried(ray_address, local_sample_run, tmp_path):
    cfg = _ray_yaml(REPO / "pipelines/sample.yaml", tmp_path / "ray.yaml", ray_address, retries=2)
    out = tmp_path / "run"
    run = subprocess.Popen(
        [sys.executable, "-m", "fineweb_kit", "run", str(cfg), "--output", str(out)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    killed = None
    deadline = time.monotonic() + 120
    while killed is None and time.monotonic() < deadline and run.poll() is None:
        for p in psutil.process_iter(["cmdline"]):
            if "run_task_from_yaml" in " ".join(p.info["cmdline"] or []):
                p.kill()  # SIGKILL of the Ray worker running one of our tasks
                killed = p.pid
                break
        time.sleep(0.05)
    _, stderr = run.communicate(timeout=300)
    assert killed is not None, "no Ray worker running a task was found to kill"
    assert run.returncode == 0, stderr
    assert "retrying" in stderr, stderr
    assert multiset(read_jsonl_folder(out / "output")) == multiset(
        read_jsonl_folder(local_sample_run / "output")
    )


def test_task_failing_on_bad_input_is_retried_then_reported(ray_address, tmp_path):
    split_cc_docs(tmp_path / "in", 2, limit=40)
    bad = tmp_path / "in" / "in-001.jsonl.gz"
    bad.write_bytes(bad.read_bytes()[:200])  # truncated gzip
    config = {
        "name": "bad-input",
        "executor": {"type": "ray", "address": ray_address, "tasks": 2, "retries": 1},
        "stages": [
            {
                "name": "copy",
                "steps": [
                    {"type": "JsonlReader", "paths": str(tmp_path / "in" / "*.jsonl.gz")},
                    {"type": "JsonlWriter", "output_folder": "output"},
                ],
            }
        ],
    }
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(yaml.safe_dump(config))
    out = tmp_path / "run"
    proc = cli("run", str(cfg), "--output", str(out))
    assert proc.returncode == 1
    assert "attempt 1 failed" in proc.stderr and "in-001.jsonl.gz" in proc.stderr, proc.stderr
    assert f"log: {out}/logs/copy/task_00001.log" in proc.stderr, proc.stderr
    assert len(read_jsonl_folder(out / "output")) == 20  # the good file is kept
    status = cli("status", str(out)).stdout
    assert "ray task 1 failed after attempt 2" in status, status


def test_no_cluster_is_a_clear_error(tmp_path):
    from fineweb_kit.tools.local_s3 import free_port

    cfg = _ray_yaml(
        REPO / "pipelines/sample.yaml", tmp_path / "ray.yaml", f"127.0.0.1:{free_port()}"
    )
    proc = cli("run", str(cfg), "--output", str(tmp_path / "run"), timeout=180)
    assert proc.returncode != 0
    assert "no Ray cluster reachable" in proc.stderr and "ray start --head" in proc.stderr


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("retries", -1, "executor.retries: expected an integer >= 0"),
        ("cpus_per_task", 0, "executor.cpus_per_task: expected a number > 0"),
        ("runtime_env", "x", "executor.runtime_env: expected a mapping"),
        ("partition", "gpu", "executor.partition: unknown key for the ray executor"),
    ],
)
def test_ray_executor_keys_are_checked_before_any_cluster(tmp_path, key, value, message):
    cfg = _ray_yaml(
        REPO / "pipelines/sample.yaml", tmp_path / "ray.yaml", "127.0.0.1:1", **{key: value}
    )
    proc = cli("validate", str(cfg))
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
