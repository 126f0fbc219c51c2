"""A rich view of what the model trains on: each token coloured by its loss mask."""

from __future__ import annotations

import codecs

import numpy as np
from rich.text import Text

from fineweb_kit.tokenizer import Tokenizer


def masked_text(tokenizer: Tokenizer, ids: np.ndarray, mask: np.ndarray) -> Text:
    """Tokens in green (in the loss) or dim (not), special tokens bold, alternate tokens
    underlined so token boundaries show."""
    out = Text()
    specials = set(tokenizer.special_tokens.values())
    utf8 = codecs.getincrementaldecoder("utf-8")("replace")  # a character may span tokens
    for k, (i, m) in enumerate(
        zip(np.asarray(ids).tolist(), np.asarray(mask).tolist(), strict=True)
    ):
        piece = tokenizer.decode([i]) if i in specials else utf8.decode(tokenizer.token_bytes(i))
        style = "green" if m else "grey50"
        if i in specials:
            style += " bold"
            if piece == "<|bos|>" and k:
                out.append("\n")
        elif k % 2:
            style += " underline"
        out.append(piece, style=style)
    return out


def legend(ids: np.ndarray, mask: np.ndarray) -> Text:
    """A one-line summary: tokens, tokens in the loss."""
    n, m = len(ids), int(np.asarray(mask).sum())
    return (
        Text(f"{n} tokens, {m} in the loss ({m / max(n, 1):.1%}); ", style="bold")
        .append("green = trained on", style="green")
        .append(", grey = context", style="grey50")
    )
