"""MinhashSignature: MinHash stage 1, signatures of every document of each input file.

Per document: datatrove's ``simplify_text`` (lowercase, numbers to 0, punctuation to spaces,
whitespace collapsed, diacritics removed), the spaCy-compatible word tokeniser of the Rust text
analysis, word ``n_grams`` (shingles), then ``num_buckets x hashes_per_bucket`` MinHash values
(see :mod:`fineweb_kit.dedup.minhash` for the defaults and their source). The
bucket records of each input file are written sorted, so stage 2 only merges.

Documents are identified by (input file index in this stage's fixed input list, position in
the file as this step sees them); document ``id`` fields of real crawls are not unique and are
not used. Bad input, by rule (each counted):
- empty or whitespace-only text (``minhash_empty``) and fewer words than ``n_grams``
  (``minhash_too_short``): no signature, never a duplicate (as datatrove);
- texts over 1 MiB (``minhash_huge``): signed like any other (cost is linear in length).

``memory_budget_mb`` (default 512) bounds the buffered records of one input file: above it,
sorted runs are written and stage 2 merges them (values under 64 KiB count as 64 KiB).
``pass_through``: also pass the documents on (default false: a signature stage usually ends
here).
"""

from __future__ import annotations

from typing import Any

from fineweb_kit.dedup.minhash import MinhashSettings, open_signature_sink, record_config
from fineweb_kit.dedup.records import budget_bytes, file_index
from fineweb_kit.steps.base import TaskContext
from fineweb_kit.steps.dedup.sink_step import SinkStep


class MinhashSignature(SinkStep):
    """MinHash stage 1: writes sorted bucket signatures per input file."""

    abstract = False
    stat_prefix = "minhash"
    stat_keys = ("signed", "empty", "too_short", "huge", "runs")

    def __init__(
        self,
        folder: str = "minhash",
        config: dict[str, Any] | None = None,
        memory_budget_mb: float = 512,
        pass_through: bool = False,
    ) -> None:
        super().__init__()
        self.folder = folder
        self.settings = MinhashSettings.from_config(config)
        self.budget = budget_bytes(memory_budget_mb)
        self.pass_through = pass_through
        self._params: Any = None

    def setup(self, ctx: TaskContext) -> None:
        self._params = self.settings.core()
        record_config(
            ctx.resolve(self.folder),
            self.settings,
            self._params.fingerprint,
        )

    def open_sink(self, ctx: TaskContext) -> Any:
        assert ctx.part_name is not None
        return open_signature_sink(
            self._params,
            ctx.resolve(self.folder),
            ctx.part_name,
            file_index(ctx.part_name),
            ctx.input_path or "",
            self.budget,
            self.settings.num_buckets,
        )
