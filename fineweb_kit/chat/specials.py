"""The chat special tokens and adding them to a tokenizer.

The eleven tokens below mark the structure of a conversation (nanochat's set, plus a system
turn). They are appended after a tokenizer's highest id, in this order, so a base model's
embedding table only grows at the end: ``with_chat_specials(gpt2)`` keeps GPT-2's 50,257 ids
and adds ids 50,257..50,267. A tokenizer trained for chat gets them at training time with
``train_bpe(..., special_tokens=(ENDOFTEXT, *CHAT_SPECIALS))``.

They are recorded where the tokenizer's specials are: in fineweb-kit's tokenizer file
(``Tokenizer.save``), in the exported ``tokenizer.json`` (``added_tokens``), and in the
tokenizer fingerprint every shard stores, so shards rendered with them are refused by a
tokenizer without them (see :mod:`fineweb_kit.chat.shards`).
"""

from __future__ import annotations

from fineweb_kit.exceptions import TokenizerError
from fineweb_kit.tokenizer import Tokenizer

BOS = "<|bos|>"
SYSTEM_START, SYSTEM_END = "<|system_start|>", "<|system_end|>"
USER_START, USER_END = "<|user_start|>", "<|user_end|>"
ASSISTANT_START, ASSISTANT_END = "<|assistant_start|>", "<|assistant_end|>"
TOOL_CALL_START, TOOL_CALL_END = "<|tool_call_start|>", "<|tool_call_end|>"
TOOL_OUTPUT_START, TOOL_OUTPUT_END = "<|tool_output_start|>", "<|tool_output_end|>"

CHAT_SPECIALS: tuple[str, ...] = (
    BOS,
    SYSTEM_START,
    SYSTEM_END,
    USER_START,
    USER_END,
    ASSISTANT_START,
    ASSISTANT_END,
    TOOL_CALL_START,
    TOOL_CALL_END,
    TOOL_OUTPUT_START,
    TOOL_OUTPUT_END,
)
"""The chat special tokens, in the order they are appended to a vocabulary."""


def has_chat_specials(tokenizer: Tokenizer) -> bool:
    """Whether every chat special token is a special token of ``tokenizer``."""
    specials = tokenizer.special_tokens
    return all(s in specials for s in CHAT_SPECIALS)


def missing_chat_specials(specials: dict[str, int] | Tokenizer) -> list[str]:
    """The chat special tokens that ``specials`` (a tokenizer or its specials) lacks."""
    names = specials.special_tokens if isinstance(specials, Tokenizer) else specials
    return [s for s in CHAT_SPECIALS if s not in names]


def with_chat_specials(tokenizer: Tokenizer) -> Tokenizer:
    """``tokenizer`` with the missing :data:`CHAT_SPECIALS` appended after its highest id.

    Ranks, pattern and existing specials are kept, so every text encodes to the same ids as
    before; a tokenizer that already has them all is returned unchanged. The name gets a
    ``+chat`` suffix.
    """
    missing = missing_chat_specials(tokenizer)
    if not missing:
        return tokenizer
    specials = tokenizer.special_tokens
    taken = set(specials.values())
    next_id = tokenizer.n_vocab
    if next_id in taken:  # n_vocab is highest id + 1, so this cannot happen; stay safe
        raise TokenizerError(f"id {next_id} is already a special token of {tokenizer!r}")
    for name in missing:
        specials[name] = next_id
        next_id += 1
    out = Tokenizer.from_ranks(tokenizer.mergeable_ranks(), tokenizer.pattern, specials)
    out.name = f"{tokenizer.name}+chat" if tokenizer.name else "chat"
    return out
