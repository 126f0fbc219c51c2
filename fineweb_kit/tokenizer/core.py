"""The public :class:`Tokenizer`: a byte-level BPE vocabulary with tiktoken's semantics.

All work happens in the Rust core (``fineweb_kit._core.Bpe``) with the GIL released; this
class adds tiktoken's special-token rules, input checks and file-format helpers.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from fineweb_kit import _core
from fineweb_kit.exceptions import TokenizerError
from fineweb_kit.tokenizer.encodings import BUILTIN_SPECIALS, ENDOFTEXT

SpecialArg = Collection[str] | Literal["all"]
PathLike = str | os.PathLike[str]


def _surrogate_error(text: str, where: str = "") -> TokenizerError:
    """A clear error for text that cannot be UTF-8 (a lone surrogate)."""
    for i, ch in enumerate(text):
        if 0xD800 <= ord(ch) <= 0xDFFF:
            return TokenizerError(
                f"{where}text contains a lone surrogate U+{ord(ch):04X} at index {i}; it has no "
                "UTF-8 form. Fix the text (e.g. text.encode('utf-8', 'replace').decode())"
            )
    return TokenizerError(f"{where}text cannot be encoded as UTF-8")


def _batch_surrogate_error(texts: Sequence[str]) -> TokenizerError:
    for k, t in enumerate(texts):
        if not isinstance(t, str):
            return TokenizerError(f"texts[{k}] is {type(t).__name__}, not str")
        try:
            t.encode("utf-8")
        except UnicodeEncodeError:
            return _surrogate_error(t, f"texts[{k}]: ")
    return TokenizerError("texts cannot be encoded as UTF-8")


class Tokenizer:
    """A byte-level BPE tokenizer: ranks + pre-tokenisation pattern + special tokens.

    Build one with :meth:`from_tiktoken`, :meth:`from_hf`, :meth:`load` or
    :func:`fineweb_kit.tokenizer.train_bpe`. Ids equal tiktoken's for the same rank file and
    pattern, token for token.
    """

    def __init__(self, core: _core.Bpe, name: str = "") -> None:
        self._core = core
        self.name = name
        self._specials: dict[str, int] = dict(core.special_tokens)

    # ---------------------------------------------------------------- construction / files
    @classmethod
    def from_tiktoken(
        cls,
        path: PathLike,
        pattern: str = "cl100k_base",
        special_tokens: dict[str, int] | None = None,
    ) -> Tokenizer:
        """Loads a tiktoken rank file. ``pattern``: ``r50k_base`` / ``gpt2`` / ``p50k_base`` /
        ``cl100k_base`` / ``o200k_base`` or a regex. ``special_tokens`` defaults to those of
        the named encoding (none for a regex)."""
        if special_tokens is None:
            special_tokens = BUILTIN_SPECIALS.get(pattern, {})
        core = _core.Bpe.from_tiktoken(
            os.fspath(path), pattern, sorted(special_tokens.items(), key=lambda kv: kv[1])
        )
        return cls(core, name=Path(path).stem)

    @classmethod
    def from_hf(cls, path: PathLike) -> Tokenizer:
        """Loads a byte-level BPE ``tokenizer.json`` (vocabulary ids are the ranks)."""
        return cls(_core.Bpe.from_hf(os.fspath(path)), name=Path(path).stem)

    @classmethod
    def from_ranks(
        cls,
        ranks: dict[bytes, int],
        pattern: str = "o200k_base",
        special_tokens: dict[str, int] | None = None,
    ) -> Tokenizer:
        """Builds from a ``{token bytes: rank}`` dict (tiktoken's ``mergeable_ranks``)."""
        core = _core.Bpe.from_ranks(
            list(ranks.items()), pattern, list((special_tokens or {}).items())
        )
        return cls(core)

    @classmethod
    def load(cls, path: PathLike) -> Tokenizer:
        """Loads fineweb-kit's own format (written by :meth:`save`)."""
        return cls(_core.Bpe.load(os.fspath(path)), name=Path(path).stem)

    @classmethod
    def from_file(cls, path: PathLike, pattern: str = "cl100k_base") -> Tokenizer:
        """Any supported file: ``*.tiktoken`` (with ``pattern``), our JSON, or a HF
        ``tokenizer.json`` (told apart by their ``format`` field)."""
        p = Path(path)
        if p.suffix == ".tiktoken":
            return cls.from_tiktoken(p, pattern)
        with open(p, "rb") as f:
            head = f.read(4096)
        return cls.load(p) if b'"fineweb-kit-bpe"' in head else cls.from_hf(p)

    def save(self, path: PathLike) -> None:
        """Writes fineweb-kit's own format (JSON: pattern, specials, tokens), atomically."""
        self._core.save(os.fspath(path))

    def to_hf(self, path: PathLike) -> None:
        """Writes a ``tokenizer.json`` that HF ``tokenizers`` loads and that gives the same ids."""
        self._core.save_hf(os.fspath(path))

    def to_tiktoken(self, path: PathLike) -> None:
        """Writes a tiktoken rank file; load it with ``tiktoken.load.load_tiktoken_bpe`` and
        build ``tiktoken.Encoding(pat_str=tok.pattern, special_tokens=tok.special_tokens)``."""
        self._core.save_tiktoken(os.fspath(path))

    def to_tiktoken_encoding(self):  # -> tiktoken.Encoding (optional dependency)
        """A ``tiktoken.Encoding`` with the same ranks, pattern and specials."""
        import tiktoken

        return tiktoken.Encoding(
            name=self.name or "fineweb-kit",
            pat_str=self.pattern,
            mergeable_ranks=dict(self._core.mergeable_ranks()),
            special_tokens=dict(self._specials),
        )

    # ---------------------------------------------------------------- properties
    @property
    def n_vocab(self) -> int:
        """Number of ids (highest id + 1), special tokens included."""
        return self._core.n_vocab

    @property
    def pattern(self) -> str:
        """The pre-tokenisation regex."""
        return self._core.pattern

    @property
    def special_tokens(self) -> dict[str, int]:
        """Special token strings and their ids."""
        return dict(self._specials)

    @property
    def eot_token(self) -> int:
        """Id of ``<|endoftext|>`` (or of the first special token)."""
        if ENDOFTEXT in self._specials:
            return self._specials[ENDOFTEXT]
        if self._specials:
            return min(self._specials.values())
        raise TokenizerError("this tokenizer has no special tokens, so no end-of-text token")

    def mergeable_ranks(self) -> dict[bytes, int]:
        """``{token bytes: rank}`` of the mergeable (non-special) tokens."""
        return dict(self._core.mergeable_ranks())

    def token_bytes(self, token: int) -> bytes:
        """The bytes of one id."""
        b = self._core.token_bytes(token)
        if b is None:
            raise TokenizerError(
                f"token id {token} is not in the vocabulary (n_vocab {self.n_vocab})"
            )
        return b

    def pretokenize(self, text: str) -> list[str]:
        """The pieces the pre-tokeniser cuts ``text`` into."""
        try:
            return self._core.pretokenize(text)
        except UnicodeEncodeError:
            raise _surrogate_error(text) from None

    def __repr__(self) -> str:
        return f"Tokenizer(name={self.name!r}, n_vocab={self.n_vocab})"

    # ---------------------------------------------------------------- encoding
    def _special_sets(
        self, allowed_special: SpecialArg, disallowed_special: SpecialArg
    ) -> tuple[list[str], list[str]]:
        """tiktoken's rules: "all" means every special; disallowed "all" excludes allowed."""
        specials = set(self._specials)
        allowed = specials if allowed_special == "all" else set(allowed_special)
        unknown = allowed - specials
        if unknown:
            raise TokenizerError(f"allowed_special names unknown special tokens: {sorted(unknown)}")
        disallowed = specials - allowed if disallowed_special == "all" else set(disallowed_special)
        return sorted(allowed), sorted(disallowed)

    def encode_ordinary(self, text: str) -> list[int]:
        """Ids of ``text``, special-token strings encoded as plain text."""
        try:
            return self._core.encode_ordinary(text)
        except UnicodeEncodeError:
            raise _surrogate_error(text) from None

    def encode(
        self,
        text: str,
        *,
        allowed_special: SpecialArg = frozenset(),
        disallowed_special: SpecialArg = "all",
    ) -> list[int]:
        """Ids of ``text``. A special token in ``allowed_special`` becomes its id; one in
        ``disallowed_special`` raises :class:`TokenizerError`; others are plain text."""
        allowed, disallowed = self._special_sets(allowed_special, disallowed_special)
        try:
            return self._core.encode(text, allowed, disallowed)
        except UnicodeEncodeError:
            raise _surrogate_error(text) from None

    def encode_batch(
        self,
        texts: Sequence[str],
        *,
        num_threads: int | None = None,
        allowed_special: SpecialArg = frozenset(),
        disallowed_special: SpecialArg = "all",
    ) -> list[list[int]]:
        """Ids of each text, encoded in parallel (GIL released; ``None``: all cores)."""
        allowed, disallowed = self._special_sets(allowed_special, disallowed_special)
        texts = list(texts)
        try:
            return self._core.encode_batch(texts, allowed, disallowed, num_threads)
        except (UnicodeEncodeError, TypeError):
            raise _batch_surrogate_error(texts) from None

    def encode_to_numpy(
        self,
        texts: str | Sequence[str],
        *,
        append_eot: bool = False,
        num_threads: int | None = None,
        allowed_special: SpecialArg = frozenset(),
        disallowed_special: SpecialArg = "all",
    ) -> np.ndarray:
        """All texts' ids concatenated into one ``uint32`` array (``append_eot``: the
        end-of-text id after each text): the shard-writing path."""
        allowed, disallowed = self._special_sets(allowed_special, disallowed_special)
        texts = [texts] if isinstance(texts, str) else list(texts)
        eot = self.eot_token if append_eot else None
        try:
            return self._core.encode_to_numpy(texts, allowed, disallowed, eot, num_threads)
        except (UnicodeEncodeError, TypeError):
            raise _batch_surrogate_error(texts) from None

    def encode_flat(
        self,
        texts: Sequence[str],
        *,
        append_eot: bool = False,
        num_threads: int | None = None,
        allowed_special: SpecialArg = frozenset(),
        disallowed_special: SpecialArg = "all",
    ) -> tuple[np.ndarray, np.ndarray]:
        """The fast batch call: ``(ids, offsets)``, ``ids`` every text's ids concatenated
        (``uint32``), ``offsets`` ``len(texts) + 1`` positions (``int64``): text ``i`` is
        ``ids[offsets[i]:offsets[i + 1]]`` (``append_eot``: its end-of-text id last).
        No Python object per token; ``num_threads=None`` uses all cores."""
        allowed, disallowed = self._special_sets(allowed_special, disallowed_special)
        if isinstance(texts, str):
            raise TokenizerError("encode_flat takes a sequence of texts, not one str")
        texts = list(texts)
        eot = self.eot_token if append_eot else None
        try:
            return self._core.encode_flat(texts, allowed, disallowed, eot, num_threads)
        except (UnicodeEncodeError, TypeError):
            raise _batch_surrogate_error(texts) from None

    # ---------------------------------------------------------------- piece cache
    @property
    def cache_bytes(self) -> int:
        """Cap on the memory of each thread's piece cache (``piece -> ids`` of pieces that
        needed merging), in bytes; each tokenizer has its own caches."""
        return self._core.cache_info()[0]

    @cache_bytes.setter
    def cache_bytes(self, value: int) -> None:
        if not isinstance(value, int) or value < 0:
            raise TokenizerError(f"cache_bytes must be an int >= 0 (0: no cache), got {value!r}")
        self._core.set_cache_bytes(value)

    def cache_info(self) -> dict[str, int]:
        """The piece caches not in use right now: ``caches``, ``bytes`` they hold (never more
        than ``cache_bytes`` each), ``pieces`` they hold, and the cap ``max_bytes``."""
        cap, n, held, pieces = self._core.cache_info()
        return {"max_bytes": cap, "caches": n, "bytes": held, "pieces": pieces}

    # ---------------------------------------------------------------- decoding
    def decode_bytes(self, ids: Iterable[int] | np.ndarray) -> bytes:
        """The exact bytes of ``ids``."""
        if isinstance(ids, np.ndarray):
            if ids.ndim != 1:
                raise TokenizerError(f"expected a 1-D array of ids, got shape {ids.shape}")
            if ids.size and (ids.min() < 0 or ids.max() > 0xFFFFFFFF):
                raise TokenizerError("ids must be in [0, 2**32)")
            return self._core.decode_array(np.ascontiguousarray(ids, dtype=np.uint32))
        try:
            return self._core.decode_bytes(list(ids))
        except OverflowError:
            raise TokenizerError("ids must be integers in [0, 2**32)") from None

    def decode(self, ids: Iterable[int] | np.ndarray, errors: str = "replace") -> str:
        """Decodes to text; bytes that are not valid UTF-8 (ids cut inside a character)
        follow ``errors`` (tiktoken's default: "replace")."""
        return self.decode_bytes(ids).decode("utf-8", errors=errors)
