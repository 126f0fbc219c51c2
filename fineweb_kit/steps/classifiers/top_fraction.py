"""TopFractionFilter: keeps exactly the top ``fraction`` of documents by score, across all tasks.

DCLM-Baseline kept the top ~10 % of its pool by fastText score. A per-task or per-file cut-off
would keep 10 % of each shard, not of the whole; a threshold read off a sample is approximate.
This filter is exact and runs as the second of two stages:

1. a stage scores every document (``FastTextScorer`` / ``EmbeddingScorer``) and writes them;
2. the next stage reads that output with this filter right after its reader.

In stage 2, each task first reads the score field of *every* input file of the stage (only that
field is kept in memory: 8 bytes + 8 of position per document), computes the cut-off, and then
filters its own files. The cut-off is also cached in the stage folder (``top_fraction.json``),
so later tasks and resumed runs skip the scan.

**Exactness.** With ``N`` documents in the stage's inputs, exactly ``k = ceil(fraction * N)``
are kept (``fraction`` is taken as the decimal written in the config, so 0.1 of 30 is 3, not 4
as ``ceil(0.1 * 30.0)`` in floating point would give). Documents are ranked by score, highest
first; **ties are broken by position**: the input file's index in the stage's sorted input list,
then the document's index within its file (earlier first). The ranking, and so the kept set, does
not depend on the number of tasks or workers.

**Requirements, checked.** Positions are counted as documents stream through this step, so it
must directly follow the reader and the reader must not use ``limit``: if a file yields another
number of documents than the scan counted, the file fails with an error saying so. Every
document needs a numeric score field (``key``), else the scan stops naming file and line.
"""

from __future__ import annotations

import json
import math
from fractions import Fraction
from typing import Any

import numpy as np

from fineweb_kit.document import Batch
from fineweb_kit.exceptions import InputError
from fineweb_kit.io.files import open_text
from fineweb_kit.io.storage import AnyPath, atomic_write
from fineweb_kit.steps.base import Filter, Params, TaskContext
from fineweb_kit.steps.classifiers.score_filter import read_score
from fineweb_kit.steps.params import WriterConfig, check_name, check_range


def keep_count(fraction: float, n: int) -> int:
    """``ceil(fraction * n)`` with ``fraction`` read as the decimal it was written as."""
    return math.ceil(Fraction(repr(fraction)) * n)


def _record_score(record: Any, key: str, where: str) -> float:
    if isinstance(record, dict):
        value = record.get(key)
        meta = record.get("metadata")
        if value is None and isinstance(meta, dict):
            value = meta.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and value == value:
            return float(value)
    raise InputError(f"{where}: no numeric score field {key!r}; run a scorer in an earlier stage")


def file_scores(path: str, key: str) -> list[float]:
    """The score of every document of one JSONL or Parquet file, in file order."""
    if path.endswith(".parquet"):
        return _parquet_scores(path, key)
    scores = []
    with open_text(path) as f:
        for lineno, line in enumerate(f, 1):
            if line.strip():
                try:
                    record = json.loads(line)
                except ValueError:
                    raise InputError(f"{path}:{lineno}: not a JSON line") from None
                scores.append(_record_score(record, key, f"{path}:{lineno}"))
    return scores


def _parquet_scores(path: str, key: str) -> list[float]:
    import pyarrow.parquet as pq

    names = pq.ParquetFile(path).schema_arrow.names
    column = key if key in names else "metadata" if "metadata" in names else None
    if column is None:
        raise InputError(f"{path}: no column {key!r} nor metadata; run a scorer first")
    values = pq.read_table(path, columns=[column]).column(column).to_pylist()
    if column == "metadata":
        return [_record_score(v, key, f"{path}: row {i + 1}") for i, v in enumerate(values)]
    return [_record_score({key: v}, key, f"{path}: row {i + 1}") for i, v in enumerate(values)]


