"""Shard writing throughput, one core: pure encoding vs our Tokenize path vs datatrove.

Input: the real web documents of ``../shared/data/cc-docs`` (2,219 documents) followed by the
held-out web and English prose files of ``../shared/data/text`` cut into ~4 kB documents,
up to ``--mb`` MB of UTF-8. Rows, all on the same documents, single-threaded
(``RAYON_NUM_THREADS=1`` / ``num_threads=1``):

- encode only: ``Tokenizer.encode_to_numpy`` over batches of 256 documents (no I/O);
- Tokenize path: what the ``Tokenize`` step does per batch (encode, find ends, Rust shard
  writer with EOT, checksums, fsync on close), into ``.fks`` shards;
- tiktoken: ``encode_ordinary_batch`` (reference encoder, no I/O);
- shard writing only: the Rust writer fed the ids of the Tokenize path, encoded beforehand
  (isolates the cost of writing from the encoder's timing noise);
- datatrove ``DocumentTokenizer`` (HF ``tokenizers`` GPT-2 ``tokenizer.json``, EOS appended,
  document shuffling off), writing its ``.ds`` + ``.ds.index`` files.

All encoders use GPT-2's vocabulary (r50k_base), so they produce the same ids. Every row runs
``--repeats`` times in this process after one warm-up, in interleaved rounds (so a change of
machine load hits every row alike); the table shows medians.
Usage: ``python benchmarks/shards_bench.py [--mb 8] [--repeats 3]``.
"""

from __future__ import annotations

import os

