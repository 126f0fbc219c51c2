"""The tokenizer benchmark users run to choose a tokenizer (``benchmarks/tokenizer_bench.py``
calls :func:`main`; ``fineweb-kit tokenizer bench`` runs that script in a source checkout).

Measures, on the same documents in one run (median of ``--runs``):
- encode MB/s, 1 thread and all threads, for fineweb-kit, tiktoken, bpe-openai (1 thread
  only: no batch API), HF tokenizers (its tokenizer.json written by our ``to_hf``), on the
  cl100k and o200k vocabularies; our shard path (``encode_to_numpy``) too;
- worst case: one piece without spaces ("a" x n and random letters, n up to 3.6 MB; tiktoken
  only up to 900 kB), ms and ns/byte, so that growth with n shows;
- training (``--vocab-size``): wall time, peak memory, bytes/token on held-out text, for
  fineweb-kit, rustbpe, HF tokenizers, sentencepiece (each run in a fresh process).
Prints a table with ratios, the machine and versions; saves a PNG chart.
"""

from __future__ import annotations

import argparse
import glob
import gzip
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

REF = "tokenizer-ref"
TRAINERS = ("fineweb-kit", "rustbpe", "hf-tokenizers", "sentencepiece")
PEERS = ("tiktoken", "tokenizers", "rustbpe", "bpe-openai", "sentencepiece")


def read_docs(files: list[str]) -> list[str]:
    """Documents (separated by a blank line) of text files (gzip or plain)."""
    docs: list[str] = []
    for f in filter(None, files):
        with open(f, "rb") as fh:
            raw = fh.read()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        docs += [d for d in raw.decode("utf-8").split("\n\n") if d]
    return docs


