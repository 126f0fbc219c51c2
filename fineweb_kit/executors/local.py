"""The local executor: a stage's tasks in a process pool, stages one after another.

Workers are started with ``spawn`` (never ``fork``: the Rust core may already run threads), so
each worker imports fineweb-kit afresh; it receives one picklable ``TaskSpec`` and builds the
stage's steps once. With one worker
the tasks run in this process (no start-up cost). A failed task does not stop the others; the
stage then ends failed and later stages do not run.

Each worker's Rust thread pool gets its share of the cores (``RAYON_NUM_THREADS`` = cores //
workers, unless already set), so N workers do not each start one thread per core.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import queue as queue_mod
import sys
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from fineweb_kit.executors.plan import RunPlan
from fineweb_kit.executors.progress import Progress
from fineweb_kit.executors.state import RunFolder
from fineweb_kit.executors.task import TaskResult, run_task
from fineweb_kit.pipeline.spec import TaskSpec

_QUEUE: Any = None


def _init_worker(queue: Any, threads: int) -> None:
    global _QUEUE
    _QUEUE = queue
    os.environ.setdefault("RAYON_NUM_THREADS", str(threads))


def _send(event: dict[str, Any]) -> None:
    if _QUEUE is not None:
        _QUEUE.put(event)


def _worker(task: TaskSpec) -> TaskResult:
    return run_task(task, event=_send)


def run_stage(plan: RunPlan, stage_index: int, plain: bool | None = None) -> list[TaskResult]:
    """Runs every unfinished task of one stage; returns the task results."""
    stage = plan.pipeline.stages[stage_index]
    folder = RunFolder(plan.output)
    tasks, workers = plan.tasks(stage_index), plan.workers(stage_index)
    files = folder.stage_inputs(stage.name, lambda: stage.list_units(plan.output))
    done = len(folder.done_files(stage.name))
    specs = [plan.task(stage_index, rank) for rank in range(tasks)]
    results: list[TaskResult] = []
    with Progress(stage.name, len(files), done, plain=plain, tasks=tasks) as progress:
        if workers == 1:
            for task in specs:
                results.append(run_task(task, event=progress.update))
            return results
        ctx = mp.get_context("spawn")
        queue = ctx.Queue()
        threads = max(1, (os.cpu_count() or 1) // workers)
        with ProcessPoolExecutor(
            workers, mp_context=ctx, initializer=_init_worker, initargs=(queue, threads)
        ) as pool:
            futures = [pool.submit(_worker, task) for task in specs]
            pending = set(futures)
            while pending:
                with contextlib.suppress(queue_mod.Empty):
                    progress.update(queue.get(timeout=0.2))
                pending = {f for f in pending if not f.done()}
            _drain(queue, progress)
            results = [_result(f, stage.name) for f in futures]
    return results


def _drain(queue: Any, progress: Progress) -> None:
    while True:
        try:
            progress.update(queue.get_nowait())
        except queue_mod.Empty:
            return


def _result(future: Any, stage: str) -> TaskResult:
    try:
        return future.result()
    except Exception as e:  # the worker process itself died or the task crashed outright
        return TaskResult(stage, -1, failures=[{"file": "", "error": f"{type(e).__name__}: {e}"}])


def run_local(plan: RunPlan, stages: list[int] | None = None, plain: bool | None = None) -> int:
    """Runs the pipeline's stages in order; returns 0, or 1 naming the failed tasks."""
    folder = RunFolder(plan.output)
    folder.claim(plan.raw, plan.pipeline.source)
    exit_code = 0
    for i in stages if stages is not None else range(len(plan.pipeline.stages)):
        results = run_stage(plan, i, plain=plain)
        failed = [r for r in results if not r.ok]
        if failed:
            report_failures(plan, i, failed)
            exit_code = 1
            break
    folder.write_stats(plan.pipeline.name, [s.name for s in plan.pipeline.stages])
    return exit_code


def report_failures(plan: RunPlan, stage_index: int, failed: list[TaskResult]) -> None:
    stage = plan.pipeline.stages[stage_index].name
    folder = RunFolder(plan.output)
    print(
        f"stage {stage}: {len(failed)} task(s) failed; later stages were not run:", file=sys.stderr
    )
    for r in failed:
        for f in r.failures:
            print(f"  task {r.rank}: {f['file'] or '(task)'}: {f['error']}", file=sys.stderr)
        if r.rank >= 0:
            print(f"    log: {folder.log_file(stage, r.rank)}", file=sys.stderr)
    print(
        "fix the inputs and rerun the same command: finished files are kept and skipped.",
        file=sys.stderr,
    )
