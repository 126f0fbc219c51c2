"""The tokenizer as the shard code sees it: batched encoding to flat ids, and a fingerprint.

A shard records a 32-byte fingerprint of the tokenizer that wrote it, so that ids are never
read back with another vocabulary. It is computed here, canonically, from what defines the
encoding (not from a file's bytes, so every file format of one tokenizer agrees):

    sha256( b"fineweb-kit tokenizer v1\\n" + pattern + b"\\n"
            + for each id in 0..n_vocab: u32le(len(bytes)) + bytes   (u32le(0xFFFFFFFF) if unused)
            + for each special token by id: u32le(id) + u32le(len(name)) + name )

so two tokenizers with the same ranks, pattern and specials get the same fingerprint whatever
library loaded them (ours or tiktoken).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fineweb_kit.exceptions import ConfigError, TokenizerError

TIKTOKEN_NAMES = ("r50k_base", "gpt2", "p50k_base", "cl100k_base", "o200k_base")


def canonical_fingerprint(
    token_bytes: Callable[[int], bytes | None],
    n_vocab: int,
    pattern: str,
    specials: dict[str, int],
) -> bytes:
    """The canonical fingerprint (see the module doc). ``token_bytes(i)`` is ``None`` for
    special or unused ids."""
    h = hashlib.sha256(b"fineweb-kit tokenizer v1\n" + pattern.encode() + b"\n")
    special_ids = set(specials.values())
    for i in range(n_vocab):
        b = None if i in special_ids else token_bytes(i)
        h.update(struct.pack("<I", 0xFFFFFFFF) if b is None else struct.pack("<I", len(b)) + b)
    for name, i in sorted(specials.items(), key=lambda kv: kv[1]):
        raw = name.encode()
        h.update(struct.pack("<II", i, len(raw)) + raw)
    return h.digest()


@dataclass(eq=False)
class ShardTokenizer:
    """Adapter: ``encode_batch(texts) -> (flat uint32, ends uint64)``, ``decode(ids)``,
    ``n_vocab``, ``eot_token``, ``fingerprint`` (32 bytes) and ``name``."""

    name: str
    _encode_flat: Callable[[list[str]], tuple[np.ndarray, np.ndarray]]
    _decode: Callable[[list[int]], str]
    n_vocab: int
    eot_token: int | None
    fingerprint: bytes

    def __post_init__(self) -> None:
        if len(self.fingerprint) != 32:
            raise TokenizerError(
                f"{self.name}: fingerprint must be 32 bytes, got {len(self.fingerprint)}"
            )

    @property
    def fingerprint_hex(self) -> str:
        return self.fingerprint.hex()

    def encode_batch(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Ids of all texts, concatenated, and each text's exclusive end in them."""
        return self._encode_flat(texts)

    def encode(self, text: str) -> np.ndarray:
        return self.encode_batch([text])[0]

    def decode(self, ids: Sequence[int] | np.ndarray) -> str:
        return self._decode([int(i) for i in ids])


