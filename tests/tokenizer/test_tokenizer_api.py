"""The Tokenizer API: special tokens like tiktoken, batch/threads, files, errors."""

from __future__ import annotations

import pytest

from fineweb_kit.exceptions import TokenizerError
from fineweb_kit.tokenizer import Tokenizer, train_bpe

TEXT = "Some text <|endoftext|> and <|fim_prefix|> here"


def test_special_token_semantics_match_tiktoken(ours, theirs):
    ours_, tk = ours["cl100k_base"], theirs["cl100k_base"]
    for kwargs in (
        {"allowed_special": "all"},
        {"allowed_special": {"<|endoftext|>"}, "disallowed_special": ()},
        {"disallowed_special": ()},
        {"allowed_special": {"<|endoftext|>", "<|fim_prefix|>"}},
    ):
        assert ours_.encode(TEXT, **kwargs) == tk.encode(TEXT, **kwargs), kwargs
    with pytest.raises(ValueError):
        tk.encode(TEXT)
    with pytest.raises(TokenizerError, match=r"<\|endoftext\|>.*at byte 10"):
        ours_.encode(TEXT)
    with pytest.raises(TokenizerError, match="fim_prefix"):
        ours_.encode(TEXT, allowed_special={"<|endoftext|>"})
    assert ours_.encode_ordinary(TEXT) == tk.encode_ordinary(TEXT)
    with pytest.raises(TokenizerError, match="unknown special"):
        ours_.encode("x", allowed_special={"<|nope|>"})


def test_properties_and_decode(ours):
    tok = ours["o200k_base"]
    assert tok.n_vocab == 200019
    assert tok.eot_token == 199999
    assert tok.encode("hello world") == [24912, 2375]
    ids = tok.encode("héllo 世界 🙂")
    assert tok.decode(ids) == "héllo 世界 🙂"
    assert tok.decode_bytes(ids) == "héllo 世界 🙂".encode()
    # a cut inside a multi-byte character: replacement char, exact bytes still available
    rare = tok.encode("\U00013000")  # an Egyptian hieroglyph: several byte tokens
    assert len(rare) > 1
    assert tok.decode(rare[:1]) == "\ufffd"
    assert tok.decode_bytes(rare[:1]) == "\U00013000".encode()[: len(tok.token_bytes(rare[0]))]
    with pytest.raises(TokenizerError, match="not in the vocabulary"):
        tok.decode([200_001])
    assert tok.pretokenize("Hello world's") == ["Hello", " world's"]


def test_batch_threads_equal_single(ours):
    tok = ours["r50k_base"]
    texts = [f"document {i}: " + "word " * (i % 17) for i in range(300)]
    single = [tok.encode(t) for t in texts]
    assert tok.encode_batch(texts, num_threads=1) == single
    assert tok.encode_batch(texts, num_threads=2) == single
    assert tok.encode_batch(texts) == single
    with pytest.raises(ValueError):
        tok.encode_batch(texts, num_threads=0)
    # results arrive in any order; the error names the lowest failing index
    bad = [*texts[:50], "x <|endoftext|>", *texts[:50], "y <|endoftext|>"]
    with pytest.raises(TokenizerError, match=r"texts\[50\].*<\|endoftext\|>"):
        tok.encode_batch(bad, num_threads=2)


def test_lone_surrogates_are_clear_errors(ours):
    tok = ours["cl100k_base"]
    with pytest.raises(TokenizerError, match=r"lone surrogate U\+D800 at index 3"):
        tok.encode("abc\ud800")
    with pytest.raises(TokenizerError, match=r"texts\[1\].*lone surrogate"):
        tok.encode_batch(["fine", "bad\udfff"])
    with pytest.raises(TokenizerError, match="lone surrogate"):
        train_bpe(["ok", "x\ud801"], 260, special_tokens=())


