"""The shape every pipeline step has, and the registry from YAML ``type:`` to class.

A step is built from exactly its constructor's keyword arguments (the YAML keys). In a worker
process the runner calls, per task: ``setup`` once; for each input file ``open_file``, then
``process`` over the stream of batches, then ``close_file(ok)``; ``teardown`` at the end.
Every concrete subclass is registered under its class name when its module is imported
(all modules under ``fineweb_kit.steps`` are imported by :func:`registry`).
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import pkgutil
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from fineweb_kit.document import Batch, Document
from fineweb_kit.exceptions import ConfigError
from fineweb_kit.stats import StepStats, length_bin

_REGISTRY: dict[str, type[PipelineStep]] = {}


@dataclass
class TaskContext:
    """Where a step runs: stage, task rank, output root, and the input file being processed.

    ``part_name`` names this input file's output parts (unique within the stage and stable
    across reruns), so a redone file overwrites its own parts instead of duplicating them.
    """

    stage: str
    rank: int = 0
    world_size: int = 1
    output_root: Path = Path(".")
    input_path: str | None = None
    part_name: str | None = None
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("fineweb_kit"))

    def resolve(self, folder: str | Path) -> Path:
        """An output folder: absolute as given, else relative to the run's output root."""
        p = Path(folder)
        return p if p.is_absolute() else self.output_root / p


class PipelineStep:
    """Base of all steps: takes batches of documents, yields batches.

    Subclasses set ``kind`` (reader, extractor, filter, formatter, writer, ...) and may list
    ``requires``: ``(import name, pip name)`` pairs checked when the step is built, so a missing
    dependency fails at ``validate`` time rather than hours into a run.
    """

    kind: ClassVar[str] = "step"
    requires: ClassVar[tuple[tuple[str, str], ...]] = ()
    abstract: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("abstract", False):
            _REGISTRY[cls.__name__] = cls

    def __init__(self) -> None:
        for module, package in self.requires:
            if importlib.util.find_spec(module) is None:
                raise ConfigError(
                    f"{type(self).__name__} needs the Python package {package!r}: "
                    f"pip install {package}"
                )
        self.stats = StepStats()

    @property
    def name(self) -> str:
        return type(self).__name__

    def setup(self, ctx: TaskContext) -> None:
        """Called once per task process before the first file: load models here."""

    def open_file(self, ctx: TaskContext) -> None:
        """Called before each input file (writers open their temporary part here)."""

    def process(self, batches: Iterable[Batch], ctx: TaskContext) -> Iterator[Batch]:
        """Transforms the stream of batches. Must be overridden."""
        raise NotImplementedError

    def close_file(self, ctx: TaskContext, ok: bool) -> None:
        """Called after each input file: commit its outputs if ``ok``, else discard them."""

    def teardown(self) -> None:
        """Called once at the end of the task."""

    def count_batch(self, prefix: str, batch: Batch) -> None:
        """Counts documents and text bytes as ``<prefix>`` / ``<prefix>_bytes``."""
        self.stats.add(prefix, len(batch))
        self.stats.add(f"{prefix}_bytes", sum(len(d.text.encode("utf-8")) for d in batch))


class BatchStep(PipelineStep):
    """A step that maps each batch to a batch (filters, formatters, annotators)."""

    def process_batch(self, batch: Batch, ctx: TaskContext) -> Batch:
        raise NotImplementedError

    def process(self, batches: Iterable[Batch], ctx: TaskContext) -> Iterator[Batch]:
        for batch in batches:
            self.count_batch("documents_in", batch)
            t0 = time.perf_counter()
            out = self.process_batch(batch, ctx)
            self.stats.time_s += time.perf_counter() - t0
            self.count_batch("documents_out", out)
            if out:
                yield out


class Reader(PipelineStep):
    """Base of readers. A reader lists its input files; the runner splits them across tasks.

    ``paths``: one glob or a list of globs (``**`` allowed), relative to the working directory,
    or ``{output}/...`` for an earlier stage's output folder. ``limit``: stop after this many
    documents per file (-1: all), for quick trials.
    """

    kind = "reader"

    def __init__(self, paths: str | list[str], limit: int = -1, batch_size: int = 256) -> None:
        super().__init__()
        from fineweb_kit.steps.params import ParamError, check_positive_int

        if isinstance(paths, str):
            paths = [paths]
        if not paths or not all(isinstance(p, str) and p for p in paths):
            raise ParamError("paths", f"expected a glob or a list of globs, got {paths!r}")
        self.paths = list(paths)
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < -1:
            raise ParamError("limit", f"expected -1 (no limit) or a count >= 0, got {limit!r}")
        self.limit = limit
        self.batch_size = check_positive_int("batch_size", batch_size)

    def list_files(self, output_root: Path) -> list[str]:
        """All input files matched by ``paths``, sorted, without duplicates."""
        from fineweb_kit.io.files import expand_globs

        return expand_globs(self.paths, output_root)

    def read_file(self, path: str, ctx: TaskContext) -> Iterator[Document]:
        """Yields the documents of one file. Damage is counted and logged, never raised mid-way
        (records before the damage are kept)."""
        raise NotImplementedError

    def process(self, batches: Iterable[Batch], ctx: TaskContext) -> Iterator[Batch]:
        assert ctx.input_path is not None, "a reader runs once per input file"
        batch: Batch = []
        t0 = time.perf_counter()
        for n, doc in enumerate(self.read_file(ctx.input_path, ctx)):
            if 0 <= self.limit <= n:
                break
            batch.append(doc)
            if len(batch) >= self.batch_size:
                self.stats.time_s += time.perf_counter() - t0
                self.count_batch("documents_out", batch)
                yield batch
                batch = []
                t0 = time.perf_counter()
        self.stats.time_s += time.perf_counter() - t0
        if batch:
            self.count_batch("documents_out", batch)
            yield batch


