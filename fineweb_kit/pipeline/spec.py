"""Pipeline YAML -> typed spec, validated once, with errors that point into the file.

:func:`parse_pipeline` checks the structure, every step's name, arguments and their types
(from the constructor's signature), nested steps (a filter's ``exclusion_writer``) the same
way, and runs each step class's ``check_params``. It builds no step: a step is built only by
:meth:`StepSpec.build`, once per task in the worker that runs it. Every error reads
``FILE: stages[i].steps[j].key: message``; unknown keys and step types get a "did you mean".
"""

from __future__ import annotations

import inspect
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fineweb_kit.config import did_you_mean, fail, load_yaml
from fineweb_kit.exceptions import ConfigError
from fineweb_kit.io.storage import AnyPath
from fineweb_kit.pipeline.registry import step_types
from fineweb_kit.pipeline.signature import nested_kind, step_parameters, type_problem
from fineweb_kit.steps.base import PipelineStep, Source, Writer
from fineweb_kit.steps.params import ParamError

PIPELINE_KEYS = ("name", "output", "executor", "stages")
STAGE_KEYS = ("name", "steps", "tasks")
_KINDS: dict[str, type[PipelineStep]] = {"step": PipelineStep, "writer": Writer}


StepClass = type[PipelineStep]  # named here: inside StepSpec, ``type`` is a field


@dataclass
class StepSpec:
    """One validated step: its class, the arguments given, and where it is in the file."""

    type: str
    cls: StepClass
    params: dict[str, Any]
    where: str
    nested: dict[str, StepSpec] = field(default_factory=dict)

    def arguments(self) -> dict[str, Any]:
        """Every constructor argument: the defaults, then the values given."""
        defaults = {
            k: p.default
            for k, p in step_parameters(self.cls).items()
            if p.default is not inspect.Parameter.empty
        }
        return {**defaults, **self.params}

    def build(self) -> PipelineStep:
        """Builds the step (nested steps first, passed built)."""
        kwargs = {**self.params, **{k: s.build() for k, s in self.nested.items()}}
        try:
            return self.cls(**kwargs)
        except ParamError as e:
            fail(f"{self.where}.{e.key}", e.detail)
        except ConfigError as e:
            fail(self.where, str(e))


@dataclass
class StageSpec:
    """One stage: a name, its steps (the first a :class:`Source`) and its task count."""

    name: str
    steps: list[StepSpec]
    where: str
    tasks: int | None = None

    @property
    def source(self) -> StepSpec:
        return self.steps[0]

    @property
    def whole_task(self) -> bool:
        """Whether the stage is marked done per task (a step needs all its task's units)."""
        return any(s.cls.whole_task for s in self.steps)

    def list_units(self, output_root: AnyPath) -> list[str]:
        """The stage's units of work, listed by its source from its parameters."""
        source = self.source.cls
        assert issubclass(source, Source)
        return source.list_units(self.source.arguments(), output_root)

    def build(self) -> list[PipelineStep]:
        """Builds the stage's steps (fresh objects; once per task, in the task's process)."""
        return [s.build() for s in self.steps]


@dataclass
class PipelineSpec:
    """A validated pipeline file."""

    name: str
    source: str
    output: str | None
    executor: dict[str, Any]
    stages: list[StageSpec]
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    def stage(self, name_or_index: str | int) -> tuple[int, StageSpec]:
        for i, st in enumerate(self.stages):
            if st.name == name_or_index or str(i) == str(name_or_index):
                return i, st
        names = [s.name for s in self.stages]
        raise ConfigError(f"{self.source}: no stage {name_or_index!r}; stages are {names}")


@dataclass(frozen=True)
class TaskSpec:
    """What one worker runs: task ``rank`` of ``world_size`` of one stage (picklable)."""

    pipeline: str
    stage: StageSpec
    rank: int
    world_size: int
    output_root: str


def load_pipeline(path: str | Path) -> PipelineSpec:
    """Loads and validates a pipeline file."""
    return parse_pipeline(load_yaml(path), str(path))


