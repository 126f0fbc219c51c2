"""The Slurm executor: each stage is one sbatch array job, one array task per executor task.

``fineweb-kit run x.yaml`` with ``executor: {type: slurm, ...}`` (or ``--executor slurm``):

1. validates everything first: the config (exit 2), the first stage's inputs (exit 1), that
   ``sbatch`` exists -- nothing is submitted when any of this fails;
2. claims the output folder (same rules as the local executor) and writes there
   ``slurm/pipeline.yaml``: the resolved config (overrides applied, paths absolute, safe YAML);
3. per stage, finds the ranks still to do (a rank with an input file lacking its marker, or,
   for whole-task stages, lacking its task marker; all ranks of a stage never started) and
   writes ``slurm/<NN>_<stage>[.partK].sh``: an array job whose task ``i`` runs
   ``<python> -m fineweb_kit run OUTPUT/slurm/pipeline.yaml --stage S --rank i+offset``
   (the submitting interpreter, same PYTHONPATH; each task re-reads the YAML, nothing pickled).
   Arrays larger than ``max_array_size`` (default: MaxArraySize of ``scontrol show config``,
   else 1001) are split into parts, each with its own offset;
4. submits all of them held (``sbatch -H``), each stage ``--dependency=afterok:<all parts of
   the previous submitted stage>`` with ``--kill-on-invalid-dep=yes`` (a failed stage cancels
   the later ones), plus one small ``stats`` job (``afterany`` on everything) that merges the
   markers into ``stats.json`` (``run ... --merge-stats``); then releases them. If any sbatch
   fails, the jobs already submitted are cancelled before they could start;
5. records the job ids in ``slurm/jobs.json`` and returns (``--wait``: polls ``squeue`` until
   all are finished; exit 1 when any task failed).

Array task logs go to ``OUTPUT/logs/<stage>/slurm_<jobid>_<index>.out`` next to the task's own
``task_<rank>.log``. ``--dry-run`` prints the sbatch commands and scripts, submits nothing,
writes nothing.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from fineweb_kit.exceptions import ConfigError, FinewebKitError
from fineweb_kit.executors.plan import RunPlan
from fineweb_kit.executors.slurm_config import DEFAULT_MAX_ARRAY, sbatch_options
from fineweb_kit.executors.slurm_queue import (
    JOBS_FILE,
    all_job_ids,
    compress_indices,
    query_tasks,
    read_jobs,
)
from fineweb_kit.executors.state import RunFolder
from fineweb_kit.executors.status import format_status, run_status
from fineweb_kit.io.files import atomic_write
from fineweb_kit.pipeline.spec import parse_pipeline


# --- what to submit ---------------------------------------------------------------------------
@dataclass
class ArrayPart:
    """One sbatch array job: some ranks of a stage, array index = rank - offset."""

    stage_index: int
    stage: str
    ranks: list[int]
    offset: int
    script_path: Path
    script: str = ""
    job_id: str | None = None


def resolve_config(raw: dict[str, Any], cwd: Path) -> dict[str, Any]:
    """A copy of the config with the output folder and readers' ``paths`` made absolute."""
    out = copy.deepcopy(raw)
    output = str(raw["output"])
    out["output"] = output if "://" in output else str((cwd / os.path.expanduser(output)).resolve())
    for stage in out.get("stages", []):
        for step in stage.get("steps", []):
            if isinstance(step, dict) and "paths" in step:
                paths = step["paths"]
                absolute = [
                    _abs_path(p, cwd) for p in (paths if isinstance(paths, list) else [paths])
                ]
                step["paths"] = absolute if isinstance(paths, list) else absolute[0]
    return out


def _abs_path(p: Any, cwd: Path) -> Any:
    if not isinstance(p, str) or p.startswith("{output}") or "://" in p:
        return p
    return str(cwd / os.path.expanduser(p))


