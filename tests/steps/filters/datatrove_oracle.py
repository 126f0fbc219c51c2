"""datatrove 0.10.1 as the parity oracle: its four quality filters on the same documents.

datatrove tokenises English with spaCy (~50 documents/s per filter block), so the results are
computed once per test session (see ``conftest.py``), each filter on the original text, and
the four filters run back to back per document so datatrove's own ``lru_cache`` of the last
tokenisation is shared between them.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

FILTERS = (
    "GopherRepetitionFilter",
    "GopherQualityFilter",
    "C4QualityFilter",
    "FineWebQualityFilter",
)


@dataclass
class OracleResult:
    """datatrove's reason per filter (``None``: kept) and C4's rewritten text per document."""

    reasons: dict[str, list[str | None]]
    c4_texts: list[str | None]
    chain: list[str | None]
    """The four filters chained in FineWeb's order (FineWeb's filter sees C4's text): the name
    of the filter that dropped the document, or ``None``."""


def load_cc_docs(shared_data: Path) -> list[dict]:
    """Every document of ``cc-docs`` (2,219), in file order."""
    docs: list[dict] = []
    for path in sorted((shared_data / "cc-docs").glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            docs.extend(json.loads(line) for line in fh if line.strip())
    return docs


def _reason(result: object) -> str | None:
    if isinstance(result, tuple):
        return result[1] if not result[0] else None
    return None if result else "dropped"


def run_datatrove(texts: list[str]) -> OracleResult:
    """Runs datatrove's filters with FineWeb's settings (``examples/fineweb.py``)."""
    from datatrove.data import Document
    from datatrove.pipeline.filters import (
        C4QualityFilter,
        FineWebQualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
    )

    filters = {
        "GopherRepetitionFilter": GopherRepetitionFilter(),
        "GopherQualityFilter": GopherQualityFilter(),
        "C4QualityFilter": C4QualityFilter(filter_no_terminal_punct=False),
        "FineWebQualityFilter": FineWebQualityFilter(),
    }
    reasons: dict[str, list[str | None]] = {name: [] for name in FILTERS}
    c4_texts: list[str | None] = []
    chain: list[str | None] = []
    for i, text in enumerate(texts):
        for name, flt in filters.items():
            doc = Document(text=text, id=str(i))
            reasons[name].append(_reason(flt.filter(doc)))
            if name == "C4QualityFilter":
                c4_texts.append(doc.text if reasons[name][-1] is None else None)
        first = next((n for n in FILTERS[:3] if reasons[n][-1] is not None), None)
        if first is None:
            doc = Document(text=c4_texts[-1] or "", id=str(i))
            if _reason(filters["FineWebQualityFilter"].filter(doc)) is not None:
                first = "FineWebQualityFilter"
        chain.append(first)
    return OracleResult(reasons, c4_texts, chain)


def run_chunk(texts: list[str]) -> dict:
    """``run_datatrove`` as plain data (C4 texts as SHA-1 digests), for a worker process."""
    res = run_datatrove(texts)
    digests = [
        None if t is None else hashlib.sha1(t.encode("utf-8")).hexdigest() for t in res.c4_texts
    ]
    return {"reasons": res.reasons, "c4": digests, "chain": res.chain}
