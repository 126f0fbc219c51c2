"""The Ray executor: each stage's tasks run as Ray tasks on a cluster, stages one after another.

``fineweb-kit run x.yaml`` with ``executor: {type: ray, address: auto, ...}`` (or
``--executor ray``):

1. validates the config (exit 2), connects to the cluster at ``address`` (``auto``: the one
   ``ray start`` made on this machine or ``RAY_ADDRESS``; ``ray://HOST:10001`` for Ray Client;
   no cluster reachable: exit 1 with what to do), claims the output folder;
2. ships each task the resolved config as **YAML text** (paths absolute, overrides applied), a
   stage index and a rank; the Ray task parses the YAML again and calls the one task runner,
   ``executors/task.py: run_task`` -- nothing is pickled that the YAML cannot rebuild;
3. runs a stage's unfinished tasks (``max_concurrent`` at a time), each with ``cpus_per_task``
   CPUs and ``memory_per_task_gb`` of memory reserved; a task that fails (a bad input file, an
   exception, its worker process killed) is submitted again, at most ``retries`` times; units
   with a marker are skipped on every try, so a retry redoes only what is missing;
4. a stage with a task still failing after its retries ends the run (exit 1), reported like
   the other executors (file, error, task log); later stages do not run.

Task states (pending, running, retrying, done, failed, with the attempt and last error) are
kept in ``OUTPUT/ray/tasks.json`` as they change; ``fineweb-kit status OUTPUT`` shows them. The
run folder (``OUTPUT``) must be reachable from every node: a shared file system or a URL
(``s3://...``, see ``io/storage.py``).
"""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from fineweb_kit.exceptions import FinewebKitError
from fineweb_kit.executors.plan import RunPlan
from fineweb_kit.executors.ray_config import ray_option
from fineweb_kit.executors.ray_tasks import TaskStates
from fineweb_kit.executors.state import RunFolder
from fineweb_kit.executors.task import TaskResult


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise FinewebKitError(
            "the ray executor needs Ray: pip install 'fineweb-kit[ray]'"
        ) from None
    return ray


def run_task_from_yaml(config_yaml: str, source: str, stage_index: int, rank: int) -> dict:
    """What a Ray task runs: rebuild the plan from the YAML text, run one task, return its
    result as plain data."""
    from fineweb_kit.executors.plan import plan_from_raw
    from fineweb_kit.executors.task import run_task

    plan = plan_from_raw(yaml.safe_load(config_yaml), source)
    threads = max(1, int(ray_option(plan.executor, "cpus_per_task")))
    os.environ.setdefault("RAYON_NUM_THREADS", str(threads))
    r = run_task(plan.task(stage_index, rank))
    return {"done": r.done, "skipped": r.skipped, "failures": r.failures}


def connect(ex: dict[str, Any]) -> Any:
    """Connects to the cluster; a clear error when none is reachable."""
    ray = _ray()
    address = ray_option(ex, "address")
    try:
        _check_reachable(address)
        _init(ray, address, ray_option(ex, "runtime_env"))
    except (ConnectionError, RuntimeError, ValueError) as e:
        raise FinewebKitError(
            f"executor.address {address!r}: no Ray cluster reachable ({e}); start one with "
            "`ray start --head` (then address: auto), or set executor.address to HOST:PORT or "
            "ray://HOST:10001"
        ) from None
    return ray


def _init(ray: Any, address: str, runtime_env: Any, attempts: int = 3) -> None:
    """``ray.init``; a Ray Client (``ray://``) connection is tried up to ``attempts`` times:
    its server starts one process per driver, and that start fails now and then on a loaded
    machine ("Starting Ray client server failed") where a second try succeeds."""
    for attempt in range(1, attempts + 1):
        try:
            ray.init(
                address=address,
                runtime_env=runtime_env,
                log_to_driver=False,
                logging_level="WARNING",
                configure_logging=False,
            )
            return
        except (ConnectionError, RuntimeError) as e:
            if not address.startswith("ray://") or attempt == attempts:
                raise
            print(f"ray client: attempt {attempt} failed ({e}); retrying", file=sys.stderr)
            ray.shutdown()
            time.sleep(2.0 * attempt)


