"""Helpers for pipeline tests: small real inputs, running the CLI, reading outputs."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import yaml

from tests.conftest import REPO, SHARED_DATA


def split_cc_docs(folder: Path, n_files: int, limit: int | None = None) -> list[dict]:
    """Writes the real cc-docs documents round-robin into ``n_files`` JSONL.gz files."""
    docs = []
    for path in sorted((SHARED_DATA / "cc-docs").glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            docs.extend(json.loads(line) for line in f)
    docs = docs[:limit] if limit else docs
    folder.mkdir(parents=True, exist_ok=True)
    outs = [
        gzip.open(folder / f"in-{i:03d}.jsonl.gz", "wt", encoding="utf-8") for i in range(n_files)
    ]
    for i, d in enumerate(docs):
        outs[i % n_files].write(json.dumps(d) + "\n")
    for f in outs:
        f.close()
    return docs


def local_pipeline(name: str, output: Path, stages: dict[str, list[dict]], tasks: int = 2) -> dict:
    """A pipeline mapping run by the local executor (``tasks`` tasks, one worker process):
    ``stages`` maps each stage's name to its steps, in order."""
    return {
        "name": name,
        "output": str(output),
        "executor": {"type": "local", "tasks": tasks, "workers": 1},
        "stages": [{"name": stage, "steps": steps} for stage, steps in stages.items()],
    }


def write_pipeline(path: Path, config: dict) -> Path:
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def cli(*args: str, check: bool = False, **kwargs) -> subprocess.CompletedProcess:
    """Runs ``python -m fineweb_kit ARGS`` from the repository root."""
    proc = subprocess.run(
        [sys.executable, "-m", "fineweb_kit", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        **kwargs,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def read_jsonl_folder(folder: Path) -> list[dict]:
    """All records of the visible ``*.jsonl.gz`` parts of a folder."""
    records = []
    for path in sorted(folder.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            records.extend(json.loads(line) for line in f)
    return records


def multiset(records: list[dict]) -> Counter:
    return Counter((r["id"], r["text"]) for r in records)
