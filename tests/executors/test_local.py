"""Local executor: outputs, stats, failures, refusals, and kill -9 resume on real documents."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO
from tests.pipeline.helpers import cli, multiset, read_jsonl_folder, split_cc_docs, write_pipeline


def _copy_pipeline(tmp_path, inputs, tasks=2, workers=1, output=None) -> dict:
    return {
        "name": "copy",
        "output": str(output or tmp_path / "out"),
        "executor": {"type": "local", "tasks": tasks, "workers": workers},
        "stages": [
            {
                "name": "copy",
                "steps": [
                    {"type": "JsonlReader", "paths": str(inputs / "*.jsonl.gz")},
                    {"type": "JsonlWriter", "output_folder": "docs"},
                ],
            }
        ],
    }


@pytest.mark.parametrize("workers", [1, 2])
def test_every_document_written_once_with_stats(tmp_path, workers):
    docs = split_cc_docs(tmp_path / "in", 5)
    cfg = write_pipeline(tmp_path / "p.yaml", _copy_pipeline(tmp_path, tmp_path / "in", 3, workers))
    cli("run", str(cfg), "--plain", check=True)
    out = tmp_path / "out"
    assert multiset(read_jsonl_folder(out / "docs")) == multiset(docs)
    stats = json.loads((out / "stats.json").read_text())
    reader, writer = stats["stages"][0]["steps"]
    assert reader["counters"]["documents_out"] == len(docs) == writer["counters"]["documents_out"]
    # a rerun does nothing and keeps the same stats
    proc = cli("run", str(cfg), "--plain", check=True)
    assert "5 done before" in proc.stderr
    assert json.loads((out / "stats.json").read_text()) == stats


def test_other_config_in_same_output_is_refused(tmp_path):
    split_cc_docs(tmp_path / "in", 2, limit=50)
    cfg = _copy_pipeline(tmp_path, tmp_path / "in")
    cli("run", str(write_pipeline(tmp_path / "a.yaml", cfg)), check=True)
    cfg["stages"][0]["steps"][1]["compression"] = "none"
    proc = cli("run", str(write_pipeline(tmp_path / "b.yaml", cfg)))
    assert proc.returncode == 2
    assert "holds results of another configuration" in proc.stderr


def test_missing_input_and_unwritable_output_fail_before_work(tmp_path):
    cfg = _copy_pipeline(tmp_path, tmp_path / "nothing-here")
    proc = cli("run", str(write_pipeline(tmp_path / "a.yaml", cfg)))
    assert proc.returncode == 1 and "no input file matches" in proc.stderr
    split_cc_docs(tmp_path / "in", 1, limit=5)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    cfg = _copy_pipeline(tmp_path, tmp_path / "in", output=blocker / "out")
    proc = cli("run", str(write_pipeline(tmp_path / "b.yaml", cfg)))
    assert proc.returncode == 2 and "not writable" in proc.stderr


def test_failed_file_is_reported_and_others_finish(tmp_path):
    docs = split_cc_docs(tmp_path / "in", 4, limit=200)
    bad = tmp_path / "in" / "in-002.jsonl.gz"
    good_bytes = bad.read_bytes()
    bad.write_bytes(good_bytes[: len(good_bytes) // 2])  # truncated gzip
    cfg = write_pipeline(tmp_path / "p.yaml", _copy_pipeline(tmp_path, tmp_path / "in", 2, 2))
    proc = cli("run", str(cfg), "--plain")
    assert proc.returncode == 1
    assert "in-002.jsonl.gz" in proc.stderr and "task 0" in proc.stderr
    assert "log: " in proc.stderr
    written = read_jsonl_folder(tmp_path / "out" / "docs")
    assert len({r["id"] for r in written}) >= 150  # the three good files are done
    assert not list((tmp_path / "out" / "docs").glob("00002_*"))  # nothing half-written visible
    status = cli("status", str(tmp_path / "out"))
    assert status.returncode == 1
    assert "3/4 input files done, FAILED" in status.stdout
    assert "in-002.jsonl.gz" in status.stdout and "task_00000.log" in status.stdout
    bad.write_bytes(good_bytes)  # fix the input: the rerun completes only what was missing
    proc = cli("run", str(cfg), "--plain", check=True)
    assert "3 done before" in proc.stderr
    assert multiset(read_jsonl_folder(tmp_path / "out" / "docs")) == multiset(docs)


@pytest.mark.parametrize("workers", [1, 2])
def test_kill_9_then_resume_loses_and_duplicates_nothing(tmp_path, workers):
    docs = split_cc_docs(tmp_path / "in", 24)
    cfg = write_pipeline(tmp_path / "p.yaml", _copy_pipeline(tmp_path, tmp_path / "in", 4, workers))
    rng = random.Random(1234 + workers)
    killed_mid_run = 0
    for _ in range(3):
        # kill -9 the whole process tree a random moment after the k-th file finished
        proc = subprocess.Popen(
            [sys.executable, "-m", "fineweb_kit", "run", str(cfg), "--plain"],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        k, seen = rng.randint(1, 6), 0
        for line in proc.stderr:
            seen += " done " in line
            if seen >= k:
                time.sleep(rng.uniform(0, 0.05))
                break
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            killed_mid_run += 1
        proc.wait()
        proc.stderr.close()
    cli("run", str(cfg), "--plain", check=True)
    out = tmp_path / "out"
    assert multiset(read_jsonl_folder(out / "docs")) == multiset(docs)
    assert killed_mid_run >= 1
    stats = json.loads((out / "stats.json").read_text())
    assert stats["stages"][0]["steps"][0]["counters"]["documents_out"] == len(docs)


def test_workers_share_the_cores_among_rust_threads(monkeypatch):
    from fineweb_kit.executors import local

    monkeypatch.delenv("RAYON_NUM_THREADS", raising=False)
    local._init_worker(None, 3)
    assert os.environ["RAYON_NUM_THREADS"] == "3"
    monkeypatch.setenv("RAYON_NUM_THREADS", "7")  # the user's setting wins
    local._init_worker(None, 3)
    assert os.environ["RAYON_NUM_THREADS"] == "7"
