"""SinkStep: the shape of every dedup "signature" stage.

Per input file, a Rust sink (``_core.SignatureSink``, ``_core.KeySink``) is opened, fed every
batch's texts (GIL released inside), then committed (its files renamed into place) or aborted
with the file. Its counts become ``<stat_prefix>_<name>`` counters.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

from fineweb_kit.document import Batch
from fineweb_kit.steps.base import PipelineStep, TaskContext
from fineweb_kit.steps.params import check_range


def budget_bytes(memory_budget_mb: float) -> int:
    """``memory_budget_mb`` checked (0.01 MiB .. 1 TiB) and converted to bytes."""
    return int(check_range("memory_budget_mb", memory_budget_mb, 0.01, 1e6) * (1 << 20))


class SinkStep(PipelineStep):
    """Base of steps that stream each input file's texts into a Rust sink."""

    abstract = True
    kind = "dedup"
    pass_through: bool = False
    stat_prefix: ClassVar[str] = ""
    stat_keys: ClassVar[tuple[str, ...] | None] = None  # None: every count the sink returns

    def __init__(self) -> None:
        super().__init__()
        self._sink: Any = None

    def open_sink(self, ctx: TaskContext) -> Any:
        """The sink of the current input file."""
        raise NotImplementedError

    def open_file(self, ctx: TaskContext) -> None:
        self._sink = self.open_sink(ctx)

    def process(self, batches: Iterable[Batch], ctx: TaskContext) -> Iterator[Batch]:
        for batch in batches:
            self.count_batch("documents_in", batch)
            t0 = time.perf_counter()
            self._sink.add([d.text for d in batch])
            self.stats.time_s += time.perf_counter() - t0
            if self.pass_through:
                yield batch

    def close_file(self, ctx: TaskContext, ok: bool) -> None:
        sink, self._sink = self._sink, None
        if sink is None:
            return
        if not ok:
            sink.abort()
            return
        t0 = time.perf_counter()
        counts = sink.commit()
        self.stats.time_s += time.perf_counter() - t0
        for key in self.stat_keys if self.stat_keys is not None else counts:
            self.stats.add(f"{self.stat_prefix}_{key}", counts[key])
