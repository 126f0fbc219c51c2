"""The CLI (`fineweb-kit tokenizer train/encode/bench`) and the TrainTokenizer pipeline step."""

from __future__ import annotations

import gzip
import subprocess
import sys

import numpy as np
import pytest

from fineweb_kit.document import Document
from fineweb_kit.steps.base import TaskContext
from fineweb_kit.steps.params import ParamError
from fineweb_kit.steps.tokens.train_tokenizer import TrainTokenizer
from fineweb_kit.tokenizer import Tokenizer, train_bpe


def _cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "fineweb_kit", "tokenizer", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )


def test_cli_train_and_encode(tmp_path, shared_data):
    src = str(shared_data / "text" / "de-prose-gutenberg.txt.gz")
    out = tmp_path / "tok.json"
    r = _cli("train", "--input", src, "--vocab-size", "600", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "trained 600 ids" in r.stderr
    tok = Tokenizer.load(out)
    assert tok.special_tokens == {"<|endoftext|>": 599}
    r = _cli("encode", "--tokenizer", str(out), "--input", src, "--out", str(tmp_path / "ids.npy"))
    assert r.returncode == 0, r.stderr
    ids = np.load(tmp_path / "ids.npy")
    text = gzip.decompress((shared_data / "text" / "de-prose-gutenberg.txt.gz").read_bytes())
    assert tok.decode_bytes(ids[ids != 599]) == text
    r = _cli("encode", "--tokenizer", str(out), "--text", "Faust<|endoftext|>")
    assert r.stdout.split()[-1] == "599"
    r = _cli(
        "train",
        "--input",
        str(tmp_path / "none-*.txt"),
        "--vocab-size",
        "300",
        "--out",
        str(tmp_path / "x.json"),
    )
    assert r.returncode == 1 and "no input file matches" in r.stderr


def test_cli_bench_small(tmp_path, shared_data):
    r = _cli(
        "bench",
        "--corpus",
        str(shared_data / "text" / "de-prose-gutenberg.txt.gz"),
        "--ref",
        str(shared_data / "tokenizer-ref"),
        "--mb",
        "0.2",
        "--runs",
        "1",
        "--corpora",
        "files",
        "--vocabs",
        "cl100k_base",
        "--only",
        "fineweb-kit",
        "tiktoken",
        "--skip-train",
        "--worst-lengths",
        "20000",
        "--chart",
        str(tmp_path / "chart.png"),
    )
    assert r.returncode == 0, r.stderr
    assert "tiktoken: exact; fineweb-kit: exact" in r.stdout, r.stdout
    assert "### cl100k_base" in r.stdout
    rows = [x for x in r.stdout.splitlines() if "de-prose-gutenberg" in x and x.startswith("|")]
    assert [x.split(" | ")[1] for x in rows[-3:]] == [
        "per-doc, first sight",
        "flat array, first sight",
        "per-doc, warm",
    ]
    assert "| random a-z x 20,000 |" in r.stdout
    assert (tmp_path / "chart.png").read_bytes()[:4] == b"\x89PNG"


def test_step_trains_like_train_bpe(tmp_path, shared_data):
    text = gzip.decompress((shared_data / "text" / "es-prose-gutenberg.txt.gz").read_bytes())
    docs = [
        Document(text=t, id=str(i)) for i, t in enumerate(text.decode()[:800_000].split("\n\n"))
    ]
    step = TrainTokenizer(output="vocab/tok.json", vocab_size=700, pattern="cl100k_base")
    assert TrainTokenizer.whole_task is True
    ctx = TaskContext(stage="tok", output_root=tmp_path)
    step.setup(ctx)
    batches = [docs[i : i + 256] for i in range(0, len(docs), 256)]
    passed = [d for b in step.process(iter(batches), ctx) for d in b]
    assert passed == docs
    step.teardown()
    got = Tokenizer.load(tmp_path / "vocab" / "tok.json")
    want = train_bpe([d.text for d in docs], 700, pattern="cl100k_base")
    assert got.mergeable_ranks() == want.mergeable_ranks()
    assert got.special_tokens == {"<|endoftext|>": 699}


def test_step_parameters():
    with pytest.raises(ParamError, match="vocab_size"):
        TrainTokenizer(output="t.json", vocab_size=100)
    with pytest.raises(ParamError, match="format"):
        TrainTokenizer(output="t.json", format="bin")
    with pytest.raises(ParamError, match="pattern"):
        TrainTokenizer(output="t.json", pattern="(bad")
    step = TrainTokenizer(output="t.json")
    with pytest.raises(ParamError, match="tasks: 1"):
        step.setup(TaskContext(stage="s", world_size=2))
