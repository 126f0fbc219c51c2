"""Config validation: errors name the file and YAML path, before any work starts."""

from __future__ import annotations

import pytest

from fineweb_kit.exceptions import ConfigError
from fineweb_kit.pipeline import load_pipeline
from tests.pipeline.helpers import cli, write_pipeline


def _pipeline(steps: list[dict], **top) -> dict:
    return {"name": "t", "output": "out", "stages": [{"name": "s", "steps": steps}], **top}


READER = {"type": "JsonlReader", "paths": "x/*.jsonl"}
WRITER = "JsonlWriter"


@pytest.mark.parametrize(
    ("steps", "top", "expected"),
    [
        ([READER, {"type": WRITER, "output_folder": 3}],
         {}, "stages[0].steps[1].output_folder: expected a string, got 3"),
        ([READER, {"type": WRITER, "output_folde": "o"}],
         {}, "stages[0].steps[1].output_folde: unknown argument of JsonlWriter (did you mean "
             "'output_folder'?)"),
        ([READER, {"type": "JsonWriter", "output_folder": "o"}],
         {}, "stages[0].steps[1].type: unknown step 'JsonWriter' (did you mean 'JsonlWriter'?)"),
        ([READER, {"type": WRITER, "output_folder": "o", "compression": "lzma"}],
         {}, "stages[0].steps[1].compression: expected one of 'gzip', 'zstd', 'none', got 'lzma'"),
        ([READER, {"type": WRITER}],
         {}, "stages[0].steps[1]: JsonlWriter needs output_folder"),
        ([{"type": WRITER, "output_folder": "o"}], {}, "must start with a reader"),
        ([{"type": "JsonlReader", "paths": "x", "limit": -5}], {},
         "stages[0].steps[0].limit: expected -1 (no limit) or a count >= 0, got -5"),
        ([READER], {"stagez": []}, "stagez: unknown key (did you mean 'stages'?)"),
    ],
)  # fmt: skip
def test_config_errors_name_the_yaml_path(tmp_path, steps, top, expected):
    path = write_pipeline(tmp_path / "p.yaml", _pipeline(steps, **top))
    with pytest.raises(ConfigError) as err:
        load_pipeline(path)
    assert str(err.value).startswith(str(path))
    assert expected in str(err.value)


def test_validate_exits_2_before_any_work(tmp_path):
    bad = write_pipeline(tmp_path / "bad.yaml", _pipeline([READER, {"type": "Nope"}]))
    proc = cli("validate", str(bad))
    assert proc.returncode == 2
    assert "stages[0].steps[1].type: unknown step 'Nope'" in proc.stderr
    good = write_pipeline(tmp_path / "good.yaml", _pipeline([READER]))
    assert cli("validate", str(good)).returncode == 0


def test_yaml_is_safe_loaded(tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_text("name: !!python/object/apply:os.system ['touch pwned']\nstages: []\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_pipeline(path)
    assert not (tmp_path / "pwned").exists()


def test_steps_command_lists_registry():
    proc = cli("steps", check=True)
    assert "JsonlReader" in proc.stdout and "output_folder: a string (required)" in proc.stdout
