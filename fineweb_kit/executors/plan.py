"""From a pipeline file and command-line overrides to a resolved, validated run plan."""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from typing import Any

from fineweb_kit.config import did_you_mean, load_yaml
from fineweb_kit.exceptions import ConfigError
from fineweb_kit.executors.ray_config import RAY_KEYS, check_ray_executor
from fineweb_kit.executors.slurm_config import SLURM_KEYS, check_slurm_executor
from fineweb_kit.io import storage
from fineweb_kit.io.storage import AnyPath
from fineweb_kit.pipeline.spec import PipelineSpec, TaskSpec, parse_pipeline

EXECUTOR_KEYS = {
    "local": ("type", "tasks", "workers"),
    "slurm": SLURM_KEYS,
    "ray": RAY_KEYS,
}


@dataclass
class RunPlan:
    """A validated pipeline with overrides applied, its output folder and parallelism."""

    raw: dict[str, Any]
    pipeline: PipelineSpec
    output: AnyPath
    executor: dict[str, Any]

    def tasks(self, stage_index: int) -> int:
        stage = self.pipeline.stages[stage_index]
        return int(stage.tasks or self.executor.get("tasks", 1))

    def task(self, stage_index: int, rank: int) -> TaskSpec:
        """What the worker of task ``rank`` of stage ``stage_index`` receives."""
        stage = self.pipeline.stages[stage_index]
        return TaskSpec(self.pipeline.name, stage, rank, self.tasks(stage_index), str(self.output))

    def workers(self, stage_index: int) -> int:
        default = min(self.tasks(stage_index), os.cpu_count() or 1)
        return max(1, min(int(self.executor.get("workers", default)), self.tasks(stage_index)))


def make_plan(
    path: str,
    inputs: list[str] | None = None,
    output: str | None = None,
    tasks: int | None = None,
    workers: int | None = None,
    executor: str | None = None,
) -> RunPlan:
    """Loads ``path``, applies overrides, validates everything; opens no input file and
    builds no step."""
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with keys name, executor, stages")
    raw = copy.deepcopy(data)
    if inputs:
        _override_inputs(raw, inputs, path)
    if output:
        raw["output"] = output
    ex = dict(raw.get("executor") or {"type": "local"})
    if executor and executor != ex.get("type", "local"):
        # --executor slurm on a file written for local (or back): drop the other one's keys
        keep = EXECUTOR_KEYS.get(executor, ())
        ex = {k: v for k, v in ex.items() if k in keep}
        ex["type"] = executor
    if tasks is not None:
        ex["tasks"] = tasks
    if workers is not None:
        ex["workers"] = workers
    raw["executor"] = ex
    return plan_from_raw(raw, path)


def plan_from_raw(raw: dict[str, Any], path: str) -> RunPlan:
    """Validates a config already resolved (overrides applied): what a Ray task rebuilds from
    the YAML text it receives; ``path`` names the file in error messages."""
    pipeline = parse_pipeline(raw, path)
    ex = dict(raw.get("executor") or {"type": "local"})
    _check_executor(ex, path)
    if not raw.get("output"):
        raise ConfigError(f"{path}: output: no output folder; set `output:` or pass --output DIR")
    if ex.get("type") == "slurm" and storage.is_remote(raw["output"]):
        raise ConfigError(
            f"{path}: output: {raw['output']}: the slurm executor keeps its run folder (sbatch "
            "scripts, array task logs, job ids, markers) on a file system every node mounts, "
            "not at a URL; pass a shared folder as --output (/mnt/shared/runs/x) and write the "
            "data to the bucket with URL `output_folder:`s (and a URL dedup `folder:`), or run "
            "with --executor ray"
        )
    return RunPlan(raw=raw, pipeline=pipeline, output=storage.as_path(raw["output"]), executor=ex)


def _override_inputs(raw: dict[str, Any], inputs: list[str], path: str) -> None:
    try:
        first = raw["stages"][0]["steps"][0]
    except (KeyError, IndexError, TypeError):
        raise ConfigError(f"{path}: stages[0].steps[0]: --input needs a reader here") from None
    if not isinstance(first, dict) or "paths" not in first:
        raise ConfigError(f"{path}: stages[0].steps[0]: --input needs a reader with `paths`")
    first["paths"] = list(inputs)


def _check_executor(ex: dict[str, Any], path: str) -> None:
    kind = ex.get("type", "local")
    allowed = EXECUTOR_KEYS.get(kind)
    if allowed is None:
        raise ConfigError(
            f"{path}: executor.type: unknown executor {kind!r}"
            f"{did_you_mean(str(kind), EXECUTOR_KEYS)}"
        )
    for key, value in ex.items():
        if key not in allowed:
            raise ConfigError(
                f"{path}: executor.{key}: unknown key for the {kind} executor"
                f"{did_you_mean(key, allowed)}"
            )
        if key in ("tasks", "workers") and (
            not isinstance(value, int) or isinstance(value, bool) or value < 1
        ):
            raise ConfigError(f"{path}: executor.{key}: expected an integer >= 1, got {value!r}")
    if kind == "slurm":
        check_slurm_executor(ex, path)
    if kind == "ray":
        check_ray_executor(ex, path)
