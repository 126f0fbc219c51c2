"""Byte-level BPE of single pieces, for tiktoken's rarely used byte and "unstable" calls.

The hot paths (``encode``, ``encode_batch``, ...) run in the Rust core. These helpers serve
``_encode_bytes``, ``_encode_single_piece`` and ``encode_with_unstable``, which work on short
byte strings (the last pre-token of a text, a few stray bytes), so plain Python is enough.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

SPACE_BYTES = frozenset(b" \n\t")
# Unicode's White_Space property (what Rust's ``char::is_whitespace`` tests; Python's
# ``str.isspace`` also counts U+001C..U+001F)
WHITE_SPACE = frozenset(
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def byte_pair_encode(piece: bytes, ranks: dict[bytes, int]) -> list[int]:
    """tiktoken's merge of one piece: repeatedly join the adjacent pair whose joined bytes have
    the lowest rank (the leftmost on ties) until no joined pair is a token."""
    if piece in ranks:
        return [ranks[piece]]
    parts = [piece[i : i + 1] for i in range(len(piece))]
    while len(parts) > 1:
        best, at = None, -1
        for i in range(len(parts) - 1):
            rank = ranks.get(parts[i] + parts[i + 1])
            if rank is not None and (best is None or rank < best):
                best, at = rank, i
        if best is None:
            break
        parts[at : at + 2] = [parts[at] + parts[at + 1]]
    return [ranks[p] for p in parts]


def widen_last_piece(
    tokens: Sequence[int], last_len: int, token_bytes: Callable[[int], bytes]
) -> int:
    """tiktoken's guard against unstable regex splits: when the last piece starts with an
    all-whitespace token, the all-whitespace tokens before it join the unstable tail."""

    def all_space(token: int) -> bool:
        return all(b in SPACE_BYTES for b in token_bytes(token))

    if last_len > 0 and all_space(tokens[len(tokens) - last_len]):
        while last_len < len(tokens) and all_space(tokens[len(tokens) - last_len - 1]):
            last_len += 1
    return last_len


def last_is_whitespace_char(data: bytes) -> int:
    """Length in bytes of the last UTF-8 character of ``data`` if it is whitespace, else 0."""
    for width in range(1, min(4, len(data)) + 1):
        try:
            ch = data[-width:].decode("utf-8")
        except UnicodeDecodeError:
            continue
        return width if ch in WHITE_SPACE else 0
    return 0
