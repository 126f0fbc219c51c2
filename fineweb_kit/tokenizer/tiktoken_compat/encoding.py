"""``Encoding``: tiktoken's public class, its whole API and behaviour, on fineweb-kit's encoder.

Differences from :class:`fineweb_kit.tokenizer.Tokenizer`, all to match tiktoken: a lone
surrogate is replaced by U+FFFD instead of refused, unknown names in ``allowed_special`` are
ignored, a disallowed special token raises ``ValueError`` with tiktoken's message, unknown ids
raise ``KeyError``.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal, NoReturn

import numpy as np

from fineweb_kit.exceptions import TokenizerError
from fineweb_kit.tokenizer.core import Tokenizer
from fineweb_kit.tokenizer.tiktoken_compat.pieces import (
    byte_pair_encode,
    last_is_whitespace_char,
    widen_last_piece,
)

SpecialSet = Literal["all"] | Collection[str]
_NONE: frozenset[str] = frozenset()


def _fix_surrogates(text: str) -> str:
    """tiktoken's repair: surrogate pairs become their code point, lone ones U+FFFD."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _disallowed_error(token: str) -> ValueError:
    return ValueError(
        f"Encountered text corresponding to disallowed special token {token!r}.\n"
        "If you want this text to be encoded as a special token, "
        f"pass it to `allowed_special`, e.g. `allowed_special={{{token!r}, ...}}`.\n"
        f"If you want this text to be encoded as normal text, disable the check for this token "
        f"by passing `disallowed_special=(enc.special_tokens_set - {{{token!r}}})`.\n"
        "To disable this check for all special tokens, pass `disallowed_special=()`.\n"
    )


@functools.lru_cache(maxsize=128)
def _literal_regex(tokens: frozenset[str]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(t) for t in sorted(tokens, key=len, reverse=True)))


def _check_disallowed(text: str, tokens: frozenset[str]) -> None:
    if tokens and (m := _literal_regex(tokens).search(text)):
        raise _disallowed_error(m.group())


