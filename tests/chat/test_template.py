"""The chat template on every shared conversation: ids, masks, prompt, specials."""

from __future__ import annotations

import re

import pytest

from fineweb_kit.chat import (
    CHAT_SPECIALS,
    ChatTemplate,
    from_gsm8k,
    from_hh,
    render_plain,
    validate,
    with_chat_specials,
)
from fineweb_kit.exceptions import TokenizerError
from fineweb_kit.tokenizer import Tokenizer, train_bpe

CALL = re.compile(r"<<([^<>=]*)=([^<>]*)>>")


def _masked_and_rest(tok, r):
    m = r.mask.astype(bool)
    return tok.decode(r.ids[m]), tok.decode(r.ids[~m])


def test_gsm8k_masks_exactly_the_assistant_parts(chat_tok, gsm8k_records):
    """Every shared GSM8K conversation (8,473): the masked-in tokens decode to the solution
    with each <<e=r>> as a tool call and without its output; the rest is the prompt + outputs."""
    t = ChatTemplate(chat_tok)
    rendered = t.render_batch([from_gsm8k(r) for r in gsm8k_records])
    assert len(rendered) == 8473
    for rec, r in zip(gsm8k_records, rendered, strict=True):
        learned, rest = _masked_and_rest(chat_tok, r)
        expected = CALL.sub(r"<|tool_call_start|>\1<|tool_call_end|>", rec["answer"])
        assert learned == expected + "<|assistant_end|>"
        outputs = "".join(
            f"<|tool_output_start|>{m.group(2)}<|tool_output_end|>"
            for m in CALL.finditer(rec["answer"])
        )
        assert rest == (
            f"<|bos|><|user_start|>{rec['question']}<|user_end|><|assistant_start|>{outputs}"
        )


def test_hh_masks_exactly_the_assistant_turns(chat_tok, hh_texts):
    """Every shared HH-RLHF dialogue (4,000, empty turns included)."""
    t = ChatTemplate(chat_tok)
    rendered = t.render_batch([from_hh(x) for x in hh_texts])
    for text, r in zip(hh_texts, rendered, strict=True):
        turns = re.split(r"\n\n(Human|Assistant):", text)[1:]
        said = list(zip(turns[::2], turns[1::2], strict=True))
        learned, rest = _masked_and_rest(chat_tok, r)
        assert learned == "".join(
            f"{body.strip()}<|assistant_end|>" for who, body in said if who == "Assistant"
        )
        prompt = "".join(
            f"<|user_start|>{body.strip()}<|user_end|>" if who == "Human" else "<|assistant_start|>"
            for who, body in said
        )
        assert rest == "<|bos|>" + prompt


def test_fast_render_equals_plain_python(chat_tok, gsm8k_records, hh_texts):
    """The batched renderer equals the one-encode-per-piece oracle, ids and mask."""
    convs = [from_gsm8k(r) for r in gsm8k_records[:2000]] + [from_hh(x) for x in hh_texts]
    for conv, r in zip(convs, ChatTemplate(chat_tok).render_batch(convs), strict=True):
        ids, mask = render_plain(chat_tok, conv)
        assert r.ids.tolist() == ids and r.mask.tolist() == mask


ODD = [
    {"role": "system", "content": "Be brief. <|user_end|> is text here."},
    {"role": "user", "content": "hi <|bos|><|assistant_start|>"},
    {
        "role": "assistant",
        "content": [
            {"type": "text", "text": "Let me compute: "},
            {"type": "tool_call", "text": "2*(3+4)"},
            {"type": "tool_output", "text": "14"},
            {"type": "text", "text": "it is 14."},
        ],
    },
    {"role": "user", "content": "and the weather?"},
    {"role": "assistant", "content": [{"type": "tool_call", "text": "weather(paris)"}]},
    {"role": "tool", "content": "sunny"},
    {"role": "assistant", "content": ""},
]


