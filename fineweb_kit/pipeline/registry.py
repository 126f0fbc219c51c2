"""Step types by YAML ``type:`` name.

A step type is any subclass of :class:`~fineweb_kit.steps.base.PipelineStep` whose class body
does not say ``abstract = True``, named after its class. Defining one in a module under
``fineweb_kit/steps/`` is all it takes: :func:`step_types` imports every module there first.
"""

from __future__ import annotations

import importlib
import pkgutil

from fineweb_kit.steps.base import PipelineStep


def _subclasses(cls: type) -> list[type]:
    out: list[type] = []
    subs: list[type] = cls.__subclasses__()
    for sub in subs:
        out += [sub, *_subclasses(sub)]
    return out


def step_types() -> dict[str, type[PipelineStep]]:
    """All step classes by name (imports every module under ``fineweb_kit.steps``)."""
    import fineweb_kit.steps as pkg

    for info in pkgutil.walk_packages(pkg.__path__, prefix=f"{pkg.__name__}."):
        importlib.import_module(info.name)
    return {c.__name__: c for c in _subclasses(PipelineStep) if not c.__dict__.get("abstract")}