def _median_s(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _installed(pkg: str) -> str | None:
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return None


def _tiktoken(ref: Path, name: str):
    import tiktoken
    from tiktoken.load import load_tiktoken_bpe

    spec = {e["name"]: e for e in json.loads((ref / "encodings.json").read_text())["encodings"]}
    s = spec[name]
    return tiktoken.Encoding(
        name=name,
        pat_str=s["pat_str"],
        mergeable_ranks=load_tiktoken_bpe(str(ref / f"{name}.tiktoken")),
        special_tokens=s["special_tokens"],
    )


def encoders(ref: Path, name: str, tmp: Path) -> dict[str, tuple[Callable, Callable | None]]:
    """name -> (encode one thread over docs, encode all threads over docs or None)."""
    from fineweb_kit.tokenizer import Tokenizer

    ours = Tokenizer.from_tiktoken(ref / f"{name}.tiktoken", name)
    n = os.cpu_count() or 1
    out: dict[str, tuple[Callable, Callable | None]] = {
        "fineweb-kit": (
            lambda d: [ours.encode_ordinary(t) for t in d],
            lambda d: ours.encode_batch(d, num_threads=n, disallowed_special=()),
        ),
        "fineweb-kit numpy": (
            lambda d: ours.encode_to_numpy(d, num_threads=1, disallowed_special=()),
            lambda d: ours.encode_to_numpy(d, num_threads=n, disallowed_special=()),
        ),
    }
    if _installed("tiktoken"):
        tk = _tiktoken(ref, name)
        out["tiktoken"] = (
            lambda d: [tk.encode_ordinary(t) for t in d],
            lambda d: tk.encode_ordinary_batch(d, num_threads=n),
        )
        # tiktoken's list-free path (no batch form): compare with "fineweb-kit numpy"
        out["tiktoken numpy"] = (
            lambda d: [tk.encode_to_numpy(t, disallowed_special=()) for t in d],
            None,
        )
    if _installed("bpe-openai"):
        from bpe_openai import _bindings

        bo = _bindings.tokenizer_for_encoding(name)
        out["bpe-openai"] = (lambda d: [bo.encode(t) for t in d], None)
    if _installed("tokenizers"):
        from tokenizers import Tokenizer as HfTokenizer

        path = tmp / f"{name}-tokenizer.json"
        ours.to_hf(path)
        hf = HfTokenizer.from_file(str(path))
        out["hf-tokenizers"] = (
            lambda d: [hf.encode(t, add_special_tokens=False).ids for t in d],
            lambda d: hf.encode_batch(d, add_special_tokens=False),
        )
    return out


def bench_encode(ref: Path, docs: list[str], runs: int, tmp: Path) -> list[dict]:
    """Encode MB/s per tokenizer, vocabulary and thread setting."""
    mb = sum(len(d.encode()) for d in docs) / 1e6
    rows = []
    for name in ("cl100k_base", "o200k_base"):
        for lib, (one, many) in encoders(ref, name, tmp).items():
            row: dict[str, Any] = {"vocab": name, "tokenizer": lib}
            row["mb_s_1"] = mb / _median_s(lambda f=one: f(docs), runs)  # type: ignore[misc]
            if many is not None:
                row["mb_s_all"] = mb / _median_s(lambda f=many: f(docs), runs)  # type: ignore[misc]
            rows.append(row)
    return rows


WORST_LENGTHS = (112_500, 900_000, 3_600_000)
# tiktoken's merge of one piece slows down with its length: longer runs would dominate the run.
TIKTOKEN_MAX = 900_000


def worst_inputs(lengths: tuple[int, ...] = WORST_LENGTHS) -> list[tuple[str, str]]:
    """(label, text): runs without spaces or digits (one pre-token piece each)."""
    import random

    letters = "".join(random.Random(0).choices("abcdefghijklmnopqrstuvwxyz", k=max(lengths)))
    return [
        *((f"'a' x {n:,}", "a" * n) for n in lengths),
        *((f"random a-z x {n:,}", letters[:n]) for n in lengths),
    ]


def bench_worst_case(
    ref: Path, runs: int, tmp: Path, lengths: tuple[int, ...] = WORST_LENGTHS
) -> list[dict]:
    """Milliseconds and ns/byte for one long piece, at several lengths (cl100k)."""
    libs = {"fineweb-kit", "tiktoken", "bpe-openai"}
    encs = {k: v[0] for k, v in encoders(ref, "cl100k_base", tmp).items() if k in libs}
    rows = []
    for label, text in worst_inputs(lengths):
        for lib, one in encs.items():
            if lib == "tiktoken" and len(text) > TIKTOKEN_MAX:
                continue
            s = _median_s(lambda f=one, t=text: f([t]), runs)  # type: ignore[misc]
            rows.append({"input": label, "bytes": len(text), "tokenizer": lib, "ms": 1e3 * s})
    return rows


def format_worst(worst: list[dict]) -> list[str]:
    """One row per input: ms (ns/byte) per tokenizer, and ours / each peer's time."""
    libs = list(dict.fromkeys(r["tokenizer"] for r in worst))
    peers = [x for x in libs if x != "fineweb-kit"]
    lines = [
        "",
        "## Worst case: one piece without spaces (cl100k; ms, ns/byte in brackets; "
        "time ratio = ours / peer, below 1 = we are faster)",
        "",
        "| input | " + " | ".join(libs) + " | " + " | ".join(f"ours/{p}" for p in peers) + " |",
        "|---|" + "---|" * (len(libs) + len(peers)),
    ]
    for label in dict.fromkeys(r["input"] for r in worst):
        by = {r["tokenizer"]: r for r in worst if r["input"] == label}
        cells = [
            f"{by[x]['ms']:.1f} ({by[x]['ms'] * 1e6 / by[x]['bytes']:.0f})" if x in by else "-"
            for x in libs
        ]
        ours = by.get("fineweb-kit")
        ratios = [f"{ours['ms'] / by[p]['ms']:.2f}" if ours and p in by else "-" for p in peers]
        lines.append(f"| {label} | " + " | ".join(cells + ratios) + " |")
    return lines


def bench_train(
    files: list[str], heldout: list[str], vocab: int, runs: int, trainers: list[str]
) -> list[dict]:
    """Training time, peak memory and held-out bytes/token per trainer."""
    from benchmarks.tokenizer_train_harness import measure_training

    rows = []
    for name in trainers:
        pkg = {"rustbpe": "rustbpe", "hf-tokenizers": "tokenizers"}.get(name, name)
        if name != "fineweb-kit" and not _installed(pkg):
            continue
        res = list(measure_training(name, files, vocab, runs, heldout))
        rows.append(
            {
                "trainer": name,
                "seconds": statistics.median(r["seconds"] for r in res),
                "peak_mib": statistics.median(r["peak_mib"] for r in res),
                "base_mib": statistics.median(r["base_mib"] for r in res),
                "bytes_per_token": res[-1]["bytes_per_token"],
            }
        )
    return rows


def _ratio(x: float, base: float | None) -> str:
    return f"{x / base:.2f}x" if base else "-"


def format_tables(enc: list[dict], worst: list[dict], train: list[dict], mb: float) -> str:
    lines = [
        f"## Encode ({mb:.1f} MB of documents, median MB/s; ratio = ours / peer; "
        "'numpy' rows return arrays, the others Python lists, compared like with like)",
        "",
    ]
    lines += [
        "| vocab | tokenizer | 1 thread | all threads | ours/peer (1 thr) |",
        "|---|---|---|---|---|",
    ]
    for r in enc:
        mine = "fineweb-kit numpy" if r["tokenizer"].endswith("numpy") else "fineweb-kit"
        ours = next(x for x in enc if x["vocab"] == r["vocab"] and x["tokenizer"] == mine)
        all_t = f"{r['mb_s_all']:.1f}" if "mb_s_all" in r else "-"
        ratio = (
            "" if r["tokenizer"].startswith("fineweb-kit") else _ratio(ours["mb_s_1"], r["mb_s_1"])
        )
        lines.append(f"| {r['vocab']} | {r['tokenizer']} | {r['mb_s_1']:.1f} | {all_t} | {ratio} |")
    if worst:
        lines += format_worst(worst)
    if train:
        base = next((r for r in train if r["trainer"] == "fineweb-kit"), None)
        lines += ["", "## Training (wall time, peak RSS, held-out bytes/token)", ""]
        lines += [
            "| trainer | seconds | peak RSS MiB | peak - RSS with docs loaded, MiB | bytes/token "
            "| peer time / ours |",
            "|---|---|---|---|---|---|",
        ]
        for r in train:
            ratio = _ratio(r["seconds"], base["seconds"]) if base and r is not base else ""
            lines.append(
                f"| {r['trainer']} | {r['seconds']:.1f} | {r['peak_mib']:.0f} | "
                f"{r['peak_mib'] - r['base_mib']:.0f} | "
                f"{r['bytes_per_token']:.3f} | {ratio} |"
            )
    return "\n".join(lines)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    vers = ", ".join(f"{p} {v}" for p in PEERS if (v := _installed(p)))
    return (
        f"machine: {cpu}, {os.cpu_count()} cores, load {load:.1f}; Python "
        f"{platform.python_version()}; fineweb-kit {_installed('fineweb-kit') or 'dev'}; {vers}"
    )


def save_chart(enc: list[dict], train: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2 if train else 1, figsize=(13 if train else 7, 4.5))
    axes = axes if train else [axes]
    labels = [f"{r['tokenizer']}\n{r['vocab'].split('_')[0]}" for r in enc]
    x = range(len(enc))
    axes[0].bar([i - 0.2 for i in x], [r["mb_s_1"] for r in enc], 0.4, label="1 thread")
    axes[0].bar([i + 0.2 for i in x], [r.get("mb_s_all", 0) for r in enc], 0.4, label="all threads")
    axes[0].set_xticks(list(x), labels, rotation=60, fontsize=7)
    axes[0].set_ylabel("encode MB/s")
    axes[0].legend()
    if train:
        axes[1].bar([r["trainer"] for r in train], [r["seconds"] for r in train])
        axes[1].set_ylabel("train seconds")
        axes[1].tick_params(axis="x", rotation=30)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--corpus",
        default="../shared/data/text/*.txt.gz",
        help="glob of text files (heldout-* files are used for bytes/token only)",
    )
    p.add_argument(
        "--ref",
        default="../shared/data/tokenizer-ref",
        help="folder with cl100k_base.tiktoken, o200k_base.tiktoken, encodings.json",
    )
    p.add_argument("--vocab-size", type=int, default=32768)
    p.add_argument("--runs", type=int, default=3, help="runs per measurement (median)")
    p.add_argument("--encode-mb", type=float, default=20.0, help="MB of documents to encode")
    p.add_argument("--skip-train", action="store_true")
    p.add_argument(
        "--trainers",
        default=",".join(TRAINERS),
        help="comma-separated trainers to run (those installed)",
    )
    p.add_argument("--train-runs", type=int, default=None, help="runs per trainer (default --runs)")
    p.add_argument("--skip-encode", action="store_true")
    p.add_argument(
        "--worst-lengths",
        default=",".join(map(str, WORST_LENGTHS)),
        help="comma-separated byte lengths of the worst-case runs ('' to skip them)",
    )
    p.add_argument("--chart", default="tokenizer_bench.png", help="PNG chart path")
    p.add_argument("--json", default=None, help="also write the raw results here")


