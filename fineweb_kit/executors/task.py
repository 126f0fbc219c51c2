"""The task runner: the one code path that both the local and the Slurm executor launch.

A task (:class:`~fineweb_kit.pipeline.spec.TaskSpec`) is a stage, a rank and a world size. It
builds the stage's steps once, takes the stage's units ``i`` with ``i % world_size == rank``
(input files, or the buckets / ``all`` of a unit step: see ``steps/base.py``), and for each
unit not yet done streams it through the steps, commits every output part, then writes the
unit's marker with its stats. A unit that fails is rolled back (its temporary parts removed)
and reported; the task goes on with its other units and ends as failed.

A stage holding a ``whole_task`` step (one that must see all of the task's documents, like
tokenizer training) is marked done per task instead of per unit.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fineweb_kit.executors.state import RunFolder, part_name
from fineweb_kit.io import storage
from fineweb_kit.io.storage import AnyPath
from fineweb_kit.pipeline.spec import TaskSpec
from fineweb_kit.steps.base import PipelineStep, TaskContext

Event = Callable[[dict[str, Any]], None]


@dataclass
class TaskResult:
    """What a task reports back: files done now, skipped (done before), and failures."""

    stage: str
    rank: int
    done: int = 0
    skipped: int = 0
    failures: list[dict[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def _no_event(_: dict[str, Any]) -> None:
    pass


def run_task(task: TaskSpec, event: Event = _no_event) -> TaskResult:
    """Runs one task of one stage. Never raises for a bad input file: failures are returned."""
    stage, rank = task.stage, task.rank
    output_root = storage.as_path(task.output_root)
    folder = RunFolder(output_root)
    log_path = folder.log_file(stage.name, rank)
    log = _task_logger(log_path, stage.name, rank)
    try:
        return _run_task(task, folder, log, event)
    finally:
        _close_log(log, log_path)


def _run_task(task: TaskSpec, folder: RunFolder, log: logging.Logger, event: Event) -> TaskResult:
    stage, rank, world_size = task.stage, task.rank, task.world_size
    output_root = folder.root
    result = TaskResult(stage.name, rank)
    files = folder.stage_inputs(stage.name, lambda: stage.list_units(output_root))
    mine = [(i, f) for i, f in enumerate(files) if i % world_size == rank]
    whole_task = stage.whole_task
    if whole_task and folder.task_marker(stage.name, rank).exists():
        result.skipped = len(mine)
        return result
    done = set() if whole_task else folder.done_files(stage.name)
    todo = [(i, f) for i, f in mine if i not in done]
    result.skipped = len(mine) - len(todo)
    steps: list[PipelineStep] = stage.build()
    ctx = TaskContext(
        stage.name,
        rank,
        world_size,
        output_root,
        log=log,
        inputs=files,
        state_dir=folder.stage_dir(stage.name),
    )
    log.info(
        "stage %s task %d/%d: %d files to do, %d done before",
        stage.name,
        rank,
        world_size,
        len(todo),
        result.skipped,
    )
    for step in steps:
        step.setup(ctx)
    task_stats = [type(s.stats)() for s in steps]
    for index, path in todo:
        ctx.input_path, ctx.part_name = path, part_name(index, path)
        ok = _run_file(steps, ctx, result, event)
        if ok and not whole_task:
            folder.write_marker(folder.file_marker(stage.name, index), _marker(path, steps))
        for total, step in zip(task_stats, steps, strict=True):
            total.merge(step.stats)
        if ok:
            result.done += 1
    if whole_task:
        for step in steps:
            step.stats = type(step.stats)()  # count what teardown does on its own
    try:
        for step in steps:
            step.teardown()
    except Exception as e:  # a whole-task step failing at the end fails the task
        result.failures.append(_failure(None, e))
        log.error("teardown failed: %s", traceback.format_exc())
    if whole_task and result.ok:
        for total, step in zip(task_stats, steps, strict=True):
            total.merge(step.stats)  # stats counted during teardown
        payload = {"inputs": [f for _, f in mine], "steps": _stats_json(steps, task_stats)}
        folder.write_marker(folder.task_marker(stage.name, rank), payload)
    _record_errors(folder, stage.name, rank, result)
    return result


def _run_file(
    steps: list[PipelineStep], ctx: TaskContext, result: TaskResult, event: Event
) -> bool:
    """Streams one input file through the steps and commits or rolls back its outputs."""
    for step in steps:
        step.stats = type(step.stats)()
    t0 = time.perf_counter()
    ok = True
    try:
        for step in steps:
            step.open_file(ctx)
        docs = 0
        for batch in _chain(steps, ctx):
            docs += len(batch)
    except Exception as e:
        ok = False
        result.failures.append(_failure(ctx.input_path, e))
        ctx.log.error("%s: failed: %s", ctx.input_path, traceback.format_exc())
    for step in reversed(steps):
        try:
            step.close_file(ctx, ok)
        except Exception as e:
            if ok:
                result.failures.append(_failure(ctx.input_path, e))
                ctx.log.error("%s: commit failed: %s", ctx.input_path, traceback.format_exc())
            ok = False
    docs_in = int(steps[0].stats.counters.get("documents_out", 0))
    ctx.log.info(
        "%s: %s, %d docs read, %d out, %.2fs",
        ctx.input_path,
        "done" if ok else "FAILED",
        docs_in,
        docs if ok else 0,
        time.perf_counter() - t0,
    )
    event(
        {
            "stage": ctx.stage,
            "rank": ctx.rank,
            "file": ctx.input_path,
            "ok": ok,
            "docs_in": docs_in,
            "docs_out": docs if ok else 0,
        }
    )
    return ok


def _chain(steps: list[PipelineStep], ctx: TaskContext) -> Iterator[Any]:
    stream: Iterator[Any] = iter(())
    for step in steps:
        stream = iter(step.process(stream, ctx))
    return stream


def _stats_json(steps: list[PipelineStep], stats: list[Any]) -> list[dict[str, Any]]:
    return [{"name": s.name, **st.to_json()} for s, st in zip(steps, stats, strict=True)]


def _marker(path: str, steps: list[PipelineStep]) -> dict[str, Any]:
    return {"input": path, "steps": _stats_json(steps, [s.stats for s in steps])}


def _failure(path: str | None, e: BaseException) -> dict[str, str]:
    return {"file": path or "", "error": f"{type(e).__name__}: {e}"}


def _record_errors(folder: RunFolder, stage: str, rank: int, result: TaskResult) -> None:
    path = folder.error_file(stage, rank)
    if result.ok:
        path.unlink(missing_ok=True)
    else:
        folder.write_marker(
            path,
            {
                "stage": stage,
                "rank": rank,
                "failures": result.failures,
                "log": str(folder.log_file(stage, rank)),
            },
        )


def _local_log(path: AnyPath) -> Path:
    """The local file a task logs to: ``path`` itself, or a staging file for a URL."""
    if not storage.is_remote(path):
        return storage.local_path(path)
    return storage.staging_dir() / "logs" / path.path.replace("/", "_")  # type: ignore[union-attr]


def _close_log(log: logging.Logger, path: AnyPath) -> None:
    """Closes the task's log; a remote run folder gets the log file uploaded (also after a
    failure, so ``fineweb-kit status`` can point at it)."""
    for h in list(log.handlers):
        log.removeHandler(h)
        h.close()
    if storage.is_remote(path):
        local = _local_log(path)
        if local.is_file():
            storage.upload(local, path)


def _task_logger(path: AnyPath, stage: str, rank: int) -> logging.Logger:
    local = _local_log(path)
    local.parent.mkdir(parents=True, exist_ok=True)
    log = logging.getLogger(f"fineweb_kit.task.{stage}.{rank}")
    log.setLevel(logging.INFO)
    log.propagate = False
    for h in list(log.handlers):
        log.removeHandler(h)
        h.close()
    handler = logging.FileHandler(local, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    return log
