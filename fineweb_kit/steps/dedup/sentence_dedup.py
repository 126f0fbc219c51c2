"""Sentence dedup (C4): remove repeated 3-sentence spans across the corpus, then drop
documents left too short.

C4 (Raffel et al. 2020, section 2.2): "we discarded all but one of any three-sentence span
occurring more than once in the data set". Three stages (folder layout in
:mod:`fineweb_kit.dedup.keys`):

1. ``SentenceDedupSignature``: sentences as datatrove/spaCy's sentencizer splits them; each
   window of ``n_sentences`` (default 3, C4) consecutive sentences is keyed by the 128-bit
   xxh3 of its sentences normalised with datatrove's ``simplify_text``.
2. ``SentenceDedupFind``: one merge over all windows; in each group of equal windows the
   first occurrence (smallest input file index, position, sentence index) is kept.
3. ``SentenceDedupFilter``: removes the sentences covered by every other occurrence, then
   drops documents left with fewer than ``min_doc_words`` words (default 50, datatrove's
   ``SentDedupConfig.min_doc_words``) as ``dropped_sentence_dedup_too_short``; edited
   documents count as ``documents_edited`` and ``sentences_removed``.

Documents with fewer sentences than ``n_sentences`` have no window and are never edited.
Unlike datatrove, the first occurrence inside the same document is kept too (C4's "all but
one"), and there is no ``min_num_sentences`` rule.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fineweb_kit.dedup.keys import check_key_folder, key_fingerprint, remove_sentences
from fineweb_kit.dedup.records import ORIGINAL
from fineweb_kit.document import Batch
from fineweb_kit.io.storage import AnyPath
from fineweb_kit.steps.dedup.keyed import KeyedStep, KeyFind, KeySignature
from fineweb_kit.steps.dedup.verified_filter import VerifiedFilter
from fineweb_kit.steps.params import WriterConfig

REASON = "sentence_dedup_too_short"


class SentenceKeys(KeyedStep):
    """The parameters (and their defaults) of sentence dedup stages 1 and 2."""

    method = "sentences"

    def __init__(
        self, folder: str = "sentence_dedup", n_sentences: int = 3, memory_budget_mb: float = 512
    ) -> None:
        super().__init__(folder, n_sentences, memory_budget_mb)


class SentenceDedupSignature(SentenceKeys, KeySignature):
    """Sentence dedup stage 1: sentence-window keys per input file."""

    abstract = False


class SentenceDedupFind(SentenceKeys, KeyFind):
    """Sentence dedup stage 2: finds every repeated sentence window."""

    abstract = False


class SentenceDedupFilter(VerifiedFilter):
    """Sentence dedup stage 3: removes repeated spans, drops documents left too short."""

    abstract = False
    first_stage = "SentenceDedupSignature"

    def __init__(
        self,
        folder: str = "sentence_dedup",
        n_sentences: int = 3,
        min_doc_words: int = 50,
        exclusion_writer: WriterConfig | None = None,
    ) -> None:
        super().__init__(folder, exclusion_writer)
        self.n_sentences = n_sentences
        self.min_doc_words = min_doc_words
        self._spans: dict[int, list[int]] = {}

    def fingerprint(self) -> int:
        return key_fingerprint("sentences", self.n_sentences)

    def check_folder(self, root: AnyPath) -> None:
        check_key_folder(root, "sentences", self.n_sentences)

    def load_records(self, records: Any) -> None:
        spans: dict[int, list[int]] = defaultdict(list)
        for r in records:  # [document index, window start, original id, copies | ORIGINAL]
            if not int(r[3]) & ORIGINAL:
                spans[int(r[0])].append(int(r[1]))
        self._spans = dict(spans)

    def filter_batch(self, batch: Batch) -> list[str | None]:
        todo = []
        for doc in batch:
            starts = self._spans.get(self.next_index(doc.text))
            if starts:
                todo.append((doc, starts))
        edited = remove_sentences([(d.text, s) for d, s in todo], self.n_sentences)
        too_short: set[int] = set()
        for (doc, _), (text, removed) in zip(todo, edited, strict=True):
            self.stats.add("documents_edited")
            self.stats.add("sentences_removed", removed)
            doc.set_text(text)
            if len(text.split()) < self.min_doc_words:
                too_short.add(id(doc))
        return [REASON if id(d) in too_short else None for d in batch]
