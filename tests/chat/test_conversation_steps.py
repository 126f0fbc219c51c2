"""ConversationReader (malformed records counted), Decontaminate (planted overlaps),
PackConversations (windows, no split, fill rate, truncation, shard checks)."""

from __future__ import annotations

import json
import logging
import random
import re

import numpy as np
import pytest

from fineweb_kit.chat import ChatTemplate, from_hh
from fineweb_kit.chat.packing import best_fit, fill_rate, greedy, segment_ids
from fineweb_kit.chat.shards import open_sft_shards, tokenizer_beside
from fineweb_kit.exceptions import FormatError
from fineweb_kit.pipeline import build_step
from fineweb_kit.steps.base import TaskContext
from fineweb_kit.steps.readers.conversations import ConversationReader
from fineweb_kit.steps.tokens.pack_conversations import PackConversations
from fineweb_kit.tokenizer import Tokenizer
from tests.chat.conftest import posttrain, records

LOG = logging.getLogger("test")


def _read(reader, path, tmp_path):
    ctx = TaskContext(stage="t", input_path=str(path), output_root=tmp_path, log=LOG)
    return [d for b in reader.process([], ctx) for d in b]


GOOD = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}
BAD = [
    ({"messages": [{"role": "wizard", "content": "x"}]}, "unknown_role"),
    ({"messages": []}, "empty"),
    ({"messages": "hello"}, "bad_type"),
    (
        {"messages": [{"role": "user", "content": 3}, {"role": "assistant", "content": "a"}]},
        "bad_type",
    ),
    ({"messages": [{"role": "user", "content": "only a question"}]}, "no_assistant"),
    ({"messages": [{"role": "user"}]}, "missing_field"),
    ({"text": "no messages"}, "bad_format"),
    (
        {"messages": [GOOD["messages"][0], {"role": "system", "content": "late"}]},
        "misplaced_system",
    ),
]


def test_malformed_records_are_counted_and_skipped(tmp_path):
    path = tmp_path / "chats.jsonl"
    lines = [json.dumps(GOOD)] + [json.dumps(r) for r, _ in BAD] + ["{not json", json.dumps(GOOD)]
    path.write_text("\n".join(lines) + "\n")
    reader = ConversationReader(str(path), format="openai")
    docs = _read(reader, path, tmp_path)
    assert len(docs) == 2
    assert docs[0].text == "user: hi\n\nassistant: yo"
    assert docs[0].metadata["messages"] == GOOD["messages"]
    expected: dict[str, int] = {}
    for _, reason in BAD:
        expected[f"dropped_{reason}"] = expected.get(f"dropped_{reason}", 0) + 1
    for key, n in expected.items():
        assert _stat(reader, key) == n, key
    assert _stat(reader, "errors_bad_line") == 1


def _stat(step, key):
    data = step.stats.to_json()
    for v in data.values():
        if isinstance(v, dict) and key in v:
            return v[key]
    return data.get(key, 0)


def test_sharegpt_and_gsm8k_and_hh_readers(tmp_path):
    share = tmp_path / "share.jsonl"
    share.write_text(
        json.dumps(
            {
                "id": "a",
                "conversations": [
                    {"from": "human", "value": "2+2?"},
                    {"from": "gpt", "value": "4"},
                ],
            }
        )
        + "\n"
        + json.dumps({"conversations": [{"from": "alien", "value": "?"}]})
        + "\n"
    )
    r = ConversationReader(str(share), format="sharegpt")
    docs = _read(r, share, tmp_path)
    assert [d.id for d in docs] == ["a"] and _stat(r, "dropped_unknown_role") == 1
    g = ConversationReader(str(posttrain("gsm8k-test.jsonl.gz")), format="gsm8k")
    docs = _read(g, posttrain("gsm8k-test.jsonl.gz"), tmp_path)
    assert len(docs) == 1000 and docs[0].metadata["final_answer"] == "18"
    h = ConversationReader(str(posttrain("hh-rlhf-harmless-base-test.jsonl.gz")), format="hh")
    docs = _read(h, posttrain("hh-rlhf-harmless-base-test.jsonl.gz"), tmp_path)
    assert len(docs) == 2000 and "rejected" in docs[0].metadata


