"""Fixtures for the chat engine tests: a byte-level tokenizer with the chat specials.

Byte ids (0..255) keep models tiny; the eleven chat special tokens follow ``<|endoftext|>``.
``MiniTemplate`` is the part of the chat template the engine needs (``special_id`` and the
tokenizer), so these tests depend on nothing but the engine's contract.
"""

from __future__ import annotations

import pytest

CHAT_SPECIALS = (
    "<|bos|>",
    "<|system_start|>",
    "<|system_end|>",
    "<|user_start|>",
    "<|user_end|>",
    "<|assistant_start|>",
    "<|assistant_end|>",
    "<|tool_call_start|>",
    "<|tool_call_end|>",
    "<|tool_output_start|>",
    "<|tool_output_end|>",
)


def byte_chat_tokenizer():
    from fineweb_kit.tokenizer import Tokenizer

    specials = {"<|endoftext|>": 256} | {s: 257 + i for i, s in enumerate(CHAT_SPECIALS)}
    return Tokenizer.from_ranks({bytes([i]): i for i in range(256)}, "gpt2", specials)


class MiniTemplate:
    def __init__(self, tokenizer) -> None:
        self.tokenizer = tokenizer

    def special_id(self, name: str) -> int:
        return self.tokenizer.special_tokens[name]


@pytest.fixture(scope="session")
def chat_tokenizer():
    return byte_chat_tokenizer()


@pytest.fixture(scope="session")
def mini_template(chat_tokenizer):
    return MiniTemplate(chat_tokenizer)


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """Tiny models run fastest on one thread (and do not fight other tests for cores)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
