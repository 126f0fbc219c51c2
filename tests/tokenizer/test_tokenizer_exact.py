"""Our ids equal tiktoken's, token for token, on every shared text file and on HTML-page text."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
from pathlib import Path

import numpy as np

from fineweb_kit.tokenizer import Tokenizer

ENCODINGS = ("r50k_base", "cl100k_base", "o200k_base")


def _expected(ref: Path) -> list[dict[str, str]]:
    with open(ref / "expected" / "token_counts.tsv") as f:
        lines = [line for line in f if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def test_every_text_file_matches_tiktoken(shared_data, ref, ours):
    """sha256 of the id sequence of each whole file equals the one tiktoken 0.14 recorded."""
    rows = _expected(ref)
    files = sorted({r["file"] for r in rows})
    assert len(files) >= 20
    checked = 0
    for name in files:
        text = gzip.decompress((shared_data / "text" / name).read_bytes()).decode("utf-8")
        for row in (r for r in rows if r["file"] == name):
            ids = ours[row["encoding"]].encode_to_numpy(text, disallowed_special=())
            digest = hashlib.sha256(ids.astype("<u4").tobytes()).hexdigest()
            assert (len(ids), digest) == (int(row["tokens"]), row["ids_sha256"]), (
                f"{name} {row['encoding']}"
            )
            checked += 1
    assert checked == len(rows)


def test_samples_ordinary_and_special(ref, ours):
    """The 64 edge-case strings x 4 encodings, with and without allowed specials."""
    n = 0
    for line in (ref / "expected" / "samples.jsonl").read_text().split("\n"):
        if not line:
            continue
        s = json.loads(line)
        tok = ours[s["encoding"]]
        assert tok.encode_ordinary(s["text"]) == s["ids_ordinary"], s
        assert tok.encode(s["text"], allowed_special="all") == s["ids_allowed_special_all"], s
        n += 1
    assert n >= 200


def _html_texts(shared_data: Path, limit: int | None = None) -> list[str]:
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.encoding import bytes_to_str, detect_encoding

    out = []
    for p in sorted((shared_data / "html").glob("*.html.gz"))[:limit]:
        raw = gzip.decompress(p.read_bytes())
        html = bytes_to_str(raw, detect_encoding(raw))
        out.append(extract_plain_text(html, main_content=False))
    return out


def test_html_page_text_matches_tiktoken(shared_data, ours, theirs):
    """Text extracted from all 885 HTML pages, and 60 raw pages as text, per encoding."""
    import resiliparse  # noqa: F401 - a missing oracle must fail, not skip

    texts = _html_texts(shared_data)
    assert len(texts) > 800
    raw = [
        gzip.decompress(p.read_bytes()).decode("utf-8", "replace")
        for p in sorted((shared_data / "html").glob("*.html.gz"))[:60]
    ]
    for enc in ENCODINGS:
        for t in texts + raw:
            assert ours[enc].encode(t, disallowed_special=()) == theirs[enc].encode(
                t, disallowed_special=()
            ), enc


def test_gpt2_tokenizer_json_equals_r50k(ref, ours, theirs):
    """HF's GPT-2 tokenizer.json loads with the same vocabulary and ids as r50k."""
    hf = Tokenizer.from_hf(ref / "gpt2" / "tokenizer.json")
    assert hf.n_vocab == 50257
    assert hf.special_tokens == {"<|endoftext|>": 50256}
    text = "Hello world's 12345 héllo\n\n  \tend<|endoftext|>"
    assert hf.encode(text, allowed_special="all") == theirs["r50k_base"].encode(
        text, allowed_special="all"
    )
    assert hf.mergeable_ranks() == ours["r50k_base"].mergeable_ranks()


def test_long_run_without_spaces(ours, theirs):
    """900,000 letters in one piece: same ids as tiktoken, through the heap merge."""
    text = "a" * 300_000 + "bcd" * 200_000
    for enc in ("cl100k_base", "o200k_base"):
        ids = ours[enc].encode_ordinary(text)
        assert ids == theirs[enc].encode_ordinary(text)
        assert ours[enc].decode(ids) == text


def test_numpy_concat_equals_batch(ours):
    tok = ours["cl100k_base"]
    texts = ["first doc", "", "second  doc\n", "<|endoftext|> inside"]
    arr = tok.encode_to_numpy(texts, append_eot=True, disallowed_special=(), num_threads=2)
    expected: list[int] = []
    for ids in tok.encode_batch(texts, disallowed_special=()):
        expected += [*ids, tok.eot_token]
    assert arr.dtype == np.uint32
    assert arr.tolist() == expected
