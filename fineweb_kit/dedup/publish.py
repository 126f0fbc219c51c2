"""Dedup files written by the Rust core to a remote folder.

:class:`PublishedSink`: the Rust sink writes one input file's runs
and ``.docs`` file into a private scratch folder; :meth:`PublishedSink.commit` uploads them
(runs first, the ``.docs`` file last: a later stage that finds it finds every run), then deletes
the runs an earlier, unfinished attempt at the same file left beyond this one's (as the Rust
sink does locally when it starts). :func:`publish_results`: a find pass's per-file results.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fineweb_kit.io.work_folder import WorkFolder


class PublishedSink:
    """Wraps a Rust ``SignatureSink``/``KeySink`` writing under ``work.local / "signatures"``."""

    def __init__(self, sink: Any, work: WorkFolder, part: str, buckets: int) -> None:
        self._sink, self._work, self._part, self._buckets = sink, work, part, buckets

    def add(self, texts: list[str]) -> Any:
        return self._sink.add(texts)

    def commit(self) -> Any:
        try:
            counts = self._sink.commit()
            root = self._work.local / "signatures"
            for b in range(self._buckets):
                rel = f"signatures/bucket_{b:03d}"
                runs = sorted((root / f"bucket_{b:03d}").glob(f"{self._part}.r*.sig"))
                for run in runs:
                    self._work.publish(run)
                self._work.remove_others(rel, {r.name for r in runs}, prefix=f"{self._part}.r")
            self._work.publish(root / "docs" / f"{self._part}.docs")
        finally:
            self._work.close()
        return counts

    def abort(self) -> None:
        try:
            self._sink.abort()
        finally:
            self._work.close()


def publish_results(work: WorkFolder, suffix: str, run: Callable[[Path], Any]) -> dict[str, int]:
    """A find pass's per-input-file results in ``clusters/``: deletes the summary (filters wait
    for it) and every older ``*<suffix>`` result, calls ``run(local clusters folder)`` (the Rust
    pass writing them), publishes what it wrote; returns its counts. The caller writes the
    summary last."""
    work.remove("clusters/summary.json")
    old = [n for n in work.list_names("clusters") if n.endswith(suffix)]
    for name in old:
        work.remove(f"clusters/{name}")
    out = work.local / "clusters"
    out.mkdir(parents=True, exist_ok=True)
    counts = dict(run(out))
    for result in sorted(out.glob(f"*{suffix}")):
        if not result.name.startswith("."):
            work.publish(result)
    return counts
