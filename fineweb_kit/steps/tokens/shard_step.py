"""The part of a step that writes ``.fks`` token shards: one shard set per input file.

A subclass sets ``format`` (:class:`~fineweb_kit.shards.writer.ShardFormat`) and
``max_tokens``; :meth:`TokenShardWriter.open_file` starts ``{output_folder}/{part}-00000.fks``
and :meth:`TokenShardWriter.close_file` renames the file's shards into place together (counted
as ``shards``) or removes them when the file failed, so a resumed run never sees half a file.
``output_folder`` may be a URL: the shards are uploaded on commit (ShardSetWriter).
"""

from __future__ import annotations

from fineweb_kit.shards.writer import ShardFormat, ShardSetWriter
from fineweb_kit.steps.base import TaskContext, Writer


class TokenShardWriter(Writer):
    """Base of the steps that write token shards (see the module doc)."""

    abstract = True
    extension = ".fks"
    format: ShardFormat | None = None
    max_tokens: int
    _set: ShardSetWriter | None = None

    def open_file(self, ctx: TaskContext) -> None:
        assert ctx.part_name is not None and self.format is not None
        folder = ctx.resolve(self.output_folder)  # a URL: shards uploaded on commit
        self._set = ShardSetWriter(folder, ctx.part_name, self.format, self.max_tokens)

    def close_file(self, ctx: TaskContext, ok: bool) -> None:
        assert self._set is not None
        if ok:
            self.before_commit()
            self.stats.add("shards", len(self._set.commit()))
        else:
            self._set.abort()
        self._set = None

    def before_commit(self) -> None:
        """Hook: write what a step still buffers before its file's shards are committed."""
