"""Progress of a run: rich bars on a terminal, plain log lines otherwise.

Tasks report one event per finished input file (``task.py``); this turns them into files done,
documents read and kept, and docs/s per stage.
"""

from __future__ import annotations

import sys
import time
from typing import Any

MAX_TASK_ROWS = 16


class Progress:
    """Shows per-stage progress (and per task, for up to 16 tasks). Use as a context manager;
    feed it task events."""

    def __init__(
        self,
        stage: str,
        total_files: int,
        already_done: int,
        plain: bool | None = None,
        tasks: int = 1,
    ) -> None:
        self.stage = stage
        self.tasks = tasks
        self.total = total_files
        self.files = already_done
        self.docs_in = 0
        self.docs_out = 0
        self.t0 = time.perf_counter()
        self.plain = (not sys.stderr.isatty()) if plain is None else plain
        self._rich: Any = None
        self._task: Any = None
        self._rows: dict[int, Any] = {}  # rank -> rich row (the first MAX_TASK_ROWS tasks)
        self._per_task: dict[int, list[int]] = {}  # rank -> [files, docs read, docs kept]

    def __enter__(self) -> Progress:
        if not self.plain:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
            )
            from rich.progress import Progress as RichProgress

            self._rich = RichProgress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("files  {task.fields[docs]}"),
                TimeElapsedColumn(),
                transient=False,
            )
            self._rich.__enter__()
            self._task = self._rich.add_task(
                f"stage {self.stage}", total=self.total, completed=self.files, docs=""
            )
        else:
            print(
                f"[fineweb-kit] stage {self.stage}: {self.total} input files, "
                f"{self.files} done before",
                file=sys.stderr,
                flush=True,
            )
        return self

    def __exit__(self, *exc: object) -> None:
        if self._rich is not None:
            self._rich.__exit__(None, None, None)
        else:
            print(
                f"[fineweb-kit] stage {self.stage}: {self.summary()}", file=sys.stderr, flush=True
            )

    def rate(self) -> float:
        return self.docs_in / max(time.perf_counter() - self.t0, 1e-9)

    def summary(self) -> str:
        return (
            f"{self.files}/{self.total} files, {self.docs_in} docs read, "
            f"{self.docs_out} kept, {self.rate():.1f} docs/s"
        )

    def update(self, event: dict[str, Any]) -> None:
        self.files += 1
        self.docs_in += event.get("docs_in", 0)
        self.docs_out += event.get("docs_out", 0)
        rank = int(event.get("rank", 0))
        mine = self._per_task.setdefault(rank, [0, 0, 0])
        mine[0] += 1
        mine[1] += event.get("docs_in", 0)
        mine[2] += event.get("docs_out", 0)
        if self._rich is not None:
            docs = f"{self.docs_in} docs  {self.docs_out} kept  {self.rate():.0f} docs/s"
            self._rich.update(self._task, completed=self.files, docs=docs)
            self._update_task_row(rank, mine)
        else:
            status = "done" if event.get("ok") else "FAILED"
            print(
                f"[fineweb-kit] {self.stage} task {event.get('rank')}: {status} "
                f"{event.get('file')} ({self.summary()})",
                file=sys.stderr,
                flush=True,
            )

    def _update_task_row(self, rank: int, counts: list[int]) -> None:
        if rank not in self._rows and len(self._rows) < MAX_TASK_ROWS:
            total = len(range(rank, self.total, self.tasks))  # file i goes to task i % tasks
            self._rows[rank] = self._rich.add_task(f"  task {rank}", total=total, docs="")
        if rank in self._rows:
            elapsed = max(time.perf_counter() - self.t0, 1e-9)
            docs = f"{counts[1]} docs  {counts[2]} kept  {counts[1] / elapsed:.0f} docs/s"
            self._rich.update(self._rows[rank], completed=counts[0], docs=docs)
