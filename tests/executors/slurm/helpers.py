"""Helpers for the Slurm tests: pipelines, waiting for a run's jobs."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

TERMINAL = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY"}


def copy_stage(name: str, paths: str, folder: str, tasks: int, writer: str = "JsonlWriter"):
    return {
        "name": name,
        "tasks": tasks,
        "steps": [
            {"type": "JsonlReader", "paths": paths},
            {"type": writer, "output_folder": folder},
        ],
    }


def two_stage_pipeline(inputs: Path, output: Path, tasks: int = 3) -> dict:
    """Stage ``copy`` copies the inputs to ``mid/``; stage ``final`` reads ``{output}/mid``."""
    return {
        "name": "two-stage",
        "output": str(output),
        "executor": {"type": "slurm", "time": "10", "cpus_per_task": 1, "mem_per_cpu_gb": 0.5},
        "stages": [
            copy_stage("copy", str(inputs / "*.jsonl.gz"), "mid", tasks),
            copy_stage("final", "{output}/mid/*.jsonl.gz", "final", 2),
        ],
    }


def job_states(output: Path) -> dict[str, list[str]]:
    """Per job id of the run's last submission, the states of its tasks (own squeue call)."""
    jobs = json.loads((output / "slurm" / "jobs.json").read_text())
    ids = [p["job_id"] for parts in jobs["stages"].values() for p in parts] + [jobs["stats_job"]]
    proc = subprocess.run(
        ["squeue", "-t", "all", "-h", "-j", ",".join(ids), "-o", "%F %T"],
        capture_output=True,
        text=True,
        check=True,
    )
    states: dict[str, list[str]] = {i: [] for i in ids}
    for line in proc.stdout.splitlines():
        job, state = line.split()
        states[job].append(state)
    return states


def wait_jobs(output: Path, timeout: float = 90) -> dict[str, list[str]]:
    """Polls squeue until every job of the run's last submission has ended."""
    deadline = time.monotonic() + timeout
    while True:
        states = job_states(output)
        if all(s and set(s) <= TERMINAL for s in states.values()):
            return states
        if time.monotonic() > deadline:
            raise AssertionError(f"jobs still not finished after {timeout}s: {states}")
        time.sleep(0.3)
