"""Pipeline YAML -> typed config -> built steps, with errors that point into the file.

Everything is validated before any input is opened. Every error reads
``FILE: stages[i].steps[j].key: message``; unknown keys and step types get a "did you mean".
YAML is loaded with ``yaml.safe_load``: a config can never run code.
"""

from __future__ import annotations

import difflib
import inspect
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fineweb_kit.exceptions import ConfigError

PIPELINE_KEYS = ("name", "output", "executor", "stages")
STAGE_KEYS = ("name", "steps", "tasks")


@dataclass
class StageConfig:
    """One stage: a name and the raw configs of its steps (built per task by ``build_steps``)."""

    name: str
    steps: list[dict[str, Any]]
    where: str
    tasks: int | None = None


@dataclass
class PipelineConfig:
    """A validated pipeline file."""

    name: str
    source: str
    output: str | None
    executor: dict[str, Any]
    stages: list[StageConfig]
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    def stage(self, name_or_index: str | int) -> tuple[int, StageConfig]:
        for i, st in enumerate(self.stages):
            if st.name == name_or_index or str(i) == str(name_or_index):
                return i, st
        names = [s.name for s in self.stages]
        raise ConfigError(f"{self.source}: no stage {name_or_index!r}; stages are {names}")


def did_you_mean(word: str, choices: typing.Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _fail(where: str, message: str) -> typing.NoReturn:
    raise ConfigError(f"{where}: {message}")


def load_yaml(path: str | Path) -> Any:
    """Safe-loads a YAML file; a syntax error names the line and column."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{p}: config file not found")
    try:
        return yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise ConfigError(f"{p}: invalid YAML: {e}") from None


def parse_pipeline(data: Any, source: str) -> PipelineConfig:
    """Validates the pipeline's structure and every step's arguments (builds each step once)."""
    if not isinstance(data, dict):
        _fail(source, "expected a mapping with keys name, executor, stages")
    for key in data:
        if key not in PIPELINE_KEYS:
            _fail(f"{source}: {key}", f"unknown key{did_you_mean(str(key), PIPELINE_KEYS)}")
    stages_raw = data.get("stages")
    if not isinstance(stages_raw, list) or not stages_raw:
        _fail(f"{source}: stages", "expected a non-empty list of stages")
    executor = data.get("executor") or {"type": "local"}
    if not isinstance(executor, dict):
        _fail(f"{source}: executor", "expected a mapping like {type: local, tasks: 4, workers: 2}")
    stages: list[StageConfig] = []
    for i, st in enumerate(stages_raw):
        where = f"{source}: stages[{i}]"
        if not isinstance(st, dict):
            _fail(where, "expected a mapping with keys name, steps")
        for key in st:
            if key not in STAGE_KEYS:
                _fail(f"{where}.{key}", f"unknown key{did_you_mean(str(key), STAGE_KEYS)}")
        steps = st.get("steps")
        if not isinstance(steps, list) or not steps:
            _fail(f"{where}.steps", "expected a non-empty list of steps")
        name = str(st.get("name", f"stage{i}"))
        if name in {s.name for s in stages}:
            _fail(f"{where}.name", f"duplicate stage name {name!r}")
        tasks = st.get("tasks")
        if tasks is not None and (
            not isinstance(tasks, int) or isinstance(tasks, bool) or tasks < 1
        ):
            _fail(f"{where}.tasks", f"expected an integer >= 1, got {tasks!r}")
        stage = StageConfig(name=name, steps=steps, where=where, tasks=tasks)
        build_steps(stage)  # validate now: nothing runs before every step builds
        stages.append(stage)
    output = data.get("output")
    if output is not None and not isinstance(output, str):
        _fail(f"{source}: output", f"expected a folder path, got {output!r}")
    return PipelineConfig(
        name=str(data.get("name", Path(source).stem)),
        source=source,
        output=output,
        executor=executor,
        stages=stages,
        raw=data,
    )


def load_pipeline(path: str | Path) -> PipelineConfig:
    """Loads and validates a pipeline file."""
    return parse_pipeline(load_yaml(path), str(path))


def build_steps(stage: StageConfig) -> list[Any]:
    """Builds the stage's steps (fresh objects; called once per task in each worker)."""
    from fineweb_kit.steps.base import Reader

    steps = [build_step(cfg, f"{stage.where}.steps[{j}]") for j, cfg in enumerate(stage.steps)]
    if not hasattr(steps[0], "list_files") and not isinstance(steps[0], Reader):
        _fail(f"{stage.where}.steps[0]", f"a stage must start with a reader, got {steps[0].name}")
    return steps


def build_nested_step(cfg: Any, key: str) -> Any:
    """Builds a step given inside another step's arguments (e.g. an exclusion writer).

    Errors are raised as ``ParamError(key, ...)`` so the outer path is prefixed.
    """
    from fineweb_kit.steps.params import ParamError

    try:
        return build_step(cfg, "")
    except ConfigError as e:
        raise ParamError(key, str(e).lstrip(": ")) from None


def build_step(cfg: Any, where: str) -> Any:
    """Builds one step from ``{type: Name, **kwargs}``, checking names and types first."""
    from fineweb_kit.steps.base import registry
    from fineweb_kit.steps.params import ParamError

    if not isinstance(cfg, dict) or "type" not in cfg:
        _fail(where, "expected a mapping with a 'type' key naming a step (see `fineweb-kit steps`)")
    kinds = registry()
    type_name = cfg["type"]
    cls = kinds.get(type_name)
    if cls is None:
        _fail(f"{where}.type", f"unknown step {type_name!r}{did_you_mean(str(type_name), kinds)}")
    kwargs = {k: v for k, v in cfg.items() if k != "type"}
    params = step_parameters(cls)
    for key, value in kwargs.items():
        if key not in params:
            _fail(f"{where}.{key}", f"unknown argument of {type_name}{did_you_mean(key, params)}")
        problem = type_problem(value, params[key].annotation)
        if problem:
            _fail(f"{where}.{key}", problem)
    missing = [
        k for k, p in params.items() if p.default is inspect.Parameter.empty and k not in kwargs
    ]
    if missing:
        _fail(where, f"{type_name} needs {', '.join(missing)}")
    try:
        return cls(**kwargs)
    except ParamError as e:
        _fail(f"{where}.{e.key}", e.detail)
    except ConfigError as e:
        _fail(where, str(e))


def step_parameters(cls: type) -> dict[str, inspect.Parameter]:
    """The constructor parameters of a step class, with annotations resolved to types."""
    init = cls.__init__  # type: ignore[misc]  # the class's constructor, not an instance's
    sig = inspect.signature(init)
    try:
        hints = typing.get_type_hints(init)
    except Exception:  # unresolvable annotation: skip type checks, keep names
        hints = {}
    return {
        name: p.replace(annotation=hints.get(name, Any))
        for name, p in sig.parameters.items()
        if name != "self" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }


def type_problem(value: Any, annotation: Any) -> str | None:
    """``None`` if ``value`` fits ``annotation``, else a message saying what was expected."""
    if _fits(value, annotation):
        return None
    return f"expected {_describe(annotation)}, got {value!r}"


def _fits(value: Any, ann: Any) -> bool:
    if ann is Any or ann is inspect.Parameter.empty:
        return True
    origin = typing.get_origin(ann)
    args = typing.get_args(ann)
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, a) for a in args)
    if origin is typing.Literal:
        return value in args
    if ann is type(None):
        return value is None
    if ann is bool:
        return isinstance(value, bool)
    if ann is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if ann is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if ann is str:
        return isinstance(value, str)
    if origin in (list, tuple, typing.Sequence) or ann in (list, tuple):
        return isinstance(value, list) and (not args or all(_fits(v, args[0]) for v in value))
    if origin is dict or ann is dict:
        return isinstance(value, dict) and (
            len(args) != 2 or all(_fits(k, args[0]) and _fits(v, args[1]) for k, v in value.items())
        )
    return True  # types we do not check here are checked by the step itself


def _describe(ann: Any) -> str:
    origin = typing.get_origin(ann)
    args = typing.get_args(ann)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in args)
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    names = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}
    if ann in names:
        return names[ann]
    if ann is type(None):
        return "null"
    if origin in (list, tuple) or ann in (list, tuple):
        inner = _describe(args[0]).removeprefix("a ").removeprefix("an ")
        return f"a list of {inner}" if args else "a list"
    if origin is dict or ann is dict:
        return "a mapping"
    return getattr(ann, "__name__", str(ann))
