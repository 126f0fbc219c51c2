"""Every file in pipelines/ says what it is for and validates; fineweb-dedup.yaml runs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from fineweb_kit.config import load_yaml
from fineweb_kit.exceptions import ConfigError
from fineweb_kit.pipeline import parse_pipeline
from fineweb_kit.rl.config import parse_post_config
from fineweb_kit.train.config import parse_config
from tests.conftest import REPO
from tests.pipeline.helpers import cli, read_jsonl_folder, split_cc_docs

RECIPES = sorted((REPO / "pipelines").glob("*.yaml"))
# the model a user trains first (the recipe's header says how); validation checks it exists
USER_MODELS = {"dclm-fasttext.yaml": "stages[1].steps[1].model", "fineweb-edu.yaml": "head"}


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.name)
def test_recipe_says_what_it_is_for_and_validates(path: Path):
    lines = path.read_text().splitlines()
    header = [line for line in lines[: next(i for i, x in enumerate(lines) if x[:1] != "#")]]
    assert len(header) >= 2, f"{path.name}: open with comments saying what the recipe is for"
    assert not any("draft" in line.lower() or "fragment" in line.lower() for line in header)
    data = load_yaml(path)
    if "stages" not in data:  # a training config (fineweb-kit train)
        if data.get("kind") in ("rm", "dpo", "rl"):
            parse_post_config(data, str(path))
        else:
            parse_config(data, str(path))
        return
    if path.name in USER_MODELS:
        with pytest.raises(ConfigError, match=re.escape(USER_MODELS[path.name])):
            parse_pipeline(data, str(path))
        return
    spec = parse_pipeline(data, str(path))
    assert spec.stages and all(stage.steps for stage in spec.stages)


def test_validate_command_checks_training_configs_too(tmp_path):
    for name, kind in (("train-tiny.yaml", "pretrain"), ("rm-hh.yaml", "rm")):
        proc = cli("validate", f"pipelines/{name}")
        assert proc.returncode == 0, proc.stderr
        assert f"training config (kind {kind}" in proc.stdout and proc.stdout.endswith("OK\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: dpo\nout_dir: runs/x\ntrain: {max_step: 10}\n", encoding="utf-8")
    proc = cli("validate", str(bad))
    assert proc.returncode == 2 and "train.max_step: unknown key" in proc.stderr
    assert "did you mean 'max_steps'" in proc.stderr


def test_fineweb_dedup_recipe_runs_on_a_corpus_with_copies(tmp_path):
    docs = split_cc_docs(tmp_path / "in", 3, limit=120)
    copies = split_cc_docs(tmp_path / "in2", 1, limit=30)  # the first 30 again: duplicates
    (tmp_path / "in2" / "in-000.jsonl.gz").rename(tmp_path / "in" / "copies.jsonl.gz")
    out = tmp_path / "out"
    cli(
        "run", "pipelines/fineweb-dedup.yaml", "--input", str(tmp_path / "in" / "*.jsonl.gz"),
        "--output", str(out), "--workers", "1", "--plain", check=True,
    )  # fmt: skip
    kept = read_jsonl_folder(out / "output")
    removed = read_jsonl_folder(out / "removed" / "minhash")
    stats = json.loads((out / "stats.json").read_text())["stages"][-1]["steps"]
    emptied = next(s for s in stats if s["name"] == "PIIFormatter")["counters"]
    assert len(kept) + len(removed) + emptied.get("dropped_empty_after_format", 0) == len(
        docs
    ) + len(copies)
    copied = {d["id"] for d in copies}
    assert {r["id"] for r in removed} <= copied and len(removed) >= len(copies) - 2
    # a copy survives only where MinHash has no signature (too few words: never a duplicate)
    assert len(kept) - len({r["id"] for r in kept}) <= len(copies) - len(removed)


def test_s3_recipe_reads_common_crawl_writes_a_bucket_on_ray_without_credentials():
    path = REPO / "pipelines" / "fineweb-s3.yaml"
    data = load_yaml(path)
    spec = parse_pipeline(data, str(path))
    assert data["executor"]["type"] == "ray" and data["output"].startswith("s3://")
    assert spec.stages[0].steps[0].params["paths"].startswith("s3://commoncrawl/crawl-data/")
    # the same steps and parameters as the local FineWeb recipe
    local = load_yaml(REPO / "pipelines" / "fineweb.yaml")
    assert [[s["type"] for s in st["steps"]] for st in data["stages"]] == [
        [s["type"] for s in st["steps"]] for st in local["stages"]
    ]
    text = path.read_text().lower()
    assert not re.search(r"(secret|access_key|token|password)\s*:", text)