def compute_cut(files: list[str], key: str, fraction: float) -> dict[str, Any]:
    """The last kept document ``(score, file index, position)`` and the counts."""
    scores: list[np.ndarray] = []
    counts = []
    for path in files:
        s = np.asarray(file_scores(path, key), dtype=np.float64)
        scores.append(s)
        counts.append(len(s))
    n = sum(counts)
    k = keep_count(fraction, n)
    cut: dict[str, Any] = {"key": key, "fraction": fraction, "n": n, "k": k, "counts": counts}
    if k == 0:
        return {**cut, "score": None, "file": -1, "pos": -1}
    all_scores = np.concatenate(scores)
    file_idx = np.repeat(np.arange(len(files)), counts)
    pos = np.concatenate([np.arange(c) for c in counts])
    order = np.lexsort((pos, file_idx, -all_scores))  # last key sorts first
    last = order[k - 1]
    return {
        **cut,
        "score": float(all_scores[last]),
        "file": int(file_idx[last]),
        "pos": int(pos[last]),
    }


class TopFractionFilter(Filter):
    """Keeps exactly ``ceil(fraction * N)`` documents: the highest ``metadata[key]`` scores."""

    abstract = False

    def __init__(
        self, fraction: float, key: str, exclusion_writer: WriterConfig | None = None
    ) -> None:
        super().__init__(exclusion_writer)
        self.fraction = float(fraction)
        self.key = key
        self.cut: dict[str, Any] = {}
        self._files: list[str] = []
        self._file = -1
        self._pos = 0

    @classmethod
    def check_params(cls, params: Params) -> None:
        super().check_params(params)
        check_range("fraction", params["fraction"], 0.0, 1.0)
        check_name("key", params["key"])

    def setup(self, ctx: TaskContext) -> None:
        super().setup(ctx)
        if not ctx.inputs or ctx.state_dir is None:
            raise InputError(
                f"stage {ctx.stage}: its input list was not recorded before TopFractionFilter ran"
            )
        self._files = ctx.inputs
        cache = ctx.state_dir / "top_fraction.json"
        self.cut = self._cached_cut(cache) or compute_cut(self._files, self.key, self.fraction)
        if not cache.is_file():
            with atomic_write(cache) as f:  # tasks may race here: they write the same cut
                json.dump(self.cut, f)
        ctx.log.info(
            "TopFractionFilter: keep %d of %d documents; cut-off %s=%s (file %d, doc %d)",
            self.cut["k"],
            self.cut["n"],
            self.key,
            self.cut["score"],
            self.cut["file"],
            self.cut["pos"],
        )

    def _cached_cut(self, path: AnyPath) -> dict[str, Any] | None:
        try:
            cut = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        same = cut.get("key") == self.key and cut.get("fraction") == self.fraction
        return cut if same and len(cut.get("counts", [])) == len(self._files) else None

    def open_file(self, ctx: TaskContext) -> None:
        super().open_file(ctx)
        self._file = self._files.index(ctx.input_path) if ctx.input_path in self._files else -1
        if self._file < 0:
            raise InputError(
                f"{ctx.input_path}: not among the stage inputs TopFractionFilter scanned"
            )
        self._pos = 0

    def filter_batch(self, batch: Batch) -> list[str | None]:
        cut, out = self.cut, []
        for doc in batch:
            score = read_score(doc, self.key)
            keep = cut["k"] > 0 and (
                score > cut["score"]
                or (score == cut["score"] and (self._file, self._pos) <= (cut["file"], cut["pos"]))
            )
            out.append(None if keep else "below_top_fraction")
            self._pos += 1
        return out

    def close_file(self, ctx: TaskContext, ok: bool) -> None:
        expected = self.cut["counts"][self._file] if self._file >= 0 else self._pos
        if ok and self._pos != expected:
            super().close_file(ctx, False)
            raise InputError(
                f"{ctx.input_path}: TopFractionFilter saw {self._pos} documents but the scan "
                f"counted {expected}: it must directly follow the reader, without limit"
            )
        super().close_file(ctx, ok)
