"""Opening SFT shards (written by ``PackConversations``) with the checks a trainer needs.

A masked shard's ids mean chat-template tokens only under the tokenizer that wrote it; so
:func:`open_sft_shards` refuses shards without a loss mask, shards whose tokenizer
fingerprint differs from the given tokenizer's, and a tokenizer without the chat specials.
It reports whether the shards are packed (every document one window of equal length) and
that window length.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fineweb_kit.chat.specials import BOS, missing_chat_specials
from fineweb_kit.exceptions import FormatError
from fineweb_kit.shards.reader import Shard, list_shards
from fineweb_kit.shards.tokenizer import from_fineweb_kit
from fineweb_kit.tokenizer import Tokenizer


@dataclass(frozen=True)
class SftShards:
    """Checked SFT shards: ``window`` is the packed window length (``seq_len + 1``), or
    ``None`` when documents are single conversations of varying length."""

    shards: list[Shard]
    bos_id: int
    window: int | None


def open_sft_shards(paths: str | list[str], tokenizer: Tokenizer) -> SftShards:
    """Opens and checks SFT shards (see the module doc); raises FormatError naming the file."""
    missing = missing_chat_specials(tokenizer)
    if missing:
        raise FormatError(
            f"{tokenizer!r} lacks the chat specials {missing}: load the tokenizer.json that "
            "PackConversations saved beside the shards"
        )
    fp = from_fineweb_kit(tokenizer, tokenizer.name).fingerprint_hex
    shards = [Shard(p, expect_fingerprint=fp) for p in list_shards(paths)]
    lengths: set[int] = set()
    for s in shards:
        if s.mask is None:
            raise FormatError(
                f"{s.path}: no loss-mask section; SFT shards come from PackConversations"
            )
        if len(s):
            lengths.update(np.unique(np.diff(np.asarray(s.doc_ends), prepend=0)).tolist())
    bos = tokenizer.special_tokens[BOS]
    window = lengths.pop() if len(lengths) == 1 else None
    if window is not None and any(
        len(s) and int(s.tokens[0]) != bos for s in shards
    ):  # packed windows start with a conversation
        window = None
    return SftShards(shards, bos, window)


def tokenizer_beside(path: str | Path) -> Tokenizer:
    """The tokenizer ``PackConversations`` saved in a shard folder (``tokenizer.json``)."""
    p = Path(path)
    folder = p if p.is_dir() else p.parent
    file = folder / "tokenizer.json"
    if not file.is_file():
        raise FormatError(f"{folder}: no tokenizer.json beside the shards")
    return Tokenizer.load(file)