os.environ.setdefault("RAYON_NUM_THREADS", "1")  # datatrove's HF tokenizers: one core
os.environ.setdefault("RAYON_RS_NUM_CPUS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse
import gzip
import json
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.common import machine, median, table, timed_runs, versions  # noqa: E402

BATCH = 256


def load_docs(data: Path, mb: float) -> list[str]:
    docs: list[str] = []
    for path in sorted((data / "cc-docs").glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            docs += [json.loads(line)["text"] for line in f]
    for name in ("heldout-web", "en-prose-gutenberg-1", "en-prose-gutenberg-2"):
        with gzip.open(data / "text" / f"{name}.txt.gz", "rt", encoding="utf-8") as f:
            text = f.read()
        docs += [text[i : i + 4000] for i in range(0, len(text), 4000)]
    out, size = [], 0
    for d in docs:
        if size >= mb * 1e6:
            break
        if d:
            out.append(d)
            size += len(d.encode("utf-8"))
    return out


def batches(docs: list[str]) -> list[list[str]]:
    return [docs[i : i + BATCH] for i in range(0, len(docs), BATCH)]


def bench(docs: list[str], data: Path, repeats: int) -> list[tuple[str, float, int]]:
    import numpy as np
    import tiktoken

    from fineweb_kit.shards import ShardFormat, ShardSetWriter, load_tokenizer
    from fineweb_kit.tokenizer import Tokenizer

    rank_file = data / "tokenizer-ref" / "r50k_base.tiktoken"
    tok = Tokenizer.from_tiktoken(rank_file, "r50k_base")
    shard_tok = load_tokenizer(str(rank_file), num_threads=1)
    enc = tiktoken.Encoding(
        "r50k_base",
        pat_str=tok.pattern,
        mergeable_ranks=tok.mergeable_ranks(),
        special_tokens=tok.special_tokens,
    )
    parts = batches(docs)
    tmp = Path(tempfile.mkdtemp(prefix="shards-bench-"))
    n_tokens = sum(
        int(tok.encode_to_numpy(b, num_threads=1, disallowed_special=()).size) for b in parts
    )

    def encode_only() -> None:
        for b in parts:
            tok.encode_to_numpy(b, num_threads=1, disallowed_special=())

    def tokenize_path() -> None:
        fmt = ShardFormat(shard_tok.n_vocab, shard_tok.fingerprint, "append", shard_tok.eot_token)
        w = ShardSetWriter(tmp / "ours", "bench", fmt, 100_000_000)
        for b in parts:
            w.append(*shard_tok.encode_batch(b))
        w.commit()

    encoded = [shard_tok.encode_batch(b) for b in parts]

    def write_only() -> None:
        fmt = ShardFormat(shard_tok.n_vocab, shard_tok.fingerprint, "append", shard_tok.eot_token)
        w = ShardSetWriter(tmp / "write", "bench", fmt, 100_000_000)
        for flat, ends in encoded:
            w.append(flat, ends)
        w.commit()

    def tiktoken_only() -> None:
        for b in parts:
            np.concatenate(
                [np.asarray(x, np.uint32) for x in enc.encode_ordinary_batch(b, num_threads=1)]
            )

    def datatrove_run() -> None:
        from datatrove.data import Document
        from datatrove.pipeline.tokens.tokenizer import DocumentTokenizer

        out = tmp / "datatrove"
        shutil.rmtree(out, ignore_errors=True)
        step = DocumentTokenizer(
            output_folder=str(out),
            tokenizer_name_or_path=str(data / "tokenizer-ref" / "gpt2" / "tokenizer.json"),
            eos_token="<|endoftext|>",
            shuffle_documents=False,
        )
        stream = (Document(text=t, id=str(i)) for i, t in enumerate(docs))
        result = step.run(stream, rank=0, world_size=1)
        for _ in result or ():
            pass

    fns = [
        ("encode only (fineweb-kit)", encode_only),
        ("Tokenize path: encode + .fks shards", tokenize_path),
        ("tiktoken encode_ordinary_batch", tiktoken_only),
        ("shard writing only (ids already encoded)", write_only),
        ("datatrove DocumentTokenizer", datatrove_run),
    ]
    times: dict[str, list[float]] = {name: [] for name, _ in fns}
    for _, fn in fns:  # warm-up
        fn()
    for _ in range(repeats):  # interleaved rounds: load drift hits every row alike
        for name, fn in fns:
            times[name] += timed_runs(fn, runs=1)
    rows = [(name, median(times[name]), min(times[name]), n_tokens) for name, _ in fns]
    for name, ts in times.items():
        print(f"  {name}: " + " ".join(f"{t:.3f}" for t in ts), file=sys.stderr)
    shutil.rmtree(tmp, ignore_errors=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--mb", type=float, default=8.0)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    docs = load_docs(args.data, args.mb)
    mb = sum(len(d.encode("utf-8")) for d in docs) / 1e6
    rows = bench(docs, args.data, args.repeats)
    base = rows[0][1]
    dt = rows[4][1]
    body = [
        [
            name,
            f"{s:.3f}",
            f"{lo:.3f}",
            f"{n / s / 1e6:.2f}",
            f"{mb / s:.2f}",
            f"{base / s:.2f}",
            f"{dt / s:.2f}",
        ]
        for name, s, lo, n in rows
    ]
    print(f"{len(docs):,} documents, {mb:.1f} MB, {rows[0][3]:,} tokens (r50k_base); one core")
    print(f"machine: {machine()}")
    print(f"versions: {versions('fineweb-kit', 'tiktoken', 'tokenizers', 'datatrove', 'numpy')}")
    headers = ["row", "median s", "min s", "M tokens/s", "MB/s", "vs encode only", "vs datatrove"]
    print(table(headers, body))
    loss = 100 * (1 - base / rows[1][1])
    print(f"Tokenize path costs {loss:.1f} % of pure encoding throughput (target <= 10 %)")
    share = 100 * rows[3][1] / (rows[3][1] + base)
    print(f"writing alone (median) is {share:.1f} % of encode + write time")
    print(f"Tokenize path vs datatrove DocumentTokenizer: {dt / rows[1][1]:.1f}x (target >= 5x)")


if __name__ == "__main__":
    main()
