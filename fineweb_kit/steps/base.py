"""The shape every pipeline step has: sources (readers, units of work), steps, writers.

A step is built from exactly its constructor's keyword arguments (the YAML keys). Its
parameters are checked by the classmethod :meth:`PipelineStep.check_params`, which the
pipeline spec runs at validation time without building anything, and which runs again when
the step is built (once per task, in the worker). In a worker the runner
(``executors/task.py``) calls, per task: ``setup`` once; for each unit of work (an input file,
a bucket, ``all``) ``open_file``, then ``process`` over the stream of batches, then
``close_file(ok)``; ``teardown`` at the end.

A stage starts with a :class:`Source`, which lists the stage's units from its parameters
alone (``list_units``): a :class:`Reader` turns each unit (a file) into documents, a
:class:`UnitStep` does a unit's work itself (a MinHash bucket, one merge over everything).

Every concrete subclass (one whose class body does not say ``abstract = True``) defined in a
module under ``fineweb_kit.steps`` is a step type named after its class
(see ``fineweb_kit/pipeline/registry.py``).
"""

from __future__ import annotations

import functools
import importlib.util
import inspect
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from fineweb_kit.document import Batch, Document
from fineweb_kit.exceptions import ConfigError
from fineweb_kit.io import storage
from fineweb_kit.io.storage import AnyPath
from fineweb_kit.stats import StepStats, length_bin
from fineweb_kit.steps.params import (
    Check,
    ParamError,
    WriterConfig,
    check_globs,
    check_name,
    check_positive_int,
)

Params = dict[str, Any]


@dataclass
class TaskContext:
    """Where a step runs: stage, task rank, output root, and the input file being processed.

    ``part_name`` names this input file's output parts (unique within the stage and stable
    across reruns), so a redone file overwrites its own parts instead of duplicating them.
    ``inputs`` is the stage's fixed list of units (every task's, in order) and ``state_dir``
    the stage's bookkeeping folder, where a step may cache what all tasks share (a cut-off):
    steps reach the run folder only through these two.
    """

    stage: str
    rank: int = 0
    world_size: int = 1
    output_root: AnyPath = Path(".")
    input_path: str | None = None
    part_name: str | None = None
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("fineweb_kit"))
    inputs: list[str] = field(default_factory=list)
    state_dir: AnyPath | None = None

    def resolve(self, folder: str | Path) -> AnyPath:
        """An output folder: absolute or a URL as given, else relative to the output root."""
        return storage.join(self.output_root, folder)


def _checked(init: Callable[..., None]) -> Callable[..., None]:
    """Wraps a step's ``__init__`` so that the outermost call first runs ``check_params`` on
    the bound arguments (defaults applied): a step built directly is checked like one built
    from a pipeline file."""
    sig = inspect.signature(init)

    @functools.wraps(init)
    def __init__(self: PipelineStep, *args: Any, **kwargs: Any) -> None:
        if type(self).__init__ is __init__:  # the outermost constructor of this object
            try:
                bound = sig.bind(self, *args, **kwargs)
            except TypeError:
                bound = None  # the constructor itself raises the TypeError
            if bound is not None:
                bound.apply_defaults()
                params = dict(bound.arguments)
                params.pop(next(iter(sig.parameters)))
                type(self).check_params(params)
        init(self, *args, **kwargs)

    __init__.checked = True  # type: ignore[attr-defined]
    return __init__


