"""The trainer: identical merges to a pure-Python reference and to rustbpe; inputs and errors."""

from __future__ import annotations

import gzip
import itertools
import json
from collections import Counter

import pytest

from fineweb_kit.exceptions import InputError, TokenizerError
from fineweb_kit.tokenizer import Tokenizer, train_bpe


def reference_bpe(texts: list[str], pattern: str, vocab_size: int) -> list[bytes]:
    """Textbook BPE (recount everything each step): most frequent pair, ties to the smallest
    (left id, right id). Returns the token bytes in id order."""
    import regex

    counts = Counter(p for t in texts for p in regex.findall(pattern, t))
    words = {tuple(p.encode()): c for p, c in counts.items()}
    vocab = [bytes([b]) for b in range(256)]
    while len(vocab) < vocab_size:
        pairs: Counter = Counter()
        for w, c in words.items():
            for a, b in itertools.pairwise(w):
                pairs[(a, b)] += c
        if not pairs:
            break
        best = max(pairs.items(), key=lambda kv: (kv[1], (-kv[0][0], -kv[0][1])))[0]
        new = len(vocab)
        vocab.append(vocab[best[0]] + vocab[best[1]])
        merged = {}
        for w, c in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    out.append(new)
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            merged[tuple(out)] = merged.get(tuple(out), 0) + c
        words = merged
    return vocab


def _ids_in_order(tok: Tokenizer) -> list[bytes]:
    return [b for b, _ in sorted(tok.mergeable_ranks().items(), key=lambda kv: kv[1])]


@pytest.fixture(scope="module")
def corpus(shared_data) -> list[str]:
    """~3 MB of documents from several languages (cut at blank lines)."""
    docs: list[str] = []
    for name, size in [
        ("en-prose-gutenberg-1.txt.gz", 1_500_000),
        ("multi-docs-gnome-help.txt.gz", 1_000_000),
        ("code-python-stdlib-1.txt.gz", 500_000),
    ]:
        text = gzip.decompress((shared_data / "text" / name).read_bytes()).decode()[:size]
        docs += text.split("\n\n")
    return docs


def test_equals_pure_python_reference(corpus, ours):
    import regex  # noqa: F401 - a missing oracle must fail, not skip

    small = corpus[:300]
    pat = ours["cl100k_base"].pattern
    tok = train_bpe(small, 400, pattern=pat, special_tokens=())
    assert _ids_in_order(tok) == reference_bpe(small, pat, 400)


@pytest.mark.parametrize(("pattern", "vocab"), [("cl100k_base", 2000), ("o200k_base", 1000)])
def test_equals_rustbpe(corpus, ours, pattern, vocab):
    import rustbpe

    pat = ours[pattern].pattern
    ref = rustbpe.Tokenizer()
    ref.train_from_iterator(corpus, vocab, pattern=pat)
    want = [bytes(b) for b, _ in sorted(ref.get_mergeable_ranks(), key=lambda x: x[1])]
    tok = train_bpe(corpus, vocab, pattern=pattern, special_tokens=(), num_threads=2)
    assert _ids_in_order(tok) == want
    # thread count does not change the result
    one = train_bpe(corpus[:2000], 600, pattern=pattern, special_tokens=(), num_threads=1)
    two = train_bpe(corpus[:2000], 600, pattern=pattern, special_tokens=(), num_threads=2)
    assert one.mergeable_ranks() == two.mergeable_ranks()


def test_specials_files_and_round_trip(tmp_path, corpus):
    jsonl = tmp_path / "docs.jsonl"
    jsonl.write_text("\n".join(json.dumps({"text": d}) for d in corpus[:500]))
    txt = tmp_path / "docs.txt.gz"
    txt.write_bytes(gzip.compress("\n\n".join(corpus[:500]).encode()))
    a = train_bpe(jsonl, 700, special_tokens=("<|endoftext|>", "<|pad|>"))
    assert a.n_vocab == 700
    assert a.special_tokens == {"<|endoftext|>": 698, "<|pad|>": 699}
    assert a.eot_token == 698
    b = train_bpe(str(tmp_path / "*.txt.gz"), 700)
    assert b.n_vocab == 700
    sample = corpus[3] + "<|endoftext|>"
    ids = a.encode(sample, allowed_special="all")
    assert ids[-1] == 698
    assert a.decode(ids) == sample
    a.save(tmp_path / "a.json")
    assert Tokenizer.load(tmp_path / "a.json").encode(sample, allowed_special="all") == ids


def test_bad_training_input(tmp_path):
    with pytest.raises(TokenizerError, match="below 256"):
        train_bpe(["abc"], 256, special_tokens=("<|endoftext|>",))
    with pytest.raises(TokenizerError, match="duplicates"):
        train_bpe(["abc"], 300, special_tokens=("<|a|>", "<|a|>"))
    empty = train_bpe([], 300, special_tokens=())
    assert empty.n_vocab == 256  # nothing to merge: bytes only
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"fine line\nbroken \xff\xfe line\n")
    with pytest.raises(InputError, match=r"bad\.txt:2: invalid UTF-8"):
        train_bpe(bad, 300)
    with pytest.raises(InputError, match="no input file"):
        train_bpe(str(tmp_path / "nothing-*.txt"), 300)
