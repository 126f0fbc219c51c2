"""The Ray executor on a real local cluster (``ray start --head``, 2 CPUs, shared by the
session): the sample and the MinHash recipe give the local executor's outputs; a worker killed
with SIGKILL mid-task is retried and the run completes identically; a task failing on bad input
is retried, then reported with its file, error and log; no cluster: a clear error."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import psutil
import pytest
import yaml

from tests.conftest import REPO
from tests.pipeline.helpers import cli, multiset, read_jsonl_folder, split_cc_docs

pytestmark = pytest.mark.ray


def _ray_yaml(src: Path, dst: Path, address: str, **extra) -> Path:
    config = yaml.safe_load(src.read_text())
    config["executor"] = {"type": "ray", "address": address, "tasks": 3, **extra}
    dst.write_text(yaml.safe_dump(config, sort_keys=False))
    return dst


@pytest.fixture(scope="module")
def local_sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("local") / "run"
    cli("run", "pipelines/sample.yaml", "--output", str(out), "--tasks", "3", check=True)
    return out


def test_sample_on_ray_matches_local_then_rerun_skips(ray_address, local_sample, tmp_path):
    cfg = _ray_yaml(REPO / "pipelines/sample.yaml", tmp_path / "ray.yaml", ray_address)
    out = tmp_path / "run"
    cli("run", str(cfg), "--output", str(out), check=True)
    for folder in ("output", "removed/1_url", "removed/2_non_english"):
        assert multiset(read_jsonl_folder(out / folder)) == multiset(
            read_jsonl_folder(local_sample / folder)
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
    """The README's recipe: MinHash on Ray, input and output in a bucket, the MinHash
    intermediate files on a (here: local) shared folder."""
    import os

    from tests.s3_server import s3_env, s3fs_client

    split_cc_docs(tmp_path / "in", 3, limit=600)
    fs = s3fs_client(s3_endpoint)
    fs.mkdir("ray-in")
    fs.mkdir("ray-out")
    for path in sorted((tmp_path / "in").glob("*.jsonl.gz")):
        fs.put_file(str(path), f"ray-in/filtered/{path.name}")
    local = tmp_path / "local"
    args = ["--input", str(tmp_path / "in" / "*.jsonl.gz"), "--output", str(local)]
    cli("run", "pipelines/fineweb-dedup.yaml", *args, check=True)
    config = yaml.safe_load((REPO / "pipelines/fineweb-dedup.yaml").read_text())
    for stage in config["stages"]:
        for step in stage["steps"]:
            if "folder" in step:
                step["folder"] = str(tmp_path / "shared" / "minhash")
    config["executor"] = {"type": "ray", "address": ray_address, "tasks": 3}
    cfg = tmp_path / "s3.yaml"
    cfg.write_text(yaml.safe_dump(config, sort_keys=False))
    env = {**os.environ, **s3_env(s3_endpoint), "FWK_STAGING_DIR": str(tmp_path / "staging")}
    cli(
        "run", str(cfg), "--input", "s3://ray-in/filtered/*.jsonl.gz",
        "--output", "s3://ray-out/dedup", check=True, env=env,
    )  # fmt: skip
    fs.invalidate_cache()
    for folder in ("output", "removed/minhash"):
        blobs = [fs.cat_file(k) for k in fs.find(f"ray-out/dedup/{folder}") if k.endswith(".gz")]
        got = Counter()
        for blob in blobs:
            got.update(
                (r["id"], r["text"])
                for r in map(json.loads, gzip.decompress(blob).decode().splitlines())
            )
        assert got == multiset(read_jsonl_folder(local / folder)), folder
    assert fs.exists("ray-out/dedup/stats.json") and fs.exists("ray-out/dedup/ray/tasks.json")


def test_worker_killed_mid_task_is_retried(ray_address, local_sample, tmp_path):
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
        read_jsonl_folder(local_sample / "output")
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