class Encoding:
    """A tiktoken ``Encoding``: same constructor, methods, properties, errors and pickling."""

    def __init__(
        self,
        name: str,
        *,
        pat_str: str,
        mergeable_ranks: dict[bytes, int],
        special_tokens: dict[str, int],
        explicit_n_vocab: int | None = None,
        registered: bool = False,
    ) -> None:
        tok = Tokenizer.from_ranks(mergeable_ranks, pat_str, special_tokens)
        self._setup(name, tok, special_tokens, explicit_n_vocab, registered)
        self.__dict__["_mergeable_ranks"] = mergeable_ranks

    @classmethod
    def from_tokenizer(
        cls,
        name: str,
        tok: Tokenizer,
        special_tokens: dict[str, int] | None = None,
        explicit_n_vocab: int | None = None,
        registered: bool = False,
    ) -> Encoding:
        """Wraps an existing :class:`Tokenizer` (shares its encoder and caches).
        ``special_tokens`` may add aliases: names sharing the id of one of ``tok``'s specials
        (tiktoken's ``o200k_harmony`` has one); an alias decodes to the first name and is
        encoded as plain text."""
        enc = cls.__new__(cls)
        specials = tok.special_tokens if special_tokens is None else special_tokens
        enc._setup(name, tok, specials, explicit_n_vocab, registered)
        return enc

    def _setup(
        self,
        name: str,
        tok: Tokenizer,
        special_tokens: dict[str, int],
        explicit_n_vocab: int | None,
        registered: bool,
    ) -> None:
        self.name = name
        self._tok = tok
        self._core = tok._core
        self._pat_str = tok.pattern
        self._special_tokens = dict(special_tokens)
        self._registered = registered
        self.max_token_value = max(tok.n_vocab - 1, max(special_tokens.values(), default=0))
        if explicit_n_vocab:
            n = len(self._core.mergeable_ranks()) + len(special_tokens)  # as tiktoken counts
            if n != explicit_n_vocab or self.max_token_value != explicit_n_vocab - 1:
                raise ValueError(
                    f"encoding {name!r}: expected {explicit_n_vocab} tokens, the rank file and "
                    f"special tokens give {n} (highest id {self.max_token_value})"
                )
        self._special_token_values = set(self._special_tokens.values())
        self._core_specials = frozenset(tok.special_tokens)
        aliases = frozenset(self._special_tokens) - self._core_specials
        self._default_special: tuple[list[str], list[str], frozenset[str]] = (
            [],
            sorted(self._core_specials),
            aliases,
        )

    def __repr__(self) -> str:
        return f"<Encoding {self.name!r}>"

    # ---------------------------------------------------------------- special-token arguments
    def _special_args(
        self, allowed_special: SpecialSet, disallowed_special: SpecialSet
    ) -> tuple[list[str], list[str], frozenset[str]]:
        """(allowed for the core, disallowed for the core, disallowed strings the core does not
        know as specials, checked here as tiktoken does)."""
        if not allowed_special and disallowed_special == "all":
            return self._default_special
        specials = frozenset(self.special_tokens_set)
        allowed = specials if allowed_special == "all" else frozenset(allowed_special)
        if disallowed_special == "all":
            disallowed = specials - allowed
        else:
            disallowed = frozenset(disallowed_special)
        core_disallowed = disallowed & self._core_specials - allowed
        allowed = allowed & self._core_specials
        return sorted(allowed), sorted(core_disallowed), disallowed - core_disallowed

    def _raise_disallowed(self, text: str, disallowed: list[str], err: TokenizerError) -> NoReturn:
        """Re-raises the core's error in tiktoken's words (``ValueError``)."""
        try:
            _check_disallowed(text, frozenset(disallowed))
        except ValueError as tiktoken_error:
            raise tiktoken_error from None
        raise err

    # ---------------------------------------------------------------- encoding
    def encode_ordinary(self, text: str) -> list[int]:
        """Ids of ``text`` with special-token strings as plain text."""
        try:
            return self._core.encode_ordinary(text)
        except UnicodeEncodeError:
            return self._core.encode_ordinary(_fix_surrogates(text))

    def encode(
        self,
        text: str,
        *,
        allowed_special: SpecialSet = _NONE,
        disallowed_special: SpecialSet = "all",
    ) -> list[int]:
        """Ids of ``text``; see tiktoken's ``Encoding.encode`` for the special-token rules."""
        allowed, disallowed, extra = self._special_args(allowed_special, disallowed_special)
        if extra:
            _check_disallowed(text, extra)
        try:
            return self._core.encode(text, allowed, disallowed)
        except UnicodeEncodeError:
            return self.encode(
                _fix_surrogates(text),
                allowed_special=allowed_special,
                disallowed_special=disallowed_special,
            )
        except TokenizerError as e:
            self._raise_disallowed(text, disallowed, e)

    def encode_to_numpy(
        self,
        text: str,
        *,
        allowed_special: SpecialSet = _NONE,
        disallowed_special: SpecialSet = "all",
    ) -> np.ndarray:
        """Ids of ``text`` as a ``uint32`` array."""
        allowed, disallowed, extra = self._special_args(allowed_special, disallowed_special)
        if extra:
            _check_disallowed(text, extra)
        try:
            return self._core.encode_to_numpy([text], allowed, disallowed, None, None)
        except UnicodeEncodeError:  # raised, not repaired, as in tiktoken (after its check)
            _check_disallowed(text, frozenset(disallowed))
            raise
        except TokenizerError as e:
            self._raise_disallowed(text, disallowed, e)

    def encode_ordinary_batch(self, text: list[str], *, num_threads: int = 8) -> list[list[int]]:
        """``encode_ordinary`` of each text, in parallel (GIL released)."""
        return self.encode_batch(text, num_threads=num_threads, disallowed_special=())

    def encode_batch(
        self,
        text: list[str],
        *,
        num_threads: int = 8,
        allowed_special: SpecialSet = _NONE,
        disallowed_special: SpecialSet = "all",
    ) -> list[list[int]]:
        """``encode`` of each text, in parallel on ``num_threads`` threads (GIL released)."""
        allowed, disallowed, extra = self._special_args(allowed_special, disallowed_special)
        texts = list(text)
        for t in texts if extra else ():
            _check_disallowed(t, extra)
        try:
            return self._core.encode_batch(texts, allowed, disallowed, num_threads)
        except (UnicodeEncodeError, TypeError):
            fixed = [_fix_surrogates(t) if isinstance(t, str) else t for t in texts]
            return self._core.encode_batch(fixed, allowed, disallowed, num_threads)
        except TokenizerError as e:
            self._raise_disallowed("\0".join(texts), disallowed, e)

    def encode_with_unstable(
        self,
        text: str,
        *,
        allowed_special: SpecialSet = _NONE,
        disallowed_special: SpecialSet = "all",
    ) -> tuple[list[int], list[list[int]]]:
        """Stable ids of ``text`` and every id sequence that could complete its unstable tail
        (tiktoken's algorithm; completions in sorted order, tiktoken's are unordered)."""
        allowed, disallowed, extra = self._special_args(allowed_special, disallowed_special)
        _check_disallowed(text, extra | frozenset(disallowed))
        text.encode("utf-8")  # a lone surrogate raises UnicodeEncodeError, as in tiktoken
        tokens, last_len = self._encode_with_last_piece(text, allowed)
        if last_len == 0:
            return tokens, []
        last_len = widen_last_piece(tokens, last_len, self.decode_single_token_bytes)
        unstable = self.decode_bytes(tokens[len(tokens) - last_len :])
        del tokens[len(tokens) - last_len :]
        return tokens, [list(c) for c in sorted(self._completions(unstable))]

    def _encode_with_last_piece(self, text: str, allowed: list[str]) -> tuple[list[int], int]:
        """Ids of ``text`` and how many of them the last pre-token gave (0: a special token
        or nothing came last)."""
        tokens = self.encode(text, allowed_special=set(allowed), disallowed_special=())
        tail = text
        if allowed:
            ends = [m.end() for m in _literal_regex(frozenset(allowed)).finditer(text)]
            tail = text[ends[-1] :] if ends else text
        pieces = self._core.pretokenize(_fix_surrogates(tail)) if tail else []
        return tokens, len(self.encode_ordinary(pieces[-1])) if pieces else 0

    def _completions(self, unstable: bytes) -> set[tuple[int, ...]]:
        ranks, sorted_bytes = self._mergeable_ranks, self.token_byte_values()
        found: set[tuple[int, ...]] = {(ranks[t],) for t in _starting_with(sorted_bytes, unstable)}
        for i in range(1, len(unstable)):
            prefix, suffix = unstable[:i], unstable[i:]
            for t in _starting_with(sorted_bytes, suffix):
                found.add(self._cut_after(self._retokenize(prefix + t), len(unstable)))
        width = last_is_whitespace_char(unstable) if len(unstable) > 1 else 0
        if width and len(unstable) > width:
            head, last = unstable[:-width], unstable[-width:]
            found.add(tuple(byte_pair_encode(head, ranks) + byte_pair_encode(last, ranks)))
        return found

    def _retokenize(self, data: bytes) -> list[int]:
        try:
            return self.encode_ordinary(data.decode("utf-8"))
        except UnicodeDecodeError:
            return byte_pair_encode(data, self._mergeable_ranks)

    def _cut_after(self, ids: list[int], n_bytes: int) -> tuple[int, ...]:
        out, seen = [], 0
        for token in ids:
            out.append(token)
            seen += len(self.decode_single_token_bytes(token))
            if seen >= n_bytes:
                break
        return tuple(out)

    def encode_single_token(self, text_or_bytes: str | bytes) -> int:
        """The id of one whole token (special tokens included); ``KeyError`` if none."""
        data = text_or_bytes.encode("utf-8") if isinstance(text_or_bytes, str) else text_or_bytes
        rank = self._core.rank_of(data)
        if rank is not None:
            return rank
        try:
            return self._special_tokens[data.decode("utf-8")]
        except (UnicodeDecodeError, KeyError):
            raise KeyError(data) from None

    # ---------------------------------------------------------------- decoding
    def decode_bytes(self, tokens: Sequence[int]) -> bytes:
        """The bytes of ``tokens``; ``KeyError`` on an id not in the vocabulary."""
        try:
            return self._core.decode_bytes(tokens if isinstance(tokens, list) else list(tokens))
        except TokenizerError as e:
            raise KeyError(str(e)) from None

    def decode(self, tokens: Sequence[int], errors: str = "replace") -> str:
        """The text of ``tokens``; invalid UTF-8 handled per ``errors`` (default: replace)."""
        return self.decode_bytes(tokens).decode("utf-8", errors=errors)

    def decode_single_token_bytes(self, token: int) -> bytes:
        """The bytes of one id (special tokens included); ``KeyError`` if unknown."""
        data = self._core.token_bytes(token)
        if data is None:
            raise KeyError(str(token))
        return data

    def decode_tokens_bytes(self, tokens: Sequence[int]) -> list[bytes]:
        """The bytes of each id."""
        return [self.decode_single_token_bytes(t) for t in tokens]

    def decode_with_offsets(self, tokens: Sequence[int]) -> tuple[str, list[int]]:
        """The text and, per token, the index of the first character holding its bytes."""
        parts = self.decode_tokens_bytes(tokens)
        offsets, n_chars = [], 0
        for data in parts:
            starts_inside = bool(data) and 0x80 <= data[0] < 0xC0
            offsets.append(max(0, n_chars - starts_inside))
            n_chars += sum(1 for b in data if not 0x80 <= b < 0xC0)
        return b"".join(parts).decode("utf-8", errors="strict"), offsets

    def decode_batch(
        self, batch: Sequence[Sequence[int]], *, errors: str = "replace", num_threads: int = 8
    ) -> list[str]:
        """``decode`` of each sequence."""
        decoded = self.decode_bytes_batch(batch, num_threads=num_threads)
        return [b.decode("utf-8", errors=errors) for b in decoded]

    def decode_bytes_batch(
        self, batch: Sequence[Sequence[int]], *, num_threads: int = 8
    ) -> list[bytes]:
        """``decode_bytes`` of each sequence, on ``num_threads`` threads (GIL released)."""
        if len(batch) < 2 or num_threads < 2:
            return [self.decode_bytes(ids) for ids in batch]
        with ThreadPoolExecutor(num_threads) as pool:
            return list(pool.map(self.decode_bytes, batch))

    # ---------------------------------------------------------------- vocabulary
    @functools.cached_property
    def _mergeable_ranks(self) -> dict[bytes, int]:
        return dict(self._core.mergeable_ranks())

    @functools.cached_property
    def _sorted_token_bytes(self) -> list[bytes]:
        return sorted(self._mergeable_ranks)

    def token_byte_values(self) -> list[bytes]:
        """Every mergeable token's bytes, sorted."""
        return self._sorted_token_bytes

    @property
    def eot_token(self) -> int:
        """Id of ``<|endoftext|>`` (``KeyError`` if the encoding has none)."""
        return self._special_tokens["<|endoftext|>"]

    @functools.cached_property
    def special_tokens_set(self) -> set[str]:
        """Names of the special tokens."""
        return set(self._special_tokens)

    def is_special_token(self, token: int) -> bool:
        """Whether ``token`` is a special token's id."""
        assert isinstance(token, int)
        return token in self._special_token_values

    @property
    def n_vocab(self) -> int:
        """``max_token_value + 1``."""
        return self.max_token_value + 1

    # ---------------------------------------------------------------- private tiktoken calls
    def _encode_single_piece(self, text_or_bytes: str | bytes) -> list[int]:
        """BPE of one piece without pre-tokenisation (no special tokens)."""
        data = text_or_bytes.encode("utf-8") if isinstance(text_or_bytes, str) else text_or_bytes
        return byte_pair_encode(data, self._mergeable_ranks)

    def _encode_only_native_bpe(self, text: str) -> list[int]:
        """Pre-tokenise, then BPE each piece here (a check of the fast path)."""
        return [
            t for piece in self._core.pretokenize(text) for t in self._encode_single_piece(piece)
        ]

    def _encode_bytes(self, text: bytes) -> list[int]:
        """Ids of bytes that may not be valid UTF-8: the valid prefix is encoded as text, its
        last pre-token and the rest are merged as one piece (tiktoken's rule)."""
        try:
            return self.encode_ordinary(text.decode("utf-8"))
        except UnicodeDecodeError as e:
            valid = e.start
        tokens, last_len = self._encode_with_last_piece(text[:valid].decode("utf-8"), [])
        last_len = widen_last_piece(tokens, last_len, self.decode_single_token_bytes)
        rest = text[valid:]
        if tokens and last_len > 0:
            rest = self.decode_bytes(tokens[len(tokens) - last_len :]) + rest
            del tokens[len(tokens) - last_len :]
        return tokens + byte_pair_encode(rest, self._mergeable_ranks) if rest else tokens

    # ---------------------------------------------------------------- pickling
    def __getstate__(self) -> object:
        if self._registered:
            return self.name
        return {
            "name": self.name,
            "pat_str": self._pat_str,
            "mergeable_ranks": self._mergeable_ranks,
            "special_tokens": self._special_tokens,
        }

    def __setstate__(self, value: Any) -> None:
        if isinstance(value, str):
            from fineweb_kit.tokenizer.tiktoken_compat.registry import get_encoding

            self.__dict__ = get_encoding(value).__dict__
            return
        Encoding.__init__(self, **value)


def _starting_with(sorted_bytes: list[bytes], prefix: bytes) -> list[bytes]:
    """The tokens of ``sorted_bytes`` that start with ``prefix``."""
    i = bisect.bisect_left(sorted_bytes, prefix)
    out = []
    while i < len(sorted_bytes) and sorted_bytes[i].startswith(prefix):
        out.append(sorted_bytes[i])
        i += 1
    return out