def test_decontaminate_drops_planted_overlaps_and_nothing_else(tmp_path):
    test_items = records("gsm8k-test.jsonl.gz")
    rng = random.Random(0)
    hh = [r["chosen"] for r in records("hh-rlhf-harmless-base-test.jsonl.gz")[:400]]
    planted, near = set(rng.sample(range(400), 20)), set()
    rows = []
    for i, text in enumerate(hh):
        conv = from_hh(text)
        words = re.findall(r"[^\W_]+", test_items[rng.randrange(1000)]["question"])
        if i in planted:  # 13 consecutive words of a test question inside an assistant turn
            span = " ".join(words[:13])
            conv[1]["content"] += f" By the way: {span.upper()}!"
        elif i % 10 == 0 and len(words) >= 12:  # 12 words: below the n-gram length, kept
            near.add(i)
            conv[1]["content"] += " " + " ".join(words[:12])
        rows.append(json.dumps({"id": str(i), "messages": conv}))
    path = tmp_path / "train.jsonl"
    path.write_text("\n".join(rows) + "\n")
    docs = _read(ConversationReader(str(path)), path, tmp_path)
    step = build_step(
        {
            "type": "Decontaminate",
            "eval_files": str(posttrain("gsm8k-test.jsonl.gz")),
            "exclusion_writer": {
                "type": "JsonlWriter",
                "output_folder": "removed",
                "compression": "none",
            },
        },
        "test",
    )
    ctx = TaskContext(stage="t", output_root=tmp_path, part_name="p", log=LOG)
    step.setup(ctx)
    step.open_file(ctx)
    kept = step.process_batch(docs, ctx)
    step.close_file(ctx, True)
    dropped = {int(d.id) for d in docs} - {int(d.id) for d in kept}
    assert dropped == planted and near and not (near & dropped)
    assert _stat(step, "dropped_contaminated") == 20
    assert _stat(step, "eval_items") == 1000
    removed = (tmp_path / "removed" / "p.jsonl").read_text().splitlines()
    assert {int(json.loads(x)["id"]) for x in removed} == planted


def test_best_fit_beats_greedy_and_never_splits():
    rng = np.random.default_rng(0)
    lengths = rng.integers(20, 600, size=3000)
    bf, gr = best_fit(lengths, 1025), greedy(lengths, 1025)
    for bins in (bf, gr):
        assert sorted(i for b in bins for i in b) == list(range(3000))
        assert all(lengths[b].sum() <= 1025 for b in bins)
    assert fill_rate(lengths, bf, 1025) > 0.97 > fill_rate(lengths, gr, 1025) + 0.05
    assert bf == _best_fit_oracle(lengths.tolist(), 1025)


def _best_fit_oracle(lengths: list[int], window: int) -> list[list[int]]:
    """Best-fit decreasing as the packing doc states it, in plain Python: longest first
    (ties in input order), into the window with the least room that fits (ties: older)."""
    bins: list[list[int]] = []
    room: list[int] = []
    for i in sorted(range(len(lengths)), key=lambda i: -lengths[i]):
        fits = [b for b in range(len(bins)) if room[b] >= lengths[i]]
        if fits:
            b = min(fits, key=lambda b: (room[b], b))
        else:
            bins.append([])
            room.append(window)
            b = len(bins) - 1
        bins[b].append(i)
        room[b] -= lengths[i]
    return [sorted(b) for b in bins]


def _pack(tmp_path, chat_tok, messages, **kw):
    tmp_path.mkdir(parents=True, exist_ok=True)
    tok_file = tmp_path / "chat_tok.json"
    chat_tok.save(tok_file)
    step = PackConversations("shards", str(tok_file), **kw)
    ctx = TaskContext(stage="t", output_root=tmp_path, part_name="part", log=LOG)
    from fineweb_kit.document import Document

    docs = [Document(text="", id=str(i), metadata={"messages": m}) for i, m in enumerate(messages)]
    step.setup(ctx)
    step.open_file(ctx)
    for a in range(0, len(docs), 256):
        step.write_batch(docs[a : a + 256])
    step.close_file(ctx, True)
    return step, tmp_path / "shards"


def test_packed_shards_hold_whole_conversations(tmp_path, chat_tok, gsm8k_records):
    from fineweb_kit.chat import from_gsm8k

    convs = [from_gsm8k(r) for r in gsm8k_records[:1500]]
    step, folder = _pack(tmp_path, chat_tok, convs, seq_len=512, buffer_conversations=700)
    tok = tokenizer_beside(folder)
    sft = open_sft_shards(str(folder), tok)
    assert sft.window == 513
    t = ChatTemplate(tok)
    originals = {tuple(r.ids.tolist()): r.mask.tolist() for r in t.render_batch(convs)}
    found = 0
    real = 0
    for shard in sft.shards:
        for w in range(len(shard)):
            ids = np.asarray(shard.doc(w)).astype(np.int64)
            mask = np.asarray(shard.mask[slice(*shard.doc_range(w))])
            seg = segment_ids(ids, t.bos_id)
            for s in np.unique(seg):
                part = ids[seg == s]
                if len(part) == 1:  # padding
                    assert mask[seg == s].sum() == 0
                    continue
                assert originals[tuple(part.tolist())] == mask[seg == s].tolist()
                found += 1
                real += len(part)
    assert found == 1500  # every conversation once, whole, with its mask
    n_windows = _stat(step, "windows")
    assert real == _stat(step, "tokens_conversation")
    best, greedy_ = real / (n_windows * 513), real / (_stat(step, "windows_greedy") * 513)
    assert best > 0.95 and best > greedy_


