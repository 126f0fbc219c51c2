"""What step constructors use on their keyword arguments: the checks (from
:mod:`fineweb_kit.params`) and the annotation of a parameter that is itself a step."""

from __future__ import annotations

from typing import ClassVar

from fineweb_kit.params import (
    Check,
    ParamError,
    at_least,
    check_choice,
    check_globs,
    check_name,
    check_positive_int,
    check_range,
    in_range,
    optional,
)

__all__ = [
    "Check",
    "ParamError",
    "StepConfig",
    "WriterConfig",
    "at_least",
    "check_choice",
    "check_globs",
    "check_name",
    "check_positive_int",
    "check_range",
    "in_range",
    "optional",
]


class StepConfig(dict):
    """Annotation of a parameter that is itself a step, given as ``{type: Name, ...}``.

    The pipeline spec validates it like any step (its errors name ``...steps[j].<param>.key``)
    and builds it before the step holding it, which so receives the built step object.
    ``kind`` names the base class the nested step must have (``"step"``: any).
    """

    kind: ClassVar[str] = "step"


class WriterConfig(StepConfig):
    """A nested step that must be a writer (e.g. a filter's ``exclusion_writer``)."""

    kind = "writer"
