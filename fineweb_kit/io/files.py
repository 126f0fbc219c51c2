"""Globs, compression by magic bytes, JSON Lines, and atomic writes."""

from __future__ import annotations

import glob
import gzip
import io
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from fineweb_kit.exceptions import InputError

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
LZ4_MAGIC = b"\x04\x22\x4d\x18"

OUTPUT_PLACEHOLDER = "{output}"


def expand_globs(patterns: list[str], output_root: Path) -> list[str]:
    """Sorted, de-duplicated files matching ``patterns``; ``{output}`` is the run's output root.

    A pattern that matches nothing raises :class:`InputError` naming it.
    """
    files: set[str] = set()
    for pattern in patterns:
        resolved = pattern.replace(OUTPUT_PLACEHOLDER, str(output_root))
        matches = [m for m in glob.glob(resolved, recursive=True) if os.path.isfile(m)]
        if not matches:
            raise InputError(f"no input file matches {pattern!r} (resolved to {resolved!r})")
        files.update(matches)
    return sorted(files)


def sniff_compression(path: str | Path) -> str | None:
    """``"gzip"``, ``"zstd"``, ``"lz4"`` or ``None``, from the file's first bytes (not its name)."""
    with open(path, "rb") as f:
        head = f.read(4)
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    if head.startswith(LZ4_MAGIC):
        return "lz4"
    return None


def open_binary(path: str | Path) -> IO[bytes]:
    """Opens ``path`` for reading, transparently decompressing gzip or zstd."""
    kind = sniff_compression(path)
    if kind == "gzip":
        return gzip.open(path, "rb")  # type: ignore[return-value]  # GzipFile: a binary IO
    if kind == "zstd":
        import zstandard

        return zstandard.ZstdDecompressor().stream_reader(open(path, "rb"), closefd=True)
    if kind == "lz4":
        raise InputError(f"{path}: lz4 compression is not supported; decompress it first")
    return open(path, "rb")


def open_text(path: str | Path) -> IO[str]:
    """Opens ``path`` as UTF-8 text (undecodable bytes replaced), decompressing as needed."""
    return io.TextIOWrapper(open_binary(path), encoding="utf-8", errors="replace")


def json_lines(path: str | Path) -> Iterator[tuple[int, Any]]:
    """``(line number, value)`` for each non-blank line of a JSON Lines file; a line that is not
    JSON yields its ``ValueError`` as the value, so each caller picks its policy (pipeline readers
    count and skip, training input stops)."""
    with open_text(path) as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                yield lineno, json.loads(line)
            except ValueError as e:
                yield lineno, e


@contextmanager
def atomic_write(path: str | Path, mode: str = "w") -> Iterator[IO]:
    """Writes to ``.<name>.tmp`` beside ``path`` and renames it into place only on success."""
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.tmp")
    try:
        with open(tmp, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(final)
    finally:
        tmp.unlink(missing_ok=True)
