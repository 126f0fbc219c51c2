"""The worked configs parse (every key known, every value typed), and mistakes are named."""

from __future__ import annotations

import pytest

from fineweb_kit.exceptions import ConfigError
from fineweb_kit.rl.config import load_post_config, parse_post_config
from tests.conftest import REPO


@pytest.mark.parametrize("name", ["rl-gsm8k", "rm-hh", "dpo-hh"])
def test_worked_configs_parse(name):
    cfg = load_post_config(REPO / "pipelines" / f"{name}.yaml")
    assert cfg.kind == name.split("-")[0]
    assert cfg.init == "runs/sft-gsm8k" and cfg.tokenizer is None
    if cfg.kind == "dpo":
        assert cfg.dpo.beta == 0.1


def test_config_errors_name_the_key():
    with pytest.raises(ConfigError, match=r"rl.group_sise: unknown key \(did you mean"):
        parse_post_config({"kind": "rl", "tasks": {}, "rl": {"group_sise": 4}}, "x.yaml")
    with pytest.raises(ConfigError, match=r"pairs\.train"):
        parse_post_config({"kind": "rm"}, "x.yaml")
    with pytest.raises(ConfigError, match="token_count reward needs text"):
        parse_post_config(
            {"kind": "rl", "tasks": {}, "rl": {"rewards": [{"kind": "token_count"}]}}, "x.yaml"
        )
