"""Reading token shards: every section is an ``np.memmap`` view of the file, no copy.

The header is parsed and checked by the Rust core (``_core.shard_header``: magic, version,
header checksum, file length against the counts), so Python and Rust read one definition of
the format (documented in ``rust/fineweb-kit-shards/src/lib.rs``). ``Shard.verify()``
additionally checks the section checksums and the document index (one full read, in Rust).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fineweb_kit import _core
from fineweb_kit.exceptions import FormatError

SUFFIX = ".fks"
DTYPES: dict[str, np.dtype[Any]] = {"u16": np.dtype("<u2"), "u32": np.dtype("<u4")}


@dataclass(frozen=True)
class ShardHeader:
    """What a shard's header says (see the format doc)."""

    path: str
    dtype: str
    boundary: str
    boundary_token: int | None
    vocab_size: int
    n_tokens: int
    n_docs: int
    fingerprint: str
    has_mask: bool
    tokens_offset: int
    index_offset: int
    mask_offset: int
    file_len: int

    @classmethod
    def from_dict(cls, path: str, d: dict[str, Any]) -> ShardHeader:
        return cls(path=path, **{k: v for k, v in d.items() if k != "version"})


class Shard:
    """One shard, memory-mapped read-only.

    ``tokens``: the token ids (uint16 or uint32, as stored); ``doc_ends``: uint64 exclusive end
    of each document; ``mask``: uint8 loss mask or ``None``. ``expect_fingerprint`` (hex) refuses
    a shard written with another tokenizer.
    """

    def __init__(self, path: str | Path, expect_fingerprint: str | None = None) -> None:
        self.path = str(path)
        self.header = ShardHeader.from_dict(self.path, _core.shard_header(self.path))
        if expect_fingerprint is not None and expect_fingerprint != self.header.fingerprint:
            raise FormatError(
                f"{self.path}: written with tokenizer {self.header.fingerprint[:16]}..., "
                f"expected {expect_fingerprint[:16]}...: these token ids mean other text; "
                "re-tokenize with the expected tokenizer"
            )
        h = self.header
        self.tokens = _map(self.path, DTYPES[h.dtype], h.tokens_offset, h.n_tokens)
        self.doc_ends = _map(self.path, np.dtype("<u8"), h.index_offset, h.n_docs)
        self.mask = (
            _map(self.path, np.dtype("u1"), h.mask_offset, h.n_tokens) if h.has_mask else None
        )

    def __len__(self) -> int:
        return self.header.n_docs

    def doc_range(self, i: int) -> tuple[int, int]:
        """``[start, end)`` of document ``i`` in ``tokens`` (boundary token included)."""
        if not 0 <= i < self.header.n_docs:
            raise IndexError(f"{self.path}: document {i} of {self.header.n_docs}")
        start = int(self.doc_ends[i - 1]) if i else 0
        return start, int(self.doc_ends[i])

    def doc(self, i: int, strip_boundary: bool = False) -> np.ndarray:
        """Token ids of document ``i`` (a view), optionally without its boundary token."""
        start, end = self.doc_range(i)
        if strip_boundary and end > start:
            if self.header.boundary == "append":
                end -= 1
            elif self.header.boundary == "prepend":
                start += 1
        return self.tokens[start:end]

    def docs(self, strip_boundary: bool = False) -> Iterator[np.ndarray]:
        for i in range(self.header.n_docs):
            yield self.doc(i, strip_boundary)

    def verify(self) -> None:
        """Checks section checksums and the document index; raises FormatError if damaged."""
        _core.shard_verify(self.path)


def _map(path: str, dtype: np.dtype, offset: int, count: int) -> np.ndarray:
    if count == 0:
        return np.zeros(0, dtype=dtype)
    return np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=(count,))


def list_shards(paths: list[str] | str) -> list[Path]:
    """Shard files from files, folders (all ``*.fks`` inside, sorted) and globs."""
    from fineweb_kit.io.files import expand_globs

    items = [paths] if isinstance(paths, str) else list(paths)
    out: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            out.extend(sorted(p.glob(f"*{SUFFIX}")))
        elif p.is_file():
            out.append(p)
        else:
            out.extend(Path(x) for x in expand_globs([item], Path(".")))
    if not out:
        raise FormatError(f"no shard files ({SUFFIX}) found in {items}")
    return out