def test_overlong_conversations_truncated_at_a_turn_or_dropped(tmp_path, chat_tok, hh_texts):
    convs = [from_hh(x) for x in hh_texts[:400]]
    t = ChatTemplate(chat_tok)
    lengths = t.render_flat(convs).lengths
    assert (lengths > 129).sum() > 50
    step, folder = _pack(tmp_path, chat_tok, convs, seq_len=128, pack=False)
    n_trunc, n_drop = _stat(step, "conversations_truncated"), _stat(step, "dropped_too_long")
    assert n_trunc + n_drop == int((lengths > 129).sum()) and n_trunc > 0
    sft = open_sft_shards(str(folder), chat_tok)
    assert sft.window is None
    ends = set(chat_tok.special_tokens[s] for s in ("<|assistant_end|>", "<|user_end|>"))
    for shard in sft.shards:
        for i in range(len(shard)):
            doc = np.asarray(shard.doc(i))
            assert len(doc) <= 129 and doc[0] == t.bos_id and int(doc[-1]) in ends

    # _pack_drop
    step2, _ = _pack(tmp_path / "d", chat_tok, convs, seq_len=128, overlong="drop")
    assert _stat(step2, "dropped_too_long") == int((lengths > 129).sum())


def test_sft_shards_refuse_another_tokenizer(tmp_path, chat_tok, shared_data):
    from fineweb_kit.chat import from_gsm8k

    _, folder = _pack(
        tmp_path,
        chat_tok,
        [from_gsm8k(r) for r in records("gsm8k-test.jsonl.gz")[:50]],
        seq_len=256,
    )
    base = Tokenizer.from_tiktoken(
        shared_data / "tokenizer-ref" / "r50k_base.tiktoken", "r50k_base"
    )
    with pytest.raises(FormatError, match="chat specials"):
        open_sft_shards(str(folder), base)
    other = Tokenizer.from_ranks(
        chat_tok.mergeable_ranks(),
        chat_tok.pattern,
        {**chat_tok.special_tokens, "<|extra|>": 50268},
    )
    with pytest.raises(FormatError, match="tokenizer"):
        open_sft_shards(str(folder), other)


def test_chat_render_cli_shows_the_masked_tokens(capsys):
    from fineweb_kit.cli import main

    rc = main(
        [
            "chat",
            "render",
            str(posttrain("gsm8k-test.jsonl.gz")),
            "--format",
            "gsm8k",
            "--index",
            "1",
            "--tokenizer",
            str(posttrain("..") / "tokenizer-ref" / "r50k_base.tiktoken"),
            "--add-chat-specials",
        ]
    )
    out = capsys.readouterr().out
    assert rc == 0 and "in the loss" in out and "<|tool_call_start|>" in out
    assert records("gsm8k-test.jsonl.gz")[1]["question"].split()[0] in out


def test_openai_tool_calls_sharegpt_function_calls_and_parquet(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from fineweb_kit.chat import from_openai, from_sharegpt

    conv = from_openai(
        {
            "messages": [
                {"role": "system", "content": [{"type": "text", "text": "Be exact."}]},
                {"role": "user", "content": "12*7?"},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [{"function": {"name": "calc", "arguments": '{"expr": "12*7"}'}}],
                },
                {"role": "tool", "content": "84"},
                {"role": "assistant", "content": "84"},
            ]
        }
    )
    assert conv[2]["content"] == [{"type": "tool_call", "text": 'calc({"expr": "12*7"})'}]
    assert conv[0]["content"] == "Be exact." and conv[3]["role"] == "tool"
    share = from_sharegpt(
        {
            "conversations": [
                {"from": "human", "value": "12*7?"},
                {"from": "gpt", "value": "Let me compute."},
                {"from": "function_call", "value": "12*7"},
                {"from": "observation", "value": "84"},
                {"from": "gpt", "value": "84"},
            ]
        }
    )
    assert share[1]["content"][1] == {"type": "tool_call", "text": "12*7"}
    assert [m["role"] for m in share] == ["user", "assistant", "tool", "assistant"]
    path = tmp_path / "chats.parquet"
    pq.write_table(
        pa.table(
            {
                "id": ["a", "b"],
                "conversations": [
                    [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "hello"}],
                    [{"from": "robot", "value": "?"}],
                ],
            }
        ),
        path,
    )
    reader = ConversationReader(str(path), format="sharegpt")
    docs = _read(reader, path, tmp_path)
    assert [d.id for d in docs] == ["a"] and _stat(reader, "dropped_unknown_role") == 1