def test_malformed_rank_file_names_the_line(tmp_path, ref):
    good = (ref / "r50k_base.tiktoken").read_bytes().splitlines()
    bad = tmp_path / "bad.tiktoken"
    bad.write_bytes(b"\n".join([*good[:10], b"@@@ 10", *good[11:20]]))
    with pytest.raises(TokenizerError, match=r"bad\.tiktoken:11: invalid base64"):
        Tokenizer.from_tiktoken(bad, "r50k_base")
    bad.write_bytes(b"\n".join([*good[:5], b"IQ== five"]))
    with pytest.raises(TokenizerError, match=":6: invalid rank"):
        Tokenizer.from_tiktoken(bad, "r50k_base")
    bad.write_bytes(b"\n".join(good[1:]))  # byte 0x21 ('!', rank 0) missing
    with pytest.raises(TokenizerError, match="byte 0x21 has no token"):
        Tokenizer.from_tiktoken(bad, "r50k_base")
    with pytest.raises(FileNotFoundError):
        Tokenizer.from_tiktoken(tmp_path / "missing.tiktoken")


def test_malformed_tokenizer_json_names_the_field(tmp_path):
    p = tmp_path / "tokenizer.json"
    p.write_text('{"model": {"type": "BPE", "vocab": {"a": "x"}}}')
    with pytest.raises(TokenizerError, match=r'model\.vocab\["a"\]'):
        Tokenizer.from_hf(p)
    p.write_text('{"model": {"type": "WordPiece"}}')
    with pytest.raises(TokenizerError, match=r"model\.type"):
        Tokenizer.from_hf(p)
    p.write_text('{"model": ')
    with pytest.raises(TokenizerError, match="line 1 column"):
        Tokenizer.from_hf(p)
    p.write_text('{"format": "fineweb-kit-bpe", "version": 1, "pattern": "r50k_base"}')
    with pytest.raises(TokenizerError, match="field special_tokens is missing"):
        Tokenizer.load(p)


def test_user_pattern_and_bad_pattern(ref):
    tok = Tokenizer.from_tiktoken(ref / "cl100k_base.tiktoken", pattern=r"\S+|\s+")
    assert tok.special_tokens == {}
    assert tok.pretokenize("ab  cd") == ["ab", "  ", "cd"]
    assert tok.decode(tok.encode("ab  cd")) == "ab  cd"
    with pytest.raises(ValueError, match="invalid pre-tokenisation pattern"):
        Tokenizer.from_tiktoken(ref / "cl100k_base.tiktoken", pattern="(unclosed")


def test_save_load_and_interop(tmp_path, ours, shared_data):
    """Own format, tiktoken rank file and HF tokenizer.json all give identical ids."""
    import gzip

    import tiktoken
    import tokenizers
    from tiktoken.load import load_tiktoken_bpe

    text = gzip.decompress(
        (shared_data / "text" / "heldout-multi-docs.txt.gz").read_bytes()
    ).decode()[:400_000]
    text += " <|endoftext|> tail"
    # cl100k: its `\p{N}{1,3}+` is written as `{1,3}` for HF's regex engine (where `{n,m}+`
    # would take a whole digit run); the years and numbers of this text check that.
    for name in ("r50k_base", "cl100k_base", "o200k_base"):
        tok = ours[name]
        want = tok.encode(text, allowed_special="all")
        tok.save(tmp_path / f"{name}.json")
        assert Tokenizer.load(tmp_path / f"{name}.json").encode(text, allowed_special="all") == want
        tok.to_tiktoken(tmp_path / f"{name}.tiktoken")
        enc = tiktoken.Encoding(
            name=name,
            pat_str=tok.pattern,
            mergeable_ranks=load_tiktoken_bpe(str(tmp_path / f"{name}.tiktoken")),
            special_tokens=tok.special_tokens,
        )
        assert enc.encode(text, allowed_special="all") == want
        tok.to_hf(tmp_path / f"{name}-tokenizer.json")
        hf = tokenizers.Tokenizer.from_file(str(tmp_path / f"{name}-tokenizer.json"))
        assert hf.encode(text, add_special_tokens=False).ids == want
        back = Tokenizer.from_hf(tmp_path / f"{name}-tokenizer.json")
        assert back.encode(text, allowed_special="all") == want
        assert back.pattern == tok.pattern  # the built-in scanner again, not a user regex