class PipelineStep:
    """Base of all steps: takes batches of documents, yields batches.

    Subclasses set ``kind`` (reader, extractor, filter, formatter, writer, ...) and may list
    ``requires``: ``(import name, pip name)`` pairs checked with the parameters, so a missing
    dependency fails at ``validate`` time rather than hours into a run. ``whole_task``: the
    step needs every document of its task and commits in ``teardown`` (tokenizer training), so
    its stage is marked done per task, not per unit. ``nested_steps``: parameters that are
    themselves steps (``{type: ...}``), by name, with the kind they must be (``writer``,
    ``step``); a :class:`~fineweb_kit.steps.params.StepConfig` annotation says the same.
    ``param_checks``: per argument, a check run by ``check_params`` (those of the base classes
    too), e.g. ``{"threshold": in_range(0, 1), "batch_size": at_least(1)}``.
    """

    kind: ClassVar[str] = "step"
    requires: ClassVar[tuple[tuple[str, str], ...]] = ()
    abstract: ClassVar[bool] = True
    whole_task: ClassVar[bool] = False
    nested_steps: ClassVar[dict[str, str]] = {}
    param_checks: ClassVar[dict[str, Check]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is not None and not getattr(init, "checked", False):
            cls.__init__ = _checked(init)  # type: ignore[method-assign]

    @classmethod
    def check_params(cls, params: Params) -> None:
        """Checks parameter values (``params``: every constructor argument, defaults applied)
        without building the step: no model is loaded, no output is written; a named file may
        be looked at. Raises :class:`ParamError` naming the argument. Runs ``param_checks``;
        subclasses with checks across arguments extend it and call
        ``super().check_params(params)``."""
        for module, package in cls.requires:
            if importlib.util.find_spec(module) is None:
                raise ConfigError(
                    f"{cls.__name__} needs the Python package {package!r}: pip install {package}"
                )
        for klass in reversed(cls.__mro__):
            for key, check in vars(klass).get("param_checks", {}).items():
                if key in params:
                    check(key, params[key])

    def __init__(self) -> None:
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

    abstract = True

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


class Source(PipelineStep):
    """The first step of every stage: it names the stage's units of work.

    ``list_units`` works from the parameters alone (the step is not built), so executors can
    fix a stage's units and split them across tasks before any worker starts. The runner
    fixes the list in ``_state/<stage>/inputs.json``, gives task ``r`` the units ``i`` with
    ``i % world_size == r``, writes one marker per finished unit and skips finished units on
    rerun.
    """

    abstract = True

    @classmethod
    def list_units(cls, params: Mapping[str, Any], output_root: AnyPath) -> list[str]:
        """Names of the stage's units, in a stable order."""
        raise NotImplementedError


def _paths(paths: str | list[str]) -> list[str]:
    return [paths] if isinstance(paths, str) else list(paths)


class Reader(Source):
    """Base of readers: the units are the input files matched by ``paths``.

    ``paths``: one glob or a list of globs (``**`` allowed), relative to the working directory,
    or ``{output}/...`` for an earlier stage's output folder. ``limit``: stop after this many
    documents per file (-1: all), for quick trials.
    """

    abstract = True

    kind = "reader"

    def __init__(self, paths: str | list[str], limit: int = -1, batch_size: int = 256) -> None:
        super().__init__()
        self.paths = _paths(paths)
        self.limit = limit
        self.batch_size = batch_size

    @classmethod
    def check_params(cls, params: Params) -> None:
        super().check_params(params)
        check_globs("paths", params["paths"])
        limit = params.get("limit", -1)
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < -1:
            raise ParamError("limit", f"expected -1 (no limit) or a count >= 0, got {limit!r}")
        check_positive_int("batch_size", params.get("batch_size", 256))

    @classmethod
    def list_units(cls, params: Mapping[str, Any], output_root: AnyPath) -> list[str]:
        """All input files matched by ``paths``, sorted, without duplicates."""
        from fineweb_kit.io.files import expand_globs

        return expand_globs(_paths(params["paths"]), output_root)

    def list_files(self, output_root: AnyPath) -> list[str]:
        """The files this built reader reads (``list_units`` of its ``paths``)."""
        return type(self).list_units({"paths": self.paths}, output_root)

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


class UnitStep(Source):
    """A source whose units are not input files: it does each unit's work itself.

    MinHash stage 2 works per bucket (``bucket_003``), stage 3 and the exact/sentence find
    stages once over everything (``clusters``), ``ShardMerge`` once (``all``). Through the
    runner a unit is handled like a file (split across tasks, one marker each, skipped when
    done); ``process`` runs the unit and yields no document. A unit must write its outputs
    under temporary names and rename them at its end, so a killed unit leaves nothing visible.
    """

    abstract = True
    kind = "unit"

    def run_unit(self, unit: str, ctx: TaskContext) -> None:
        """Does one unit's work, committing its outputs atomically at the end."""
        raise NotImplementedError

    def process(self, batches: Iterable[Batch], ctx: TaskContext) -> Iterator[Batch]:
        assert ctx.input_path is not None, "a unit step runs once per unit"
        t0 = time.perf_counter()
        self.run_unit(ctx.input_path, ctx)
        dt = time.perf_counter() - t0
        self.stats.time_s += dt
        self.stats.add("units")
        ctx.log.info("%s: unit %s done in %.2fs", self.name, ctx.input_path, dt)
        return iter(())


class Filter(BatchStep):
    """Base of filters: decide keep or drop per document, with a reason.

    ``filter_batch`` returns, per document, ``None`` to keep it or a short reason string to
    drop it. Drops are counted as ``dropped_<reason>``; if ``exclusion_writer`` is given (a
    writer step config, e.g. ``{type: JsonlWriter, output_folder: removed/url}``), dropped
    documents are written there with ``metadata["filter_reason"]`` (FineWeb's ``removed/``).
    The pipeline spec builds that writer and passes it built.
    """

    abstract = True

    kind = "filter"
    nested_steps: ClassVar[dict[str, str]] = {"exclusion_writer": "writer"}

    def __init__(self, exclusion_writer: WriterConfig | None = None) -> None:
        super().__init__()
        if exclusion_writer is not None and not isinstance(exclusion_writer, Writer):
            raise ParamError(
                "exclusion_writer",
                "expected a built writer step; build this step with "
                f"fineweb_kit.pipeline.build_step, got {exclusion_writer!r}",
            )
        self.exclusion_writer: Writer | None = exclusion_writer

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

    abstract = True

    kind = "writer"
    extension: ClassVar[str] = ""

    def __init__(self, output_folder: str) -> None:
        super().__init__()
        self.output_folder = output_folder
        self._final: AnyPath | None = None
        self._tmp: Path | None = None

    @classmethod
    def check_params(cls, params: Params) -> None:
        super().check_params(params)
        check_name("output_folder", params["output_folder"], "a folder path")

    def part_path(self, ctx: TaskContext) -> AnyPath:
        assert ctx.part_name is not None
        return ctx.resolve(self.output_folder) / f"{ctx.part_name}{self.extension}"

    def open_file(self, ctx: TaskContext) -> None:
        self._final = self.part_path(ctx)
        storage.make_parent(self._final)
        self._tmp = storage.local_temp_for(self._final)  # a local file even for a URL
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
        tmp, final = self._tmp, self._final
        self._tmp = self._final = None
        if ok:
            storage.commit(tmp, final)  # rename, or upload + copy to the final key
        else:
            storage.discard(tmp)

    def open_part(self, tmp_path: Path) -> None:
        raise NotImplementedError

    def write_part(self, batch: Batch) -> None:
        raise NotImplementedError

    def close_part(self) -> None:
        raise NotImplementedError


PipelineStep.__init__ = _checked(PipelineStep.__init__)  # type: ignore[method-assign]