def from_fineweb_kit(tok: Any, name: str, num_threads: int | None = 1) -> ShardTokenizer:
    """Wraps a ``fineweb_kit.tokenizer.Tokenizer``.

    Encoding goes through ``encode_flat`` (one Rust call per batch, GIL released): uint32 ids
    and the document ends straight from the encoder (special-token strings in the text are
    encoded as plain text); the shard writer then adds the boundary token where configured.
    ``num_threads``: encoder threads per batch (``None``: all cores).
    """
    by_id = {r: b for b, r in tok.mergeable_ranks().items()}
    fp = canonical_fingerprint(by_id.get, tok.n_vocab, tok.pattern, tok.special_tokens)
    eot = tok.special_tokens.get("<|endoftext|>", min(tok.special_tokens.values(), default=None))

    def encode_flat(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        ids, offsets = tok.encode_flat(texts, disallowed_special=(), num_threads=num_threads)
        return ids, offsets[1:].astype(np.uint64)

    return ShardTokenizer(name, encode_flat, tok.decode, tok.n_vocab, eot, fp)


def _flatten(encoded: list[Sequence[int] | np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    lengths = np.fromiter((len(e) for e in encoded), dtype=np.uint64, count=len(encoded))
    if not encoded:
        return np.zeros(0, np.uint32), lengths
    flat = np.concatenate([np.asarray(e, dtype=np.uint32) for e in encoded])
    return flat.astype(np.uint32, copy=False), np.cumsum(lengths, dtype=np.uint64)


def from_tiktoken(enc: Any) -> ShardTokenizer:
    """Wraps a ``tiktoken.Encoding`` (ordinary text: special-token strings are plain text)."""
    by_id = {r: b for b, r in enc._mergeable_ranks.items()}
    fp = canonical_fingerprint(by_id.get, enc.n_vocab, enc._pat_str, dict(enc._special_tokens))
    return ShardTokenizer(
        f"tiktoken:{enc.name}",
        lambda texts: _flatten(enc.encode_ordinary_batch(texts, num_threads=1)),
        enc.decode,
        enc.n_vocab,
        enc.eot_token,
        fp,
    )


def byte_tokenizer() -> ShardTokenizer:
    """UTF-8 bytes as tokens (ids 0..255) plus ``<|endoftext|>`` = 256."""
    specials = {"<|endoftext|>": 256}
    fp = canonical_fingerprint(lambda i: bytes([i]), 257, "", specials)

    def encode(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        return _flatten([np.frombuffer(t.encode("utf-8"), dtype=np.uint8) for t in texts])

    def decode(ids: list[int]) -> str:
        return bytes(i for i in ids if i < 256).decode("utf-8", errors="replace")

    return ShardTokenizer("bytes", encode, decode, 257, 256, fp)


def load_tokenizer(spec: str, num_threads: int | None = 1) -> ShardTokenizer:
    """A tokenizer from a config string.

    - a path to a fineweb-kit tokenizer file (``Tokenizer.load``) or a tiktoken rank file
      (``*.tiktoken``; pattern and specials from the encoding named by the file stem);
    - ``tiktoken:NAME``: tiktoken's own encoder (needs the ``tiktoken`` package and its
      cached rank files), for parity checks;
    - ``bytes``: UTF-8 bytes as ids 0..255 and end-of-text 256 (no merges; for tiny models
      and tests).

    ``num_threads``: encoding threads per batch for fineweb-kit tokenizers (default 1: pipeline
    parallelism comes from tasks and workers; ``None``: all cores).
    """
    if spec == "bytes":
        return byte_tokenizer()
    if spec.startswith("tiktoken:"):
        try:
            import tiktoken
        except ImportError as e:
            raise ConfigError(f"tokenizer {spec!r} needs the tiktoken package") from e
        return from_tiktoken(tiktoken.get_encoding(spec.split(":", 1)[1]))
    path = Path(spec)
    if not path.is_file():
        raise ConfigError(f"tokenizer file {spec!r} not found")
    from fineweb_kit.tokenizer import PATTERN_NAMES, Tokenizer

    if path.suffix == ".tiktoken":
        if path.stem not in PATTERN_NAMES:
            raise ConfigError(
                f"tokenizer {spec!r}: a rank file must be named after its encoding "
                f"({', '.join(PATTERN_NAMES)}) so its pattern and special tokens are known; "
                "or save a fineweb-kit tokenizer file with Tokenizer.save"
            )
        tok = Tokenizer.from_tiktoken(path, path.stem)
    elif path.name.endswith("tokenizer.json") and _is_hf(path):
        tok = Tokenizer.from_hf(path)
    else:
        tok = Tokenizer.load(path)
    return from_fineweb_kit(tok, path.name, num_threads)


def _is_hf(path: Path) -> bool:
    import json

    try:
        return "model" in json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
