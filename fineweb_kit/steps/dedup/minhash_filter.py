"""MinhashFilter: MinHash stage 4, drops the documents stage 3 marked as duplicates.

Runs per input file, over the same input files as the signature stage and at the same place
in its stage (documents are matched by position, with the checks of
:class:`~fineweb_kit.steps.dedup.verified_filter.VerifiedFilter`: a changed input or step
order fails loudly instead of dropping the wrong documents). Dropped documents count as
``dropped_minhash_duplicate`` and go to the ``exclusion_writer`` if one is given. ``annotate``:
write ``minhash_cluster_id`` and ``minhash_cluster_size`` into the metadata of every kept
document (-1 and 1 when it has no duplicate), like datatrove's
``load_cluster_ids``/``load_cluster_sizes``.
"""

from __future__ import annotations

from typing import Any

from fineweb_kit.dedup.minhash import MinhashSettings, check_config
from fineweb_kit.document import Batch
from fineweb_kit.io.storage import AnyPath
from fineweb_kit.steps.dedup.verified_filter import VerifiedFilter
from fineweb_kit.steps.params import WriterConfig

REASON = "minhash_duplicate"


class MinhashFilter(VerifiedFilter):
    """MinHash stage 4: removes all but one document of every cluster."""

    abstract = False
    first_stage = "MinhashSignature"
    records_suffix = ".clusters"

    def __init__(
        self,
        folder: str = "minhash",
        config: dict[str, Any] | None = None,
        annotate: bool = False,
        exclusion_writer: WriterConfig | None = None,
    ) -> None:
        super().__init__(folder, exclusion_writer)
        self.settings = MinhashSettings.from_config(config)
        self.annotate = annotate
        self._clusters: dict[int, tuple[int, int, int]] = {}

    def fingerprint(self) -> int:
        return self.settings.core().fingerprint

    def check_folder(self, root: AnyPath) -> None:
        check_config(root, self._fingerprint)

    def load_records(self, records: Any) -> None:
        self._clusters = {int(r[0]): (int(r[1]), int(r[2]), int(r[3])) for r in records}

    def filter_batch(self, batch: Batch) -> list[str | None]:
        reasons: list[str | None] = []
        for doc in batch:
            index = self.next_index(doc.text)
            kept, number, size = self._clusters.get(index, (self.doc_id(index), -1, 1))
            if self.annotate:
                doc.metadata["minhash_cluster_id"] = number
                doc.metadata["minhash_cluster_size"] = size
            reasons.append(None if kept == self.doc_id(index) else REASON)
        return reasons
