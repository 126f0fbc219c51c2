"""ShardMerge: the token shards of earlier stages -> shuffled, fixed-size shards + a held-out
validation shard (the pipeline form of ``fineweb-kit shards merge``).

Why: ``Tokenize`` writes one set of shards per input file, in input order; a trainer wants
documents from everywhere mixed, shards of one size, and a validation set no training step
sees. This step lists the shard files (``paths``, e.g. ``{output}/shards/*.fks``), reads no
documents, and at the end of its task runs :func:`fineweb_kit.shards.merge.merge_shards`:
every document of every input exactly once, permuted with ``seed`` (default 0), the first
``val_tokens`` tokens' worth (default 0: none) into ``val-00000.fks``, the rest into
``train-NNNNN.fks`` of ``max_tokens_per_shard`` tokens (default 100,000,000, as Tokenize).
It needs all inputs at once, so its stage must run with ``tasks: 1``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from fineweb_kit.document import Document
from fineweb_kit.steps.base import Reader, TaskContext
from fineweb_kit.steps.params import ParamError, check_positive_int


class ShardMerge(Reader):
    """Merges ``.fks`` shards: seeded global document shuffle, fixed-size output, validation."""

    abstract = False
    whole_task: ClassVar[bool] = True

    def __init__(
        self,
        paths: str | list[str],
        output_folder: str,
        seed: int = 0,
        max_tokens_per_shard: int = 100_000_000,
        val_tokens: int = 0,
        shuffle: bool = True,
    ) -> None:
        super().__init__(paths)
        if not isinstance(output_folder, str) or not output_folder:
            raise ParamError("output_folder", f"expected a folder path, got {output_folder!r}")
        self.output_folder = output_folder
        self.seed = check_positive_int("seed", seed, minimum=0)
        self.max_tokens = check_positive_int("max_tokens_per_shard", max_tokens_per_shard)
        self.val_tokens = check_positive_int("val_tokens", val_tokens, minimum=0)
        self.shuffle = shuffle
        self._inputs: list[str] = []
        self._ctx: TaskContext | None = None

    def setup(self, ctx: TaskContext) -> None:
        if ctx.world_size > 1:
            raise ParamError(
                "tasks", f"{self.name} merges all shards at once: run its stage with tasks: 1"
            )
        self._ctx = ctx

    def read_file(self, path: str, ctx: TaskContext) -> Iterator[Document]:
        self._inputs.append(path)
        return iter(())

    def teardown(self) -> None:
        if self._ctx is None or not self._inputs:
            return
        from fineweb_kit.shards.merge import merge_shards

        res = merge_shards(
            [Path(p) for p in sorted(self._inputs)],
            self._ctx.resolve(self.output_folder),
            seed=self.seed,
            max_tokens_per_shard=self.max_tokens,
            val_tokens=self.val_tokens,
            shuffle=self.shuffle,
        )
        for key in ("n_docs", "n_tokens", "val_docs", "val_tokens"):
            self.stats.add(key, getattr(res, key))
        self.stats.add("shards", len(res.outputs))
        self._ctx.log.info(
            "%s: %d documents into %d shards", self.name, res.n_docs, len(res.outputs)
        )
