"""kill -9 during each MinHash stage; the rerun completes with identical final output."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO
from tests.dedup.corpus import build_corpus, write_files
from tests.dedup.pipeline import minhash_pipeline
from tests.pipeline.helpers import cli, read_jsonl_folder, write_pipeline

STAGES = ["signatures", "buckets", "cluster", "filter"]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("resume")
    docs = build_corpus(n_planted=150, n_boiler=20, max_chars=1500)[:1200]
    write_files(docs, root / "in", 12)
    ref = root / "ref"
    cfg = write_pipeline(root / "ref.yaml", _pipeline(root, ref))
    cli("run", str(cfg), "--plain", check=True)
    return root, _outputs(ref)


def _pipeline(root, out):
    # one task, small budget: many units and runs, so a kill lands between commits
    return minhash_pipeline(root / "in", out, tasks=1, budget_mb=0.1)


def _outputs(out):
    return {f: read_jsonl_folder(out / f) for f in ("deduped", "removed")}


def _marker_count(out, stage):
    folder = out / "_state" / stage / "files"
    return len(list(folder.glob("*.json"))) if folder.is_dir() else 0


@pytest.mark.parametrize("stage", STAGES)
def test_kill_during_stage_then_resume(setup, tmp_path, stage):
    root, reference = setup
    out = tmp_path / "out"
    cfg = write_pipeline(tmp_path / "p.yaml", _pipeline(root, out))
    for before in STAGES[: STAGES.index(stage)]:
        cli("run", str(cfg), "--plain", "--stage", before, check=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "fineweb_kit", "run", str(cfg), "--plain", "--stage", stage],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    # kill after the first unit of work committed; the single-unit cluster stage as soon as
    # it has started writing (it takes milliseconds here, so it may also finish first)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if stage == "cluster" and (out / "minhash" / "clusters").is_dir():
            break
        if stage != "cluster" and _marker_count(out, stage) >= 1:
            break
        time.sleep(0.002)
    killed = proc.poll() is None
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    if stage != "cluster":
        assert killed, "the stage finished before it could be killed"
    cli("run", str(cfg), "--plain", check=True)
    assert _outputs(out) == reference
