"""``tiktoken_compat`` against tiktoken itself (built offline from the same rank files).

tiktoken's public suite (test_tiktoken_suite.py) covers its API; these tests compare outputs
and errors call by call on random and adversarial input, for every built-in encoding.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
from pathlib import Path

import hypothesis.strategies as st
import pytest
import tiktoken
import tiktoken.model
from hypothesis import given, settings
from tiktoken.load import load_tiktoken_bpe

from fineweb_kit.exceptions import TokenizerError
from fineweb_kit.tokenizer import tiktoken_compat as compat
from fineweb_kit.tokenizer.tiktoken_compat import registry

NAMES = ("r50k_base", "p50k_edit", "cl100k_base", "o200k_base")
SPECIAL_TEXT = st.sampled_from(
    ["<|endoftext|>", "<|fim_prefix|>", "<|endofprompt|>", "<|fim_suffix|>", "<|end"]
)
TEXT = st.lists(
    st.one_of(st.text(max_size=12), SPECIAL_TEXT, st.sampled_from([" ", "\n\n", "  !", "\ud83d"])),
    max_size=8,
).map("".join)


@pytest.fixture(scope="module", autouse=True)
def rank_dir(ref: Path, monkeypatch_module: pytest.MonkeyPatch) -> Path:
    monkeypatch_module.setenv(registry.ENV_DIR, str(ref))
    return ref


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


@pytest.fixture(scope="module")
def pairs(ref: Path) -> dict[str, tuple[compat.Encoding, tiktoken.Encoding]]:
    specs = {e["name"]: e for e in json.loads((ref / "encodings.json").read_text())["encodings"]}
    out = {}
    for name in NAMES:
        s = specs[name]
        rank_file = {"p50k_edit": "p50k_base"}.get(name, name)
        theirs = tiktoken.Encoding(
            name=name,
            pat_str=s["pat_str"],
            mergeable_ranks=load_tiktoken_bpe(str(ref / f"{rank_file}.tiktoken")),
            special_tokens=s["special_tokens"],
        )
        out[name] = (compat.get_encoding(name), theirs)
    return out


def outcome(call):
    """A call's result, or the type and text of what it raised."""
    try:
        return call()
    except UnicodeEncodeError as e:  # raised by Python's codec in both: same type and text
        return (type(e).__name__, e.reason)
    except (ValueError, KeyError) as e:
        return (type(e).__name__, str(e))


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=100, deadline=None)
@given(text=TEXT)
def test_encode_calls_equal_tiktoken(pairs, name, text):
    ours, theirs = pairs[name]
    for kw in ({}, {"allowed_special": "all"}, {"disallowed_special": ()}):
        assert outcome(lambda e=ours, k=kw: e.encode(text, **k)) == outcome(
            lambda e=theirs, k=kw: e.encode(text, **k)
        )
    assert ours.encode_ordinary(text) == theirs.encode_ordinary(text)
    assert outcome(lambda: ours.encode_to_numpy(text).tolist()) == outcome(
        lambda: theirs.encode_to_numpy(text).tolist()
    )


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=40, deadline=None)
@given(text=TEXT)
def test_unstable_tail_equals_tiktoken(pairs, name, text):
    ours, theirs = pairs[name]
    kw = {"allowed_special": "all"}

    def as_sets(enc):
        stable, completions = enc.encode_with_unstable(text, **kw)
        return stable, {tuple(c) for c in completions}

    assert outcome(lambda: as_sets(ours)) == outcome(lambda: as_sets(theirs))


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=40))
def test_bytes_and_offsets_equal_tiktoken(pairs, name, data):
    ours, theirs = pairs[name]
    ids = theirs._encode_bytes(data)
    assert ours._encode_bytes(data) == ids
    if data:  # tiktoken panics on an empty piece; ours gives []
        assert ours._encode_single_piece(data) == theirs._encode_single_piece(data)
    assert outcome(lambda: ours.decode_with_offsets(ids)) == outcome(
        lambda: theirs.decode_with_offsets(ids)
    )


@pytest.mark.parametrize("name", NAMES)
def test_single_tokens_and_errors_equal_tiktoken(pairs, name):
    ours, theirs = pairs[name]
    assert (ours.n_vocab, ours.max_token_value) == (theirs.n_vocab, theirs.max_token_value)
    assert ours.special_tokens_set == theirs.special_tokens_set
    assert ours.eot_token == theirs.eot_token
    for token in [*range(0, ours.n_vocab + 3, 97), *theirs._special_tokens.values()]:
        got = outcome(lambda t=token: ours.decode_single_token_bytes(t))
        assert got == outcome(lambda t=token: theirs.decode_single_token_bytes(t))
        if isinstance(got, bytes):
            assert ours.encode_single_token(got) == theirs.encode_single_token(got)
        assert ours.is_special_token(token) == theirs.is_special_token(token)
    assert outcome(lambda: ours.encode_single_token(b"\xff\xfe")) == outcome(
        lambda: theirs.encode_single_token(b"\xff\xfe")
    )
    assert ours.token_byte_values() == theirs.token_byte_values()
    assert type(outcome(lambda: ours.decode([ours.n_vocab + 5]))) is tuple  # KeyError, as theirs