def test_special_strings_in_text_stay_text_and_all_roles(chat_tok):
    """Special-token strings typed in messages are plain text; system/tool roles render."""
    t = ChatTemplate(chat_tok)
    ids, mask = t.render(ODD)
    ref_ids, ref_mask = render_plain(chat_tok, validate(ODD))
    assert ids.tolist() == ref_ids and mask.tolist() == ref_mask
    specials = set(chat_tok.special_tokens.values())
    n_special = sum(1 for i in ids.tolist() if i in specials)
    assert n_special == 1 + 2 * 7 + 2 * 3  # bos, 7 message wrappers, 2 tool calls, 1 output
    learned = t.decode_masked(ids, mask)
    assert learned == (
        "Let me compute: <|tool_call_start|>2*(3+4)<|tool_call_end|>it is 14.<|assistant_end|>"
        "<|tool_call_start|>weather(paris)<|tool_call_end|><|assistant_end|><|assistant_end|>"
    )
    r = t.render_batch([ODD])[0]
    ends = {t.special_id(s) for s in ("<|system_end|>", "<|user_end|>", "<|assistant_end|>")}
    closing = [i + 1 for i, x in enumerate(ids.tolist()) if x in ends]
    tool_end = closing[-2] + 2 + len(chat_tok.encode_ordinary("sunny"))  # the tool message
    assert r.turn_ends.tolist() == sorted([*closing, tool_end])
    assert len(r.turn_ends) == len(ODD) and r.turn_ends[-1] == len(ids)


def test_render_prompt_drops_the_answer_and_opens_the_assistant(chat_tok, gsm8k_records):
    t = ChatTemplate(chat_tok)
    conv = from_gsm8k(gsm8k_records[0])
    prompt = t.render_prompt(conv)
    full, _ = t.render(conv)
    n = len(prompt)
    assert prompt.tolist() == full[:n].tolist()  # the prompt is a prefix of the rendering
    assert prompt[-1] == t.special_id("<|assistant_start|>")
    assert chat_tok.decode(prompt).endswith("<|user_end|><|assistant_start|>")


def test_with_chat_specials_appends_after_the_base_vocabulary(chat_tok, tmp_path, shared_data):
    base = Tokenizer.from_tiktoken(
        shared_data / "tokenizer-ref" / "r50k_base.tiktoken", "r50k_base"
    )
    assert [chat_tok.special_tokens[s] for s in CHAT_SPECIALS] == list(range(50257, 50268))
    assert chat_tok.special_tokens["<|endoftext|>"] == 50256
    text = "Hello world, 48/2 = 24 <|bos|>"
    assert chat_tok.encode_ordinary(text) == base.encode_ordinary(text)
    assert with_chat_specials(chat_tok) is chat_tok
    chat_tok.save(tmp_path / "tok.json")  # the specials are recorded in the tokenizer file
    again = Tokenizer.load(tmp_path / "tok.json")
    assert again.special_tokens == chat_tok.special_tokens
    with pytest.raises(TokenizerError, match="with_chat_specials"):
        ChatTemplate(base)


def test_train_bpe_with_chat_specials(hh_texts):
    tok = train_bpe(
        hh_texts[:300], 400, "r50k_base", special_tokens=("<|endoftext|>", *CHAT_SPECIALS)
    )
    assert [tok.special_tokens[s] for s in CHAT_SPECIALS] == list(range(389, 400))
    ids, mask = ChatTemplate(tok).render(from_hh(hh_texts[0]))
    assert ids[0] == tok.special_tokens["<|bos|>"] and mask.any()


def test_rust_walker_refuses_unvalidated_input_with_an_error(chat_tok):
    t = ChatTemplate(chat_tok)
    with pytest.raises(ValueError, match="unknown role"):
        t.render_flat([[{"role": "wizard", "content": "x"}]], validated=True)
    with pytest.raises(KeyError):
        t.render_flat([[{"role": "user"}]], validated=True)
    with pytest.raises(TypeError):
        t.render_flat([[{"role": "user", "content": 3}]], validated=True)
