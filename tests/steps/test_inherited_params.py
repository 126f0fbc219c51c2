"""Extractors declare the shared settings once: a subclass's signature still lists them, a
pipeline file is checked against them, and the subclass's own options stay its own."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from fineweb_kit.pipeline.signature import step_parameters
from fineweb_kit.steps.extractors.base import Extractor
from fineweb_kit.steps.extractors.resiliparse import ResiliparseExtractor
from fineweb_kit.steps.extractors.trafilatura import Trafilatura
from fineweb_kit.steps.params import ParamError

SHARED = ["timeout", "max_html_chars", "max_tag_depth", "max_tags", "isolation"]


def test_subclass_signatures_list_the_inherited_settings_then_their_own():
    assert list(step_parameters(ResiliparseExtractor)) == [*SHARED, "main_content", "list_bullets"]
    params = step_parameters(Trafilatura)
    assert list(params)[:5] == SHARED and "deduplicate" in params
    assert params["isolation"].default == "process"  # the class's default_isolation
    assert params["max_tags"].annotation is int and params["fast"].annotation is bool
    sig = inspect.signature(ResiliparseExtractor)
    assert all(p.kind is p.KEYWORD_ONLY for p in sig.parameters.values())


def test_inherited_settings_are_checked_and_reach_the_base():
    step = ResiliparseExtractor(timeout=2, max_tags=5, main_content=False)
    assert (step.timeout, step.max_tags, step.main_content, step.isolation) == (
        2.0,
        5,
        False,
        "process",
    )
    with pytest.raises(ParamError, match="max_html_chars"):
        Trafilatura(max_html_chars=0)


def test_a_subclass_cannot_redeclare_an_inherited_setting():
    with pytest.raises(TypeError, match="redeclares"):

        class Twice(Extractor):
            abstract = True

            def __init__(self, *, timeout: float = 2.0, **settings: Any) -> None:
                super().__init__(**settings)
