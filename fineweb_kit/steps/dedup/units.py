"""UnitStep: a first step whose units of work are not input files.

Most stages stream input files; some dedup stages work per bucket (MinHash stage 2) or once
over everything (stage 3). Rather than a second runner, such a step *is* a reader whose
``list_files`` returns unit names (``bucket_003``, ``clusters``) and whose ``read_file`` does
the unit's work and yields no document. The runner then fixes the unit list in
``_state/<stage>/inputs.json``, splits units across tasks, writes one marker per finished unit
and skips finished units on rerun, exactly as for files. A unit must write its outputs under
temporary names and rename them at its end, so a killed unit leaves nothing visible.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from fineweb_kit.document import Document
from fineweb_kit.steps.base import PipelineStep, Reader, TaskContext


class UnitStep(Reader):
    """Base of reader-like steps that define their own units of work."""

    kind = "dedup"
    abstract = True

    def __init__(self) -> None:
        PipelineStep.__init__(self)
        self.paths: list[str] = []
        self.limit = -1
        self.batch_size = 1

    def list_units(self, output_root: Path) -> list[str]:
        """Names of this stage's units, in a stable order."""
        raise NotImplementedError

    def run_unit(self, unit: str, ctx: TaskContext) -> None:
        """Does one unit's work, committing its outputs atomically at the end."""
        raise NotImplementedError

    def list_files(self, output_root: Path) -> list[str]:
        return self.list_units(output_root)

    def read_file(self, path: str, ctx: TaskContext) -> Iterator[Document]:
        t0 = time.perf_counter()
        self.run_unit(path, ctx)
        self.stats.add("units")
        ctx.log.info("%s: unit %s done in %.2fs", self.name, path, time.perf_counter() - t0)
        return iter(())
