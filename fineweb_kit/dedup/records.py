"""What every dedup method shares: memory budgets, input file numbers, and reading the framed
record files (``.docs``, ``.dups``, ``.clusters``) the Rust passes write."""

from __future__ import annotations

from typing import Any

from fineweb_kit import _core
from fineweb_kit.params import check_range

ORIGINAL = 1 << 63
"""Set in the copies word of the record of a group's original (the occurrence kept)."""


def budget_bytes(memory_budget_mb: float) -> int:
    """``memory_budget_mb`` checked (0.01 MiB .. 1 TiB) and converted to bytes."""
    return int(check_range("memory_budget_mb", memory_budget_mb, 0.01, 1e6) * (1 << 20))


def file_index(part_name: str | None) -> int:
    """The input file's index in the stage's fixed input list (``00042_<stem>`` -> 42)."""
    assert part_name is not None
    return int(part_name.split("_", 1)[0])


def read_records(path: str, kind: str, fingerprint: int, columns: int) -> tuple[str, Any]:
    """A record file's JSON metadata and its records (uint64 array of ``columns`` columns),
    after checking its header, kind, configuration fingerprint, length and checksum."""
    return _core.read_records(path, kind, fingerprint, columns)
