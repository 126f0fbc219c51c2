"""From a pipeline file to units of work.

``spec.py`` turns the YAML into a typed :class:`PipelineSpec` (stages of :class:`StepSpec`),
checked from the steps' constructor signatures and ``check_params`` without building any
step; ``registry.py`` maps ``type:`` names to step classes; a :class:`TaskSpec` is what one
worker receives: one stage, one rank. The runner that executes a task is
``fineweb_kit/executors/task.py``.
"""

from fineweb_kit.pipeline.registry import step_types
from fineweb_kit.pipeline.spec import (
    PipelineSpec,
    StageSpec,
    StepSpec,
    TaskSpec,
    build_step,
    load_pipeline,
    parse_pipeline,
    parse_step,
)

__all__ = [
    "PipelineSpec",
    "StageSpec",
    "StepSpec",
    "TaskSpec",
    "build_step",
    "load_pipeline",
    "parse_pipeline",
    "parse_step",
    "step_types",
]
