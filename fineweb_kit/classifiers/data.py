"""Labelled training data: documents from JSONL / Parquet files, and a stable held-out split.

Training input is read strictly (unlike pipeline readers, which count and skip bad records): a
line that is not JSON, lacks the text field, or has a score that is not a number stops training
with an error naming the file and line, because a silently shrunken training set is worse than
no model. A field may be top-level or inside a ``metadata`` object (what our writers produce).

The held-out split is by a hash of the text, not by position: it does not change when files are
reordered or more data is added, and identical texts always land on the same side (no leakage
of duplicates from train into test).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xxhash

from fineweb_kit.exceptions import ConfigError, InputError
from fineweb_kit.io.files import expand_globs, json_lines


@dataclass
class Example:
    """One labelled document: its text and a label (class name) or a score."""

    text: str
    label: str | float
    source: str


def _field(record: dict[str, Any], name: str) -> Any:
    if name in record:
        return record[name]
    meta = record.get("metadata")
    if isinstance(meta, dict) and name in meta:
        return meta[name]
    raise KeyError(name)


def iter_records(paths: str | list[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yields ``(where, record)`` for every record of the files matching ``paths``."""
    patterns = [paths] if isinstance(paths, str) else list(paths)
    for path in expand_globs(patterns, Path(".")):
        if path.endswith(".parquet"):
            yield from _iter_parquet(path)
            continue
        for lineno, record in json_lines(path):
            if isinstance(record, ValueError):
                raise InputError(f"{path}:{lineno}: not a JSON line: {record}")
            if not isinstance(record, dict):
                raise InputError(f"{path}:{lineno}: expected a JSON object")
            yield f"{path}:{lineno}", record


def _iter_parquet(path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as e:
        raise InputError(f"{path}: not a readable Parquet file: {e}") from None
    row = 0
    for batch in pf.iter_batches(batch_size=1024):
        for record in batch.to_pylist():
            row += 1
            yield f"{path}: row {row}", record


def read_texts(paths: str | list[str], text_field: str = "text") -> list[tuple[str, str]]:
    """``(where, text)`` of every record; a missing or non-string text field is an error."""
    out = []
    for where, record in iter_records(paths):
        try:
            text = _field(record, text_field)
        except KeyError:
            raise InputError(f"{where}: no field {text_field!r}") from None
        if not isinstance(text, str):
            raise InputError(f"{where}: field {text_field!r} is {type(text).__name__}, not text")
        out.append((where, text))
    return out


def read_scored(
    paths: str | list[str], score_field: str, text_field: str = "text"
) -> list[Example]:
    """Examples whose label is the number in ``score_field``."""
    examples = []
    for where, record in iter_records(paths):
        try:
            text, score = _field(record, text_field), _field(record, score_field)
        except KeyError as e:
            raise InputError(f"{where}: no field {e}") from None
        if not isinstance(text, str):
            raise InputError(f"{where}: field {text_field!r} is not text")
        bad = isinstance(score, bool) or not isinstance(score, int | float)
        if bad or not math.isfinite(score):
            raise InputError(f"{where}: field {score_field!r} is {score!r}, expected a number")
        examples.append(Example(text, float(score), where))
    return examples


def check_nonempty(examples: list[Any], what: str) -> None:
    if not examples:
        raise ConfigError(f"no {what}: the input files hold no documents")


def is_heldout(text: str, fraction: float) -> bool:
    """Whether ``text`` belongs to the held-out split (stable: a hash of the text)."""
    return xxhash.xxh64_intdigest(text.encode("utf-8"), seed=7) % 1_000_000 < fraction * 1_000_000


def split(examples: list[Example], heldout: float) -> tuple[list[Example], list[Example]]:
    """``(train, test)`` by :func:`is_heldout`. Both must be non-empty."""
    if not 0 < heldout < 1:
        raise ConfigError(f"heldout fraction must be in (0, 1), got {heldout}")
    train = [e for e in examples if not is_heldout(e.text, heldout)]
    test = [e for e in examples if is_heldout(e.text, heldout)]
    if not train or not test:
        raise ConfigError(
            f"held-out split of {len(examples)} examples at {heldout:g} left "
            f"{len(train)} to train and {len(test)} to test; give more data"
        )
    return train, test
