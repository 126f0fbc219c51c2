"""Hugging Face interop: the chat template as Jinja, exported beside ``tokenizer.json``.

:data:`CHAT_TEMPLATE` renders a conversation to the same string :class:`ChatTemplate` encodes
(special tokens by name), so ``AutoTokenizer.from_pretrained(folder)`` +
``apply_chat_template(messages, tokenize=True)`` gives our ids token for token (the tests
check every shared GSM8K and HH-RLHF conversation). The assistant's parts are wrapped in
``{% generation %}`` blocks, so ``return_assistant_tokens_mask=True`` gives our loss mask.
``add_generation_prompt=True`` appends ``<|assistant_start|>`` (our ``render_prompt``).

One difference by design: our renderer encodes message text as ordinary text, so a user who
types ``<|user_end|>`` gets plain-text tokens; an HF tokenizer matches added tokens inside
any text, so for such (adversarial) text the two differ.

:func:`export_hf` writes ``tokenizer.json`` (with the specials as added tokens),
``tokenizer_config.json`` (``chat_template``, ``bos_token``, ``eos_token`` =
``<|assistant_end|>``, ``pad_token``) and ``chat_template.jinja``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from fineweb_kit.chat.specials import ASSISTANT_END, BOS
from fineweb_kit.chat.template import ChatTemplate
from fineweb_kit.io.files import atomic_write
from fineweb_kit.tokenizer import Tokenizer

CHAT_TEMPLATE = (
    "{{- '<|bos|>' -}}"
    "{%- for message in messages -%}"
    "{%- if message['role'] == 'system' -%}"
    "{{- '<|system_start|>' + message['content'] + '<|system_end|>' -}}"
    "{%- elif message['role'] == 'user' -%}"
    "{{- '<|user_start|>' + message['content'] + '<|user_end|>' -}}"
    "{%- elif message['role'] == 'tool' -%}"
    "{{- '<|tool_output_start|>' + message['content'] + '<|tool_output_end|>' -}}"
    "{%- elif message['role'] == 'assistant' -%}"
    "{{- '<|assistant_start|>' -}}"
    "{%- if message['content'] is string -%}"
    "{%- generation -%}{{- message['content'] + '<|assistant_end|>' -}}{%- endgeneration -%}"
    "{%- else -%}"
    "{%- for part in message['content'] -%}"
    "{%- if part['type'] == 'text' -%}"
    "{%- generation -%}{{- part['text'] -}}{%- endgeneration -%}"
    "{%- elif part['type'] == 'tool_call' -%}"
    "{%- generation -%}"
    "{{- '<|tool_call_start|>' + part['text'] + '<|tool_call_end|>' -}}"
    "{%- endgeneration -%}"
    "{%- else -%}"
    "{{- '<|tool_output_start|>' + part['text'] + '<|tool_output_end|>' -}}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- generation -%}{{- '<|assistant_end|>' -}}{%- endgeneration -%}"
    "{%- endif -%}"
    "{%- else -%}"
    "{{- raise_exception('unknown role ' + message['role']) -}}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|assistant_start|>' -}}{%- endif -%}"
)
"""The Jinja chat template (HF ``tokenizer_config.json["chat_template"]``)."""


def export_hf(tokenizer: Tokenizer, folder: str | os.PathLike[str]) -> Path:
    """Writes an HF tokenizer folder with the chat template (see the module doc)."""
    ChatTemplate(tokenizer)  # refuses a tokenizer without the chat specials
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer.to_hf(out / "tokenizer.json")
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": 1_000_000_000,
        "bos_token": BOS,
        "eos_token": ASSISTANT_END,
        "pad_token": BOS,
        "clean_up_tokenization_spaces": False,
        "chat_template": CHAT_TEMPLATE,
    }
    with atomic_write(out / "tokenizer_config.json") as f:
        json.dump(config, f, indent=1)
    with atomic_write(out / "chat_template.jinja") as f:
        f.write(CHAT_TEMPLATE)
    return out
