"""Dedup folders in a bucket (io/work_folder.py, dedup/publish.py, moto S3 on 127.0.0.1): the
MinHash recipe and exact and sentence dedup with an ``s3://`` output write intermediate files
identical, byte for byte, to a local run's and the same kept and removed documents; a run
killed with SIGKILL in the bucket stage and rerun loses nothing; runs an earlier attempt left
are deleted."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.dedup.pipeline import key_pipeline, minhash_pipeline
from tests.io.test_s3_pipeline import _jsonl_records
from tests.pipeline.helpers import cli, split_cc_docs, write_pipeline
from tests.s3 import cli_env

pytestmark = pytest.mark.slow  # full dedup pipelines against the server


def _local_tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }


def _remote_tree(fs, prefix: str) -> dict[str, bytes]:
    fs.invalidate_cache()
    return {k[len(prefix) + 1 :]: fs.cat_file(k) for k in fs.find(prefix)}


def _records(root: Path) -> Counter:
    return _jsonl_records([p.read_bytes() for p in sorted(root.glob("*.jsonl.gz"))])


def _remote_records(fs, prefix: str) -> Counter:
    return _jsonl_records([b for k, b in _remote_tree(fs, prefix).items() if k.endswith(".gz")])


def _assert_same_as_local(fs, remote: str, local: Path, folders: dict[str, str]) -> None:
    """Every intermediate file equal byte for byte (tmp/ is the merge's scratch, removed),
    the same documents kept and removed, no temporary key left."""
    for folder, kind in folders.items():
        if kind == "bytes":
            want = {k: v for k, v in _local_tree(local / folder).items() if "tmp/" not in k}
            got = _remote_tree(fs, f"{remote}/{folder}")
            assert sorted(got) == sorted(want), folder
            assert got == want, folder
        else:
            assert _remote_records(fs, f"{remote}/{folder}") == _records(local / folder), folder
    assert not [k for k in fs.find(remote) if k.endswith(".tmp")]


def _kill_after_first_marker(fs, args: list[str], env: dict, markers: str) -> set[str]:
    """Runs ``fineweb-kit ARGS``, SIGKILLs it once ``markers`` (a stage's file markers) holds
    one, before the stage ends; returns the marker names then present."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "fineweb_kit", *args], cwd=REPO, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and proc.poll() is None:
        fs.invalidate_cache()
        if fs.exists(markers) and fs.ls(markers):
            break
        time.sleep(0.05)
    assert proc.poll() is None, f"the run ended before it could be killed: {proc.stderr.read()}"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    fs.invalidate_cache()
    return {k.rsplit("/", 1)[1] for k in fs.ls(markers)}


@pytest.fixture(scope="module")
def docs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("docs") / "in"
    split_cc_docs(folder, 3, limit=600)
    return folder


def test_minhash_to_bucket_is_the_local_run_and_survives_kill_9(s3_sample, docs, tmp_path):
    endpoint, fs = s3_sample
    # a small memory budget: several sorted runs per input file and bucket
    config = minhash_pipeline(docs, tmp_path / "local", budget_mb=0.05, tasks=3)
    cfg = write_pipeline(tmp_path / "minhash.yaml", config)
    cli("run", str(cfg), "--plain", check=True)
    local = tmp_path / "local"
    assert len(list((local / "minhash/signatures/bucket_000").glob("*.sig"))) > 3
    assert _records(local / "removed"), "the sample has near-duplicates"

    remote = "out-bucket/minhash"
    args = ["run", str(cfg), "--output", f"s3://{remote}", "--workers", "1", "--plain"]
    env = cli_env(endpoint, tmp_path)
    done = _kill_after_first_marker(fs, args, env, f"{remote}/_state/signatures/files")
    # a run an earlier, unfinished attempt at an unfinished file left beyond this attempt's
    # runs (as with a larger memory budget): must be deleted when that file is redone
    parts = sorted(p.stem for p in (local / "minhash/signatures/docs").glob("*.docs"))
    todo = next(p for i, p in enumerate(parts) if f"{i:05d}.json" not in done)
    stale = f"{remote}/minhash/signatures/bucket_003/{todo}.r0042.sig"
    fs.pipe_file(stale, b"left by a killed attempt")
    _kill_after_first_marker(fs, args, env, f"{remote}/_state/buckets/files")
    cli(*args, check=True, env=env)
    assert not fs.exists(stale)
    _assert_same_as_local(
        fs, remote, local, {"minhash": "bytes", "deduped": "records", "removed": "records"}
    )


@pytest.mark.parametrize("method", ["exact", "sentence"])
def test_key_dedup_to_bucket_is_the_local_run(s3_sample, docs, tmp_path, method):
    endpoint, fs = s3_sample
    local = tmp_path / "local"
    cfg = write_pipeline(tmp_path / "p.yaml", key_pipeline(method, docs, local))
    cli("run", str(cfg), "--plain", check=True)
    remote = f"out-bucket/{method}"
    env = cli_env(endpoint, tmp_path)
    cli("run", str(cfg), "--output", f"s3://{remote}", "--plain", check=True, env=env)
    folder = f"{'exact' if method == 'exact' else 'sentence'}_dedup"
    assert (local / folder / "clusters" / "summary.json").is_file()
    _assert_same_as_local(
        fs, remote, local, {folder: "bytes", "kept": "records", "removed": "records"}
    )
