"""The tokenizer of a post-training run: a fineweb-kit tokenizer file or ``bytes``, with the
chat special tokens appended when missing (:func:`fineweb_kit.chat.specials.with_chat_specials`)."""

from __future__ import annotations

from fineweb_kit.chat.specials import with_chat_specials
from fineweb_kit.exceptions import ConfigError
from fineweb_kit.tokenizer import Tokenizer


def byte_chat_tokenizer() -> Tokenizer:
    """Byte-level ids 0..255, ``<|endoftext|>`` 256, then the chat specials (267 ids): the
    vocabulary of tiny test models."""
    ranks = {bytes([i]): i for i in range(256)}
    base = Tokenizer.from_ranks(ranks, "cl100k_base", {"<|endoftext|>": 256})
    base.name = "bytes"
    return with_chat_specials(base)


def chat_tokenizer(spec: str) -> Tokenizer:
    """``bytes`` or a fineweb-kit tokenizer file, with the chat specials."""
    if spec == "bytes":
        return byte_chat_tokenizer()
    try:
        return with_chat_specials(Tokenizer.load(spec))
    except FileNotFoundError:
        raise ConfigError(f"tokenizer file {spec!r} not found") from None
