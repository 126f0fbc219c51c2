"""The pipeline spec: validation builds no step; a run builds each step once per task."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any, ClassVar

import pytest

from fineweb_kit.exceptions import ConfigError
from fineweb_kit.executors.local import run_local
from fineweb_kit.executors.plan import make_plan
from fineweb_kit.pipeline import load_pipeline, parse_pipeline
from fineweb_kit.steps.base import BatchStep, Params, TaskContext
from fineweb_kit.steps.params import check_range
from fineweb_kit.steps.readers.jsonl import JsonlReader
from tests.pipeline.helpers import read_jsonl_folder, split_cc_docs, write_pipeline


class SpecModelScorer(BatchStep):
    """A step that, like a scorer, opens its model when built: a missing file fails there."""

    built: ClassVar[int] = 0

    def __init__(self, model: str, threshold: float = 0.5) -> None:
        super().__init__()
        SpecModelScorer.built += 1
        self.model = Path(model).read_bytes()  # the run-time failure validation must not hit
        self.threshold = threshold

    @classmethod
    def check_params(cls, params: Params) -> None:
        super().check_params(params)
        check_range("threshold", params["threshold"], 0.0, 1.0)

    def process_batch(self, batch: Any, ctx: TaskContext) -> Any:
        return batch


class SpecCountingReader(JsonlReader):
    """A JSONL reader that counts how often it is built."""

    built: ClassVar[int] = 0

    def __init__(self, paths: str | list[str], limit: int = -1, batch_size: int = 256) -> None:
        super().__init__(paths, limit=limit, batch_size=batch_size)
        SpecCountingReader.built += 1


class SpecCountingStep(BatchStep):
    """A pass-through step that counts how often it is built."""

    built: ClassVar[int] = 0

    def __init__(self, tag: str = "x") -> None:
        super().__init__()
        SpecCountingStep.built += 1

    def process_batch(self, batch: Any, ctx: TaskContext) -> Any:
        return batch


def _config(steps: list[dict], output: Path, tasks: int = 1) -> dict:
    return {
        "name": "spec",
        "output": str(output),
        "executor": {"type": "local", "tasks": tasks, "workers": 1},
        "stages": [{"name": "s", "steps": steps}],
    }


READER = {"type": "JsonlReader", "paths": "x/*.jsonl.gz"}


def test_validation_checks_parameters_without_building(tmp_path):
    SpecModelScorer.built = 0
    missing = str(tmp_path / "no-such-model.bin")
    good = _config([READER, {"type": "SpecModelScorer", "model": missing}], tmp_path / "o")
    spec = parse_pipeline(good, "good.yaml")
    assert SpecModelScorer.built == 0
    assert spec.stages[0].steps[1].arguments() == {"model": missing, "threshold": 0.5}
    bad = _config(
        [READER, {"type": "SpecModelScorer", "model": missing, "threshold": 2}], tmp_path / "o"
    )
    with pytest.raises(ConfigError) as err:
        parse_pipeline(bad, "bad.yaml")
    assert str(err.value) == (
        "bad.yaml: stages[0].steps[1].threshold: expected a number in [0, 1], got 2"
    )
    assert SpecModelScorer.built == 0
    with pytest.raises(FileNotFoundError):  # building is where the model is opened
        spec.stages[0].steps[1].build()


def test_nested_steps_are_validated_with_their_path(tmp_path):
    writer = {"type": "JsonlWriter", "output_folder": "r", "compression": "lzma"}
    cfg = _config([READER, {"type": "C4QualityFilter", "exclusion_writer": writer}], tmp_path)
    path = write_pipeline(tmp_path / "p.yaml", cfg)
    with pytest.raises(ConfigError) as err:
        load_pipeline(path)
    assert str(err.value) == (
        f"{path}: stages[0].steps[1].exclusion_writer.compression: expected one of 'gzip', "
        "'zstd', 'none', got 'lzma'"
    )
    cfg["stages"][0]["steps"][1]["exclusion_writer"] = {"type": "C4QualityFilter"}
    with pytest.raises(ConfigError, match=r"steps\[1\]\.exclusion_writer: C4QualityFilter is not"):
        load_pipeline(write_pipeline(path, cfg))


def test_a_run_builds_each_step_once_per_task(tmp_path):
    docs = split_cc_docs(tmp_path / "in", 4, limit=40)
    steps = [
        {"type": "SpecCountingReader", "paths": str(tmp_path / "in" / "*.jsonl.gz")},
        {"type": "SpecCountingStep"},
        {"type": "JsonlWriter", "output_folder": "docs"},
    ]
    path = write_pipeline(tmp_path / "p.yaml", _config(steps, tmp_path / "out", tasks=3))
    SpecCountingReader.built = SpecCountingStep.built = 0
    plan = make_plan(str(path))
    assert SpecCountingReader.built == SpecCountingStep.built == 0  # planning builds nothing
    task = plan.task(0, 1)
    assert pickle.loads(pickle.dumps(task)) == task  # what a spawned worker receives
    assert run_local(plan, plain=True) == 0
    assert SpecCountingReader.built == SpecCountingStep.built == 3  # one per task
    assert len(read_jsonl_folder(tmp_path / "out" / "docs")) == len(docs)


def test_a_stage_starts_with_its_only_source(tmp_path):
    cfg = _config([READER, READER], tmp_path)
    with pytest.raises(ConfigError, match=r"stages\[0\]\.steps\[1\]: JsonlReader lists a stage"):
        parse_pipeline(cfg, "p.yaml")


VALUE_ERRORS = [
    ({"type": "GopherQualityFilter", "min_doc_words": -1}, "min_doc_words: expected a number >= 0"),
    ({"type": "FineWebQualityFilter", "line_punct_thr": 2}, "line_punct_thr: expected a number"),
    ({"type": "GopherRepetitionFilter", "top_n_grams": [[0, 0.2]]}, "top_n_grams: expected [n,"),
    ({"type": "URLFilter", "soft_word_threshold": 0}, "soft_word_threshold: expected an integer"),
    ({"type": "ParquetWriter", "output_folder": "o", "row_group_size": 0}, "row_group_size: exp"),
    ({"type": "MinhashSignature", "config": {"num_buckets": 0}}, "config.num_buckets: expected"),
    ({"type": "MinhashCluster", "keep": "last"}, "keep: expected one of 'datatrove', 'first'"),
    ({"type": "Tokenize", "output_folder": "o", "tokenizer": "no.json"}, "tokenizer: tokenizer f"),
    ({"type": "TrainTokenizer", "output": "t.json", "pattern": "(bad"}, "steps[1].pattern:"),
    ({"type": "ResiliparseExtractor", "max_html_chars": 0}, "max_html_chars: expected an integer"),
]


@pytest.mark.parametrize(("step", "expected"), VALUE_ERRORS)
def test_value_checks_run_at_validation(tmp_path, step, expected):
    with pytest.raises(ConfigError) as err:
        parse_pipeline(_config([READER, step], tmp_path), "p.yaml")
    assert str(err.value).startswith("p.yaml: stages[0].steps[1]") and expected in str(err.value)
