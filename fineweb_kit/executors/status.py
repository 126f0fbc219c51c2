"""Where a run stands: per stage, input files done, tasks failed (with their logs), pending.

Read from the run folder's markers (see ``executors/state.py``), so it works for local runs.
For a run submitted to Slurm (``OUTPUT/slurm/jobs.json`` exists), each stage also shows what
``squeue -t all`` says about its array tasks: running, pending, failed, cancelled (with the
Slurm log of every failed task). Nothing is written.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from fineweb_kit.exceptions import FinewebKitError
from fineweb_kit.executors.ray_tasks import read_task_states
from fineweb_kit.executors.slurm_queue import RankState, query_tasks, read_jobs, stage_ranks
from fineweb_kit.executors.state import RunFolder
from fineweb_kit.io import storage
from fineweb_kit.io.storage import AnyPath

# squeue states grouped the way `status` reports them
_GROUPS = {
    "RUNNING": "running",
    "COMPLETING": "running",
    "CONFIGURING": "running",
    "PENDING": "pending",
    "REQUEUED": "pending",
    "COMPLETED": "completed",
    "CANCELLED": "cancelled",
}


_RAY_STATES = ("done", "running", "pending", "retrying", "failed")


@dataclass
class StageStatus:
    name: str
    inputs: int | None
    files_done: int
    tasks_done: int
    failed: list[dict] = field(default_factory=list)
    slurm: list[RankState] | None = None  # None: not a Slurm run (or Slurm forgot the jobs)
    slurm_jobs: list[str] = field(default_factory=list)
    ray: dict[str, dict] | None = None  # rank -> last recorded Ray task state; None: not Ray

    @property
    def complete(self) -> bool:
        return self.inputs is not None and self.files_done >= self.inputs and not self.failed

    def slurm_groups(self) -> dict[str, list[RankState]]:
        out: dict[str, list[RankState]] = {}
        for r in self.slurm or []:
            out.setdefault(_GROUPS.get(r.state, "failed"), []).append(r)
        return out


def run_status(output: str | Path) -> list[StageStatus]:
    folder = RunFolder(output)
    config = folder.config()
    out = []
    for i, stage in enumerate(config["stages"]):
        name = str(stage.get("name", f"stage{i}"))
        inputs_file = folder.stage_dir(name) / "inputs.json"
        inputs = len(json.loads(inputs_file.read_text())) if inputs_file.is_file() else None
        errors: list[AnyPath] = sorted((folder.stage_dir(name) / "errors").glob("*.json"))
        failed = [json.loads(p.read_text()) for p in errors]
        done_tasks = folder.done_tasks(name)
        files_done = len(folder.done_files(name))
        if done_tasks and inputs is not None:  # whole-task stages count their tasks' inputs
            files_done = sum(
                len(json.loads(folder.task_marker(name, r).read_text())["inputs"])
                for r in done_tasks
            )
        out.append(StageStatus(name, inputs, files_done, len(done_tasks), failed))
    _add_slurm(folder.root, out)
    ray_states = read_task_states(folder.root)
    for st in out:
        if st.name in ray_states:
            st.ray = ray_states[st.name]
    return out


def _add_slurm(output: AnyPath, stages: list[StageStatus]) -> None:
    """Adds Slurm's view of each stage's last submitted array tasks (if any were)."""
    if storage.is_remote(output):  # Slurm runs keep their run folder on a shared file system
        return
    local = storage.local_path(output)
    jobs = read_jobs(local)
    if not jobs:
        return
    ids = [p["job_id"] for parts in jobs.get("stages", {}).values() for p in parts]
    try:
        tasks = query_tasks(ids)
    except FinewebKitError as e:  # no Slurm client here: the markers still tell a lot
        print(f"note: cannot ask Slurm about jobs {', '.join(ids)}: {e}", file=sys.stderr)
        return
    for st in stages:
        parts = jobs["stages"].get(st.name)
        if parts:
            st.slurm_jobs = [p["job_id"] for p in parts]
            st.slurm = stage_ranks(local, st.name, parts, tasks)


def format_status(stages: list[StageStatus]) -> str:
    lines = []
    for st in stages:
        total = "?" if st.inputs is None else str(st.inputs)
        state = "complete" if st.complete else ("FAILED" if st.failed else "incomplete")
        lines.append(f"stage {st.name}: {st.files_done}/{total} input files done, {state}")
        for f in st.failed:
            for failure in f.get("failures", []):
                lines.append(
                    f"  task {f['rank']} failed: {failure['file'] or '(task)'}: {failure['error']}"
                )
            lines.append(f"    log: {f.get('log')}")
        lines.extend(_slurm_lines(st))
        lines.extend(_ray_lines(st))
    return "\n".join(lines)


def _ray_lines(st: StageStatus) -> list[str]:
    if not st.ray:
        return []
    by_state: dict[str, list[str]] = {}
    for rank, entry in sorted(st.ray.items(), key=lambda kv: int(kv[0])):
        by_state.setdefault(entry["state"], []).append(rank)
    counts = ", ".join(f"{len(by_state.get(s, []))} {s}" for s in _RAY_STATES if s in by_state)
    lines = [f"  ray tasks: {counts}"]
    for rank, entry in sorted(st.ray.items(), key=lambda kv: int(kv[0])):
        if entry["state"] in ("failed", "retrying"):
            lines.append(
                f"  ray task {rank} {entry['state']} after attempt {entry['attempt']}: "
                f"{entry.get('error', '')}"
            )
    return lines


def _slurm_lines(st: StageStatus) -> list[str]:
    if st.slurm is None:
        return []
    jobs = ", ".join(st.slurm_jobs)
    if not st.slurm:
        return [f"  slurm job {jobs}: no longer known to Slurm (see the markers above)"]
    groups = st.slurm_groups()
    counts = ", ".join(
        f"{len(groups.get(g, []))} {g}"
        for g in ("completed", "running", "pending", "failed", "cancelled")
    )
    lines = [f"  slurm job {jobs}: {counts}"]
    for r in groups.get("failed", []):
        lines.append(f"  task {r.rank} {r.state} ({r.reason}): slurm log {r.log}")
    cancelled = groups.get("cancelled", [])
    if cancelled:
        reasons = sorted({r.reason for r in cancelled})
        lines.append(
            f"  {len(cancelled)} task(s) cancelled ({', '.join(reasons)}): "
            "an earlier stage failed, or scancel; rerun the same `run` to resubmit"
        )
    return lines
