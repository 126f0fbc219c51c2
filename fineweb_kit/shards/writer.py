"""Writing a set of shards of bounded size, all committed together or not at all.

Shards are named ``{stem}-{k:05d}.fks``; each is written to ``.{name}.tmp`` and renamed only
by :meth:`ShardSetWriter.commit`, so a crash never leaves a partial shard under a final name,
and a rerun of the same input overwrites the same names. A remote folder (a URL): the shards are
written to a local scratch folder and uploaded at :meth:`ShardSetWriter.commit` (temporary key,
server-side copy; see :mod:`fineweb_kit.io.work_folder`). A document is never split across
shards: a shard is closed once it holds at least ``max_tokens`` tokens (so it may exceed the
limit by up to one document).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fineweb_kit import _core
from fineweb_kit.io.storage import PathArg
from fineweb_kit.io.work_folder import WorkFolder
from fineweb_kit.shards.reader import SUFFIX


@dataclass(frozen=True)
class ShardFormat:
    """What every shard of a set records."""

    vocab_size: int
    fingerprint: bytes
    boundary: str = "append"
    boundary_token: int | None = None
    dtype: str | None = None
    with_mask: bool = False


class ShardSetWriter:
    """Writes documents into ``folder/{stem}-00000.fks``, ``-00001``, ... of bounded size."""

    def __init__(self, folder: PathArg, stem: str, fmt: ShardFormat, max_tokens: int) -> None:
        self._work = WorkFolder(folder)
        self.folder = self._work.local
        self.stem = stem
        self.fmt = fmt
        self.max_tokens = max_tokens
        self.folder.mkdir(parents=True, exist_ok=True)
        self._writer: _core.ShardWriter | None = None
        self._pending: list[tuple[Path, Path]] = []
        self.headers: list[dict] = []

    def _open(self) -> _core.ShardWriter:
        final = self.folder / f"{self.stem}-{len(self._pending):05d}{SUFFIX}"
        tmp = final.with_name(f".{final.name}.tmp")
        self._pending.append((tmp, final))
        f = self.fmt
        self._writer = _core.ShardWriter(
            str(tmp),
            f.vocab_size,
            f.fingerprint,
            f.boundary,
            f.boundary_token,
            f.dtype,
            f.with_mask,
        )
        return self._writer

    def _close_current(self) -> None:
        if self._writer is not None:
            self.headers.append(self._writer.finish())
            self._writer = None

    def append(
        self,
        flat: np.ndarray,
        ends: np.ndarray,
        mask: np.ndarray | None = None,
        add_boundary: bool = True,
    ) -> None:
        """Appends documents (flat uint32 ids + uint64 ends), rolling to a new shard whenever
        the current one reaches ``max_tokens``."""
        start_doc = 0
        n_docs = len(ends)
        while start_doc < n_docs:
            w = self._writer or self._open()
            room = self.max_tokens - w.n_tokens
            base = int(ends[start_doc - 1]) if start_doc else 0
            per_doc = 1 if add_boundary and self.fmt.boundary != "none" else 0
            # Documents that fit (counting boundary tokens); at least one per shard.
            sizes = (
                ends[start_doc:]
                - np.uint64(base)
                + np.uint64(per_doc) * np.arange(1, n_docs - start_doc + 1, dtype=np.uint64)
            )
            take = max(1, int(np.searchsorted(sizes, room, side="left")) + 1)
            take = min(take, n_docs - start_doc)
            stop = int(ends[start_doc + take - 1])
            w.append(
                np.ascontiguousarray(flat[base:stop], dtype=np.uint32),
                np.ascontiguousarray(ends[start_doc : start_doc + take] - np.uint64(base)),
                None if mask is None else np.ascontiguousarray(mask[base:stop], dtype=np.uint8),
                add_boundary,
            )
            start_doc += take
            if w.n_tokens >= self.max_tokens:
                self._close_current()

    def commit(self) -> list[Path]:
        """Finishes the open shard and renames every shard to its final name (a remote
        folder: uploads them); returns their local paths."""
        self._close_current()
        finals = []
        try:
            for tmp, final in self._pending:
                tmp.replace(final)
                self._work.publish(final)
                finals.append(final)
        finally:
            self._pending = []
            self._work.close()
        return finals

    def abort(self) -> None:
        """Discards every shard of this set that is not committed."""
        if self._writer is not None:
            self._writer.abort()
            self._writer = None
        for tmp, _ in self._pending:
            tmp.unlink(missing_ok=True)
        self._pending = []
        self._work.close()