def _check_reachable(address: str) -> None:
    """A plain ``HOST:PORT`` is tried with a TCP connect first: Ray itself keeps retrying an
    unreachable GCS for minutes before it gives up."""
    if address == "auto" or "://" in address or ":" not in address:
        return
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=10):
            pass
    except (OSError, ValueError) as e:
        raise ConnectionError(f"cannot connect to {address}: {e}") from None


def run_ray(plan: RunPlan, stages: list[int] | None = None) -> int:
    """Runs the pipeline's stages on the Ray cluster; returns 0, or 1 naming the failed tasks."""
    from fineweb_kit.executors.local import report_failures
    from fineweb_kit.executors.slurm import resolve_config

    ex = plan.executor
    resolved = resolve_config(plan.raw, Path.cwd())
    config_yaml = yaml.safe_dump(resolved, sort_keys=False, allow_unicode=True)
    folder = RunFolder(plan.output)
    folder.claim(plan.raw, plan.pipeline.source)
    ray = connect(ex)
    states = TaskStates(folder)
    exit_code = 0
    try:
        remote_fn = ray.remote(run_task_from_yaml).options(
            num_cpus=ray_option(ex, "cpus_per_task"),
            memory=_memory(ex),
            max_retries=0,  # retries are counted here, for crashes and failures alike
        )
        for i in stages if stages is not None else range(len(plan.pipeline.stages)):
            failed = _run_stage(ray, remote_fn, plan, i, config_yaml, states)
            if failed:
                report_failures(plan, i, failed)
                exit_code = 1
                break
    finally:
        ray.shutdown()
    folder.write_stats(plan.pipeline.name, [s.name for s in plan.pipeline.stages])
    return exit_code


def _memory(ex: dict[str, Any]) -> int | None:
    gb = ray_option(ex, "memory_per_task_gb")
    return None if gb is None else int(gb * 1024**3)


def _run_stage(
    ray: Any, remote_fn: Any, plan: RunPlan, index: int, config_yaml: str, states: TaskStates
) -> list[TaskResult]:
    from fineweb_kit.executors.slurm import unfinished_ranks

    stage = plan.pipeline.stages[index]
    folder = RunFolder(plan.output)
    files = folder.stage_inputs(stage.name, lambda: stage.list_units(plan.output))
    ranks = unfinished_ranks(plan, index, len(files))
    retries = int(ray_option(plan.executor, "retries"))
    limit = ray_option(plan.executor, "max_concurrent") or len(ranks) or 1
    queue = [(rank, 1) for rank in ranks]
    running: dict[Any, tuple[int, int]] = {}
    failed: list[TaskResult] = []
    print(f"stage {stage.name}: {len(ranks)} Ray task(s) of {plan.tasks(index)}", file=sys.stderr)
    for rank in ranks:
        states.set(stage.name, rank, "pending", 1)
    while queue or running:
        while queue and len(running) < limit:
            rank, attempt = queue.pop(0)
            ref = remote_fn.remote(config_yaml, plan.pipeline.source, index, rank)
            running[ref] = (rank, attempt)
            states.set(stage.name, rank, "running", attempt)
        ready, _ = ray.wait(list(running), num_returns=1, timeout=1.0)
        for ref in ready:
            rank, attempt = running.pop(ref)
            failures = _outcome(ray, ref)
            if not failures:
                states.set(stage.name, rank, "done", attempt)
            elif attempt <= retries:
                states.set(stage.name, rank, "retrying", attempt, failures[-1]["error"])
                print(
                    f"stage {stage.name} task {rank}: attempt {attempt} failed "
                    f"({failures[-1]['error']}); retrying",
                    file=sys.stderr,
                )
                queue.append((rank, attempt + 1))
            else:
                states.set(stage.name, rank, "failed", attempt, failures[-1]["error"])
                failed.append(TaskResult(stage.name, rank, failures=failures))
    states.flush()
    return failed


def _outcome(ray: Any, ref: Any) -> list[dict[str, str]]:
    """The task's failures: those it returned, or its crash (worker killed, exception)."""
    try:
        return ray.get(ref)["failures"]
    except Exception as e:  # RayTaskError, WorkerCrashedError, ...: the task did not finish
        message = str(e).strip().splitlines()
        return [{"file": "", "error": f"{type(e).__name__}: {message[0] if message else ''}"}]
