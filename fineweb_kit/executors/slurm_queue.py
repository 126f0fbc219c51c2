"""What Slurm says about our jobs: states of array tasks, read with ``squeue -t all``.

No ``sacct``: clusters without accounting storage (and the test cluster) lack it. Finished jobs
stay visible to ``squeue -t all`` for MinJobAge seconds (default 300 s, often more); after that
a job is forgotten and only the run folder's markers tell what happened.

``jobs.json`` (written by the Slurm executor) maps each stage to the array job parts submitted
for it last: ``{"job_id", "offset", "ranks"}``; array index ``i`` of a part runs rank
``i + offset``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fineweb_kit.exceptions import FinewebKitError

ACTIVE = frozenset(
    {
        "PENDING",
        "RUNNING",
        "CONFIGURING",
        "COMPLETING",
        "SUSPENDED",
        "REQUEUED",
        "REQUEUE_FED",
        "REQUEUE_HOLD",
        "RESIZING",
        "SIGNALING",
        "STAGE_OUT",
        "STOPPED",
        "RESV_DEL_HOLD",
    }
)
JOBS_FILE = Path("slurm") / "jobs.json"


@dataclass(frozen=True)
class TaskState:
    """One array task (or a plain job, ``index`` None) as Slurm reports it."""

    job_id: str
    index: int | None
    state: str
    reason: str

    @property
    def active(self) -> bool:
        return self.state in ACTIVE


def expand_indices(spec: str) -> list[int]:
    """``"0-2,5"`` (squeue's %K, maybe with a ``%N`` throttle) -> [0, 1, 2, 5]."""
    spec = spec.strip().split("%")[0].strip("[]")
    out: list[int] = []
    for piece in filter(None, spec.split(",")):
        lo, _, hi = piece.partition("-")
        step = 1
        if ":" in hi:
            hi, _, s = hi.partition(":")
            step = int(s)
        out.extend(range(int(lo), int(hi or lo) + 1, step))
    return out


def compress_indices(indices: list[int]) -> str:
    """[0, 1, 2, 5] -> ``"0-2,5"`` (an sbatch --array list)."""
    pieces: list[str] = []
    values = sorted(set(indices))
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[j] + 1:
            j += 1
        pieces.append(str(values[i]) if i == j else f"{values[i]}-{values[j]}")
        i = j + 1
    return ",".join(pieces)


def query_tasks(job_ids: list[str]) -> list[TaskState]:
    """Every array task of ``job_ids`` that Slurm still knows (pending ranges expanded)."""
    if not job_ids:
        return []
    if shutil.which("squeue") is None:
        raise FinewebKitError("squeue not found: run this where the Slurm client commands are")
    cmd = ["squeue", "-t", "all", "-h", "-j", ",".join(job_ids), "-o", "%F|%K|%T|%r"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        if "Invalid job id" in proc.stderr:  # all of them finished long ago and were purged
            return []
        raise FinewebKitError(f"{' '.join(cmd)} failed: {proc.stderr.strip()}")
    return parse_squeue(proc.stdout)


def parse_squeue(text: str) -> list[TaskState]:
    """Parses ``squeue -o '%F|%K|%T|%r'`` lines."""
    out: list[TaskState] = []
    for line in text.splitlines():
        parts = line.strip().split("|")
        if len(parts) != 4:
            continue
        job, indices, state, reason = parts
        if indices in ("N/A", ""):
            out.append(TaskState(job, None, state, reason))
        else:
            out.extend(TaskState(job, i, state, reason) for i in expand_indices(indices))
    return out


def read_jobs(output: str | Path) -> dict[str, Any] | None:
    """The run's ``slurm/jobs.json``, or None for a run never submitted to Slurm."""
    path = Path(output) / JOBS_FILE
    return json.loads(path.read_text()) if path.is_file() else None


def all_job_ids(jobs: dict[str, Any]) -> list[str]:
    ids = [p["job_id"] for parts in jobs.get("stages", {}).values() for p in parts]
    return ids + ([jobs["stats_job"]] if jobs.get("stats_job") else [])


@dataclass
class RankState:
    """Slurm's view of one rank of a stage: its state, and where its Slurm log is."""

    rank: int
    state: str
    reason: str
    job_id: str
    log: Path


def stage_ranks(
    output: str | Path, stage: str, parts: list[dict[str, Any]], tasks: list[TaskState]
) -> list[RankState]:
    """Maps Slurm's array tasks back to the stage's ranks (unknown ranks are left out)."""
    by_key = {(t.job_id, t.index): t for t in tasks}
    out = []
    for part in parts:
        for rank in part["ranks"]:
            index = rank - part["offset"]
            t = by_key.get((part["job_id"], index))
            if t is not None:
                log = Path(output) / "logs" / stage / f"slurm_{part['job_id']}_{index}.out"
                out.append(RankState(rank, t.state, t.reason, part["job_id"], log))
    return out