def run_bench(args: argparse.Namespace) -> int:
    import tempfile

    files = sorted(glob.glob(args.corpus))
    if not files:
        raise SystemExit(f"no file matches {args.corpus!r}")
    train_files = [f for f in files if not Path(f).name.startswith("heldout-")]
    heldout = read_docs([f for f in files if Path(f).name.startswith("heldout-")])
    trainers = [t.strip() for t in args.trainers.split(",") if t.strip()]
    unknown = set(trainers) - set(TRAINERS)
    if unknown:
        raise SystemExit(f"--trainers: unknown {sorted(unknown)}; choose from {list(TRAINERS)}")
    ref = Path(args.ref)
    enc, worst, train = [], [], []
    docs: list[str] = []
    if not args.skip_encode:
        budget = args.encode_mb * 1e6
        for d in read_docs(train_files):
            if budget <= 0:
                break
            docs.append(d)
            budget -= len(d.encode())
        with tempfile.TemporaryDirectory() as tmp:
            enc = bench_encode(ref, docs, args.runs, Path(tmp))
            lengths = tuple(int(x) for x in args.worst_lengths.split(",") if x.strip())
            worst = bench_worst_case(ref, args.runs, Path(tmp), lengths) if lengths else []
        mb = sum(len(d.encode()) for d in docs) / 1e6
        print(format_tables(enc, worst, [], mb) + "\n", flush=True)  # partial results early
    if not args.skip_train:
        train = bench_train(
            train_files,
            heldout or read_docs(train_files[:1]),
            args.vocab_size,
            args.train_runs or args.runs,
            trainers,
        )
    mb = sum(len(d.encode()) for d in docs) / 1e6
    print(machine())
    print(
        f"corpus: {len(train_files)} files ({args.corpus}); train vocab {args.vocab_size}, "
        f"pattern o200k; runs {args.runs}\n"
    )
    print(format_tables(enc, worst, train, mb))
    if enc or train:
        save_chart(enc, train, Path(args.chart))
        print(f"\nchart: {args.chart}")
    if args.json:
        Path(args.json).write_text(json.dumps({"encode": enc, "worst": worst, "train": train}))
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_arguments(p)
    return run_bench(p.parse_args(argv))