def reads_output(stage_raw: dict[str, Any]) -> bool:
    """Whether the stage's first reader reads ``{output}/...`` (files of an earlier stage)."""
    steps = stage_raw.get("steps") or [{}]
    paths = steps[0].get("paths", []) if isinstance(steps[0], dict) else []
    return any("{output}" in str(p) for p in (paths if isinstance(paths, list) else [paths]))


def unfinished_ranks(plan: RunPlan, stage_index: int, n_files: int | None = None) -> list[int]:
    """Ranks with work left: per the markers, exactly what a rerun of the task would do.
    ``n_files``: the stage's input count when just listed (not yet in inputs.json)."""
    stage = plan.pipeline.stages[stage_index]
    folder, tasks = RunFolder(plan.output), plan.tasks(stage_index)
    if stage.whole_task:
        done = folder.done_tasks(stage.name)
        return [r for r in range(tasks) if r not in done]
    inputs = folder.stage_dir(stage.name) / "inputs.json"
    if inputs.is_file():
        n_files = len(json.loads(inputs.read_text()))
    if n_files is None:  # reads an earlier stage's output: not listable before that ran
        return list(range(tasks))
    done = folder.done_files(stage.name)
    return sorted({i % tasks for i in range(n_files) if i not in done})


def split_ranks(ranks: list[int], max_array_size: int) -> list[tuple[int, list[int]]]:
    """Groups ranks into arrays whose indices (rank - offset) stay below ``max_array_size``."""
    groups: dict[int, list[int]] = {}
    for r in sorted(ranks):
        groups.setdefault(r // max_array_size * max_array_size, []).append(r)
    return sorted(groups.items())


def max_array_size(ex: dict[str, Any]) -> int:
    """executor.max_array_size, else the cluster's MaxArraySize, else 1001."""
    if ex.get("max_array_size"):
        return int(ex["max_array_size"])
    if shutil.which("scontrol") is None:
        return DEFAULT_MAX_ARRAY
    try:
        proc = subprocess.run(
            ["scontrol", "show", "config"], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return DEFAULT_MAX_ARRAY
    m = re.search(r"^MaxArraySize\s*=\s*(\d+)", proc.stdout, re.MULTILINE)
    return int(m.group(1)) if m and int(m.group(1)) > 0 else DEFAULT_MAX_ARRAY


# --- scripts ----------------------------------------------------------------------------------
def _python_path() -> str:
    """PYTHONPATH for the jobs: this process's, plus where this fineweb_kit was imported from
    (unless that is an installed site-packages, which the interpreter finds by itself)."""
    import fineweb_kit

    root = str(Path(fineweb_kit.__file__).resolve().parent.parent)
    current = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if "-packages" not in Path(root).name and root not in current:
        current.insert(0, root)
    return os.pathsep.join(current)


def _directives(ex: dict[str, Any], name: str, output: str) -> list[str]:
    lines = [f"--job-name={name}", f"--output={output}", "--kill-on-invalid-dep=yes"]
    if ex.get("partition"):
        lines.append(f"--partition={ex['partition']}")
    if ex.get("time") is not None:
        lines.append(f"--time={ex['time']}")
    return lines + sbatch_options(ex.get("sbatch_args") or {})


def render_script(plan: RunPlan, part: ArrayPart, config_path: Path, cwd: Path) -> str:
    """The sbatch script of one array part."""
    ex = plan.executor
    indices = [r - part.offset for r in part.ranks]
    array = compress_indices(indices) + (
        f"%{ex['max_concurrent']}" if ex.get("max_concurrent") else ""
    )
    name = f"{ex.get('job_name') or 'fwk-' + plan.pipeline.name}-{part.stage}"
    log = plan.output / "logs" / part.stage / "slurm_%A_%a.out"
    opts = [f"--array={array}", *_directives(ex, name, str(log)), f"--chdir={cwd}"]
    opts.append(f"--cpus-per-task={ex.get('cpus_per_task', 1)}")
    if ex.get("mem_per_cpu_gb"):
        opts.append(f"--mem-per-cpu={max(1, round(float(ex['mem_per_cpu_gb']) * 1024))}M")
    command = [sys.executable, "-m", "fineweb_kit", "run", str(config_path)]
    command += ["--stage", part.stage, "--rank"]
    body = [
        f"# fineweb-kit pipeline {plan.pipeline.name!r}, stage {part.stage!r}: "
        f"ranks {compress_indices(part.ranks)} (rank = array index + {part.offset})",
        "set -eu",
        f"export PYTHONPATH={shlex.quote(_python_path())}",
        *ex.get("setup", []),
        f"RANK=$((SLURM_ARRAY_TASK_ID + {part.offset}))",
        f'exec {shlex.join(command)} "$RANK"',
    ]
    return _script(opts, body)


def render_stats_script(plan: RunPlan, config_path: Path, cwd: Path) -> str:
    """The small job that merges every marker into stats.json once all stages ended."""
    ex = plan.executor
    name = f"{ex.get('job_name') or 'fwk-' + plan.pipeline.name}-stats"
    log = plan.output / "logs" / "slurm_stats_%j.out"
    opts = [*_directives(ex, name, str(log)), f"--chdir={cwd}", "--cpus-per-task=1"]
    command = [sys.executable, "-m", "fineweb_kit", "run", str(config_path), "--merge-stats"]
    body = [
        f"# fineweb-kit pipeline {plan.pipeline.name!r}: merge the markers into stats.json",
        "set -eu",
        f"export PYTHONPATH={shlex.quote(_python_path())}",
        *ex.get("setup", []),
        f"exec {shlex.join(command)}",
    ]
    return _script(opts, body)


def _script(opts: list[str], body: list[str]) -> str:
    return "\n".join(["#!/bin/bash", *(f"#SBATCH {o}" for o in opts), "", *body, ""])


def plan_parts(
    plan: RunPlan, stages: list[int], slurm_dir: Path, listed: dict[int, list[str]]
) -> list[list[ArrayPart]]:
    """Per selected stage, the array parts to submit (empty when the stage is done)."""
    limit = max_array_size(plan.executor)
    out = []
    for i in stages:
        name = plan.pipeline.stages[i].name
        n_files = len(listed[i]) if i in listed else None
        groups = split_ranks(unfinished_ranks(plan, i, n_files), limit)
        parts = []
        for k, (offset, ranks) in enumerate(groups):
            suffix = f".part{k}" if len(groups) > 1 else ""
            path = slurm_dir / f"{i:02d}_{_safe(name)}{suffix}.sh"
            parts.append(ArrayPart(i, name, ranks, offset, path))
        out.append(parts)
    return out


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)


# --- submission -------------------------------------------------------------------------------
def sbatch(script: Path, dependency: str | None) -> str:
    """Submits one held job; returns its id."""
    cmd = ["sbatch", "--parsable", "--hold"]
    if dependency:
        cmd.append(f"--dependency={dependency}")
    proc = subprocess.run([*cmd, str(script)], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise FinewebKitError(f"sbatch {script} failed: {proc.stderr.strip() or proc.stdout}")
    return proc.stdout.strip().split(";")[0]


def _dependency(kind: str, ids: list[str]) -> str | None:
    return f"{kind}:{':'.join(ids)}" if ids else None


def submit_parts(
    stage_parts: list[list[ArrayPart]], stats_script: Path | None
) -> tuple[list[ArrayPart], str | None]:
    """Submits every part held, in order, then releases them all. On any failure the jobs
    already submitted are cancelled (none of them can have started) and the error raised."""
    submitted: list[str] = []
    done: list[ArrayPart] = []
    previous: list[str] = []
    try:
        for parts in stage_parts:
            if not parts:
                continue
            dep = _dependency("afterok", previous)
            for part in parts:
                part.job_id = sbatch(part.script_path, dep)
                submitted.append(part.job_id)
                done.append(part)
            previous = [p.job_id for p in parts if p.job_id]
        stats_id = (
            sbatch(stats_script, _dependency("afterany", submitted)) if stats_script else None
        )
        if stats_id:
            submitted.append(stats_id)
        _run(["scontrol", "release", *submitted])
    except BaseException:
        if submitted:
            subprocess.run(["scancel", *submitted], capture_output=True, check=False)
        raise
    return done, stats_id


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise FinewebKitError(f"{' '.join(cmd)} failed: {proc.stderr.strip()}")


def submit(
    plan: RunPlan, stages: list[int] | None = None, dry_run: bool = False, wait: bool = False
) -> int:
    """The ``run`` command for a slurm executor: validate, claim, write, submit (see module)."""
    cwd = Path.cwd()
    raw = resolve_config(plan.raw, cwd)
    output = Path(raw["output"])  # Slurm runs keep their run folder on a shared file system
    plan = RunPlan(raw, parse_pipeline(raw, plan.pipeline.source), output, raw["executor"])
    selected = list(range(len(plan.pipeline.stages))) if stages is None else stages
    if not dry_run and shutil.which("sbatch") is None:
        raise FinewebKitError("sbatch not found: submit from a machine with the Slurm client")
    if not dry_run:  # a dry run works offline (a laptop, a login node without the daemon)
        _check_partition(plan.executor.get("partition"), plan.pipeline.source)
    listed = _list_inputs(plan, selected)
    folder = RunFolder(output)
    slurm_dir = output / "slurm"
    config_path = slurm_dir / "pipeline.yaml"
    if not dry_run:
        _refuse_active_jobs(output)
        folder.claim(plan.raw, plan.pipeline.source)
        for i, files in listed.items():
            folder.stage_inputs(plan.pipeline.stages[i].name, lambda f=files: f)
    stage_parts = plan_parts(plan, selected, slurm_dir, listed)
    for parts in stage_parts:
        for part in parts:
            part.script = render_script(plan, part, config_path, cwd)
    stats_script = render_stats_script(plan, config_path, cwd)
    if not any(stage_parts):
        print(f"nothing to do: every task of {output} is done", file=sys.stderr)
        if not dry_run:
            folder.write_stats(plan.pipeline.name, [s.name for s in plan.pipeline.stages])
        return 0
    if dry_run:
        print_dry_run(stage_parts, stats_script, slurm_dir)
        return 0
    stats_path = _write_files(plan, stage_parts, stats_script, config_path)
    parts, stats_id = submit_parts(stage_parts, stats_path)
    _record_jobs(output, parts, stats_id)
    _print_submitted(plan, parts, stats_id)
    return wait_for(output) if wait else 0


def _write_files(
    plan: RunPlan, stage_parts: list[list[ArrayPart]], stats_script: str, config_path: Path
) -> Path:
    """Writes the resolved config and the scripts into OUTPUT/slurm/; creates the log folders
    (sbatch does not). Returns the stats job's script."""
    config_path.parent.mkdir(parents=True, exist_ok=True)
    config_path.write_text(yaml.safe_dump(plan.raw, sort_keys=False, allow_unicode=True))
    for part in (p for parts in stage_parts for p in parts):
        part.script_path.write_text(part.script)
        (plan.output / "logs" / part.stage).mkdir(parents=True, exist_ok=True)
    stats_path = config_path.parent / "stats.sh"
    stats_path.write_text(stats_script)
    return stats_path


def _list_inputs(plan: RunPlan, selected: list[int]) -> dict[int, list[str]]:
    """Lists (and so checks) the units of each selected stage not reading an earlier stage's
    output; those stages' unit lists are then fixed before any task starts."""
    folder = RunFolder(plan.output)
    out = {}
    for i in selected:
        stage = plan.pipeline.stages[i]
        if reads_output(plan.raw["stages"][i]):
            continue
        if (folder.stage_dir(stage.name) / "inputs.json").is_file():
            continue
        out[i] = stage.list_units(plan.output)
    return out


def _check_partition(partition: str | None, source: str) -> None:
    """An unknown partition is a config error (exit 2), found before anything is written."""
    if not partition or shutil.which("sinfo") is None:
        return
    proc = subprocess.run(["sinfo", "-h", "-o", "%R"], capture_output=True, text=True, check=False)
    known = sorted(set(proc.stdout.split()))
    if proc.returncode == 0 and known and partition not in known:
        raise ConfigError(
            f"{source}: executor.partition: no partition {partition!r} on this cluster "
            f"(partitions: {', '.join(known)})"
        )


def _refuse_active_jobs(output: Path) -> None:
    jobs = read_jobs(output)
    if not jobs or shutil.which("squeue") is None:
        return
    active = sorted({t.job_id for t in query_tasks(all_job_ids(jobs)) if t.active})
    if active:
        raise ConfigError(
            f"{output}: jobs {', '.join(active)} of an earlier submission are still pending or "
            f"running; wait for them (fineweb-kit status {output}) or scancel them first"
        )


def _record_jobs(output: Path, parts: list[ArrayPart], stats_id: str | None) -> None:
    jobs = read_jobs(output) or {"stages": {}, "history": []}
    submission: dict[str, list[dict[str, Any]]] = {}
    for p in parts:
        entry = {
            "job_id": p.job_id,
            "offset": p.offset,
            "ranks": p.ranks,
            "script": str(p.script_path),
        }
        submission.setdefault(p.stage, []).append(entry)
    jobs["stages"].update(submission)
    jobs["stats_job"] = stats_id
    jobs["history"].append(
        {"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "stages": submission, "stats_job": stats_id}
    )
    with atomic_write(output / JOBS_FILE) as f:
        json.dump(jobs, f, indent=2)


def _print_submitted(plan: RunPlan, parts: list[ArrayPart], stats_id: str | None) -> None:
    for p in parts:
        print(
            f"stage {p.stage}: job {p.job_id}, {len(p.ranks)} task(s) "
            f"(ranks {compress_indices(p.ranks)}), logs {plan.output / 'logs' / p.stage}/"
        )
    print(f"stats: job {stats_id} writes {plan.output / 'stats.json'} when all have ended")
    print(f"follow with: fineweb-kit status {plan.output}")


def print_dry_run(stage_parts: list[list[ArrayPart]], stats_script: str, slurm_dir: Path) -> None:
    """Prints each sbatch command (dependencies named by script) and script; submits nothing."""
    previous: list[str] = []
    for parts in (p for p in stage_parts if p):
        dep = f" --dependency=afterok:<jobs of {' '.join(previous)}>" if previous else ""
        for part in parts:
            print(f"# sbatch{dep} {part.script_path}")
            print(part.script)
        previous = [p.script_path.name for p in parts]
    print(f"# sbatch --dependency=afterany:<all jobs above> {slurm_dir / 'stats.sh'}")
    print(stats_script)


def wait_for(output: Path, poll_s: float = 0.5, retries: int = 10) -> int:
    """Polls squeue until every job of the run has ended (printing each change of the task
    counts); 0 when all tasks completed. A few failed squeue calls in a row are tolerated
    (a busy controller times out now and then)."""
    ids = all_job_ids(read_jobs(output) or {})
    last, errors = "", 0
    while True:
        try:
            tasks = query_tasks(ids)
            errors = 0
        except FinewebKitError:
            errors += 1
            if errors > retries:
                raise
            time.sleep(poll_s * 4)
            continue
        counts = Counter(t.state.lower() for t in tasks)
        line = ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
        if line != last:
            print(f"[fineweb-kit] slurm tasks: {line}", file=sys.stderr, flush=True)
            last = line
        if not any(t.active for t in tasks):
            break
        time.sleep(poll_s)
    stages = run_status(output)
    print(format_status(stages), file=sys.stderr)
    failed = [t for t in tasks if t.state != "COMPLETED"]
    return 0 if not failed and all(s.complete for s in stages) else 1
