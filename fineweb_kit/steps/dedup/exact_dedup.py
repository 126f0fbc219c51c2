"""Exact dedup: keep the first of documents whose normalised text is identical.

Three stages, like MinHash (see :mod:`fineweb_kit.dedup.keys` for the folder layout):

1. ``ExactDedupSignature``: per input file, the 128-bit xxh3 of each document's normalised
   text (datatrove's ``simplify_text``: lowercase, numbers to 0, punctuation to spaces,
   whitespace collapsed, diacritics removed), sorted.
2. ``ExactDedupFind``: one merge over all keys (memory bounded by ``memory_budget_mb``).
3. ``ExactDedupFilter``: drops every copy but the first (smallest input file index, then
   position), counted as ``dropped_exact_duplicate``; ``annotate`` writes
   ``exact_dup_count`` (copies of this text in the corpus) to kept documents.

Empty or whitespace/punctuation-only texts get no key and are never duplicates (counted as
``exact_without_key``). With 128-bit keys a false match needs ~2^64 documents.
"""

from __future__ import annotations

from typing import Any

from fineweb_kit.dedup.keys import check_key_folder, key_fingerprint
from fineweb_kit.dedup.records import ORIGINAL
from fineweb_kit.document import Batch
from fineweb_kit.io.storage import AnyPath
from fineweb_kit.steps.dedup.keyed import KeyedStep, KeyFind, KeySignature
from fineweb_kit.steps.dedup.verified_filter import VerifiedFilter
from fineweb_kit.steps.params import WriterConfig

REASON = "exact_duplicate"


class ExactKeys(KeyedStep):
    """The parameters (and their defaults) of exact dedup stages 1 and 2."""

    method = "exact"

    def __init__(self, folder: str = "exact_dedup", memory_budget_mb: float = 512) -> None:
        super().__init__(folder, 1, memory_budget_mb)


class ExactDedupSignature(ExactKeys, KeySignature):
    """Exact dedup stage 1: normalised-text hashes per input file."""

    abstract = False


class ExactDedupFind(ExactKeys, KeyFind):
    """Exact dedup stage 2: finds every repeated normalised text."""

    abstract = False


class ExactDedupFilter(VerifiedFilter):
    """Exact dedup stage 3: drops all copies but the first."""

    abstract = False
    first_stage = "ExactDedupSignature"

    def __init__(
        self,
        folder: str = "exact_dedup",
        annotate: bool = False,
        exclusion_writer: WriterConfig | None = None,
    ) -> None:
        super().__init__(folder, exclusion_writer)
        self.annotate = annotate
        self._dups: dict[int, int] = {}
        self._groups: dict[int, int] = {}

    def fingerprint(self) -> int:
        return key_fingerprint("exact", 1)

    def check_folder(self, root: AnyPath) -> None:
        check_key_folder(root, "exact", 1)

    def load_records(self, records: Any) -> None:
        # [document index, 0, first copy's id, copies (| ORIGINAL on the first copy)]
        self._dups, self._groups = {}, {}
        for r in records:
            size = int(r[3])
            target = self._groups if size & ORIGINAL else self._dups
            target[int(r[0])] = size & ~ORIGINAL

    def filter_batch(self, batch: Batch) -> list[str | None]:
        reasons: list[str | None] = []
        for doc in batch:
            index = self.next_index(doc.text)
            if index in self._dups:
                reasons.append(REASON)
                continue
            if self.annotate:
                doc.metadata["exact_dup_count"] = self._groups.get(index, 1)
            reasons.append(None)
        return reasons
