"""Globs, compression by magic bytes, JSON Lines, and atomic writes."""

from __future__ import annotations

import glob
import gzip
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from fineweb_kit.exceptions import InputError
from fineweb_kit.io import storage
from fineweb_kit.io.storage import AnyPath

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
LZ4_MAGIC = b"\x04\x22\x4d\x18"

OUTPUT_PLACEHOLDER = "{output}"


def expand_globs(patterns: list[str], output_root: AnyPath) -> list[str]:
    """Sorted, de-duplicated files matching ``patterns``; ``{output}`` is the run's output root.

    A pattern that matches nothing raises :class:`InputError` naming it.
    """
    files: set[str] = set()
    for pattern in patterns:
        resolved = pattern.replace(OUTPUT_PLACEHOLDER, str(output_root))
        if storage.is_remote(resolved):
            matches = storage.glob_files(resolved)
        else:
            matches = [m for m in glob.glob(resolved, recursive=True) if os.path.isfile(m)]
        if not matches:
            raise InputError(f"no input file matches {pattern!r} (resolved to {resolved!r})")
        files.update(matches)
    return sorted(files)


def sniff_compression(path: str | Path) -> str | None:
    """``"gzip"``, ``"zstd"``, ``"lz4"`` or ``None``, from the file's first bytes (not its name)."""
    with storage.open_read(path, block_size=4096) as f:
        head = f.read(4)
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    if head.startswith(LZ4_MAGIC):
        return "lz4"
    return None


def open_binary(path: str | Path) -> IO[bytes]:
    """Opens ``path`` (local or a URL) for reading, transparently decompressing gzip or zstd."""
    kind = sniff_compression(path)
    if kind == "lz4":
        raise InputError(f"{path}: lz4 compression is not supported; decompress it first")
    raw = storage.open_read(path)
    if kind == "gzip":
        member = gzip.GzipFile(fileobj=raw, mode="rb")
        # closed with it, as gzip.open does for a file it opened; typeshed types the attribute
        # as the FileIO that gzip.open makes, but GzipFile only calls its close()
        member.myfileobj = raw  # type: ignore[assignment]
        return member  # type: ignore[return-value]
    if kind == "zstd":
        import zstandard

        return zstandard.ZstdDecompressor().stream_reader(raw, closefd=True)
    return raw


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


atomic_write = storage.atomic_write
"""Writes to a temporary file and puts it in place only on success (see ``io/storage.py``)."""