class Filter(BatchStep):
    """Base of filters: decide keep or drop per document, with a reason.

    ``filter_batch`` returns, per document, ``None`` to keep it or a short reason string to
    drop it. Drops are counted as ``dropped_<reason>``; if ``exclusion_writer`` is given (a
    writer step config, e.g. ``{type: JsonlWriter, output_folder: removed/url}``), dropped
    documents are written there with ``metadata["filter_reason"]`` (FineWeb's ``removed/``).
    """

    kind = "filter"

    def __init__(self, exclusion_writer: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.exclusion_writer: Writer | None = None
        if exclusion_writer is not None:
            from fineweb_kit.config import build_nested_step

            step = build_nested_step(exclusion_writer, "exclusion_writer")
            if not isinstance(step, Writer):
                raise ConfigError(f"exclusion_writer: {step.name} is not a writer")
            self.exclusion_writer = step

    def filter_batch(self, batch: Batch) -> list[str | None]:
        raise NotImplementedError

    def process_batch(self, batch: Batch, ctx: TaskContext) -> Batch:
        reasons = self.filter_batch(batch)
        kept: Batch = []
        dropped: Batch = []
        for doc, reason in zip(batch, reasons, strict=True):
            if reason is None:
                kept.append(doc)
            else:
                self.stats.add(f"dropped_{reason}")
                doc.metadata["filter_reason"] = reason
                dropped.append(doc)
        if dropped and self.exclusion_writer is not None:
            self.exclusion_writer.write_batch(dropped)
        return kept

    def setup(self, ctx: TaskContext) -> None:
        if self.exclusion_writer is not None:
            self.exclusion_writer.setup(ctx)

    def open_file(self, ctx: TaskContext) -> None:
        if self.exclusion_writer is not None:
            self.exclusion_writer.open_file(ctx)

    def close_file(self, ctx: TaskContext, ok: bool) -> None:
        if self.exclusion_writer is not None:
            self.exclusion_writer.close_file(ctx, ok)


class Writer(PipelineStep):
    """Base of writers: one output part per input file, written to a temporary name and
    renamed on ``close_file(ok=True)``, so a half-written part is never visible.

    Writers pass batches through, so a writer may sit in the middle of a stage.
    """

    kind = "writer"
    extension: ClassVar[str] = ""

    def __init__(self, output_folder: str) -> None:
        super().__init__()
        from fineweb_kit.steps.params import ParamError

        if not isinstance(output_folder, str) or not output_folder:
            raise ParamError("output_folder", f"expected a folder path, got {output_folder!r}")
        self.output_folder = output_folder
        self._final: Path | None = None
        self._tmp: Path | None = None

    def part_path(self, ctx: TaskContext) -> Path:
        assert ctx.part_name is not None
        return ctx.resolve(self.output_folder) / f"{ctx.part_name}{self.extension}"

    def open_file(self, ctx: TaskContext) -> None:
        self._final = self.part_path(ctx)
        self._final.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = self._final.with_name(f".{self._final.name}.tmp")
        self.open_part(self._tmp)

    def write_batch(self, batch: Batch) -> None:
        t0 = time.perf_counter()
        self.count_batch("documents_out", batch)
        for doc in batch:
            self.stats.observe("length_chars", length_bin(len(doc.text)))
        self.write_part(batch)
        self.stats.time_s += time.perf_counter() - t0

    def process(self, batches: Iterable[Batch], ctx: TaskContext) -> Iterator[Batch]:
        for batch in batches:
            self.write_batch(batch)
            yield batch

    def close_file(self, ctx: TaskContext, ok: bool) -> None:
        assert self._tmp is not None and self._final is not None
        t0 = time.perf_counter()
        self.close_part()
        self.stats.time_s += time.perf_counter() - t0
        if ok:
            self._tmp.replace(self._final)
        else:
            self._tmp.unlink(missing_ok=True)
        self._tmp = self._final = None

    def open_part(self, tmp_path: Path) -> None:
        raise NotImplementedError

    def write_part(self, batch: Batch) -> None:
        raise NotImplementedError

    def close_part(self) -> None:
        raise NotImplementedError


def registry() -> dict[str, type[PipelineStep]]:
    """All step classes by YAML ``type:`` name (imports every module under ``steps``)."""
    import fineweb_kit.steps as pkg

    for info in pkgutil.walk_packages(pkg.__path__, prefix=f"{pkg.__name__}."):
        importlib.import_module(info.name)
    return dict(_REGISTRY)
