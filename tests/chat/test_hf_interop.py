"""HF interop: the exported tokenizer + Jinja chat template render our ids and masks, on every
shared conversation (transformers' apply_chat_template as the oracle)."""

from __future__ import annotations

import pytest
from transformers import AutoTokenizer

from fineweb_kit.chat import ChatTemplate, from_gsm8k, from_hh
from fineweb_kit.chat.hf import CHAT_TEMPLATE, export_hf
from tests.chat.test_template import ODD

# every role and part type; HF matches added tokens inside text, so no special strings in it
CLEAN = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}, *ODD[2:]]


@pytest.mark.slow
def test_hf_renders_the_same_ids_and_masks(chat_tok, gsm8k_records, hh_texts, tmp_path):
    folder = export_hf(chat_tok, tmp_path / "hf")
    hf = AutoTokenizer.from_pretrained(folder)
    assert hf.chat_template == CHAT_TEMPLATE
    convs = [from_gsm8k(r) for r in gsm8k_records] + [from_hh(x) for x in hh_texts] + [CLEAN]
    ours = ChatTemplate(chat_tok).render_batch(convs)
    step = 2000
    for a in range(0, len(convs), step):
        out = hf.apply_chat_template(
            convs[a : a + step], tokenize=True, return_dict=True, return_assistant_tokens_mask=True
        )
        for r, ids, mask in zip(
            ours[a : a + step], out["input_ids"], out["assistant_masks"], strict=True
        ):
            assert r.ids.tolist() == list(ids)
            assert r.mask.tolist() == list(mask)


def test_hf_generation_prompt_equals_render_prompt(chat_tok, gsm8k_records, tmp_path):
    hf = AutoTokenizer.from_pretrained(export_hf(chat_tok, tmp_path / "hf"))
    t = ChatTemplate(chat_tok)
    for rec in gsm8k_records[:50]:
        conv = from_gsm8k(rec)
        hf_ids = hf.apply_chat_template(conv[:1], add_generation_prompt=True, tokenize=True)
        hf_ids = hf_ids["input_ids"]
        assert t.render_prompt(conv).tolist() == list(hf_ids)