def parse_pipeline(data: Any, source: str) -> PipelineSpec:
    """Validates the pipeline's structure and every step's arguments (builds no step)."""
    stages_raw = _known_keys_and_list(
        data, source, ": ", PIPELINE_KEYS, "stages", "name, executor, stages"
    )
    executor = data.get("executor") or {"type": "local"}
    if not isinstance(executor, dict):
        fail(f"{source}: executor", "expected a mapping like {type: local, tasks: 4, workers: 2}")
    stages: list[StageSpec] = []
    for i, st in enumerate(stages_raw):
        stage = _parse_stage(st, f"{source}: stages[{i}]", i)
        if stage.name in {s.name for s in stages}:
            fail(f"{stage.where}.name", f"duplicate stage name {stage.name!r}")
        stages.append(stage)
    output = data.get("output")
    if output is not None and not isinstance(output, str):
        fail(f"{source}: output", f"expected a folder path, got {output!r}")
    return PipelineSpec(
        name=str(data.get("name", Path(source).stem)),
        source=source,
        output=output,
        executor=executor,
        stages=stages,
        raw=data,
    )


def _known_keys_and_list(
    data: Any, where: str, sep: str, keys: Collection[str], items: str, expected: str
) -> list[Any]:
    """Checks that ``data`` is a mapping of ``keys`` only (``expected`` lists them for the
    error) whose ``items`` key holds a non-empty list, and returns that list."""
    if not isinstance(data, dict):
        fail(where, f"expected a mapping with keys {expected}")
    for key in data:
        if key not in keys:
            fail(f"{where}{sep}{key}", f"unknown key{did_you_mean(str(key), keys)}")
    found = data.get(items)
    if not isinstance(found, list) or not found:
        fail(f"{where}{sep}{items}", f"expected a non-empty list of {items}")
    return found


def _parse_stage(st: Any, where: str, index: int) -> StageSpec:
    steps_raw = _known_keys_and_list(st, where, ".", STAGE_KEYS, "steps", "name, steps")
    tasks = st.get("tasks")
    if tasks is not None and (not isinstance(tasks, int) or isinstance(tasks, bool) or tasks < 1):
        fail(f"{where}.tasks", f"expected an integer >= 1, got {tasks!r}")
    steps = [parse_step(cfg, f"{where}.steps[{j}]") for j, cfg in enumerate(steps_raw)]
    if not issubclass(steps[0].cls, Source):
        fail(f"{where}.steps[0]", f"a stage must start with a reader, got {steps[0].type}")
    for j, step in enumerate(steps[1:], 1):
        if issubclass(step.cls, Source):
            fail(f"{where}.steps[{j}]", f"{step.type} lists a stage's units: put it first")
    name = str(st.get("name", f"stage{index}"))
    return StageSpec(name=name, steps=steps, where=where, tasks=tasks)


def parse_step(cfg: Any, where: str) -> StepSpec:
    """Validates one step ``{type: Name, **kwargs}``: name, arguments, types, nested steps and
    the class's ``check_params``, without building it."""
    if not isinstance(cfg, dict) or "type" not in cfg:
        fail(where, "expected a mapping with a 'type' key naming a step (see `fineweb-kit steps`)")
    kinds = step_types()
    type_name = cfg["type"]
    cls = kinds.get(type_name)
    if cls is None:
        fail(f"{where}.type", f"unknown step {type_name!r}{did_you_mean(str(type_name), kinds)}")
    params = {k: v for k, v in cfg.items() if k != "type"}
    signature = step_parameters(cls)
    nested: dict[str, StepSpec] = {}
    for key, value in params.items():
        if key not in signature:
            fail(f"{where}.{key}", f"unknown argument of {type_name}{did_you_mean(key, signature)}")
        problem = type_problem(value, signature[key].annotation)
        if problem:
            fail(f"{where}.{key}", problem)
        annotated = nested_kind(signature[key].annotation)
        kind = cls.nested_steps.get(key, annotated.kind if annotated else None)
        if kind is not None and value is not None:
            nested[key] = sub = parse_step(value, f"{where}.{key}")
            if not issubclass(sub.cls, _KINDS[kind]):
                fail(f"{where}.{key}", f"{sub.type} is not a {kind}")
    missing = [
        k for k, p in signature.items() if p.default is inspect.Parameter.empty and k not in params
    ]
    if missing:
        fail(where, f"{type_name} needs {', '.join(missing)}")
    spec = StepSpec(type_name, cls, params, where, nested)
    try:
        cls.check_params(spec.arguments())
    except ParamError as e:
        fail(f"{where}.{e.key}", e.detail)
    except ConfigError as e:
        fail(where, str(e))
    return spec


def build_step(cfg: Any, where: str) -> PipelineStep:
    """Validates and builds one step (for code and tests that use a step on its own)."""
    return parse_step(cfg, where).build()
