"""Labelled data for classifier tests, built from the shared real data (never copied in git).

The FineWeb filters (another branch) were not available when these tests were written, so the
split is the DCLM-style one, with this documented heuristic:

- **positives** ("curated"): English curated text from ``text/``: Project Gutenberg books
  (``en-prose-gutenberg-1``), Rust crate documentation (``markdown-rust-crates-docs``) and
  Wikipedia articles (``web-wikitext2-en``, with WikiText's `` @-@ `` / `` @,@ `` / `` @.@ ``
  tokenisation undone so it is no give-away). Each file is cut at blank lines into documents of
  800-3000 characters, sampled with a stride across the file.
- **negatives** ("web"): the real, unfiltered web documents of ``cc-docs/`` with at least 50
  whitespace-separated words (shorter ones are trivially separable and would flatter the model).

For the embedding head, the score field ``edu`` grades them like an educational-value scale:
encyclopedic / technical docs 4, books 3, web documents 1.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

from tests.conftest import SHARED_DATA

SOURCES = {  # file -> (grade, stride between sampled documents)
    "web-wikitext2-en.txt.gz": 4,
    "markdown-rust-crates-docs.txt.gz": 4,
    "en-prose-gutenberg-1.txt.gz": 3,
}
WEB_GRADE = 1
_WIKI = re.compile(r" @([-,.])@ ")


def _chunks(text: str, lo: int = 800, hi: int = 3000) -> list[str]:
    out, cur = [], ""
    for para in re.split(r"\n\s*\n", text):
        para = para.strip()
        if not para:
            continue
        cur = f"{cur}\n\n{para}" if cur else para
        if len(cur) >= lo:
            out.append(cur[:hi])
            cur = ""
    return out


def curated_docs(per_source: int) -> list[dict]:
    docs = []
    for name, grade in SOURCES.items():
        with gzip.open(SHARED_DATA / "text" / name, "rt", encoding="utf-8") as f:
            text = f.read()
        if "wikitext" in name:
            text = _WIKI.sub(r"\1", text)
        chunks = _chunks(text)
        stride = max(1, len(chunks) // per_source)
        for i, chunk in enumerate(chunks[::stride][:per_source]):
            docs.append({"id": f"{name}#{i}", "text": chunk, "edu": grade, "source": name})
    return docs


def web_docs(limit: int | None = None) -> list[dict]:
    docs = []
    for path in sorted((SHARED_DATA / "cc-docs").glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                d = json.loads(line)
                if len(d["text"].split()) >= 50:
                    docs.append({"id": d["id"], "text": d["text"], "edu": WEB_GRADE})
    return docs[:limit] if limit else docs


def write_jsonl(path: Path, docs: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(d) + "\n")
    return path
