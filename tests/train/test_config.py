"""Training config errors are caught before anything loads (no torch needed)."""

from __future__ import annotations

import pytest
import yaml

from fineweb_kit.exceptions import ConfigError
from fineweb_kit.train.config import load_config, parse_config
from tests.pipeline.helpers import cli


def test_unknown_key_did_you_mean_exits_2(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump({"data": {"train": "x"}, "model": {"n_layers": 4}}))
    proc = cli("train", str(path))
    assert proc.returncode == 2
    assert "model.n_layers: unknown key (did you mean 'n_layer'?)" in proc.stderr


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"data": {"train": "x"}, "optim": {"lr": "fast"}}, "optim.lr: expected float"),
        ({"data": {"train": "x"}, "model": {"norm": "batchnorm"}}, "model.norm: expected one of"),
        ({"data": {"train": "x"}, "model": {"n_embd": 100, "n_head": 3}}, "multiple of"),
        ({"model": {}}, "data.train: give the training shards"),
        ({"data": {"train": "x"}, "trian": {}}, "did you mean 'train'"),
    ],
)
def test_bad_values_name_the_key(data, message):
    with pytest.raises(ConfigError, match=message):
        parse_config(data, "t.yaml")


def test_overrides_apply(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump({"data": {"train": "x"}}))
    cfg = load_config(path, ["train.max_steps=7", "model.pos_emb=learned"])
    assert cfg.train.max_steps == 7 and cfg.model.pos_emb == "learned"
