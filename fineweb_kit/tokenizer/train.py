"""Training a byte-level BPE vocabulary: :func:`train_bpe` and the input readers.

The Rust trainer (``rust/fineweb-kit-bpe/src/train.rs``) pulls texts in bounded buffers
(64 MB by default), pre-tokenises and counts them in parallel with the GIL released, then runs
the merges. Its merges are identical to ``rustbpe``'s for the same pattern, texts and
vocabulary size (most frequent pair first, ties to the smallest ``(left, right)`` id pair).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from fineweb_kit import _core
from fineweb_kit.exceptions import InputError, TokenizerError
from fineweb_kit.io.files import expand_globs, open_binary
from fineweb_kit.tokenizer.core import Tokenizer
from fineweb_kit.tokenizer.encodings import ENDOFTEXT

CHUNK_BYTES = 1 << 20
"""Plain-text files are fed in chunks of about this size, cut after a blank line."""


def _decode(line: bytes, path: str, lineno: int) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(
            f"{path}:{lineno}: invalid UTF-8 at byte {e.start} of the line ({e.reason})"
        ) from None


def _iter_plain(path: str) -> Iterator[str]:
    parts: list[str] = []
    size = 0
    with open_binary(path) as f:
        for lineno, raw in enumerate(f, 1):
            line = _decode(raw, path, lineno)
            parts.append(line)
            size += len(raw)
            if size >= CHUNK_BYTES and line.strip("\r\n") == "":
                yield "".join(parts)
                parts, size = [], 0
    if parts:
        yield "".join(parts)


def _iter_jsonl(path: str, field: str) -> Iterator[str]:
    with open_binary(path) as f:
        for lineno, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            try:
                rec = json.loads(_decode(raw, path, lineno))
            except json.JSONDecodeError as e:
                raise InputError(f"{path}:{lineno}: invalid JSON: {e.msg}") from None
            text = rec.get(field) if isinstance(rec, dict) else None
            if not isinstance(text, str):
                raise InputError(f"{path}:{lineno}: no string field {field!r}")
            yield text


def _iter_parquet(path: str, field: str) -> Iterator[str]:
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    if field not in pf.schema_arrow.names:
        raise InputError(f"{path}: no column {field!r} (columns: {pf.schema_arrow.names})")
    for batch in pf.iter_batches(columns=[field], batch_size=4096):
        yield from (t for t in batch.column(0).to_pylist() if t)


def iter_texts(paths: str | Path | Iterable[str | Path], field: str = "text") -> Iterator[str]:
    """Texts of files: ``.jsonl[.gz|.zst]`` (``field`` of each record), ``.parquet`` (column
    ``field``), anything else as UTF-8 text (gzip/zstd detected) in ~1 MB chunks.
    Strings are globs (``**`` allowed)."""
    if isinstance(paths, str | Path):
        paths = [paths]
    files: list[str] = []
    for p in paths:
        files += [os.fspath(p)] if os.path.isfile(p) else expand_globs([os.fspath(p)], Path("."))
    for path in files:
        name = path.lower()
        if ".jsonl" in name or name.endswith((".json.gz", ".ndjson")):
            yield from _iter_jsonl(path, field)
        elif name.endswith(".parquet"):
            yield from _iter_parquet(path, field)
        else:
            yield from _iter_plain(path)


def _is_files(x: object) -> bool:
    if isinstance(x, str | Path):
        return True
    return isinstance(x, list | tuple) and bool(x) and all(isinstance(p, Path) for p in x)


class _Progress:
    """Prints bytes counted and throughput to stderr (the CLI's progress line)."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()
        self.total = 0

    def __call__(self, phase: str, n: int) -> None:
        self.total += n
        dt = time.perf_counter() - self.t0
        mb = self.total / 1e6
        print(f"\rcounted {mb:,.1f} MB ({mb / max(dt, 1e-9):.1f} MB/s)", end="", file=sys.stderr)


def train_bpe(
    texts_or_files: Iterable[str] | str | Path | list[Path],
    vocab_size: int,
    pattern: str = "o200k_base",
    special_tokens: Iterable[str] = (ENDOFTEXT,),
    num_threads: int | None = None,
    progress: bool = False,
) -> Tokenizer:
    """Trains a byte-level BPE tokenizer with ``vocab_size`` ids in total.

    ``texts_or_files``: an iterable of texts, or a path / glob string / list of ``Path`` of
    files (see :func:`iter_texts`). ``pattern``: a built-in name (``o200k_base``,
    ``cl100k_base``, ``r50k_base``) or a regex. The ids are 0-255 for bytes, then merges in
    order, then ``special_tokens``. ``vocab_size`` must be at least 256 + specials.
    """
    specials = list(special_tokens)
    if len(set(specials)) != len(specials):
        raise TokenizerError(f"special_tokens has duplicates: {specials}")
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, int):
        raise TokenizerError(f"vocab_size must be an integer, got {vocab_size!r}")
    if vocab_size < 256 + len(specials):
        raise TokenizerError(
            f"vocab_size {vocab_size} is below 256 bytes + {len(specials)} special tokens"
        )
    texts: Iterator[str] = (
        iter_texts(texts_or_files) if _is_files(texts_or_files) else iter(texts_or_files)  # type: ignore[arg-type]  # _is_files: not paths
    )
    cb = _Progress() if progress else None
    try:
        core = _core.train_bpe(texts, vocab_size, pattern, specials, num_threads, progress=cb)
    except UnicodeEncodeError as e:
        raise TokenizerError(
            f"a training text contains a lone surrogate (index {e.start}); it has no UTF-8 form"
        ) from None
    if cb is not None:
        print(file=sys.stderr)
    return Tokenizer(core, name=f"bpe-{vocab_size}")


class BpeTrainer:
    """Training fed batch by batch (the ``TrainTokenizer`` pipeline step): ``count`` each batch
    of texts as it arrives (pre-tokenised and counted in Rust, GIL released; memory grows with
    the distinct pre-tokens, not the corpus), then ``finish`` runs the merges. Same merges as
    :func:`train_bpe` on the same texts.

    A bad ``pattern`` or a ``vocab_size`` below 256 + specials raises ``ValueError`` here.
    """

    def __init__(
        self, pattern: str, vocab_size: int, special_tokens: Iterable[str] = (ENDOFTEXT,)
    ) -> None:
        self.special_tokens = list(special_tokens)
        self.vocab_size = vocab_size
        self._core: _core.BpeTrainer | None = _core.BpeTrainer(
            pattern, vocab_size, len(self.special_tokens)
        )

    def count(self, texts: list[str], num_threads: int | None = None) -> None:
        """Counts the pre-tokens of ``texts``."""
        assert self._core is not None, "count() after finish()"
        self._core.count(texts, num_threads)

    @property
    def distinct_pieces(self) -> int:
        """How many distinct pre-tokens were counted so far."""
        assert self._core is not None
        return self._core.distinct_pieces

    def finish(self, num_threads: int | None = None) -> Tokenizer:
        """Runs the merges; the trainer cannot be used afterwards."""
        assert self._core is not None, "finish() called twice"
        core, self._core = self._core, None
        return Tokenizer(core.finish(self.special_tokens, num_threads))
