"""SinkStep: the shape of every dedup "signature" stage, and the checks of dedup parameters.

Per input file, a sink of the dedup library (:func:`fineweb_kit.dedup.minhash.
open_signature_sink`, :func:`fineweb_kit.dedup.keys.open_key_sink`) is opened, fed every
batch's texts (GIL released inside), then committed (its files renamed into place) or aborted
with the file. Its counts become ``<stat_prefix>_<name>`` counters.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

from fineweb_kit.dedup.minhash import KEEP, MinhashSettings
from fineweb_kit.dedup.records import budget_bytes
from fineweb_kit.document import Batch
from fineweb_kit.steps.base import Params, PipelineStep, TaskContext
from fineweb_kit.steps.params import check_choice, check_positive_int


class DedupParams:
    """Mixin of the dedup steps: checks whichever of their shared parameters a step has."""

    kind: ClassVar[str] = "dedup"

    @classmethod
    def check_params(cls, params: Params) -> None:
        super().check_params(params)  # type: ignore[misc]
        if "config" in params:
            MinhashSettings.from_config(params["config"])
        if "memory_budget_mb" in params:
            budget_bytes(params["memory_budget_mb"])
        if "n_sentences" in params:
            check_positive_int("n_sentences", params["n_sentences"])
        if "min_doc_words" in params:
            check_positive_int("min_doc_words", params["min_doc_words"], 0)
        if "keep" in params:
            check_choice("keep", params["keep"], KEEP)


class SinkStep(DedupParams, PipelineStep):
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
