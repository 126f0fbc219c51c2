"""pipelines/sft-gsm8k.yaml end to end on the shared GSM8K data, and PII on conversations."""

from __future__ import annotations

import json

import numpy as np

from fineweb_kit.chat.packing import segment_ids
from fineweb_kit.chat.shards import open_sft_shards, tokenizer_beside
from fineweb_kit.document import Document
from fineweb_kit.steps.base import TaskContext
from fineweb_kit.steps.formatters.pii import PIIFormatter
from tests.conftest import REPO, SHARED_DATA
from tests.pipeline.helpers import cli, read_jsonl_folder


def test_sft_gsm8k_recipe(tmp_path):
    recipe = (REPO / "pipelines" / "sft-gsm8k.yaml").read_text()
    path = tmp_path / "sft.yaml"  # the recipe's ../shared paths made absolute for any cwd
    path.write_text(recipe.replace("../shared/data", str(SHARED_DATA)))
    out = tmp_path / "out"
    cli("run", str(path), "--output", str(out), "--plain", check=True)
    removed = read_jsonl_folder(out / "removed" / "contaminated")
    assert len(removed) == 9
    assert all(d["metadata"]["filter_reason"] == "contaminated" for d in removed)
    stages = {s["name"]: s for s in json.loads((out / "stats.json").read_text())["stages"]}
    pack = stages["shards"]["steps"][-1]["counters"]
    assert pack["conversations"] == 7473 - 9
    held_out = stages["val_shards"]["steps"][-1]["counters"]  # GSM8K test, for the eval loss
    assert held_out["conversations"] == 1000
    assert (
        open_sft_shards(
            str(out / "val-shards"), tok_val := tokenizer_beside(out / "val-shards")
        ).window
        == 1025
    )
    assert tok_val.n_vocab == 50268
    tok = tokenizer_beside(out / "shards")
    sft = open_sft_shards(str(out / "shards"), tok)
    assert sft.window == 1025
    shard = sft.shards[0]
    assert shard.header.n_tokens == pack["windows"] * 1025
    ids = np.asarray(shard.tokens).reshape(-1, 1025)
    starts = (ids == sft.bos_id).sum() - pack["tokens_padding"]
    assert starts == 7464  # one <|bos|> per conversation, the rest is padding
    assert pack["tokens_conversation"] / (pack["windows"] * 1025) > 0.97
    assert pack["windows_greedy"] > pack["windows"]
    assert segment_ids(ids[0], sft.bos_id)[0] == 0


def test_pii_formatter_rewrites_the_messages():
    msgs = [
        {"role": "user", "content": "mail me at jane.doe@example.com"},
        {"role": "assistant", "content": [{"type": "text", "text": "ok, 8.8.8.8 noted"}]},
    ]
    doc = Document(
        text="user: mail me at jane.doe@example.com", id="1", metadata={"messages": msgs}
    )
    (out,) = PIIFormatter().process_batch([doc], TaskContext(stage="t"))
    new = out.metadata["messages"]
    assert "jane.doe@example.com" not in new[0]["content"] and "@" in new[0]["content"]
    assert "8.8.8.8" not in new[1]["content"][0]["text"]
    assert "8.8.8.8" not in out.text and out.text.startswith("user: mail me at ")
