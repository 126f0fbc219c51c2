"""A test corpus with real and planted near-duplicates, built from ../shared/data/cc-docs.

- every real document of cc-docs (empty ones, short ones, and the real near-duplicates: the
  same page extracted by trafilatura and by CC's WET);
- planted copies of real documents with a controlled fraction of their words replaced by
  words of other documents (0 % to 30 %);
- boilerplate-sharing pages: one real page's long boilerplate around short, different bodies
  (clusters of many documents, where the kept-document rule matters).

Documents are shuffled with a fixed seed and spread round-robin over ``n_files`` files.
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

from tests.conftest import SHARED_DATA

CHANGE_FRACTIONS = (0.0, 0.02, 0.05, 0.1, 0.2, 0.3)


def real_docs(max_chars: int | None = None) -> list[dict]:
    """Every cc-docs document, texts cut to ``max_chars`` (at a space) if given."""
    docs = []
    for path in sorted((SHARED_DATA / "cc-docs").glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            docs.extend(json.loads(line) for line in f)
    if max_chars:
        for d in docs:
            if len(d["text"]) > max_chars:
                d["text"] = d["text"][:max_chars].rsplit(" ", 1)[0]
    return docs


def mutate(text: str, fraction: float, vocab: list[str], rng: random.Random) -> str:
    """Replaces ``fraction`` of the whitespace-separated words by random vocabulary words."""
    words = text.split()
    for i in rng.sample(range(len(words)), int(len(words) * fraction)):
        words[i] = rng.choice(vocab)
    return " ".join(words)


def build_corpus(
    n_planted: int = 420, n_boiler: int = 60, seed: int = 0, max_chars: int | None = 1500
) -> list[dict]:
    rng = random.Random(seed)
    docs = real_docs(max_chars)
    vocab = sorted({w for d in docs[:300] for w in d["text"].split() if w.isalpha()})
    long_docs = [d for d in docs if len(d["text"].split()) >= 80]
    out = [dict(d, kind="real") for d in docs]
    for i, d in enumerate(rng.sample(long_docs, n_planted)):
        f = CHANGE_FRACTIONS[i % len(CHANGE_FRACTIONS)]
        text = mutate(d["text"], f, vocab, rng)
        out.append({"id": f"planted-{i}", "text": text, "kind": f"planted-{f}", "of": d["id"]})
    wet = [d for d in real_docs() if d.get("source", "").startswith("wet")]
    boiler_src = max(wet, key=lambda d: len(d["text"]))
    boiler = " ".join(boiler_src["text"].split()[:400])
    for i, d in enumerate(rng.sample(long_docs, n_boiler)):
        body = " ".join(d["text"].split()[: rng.randint(10, 60)])
        out.append({"id": f"boiler-{i}", "text": f"{boiler}\n{body}", "kind": "boiler"})
    rng.shuffle(out)
    return out


def write_files(docs: list[dict], folder: Path, n_files: int) -> list[list[dict]]:
    """Writes ``docs`` round-robin into ``in-NNN.jsonl.gz``; returns the documents per file."""
    folder.mkdir(parents=True, exist_ok=True)
    per_file: list[list[dict]] = [[] for _ in range(n_files)]
    for i, d in enumerate(docs):
        per_file[i % n_files].append(d)
    for i, part in enumerate(per_file):
        with gzip.open(folder / f"in-{i:03d}.jsonl.gz", "wt", encoding="utf-8") as f:
            for d in part:
                f.write(json.dumps(d) + "\n")
    return per_file