def test_disallowed_special_error_is_tiktokens(pairs):
    ours, theirs = pairs["cl100k_base"]
    text = "x <|fim_prefix|> <|endoftext|>"
    for kw in ({}, {"disallowed_special": {"<|endoftext|>"}}, {"disallowed_special": {"y"}}):
        want = outcome(lambda k=kw: theirs.encode(text + " y", **k))
        assert outcome(lambda k=kw: ours.encode(text + " y", **k)) == want
        assert outcome(lambda k=kw: ours.encode_batch(["ok", text + " y"], **k)) == outcome(
            lambda k=kw: theirs.encode_batch(["ok", text + " y"], **k)
        )
    # unknown names in allowed_special are ignored, as in tiktoken
    assert ours.encode("a <|x|>", allowed_special={"<|x|>"}) == theirs.encode(
        "a <|x|>", allowed_special={"<|x|>"}
    )


def test_batches_equal_single_calls(pairs):
    ours, theirs = pairs["o200k_base"]
    texts = ["hello world", "", "\ud83d lone", "日本語のテキスト <|endoftext|>"]
    assert ours.encode_batch(texts, allowed_special="all") == theirs.encode_batch(
        texts, allowed_special="all"
    )
    assert ours.encode_ordinary_batch(texts, num_threads=2) == theirs.encode_ordinary_batch(texts)
    ids = theirs.encode_batch(texts, allowed_special="all")
    assert ours.decode_batch(ids) == theirs.decode_batch(ids)
    assert ours.decode_bytes_batch(ids, num_threads=1) == theirs.decode_bytes_batch(ids)


def test_pickle_keeps_registered_and_custom_encodings(pairs):
    ours, _ = pairs["cl100k_base"]
    assert pickle.loads(pickle.dumps(ours)).__dict__ is not None
    assert len(pickle.dumps(ours)) < 200  # registered: pickled by name
    custom = compat.Encoding(
        "custom",
        pat_str=ours._pat_str,
        mergeable_ranks=ours._mergeable_ranks,
        special_tokens={"<|x|>": 100_300},
    )
    back = pickle.loads(pickle.dumps(custom))
    assert back.encode("hi <|x|>", allowed_special="all") == [6151, 220, 100_300]
    assert back.name == "custom" and back.n_vocab == 100_301


def test_model_table_equals_tiktokens():
    for model, name in tiktoken.model.MODEL_TO_ENCODING.items():
        assert compat.encoding_name_for_model(model) == name
    for prefix, name in tiktoken.model.MODEL_PREFIX_TO_ENCODING.items():
        assert compat.encoding_name_for_model(prefix + "x2") == name
    with pytest.raises(KeyError):
        compat.encoding_for_model("no-such-model")


def test_rank_files_load_offline_only(ref, tmp_path, monkeypatch):
    registry._loaded.clear()
    monkeypatch.setenv(registry.ENV_DIR, str(tmp_path / "none"))
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(TokenizerError, match="FINEWEB_KIT_TIKTOKEN_DIR"):
        compat.get_encoding("r50k_base")
    # tiktoken's cache layout: the file named by the SHA-1 of its URL
    (tmp_path / "cache").mkdir()
    key = hashlib.sha1(registry.R50K.url.encode()).hexdigest()
    shutil.copy(ref / "r50k_base.tiktoken", tmp_path / "cache" / key)
    assert compat.get_encoding("r50k_base").encode("hello world") == [31373, 995]
    # gpt2 from the data-gym encoder.json when no rank file is there
    registry._loaded.clear()
    monkeypatch.setenv(registry.ENV_DIR, str(ref / "gpt2"))
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "")
    assert compat.get_encoding("gpt2").encode("hello world") == [31373, 995]
    # a file whose hash is not the published one is refused
    registry._loaded.clear()
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "p50k_base.tiktoken").write_bytes((ref / "p50k_base.tiktoken").read_bytes()[:-10])
    monkeypatch.setenv(registry.ENV_DIR, str(bad))
    with pytest.raises(TokenizerError, match="SHA-256"):
        compat.get_encoding("p50k_base")
    registry._loaded.clear()
