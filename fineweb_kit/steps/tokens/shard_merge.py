"""ShardMerge: the token shards of earlier stages -> shuffled, fixed-size shards + a held-out
validation shard (the pipeline form of ``fineweb-kit shards merge``).

Why: ``Tokenize`` writes one set of shards per input file, in input order; a trainer wants
documents from everywhere mixed, shards of one size, and a validation set no training step
sees. Its stage has one unit of work, ``all``: it lists the shard files (``paths``, e.g.
``{output}/shards/*.fks``) and runs :func:`fineweb_kit.shards.merge.merge_shards`: every
document of every input exactly once, permuted with ``seed`` (default 0), the first
``val_tokens`` tokens' worth (default 0: none) into ``val-00000.fks``, the rest into
``train-NNNNN.fks`` of ``max_tokens_per_shard`` tokens (default 100,000,000, as Tokenize).

Remote storage: input shards matched under a URL are downloaded whole to a local scratch folder
first (the merge reads each document's token range: many small reads, slow on object stores);
a URL ``output_folder`` gets its shards, then ``merge.json``, uploaded with the atomic protocol
of :func:`~fineweb_kit.io.storage.commit` once the merge is complete
(:mod:`fineweb_kit.io.work_folder`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fineweb_kit.io.files import expand_globs
from fineweb_kit.io.storage import AnyPath
from fineweb_kit.io.work_folder import WorkFolder, staged_files
from fineweb_kit.shards.merge import merge_shards
from fineweb_kit.steps.base import Params, TaskContext, UnitStep
from fineweb_kit.steps.params import check_globs, check_name, check_positive_int


class ShardMerge(UnitStep):
    """Merges ``.fks`` shards: seeded global document shuffle, fixed-size output, validation."""

    abstract = False
    kind = "tokens"

    def __init__(
        self,
        paths: str | list[str],
        output_folder: str,
        seed: int = 0,
        max_tokens_per_shard: int = 100_000_000,
        val_tokens: int = 0,
        shuffle: bool = True,
    ) -> None:
        super().__init__()
        self.paths = [paths] if isinstance(paths, str) else list(paths)
        self.output_folder = output_folder
        self.seed = seed
        self.max_tokens = max_tokens_per_shard
        self.val_tokens = val_tokens
        self.shuffle = shuffle

    @classmethod
    def check_params(cls, params: Params) -> None:
        super().check_params(params)
        check_globs("paths", params["paths"])
        check_name("output_folder", params["output_folder"], "a folder path")
        check_positive_int("seed", params["seed"], minimum=0)
        check_positive_int("max_tokens_per_shard", params["max_tokens_per_shard"])
        check_positive_int("val_tokens", params["val_tokens"], minimum=0)

    @classmethod
    def list_units(cls, params: Mapping[str, Any], output_root: AnyPath) -> list[str]:
        return ["all"]

    def run_unit(self, unit: str, ctx: TaskContext) -> None:
        inputs = expand_globs(self.paths, ctx.output_root)
        with staged_files(inputs) as local, WorkFolder(ctx.resolve(self.output_folder)) as out:
            res = merge_shards(
                local,
                out.local,
                seed=self.seed,
                max_tokens_per_shard=self.max_tokens,
                val_tokens=self.val_tokens,
                shuffle=self.shuffle,
                input_names=inputs,
                output_name=str(out.root) if out.remote else None,
            )
            for name in [*(Path(p).name for p in res.outputs), "merge.json"]:
                out.publish(out.local / name)
        for key in ("n_docs", "n_tokens", "val_docs", "val_tokens"):
            self.stats.add(key, getattr(res, key))
        self.stats.add("shards", len(res.outputs))
        ctx.log.info("%s: %d documents into %d shards", self.name, res.n_docs, len(res.outputs))
