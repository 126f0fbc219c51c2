"""The tokenizer benchmark users run to choose a tokenizer (``benchmarks/tokenizer_bench.py``
calls :func:`main`; ``fineweb-kit tokenizer bench`` runs that script in a source checkout).

Measures (median of ``--runs``):
- encode MB/s, one thread, side by side with every peer installed (tiktoken, fastokens,
  gigatoken, toktok-rs, quicktok-v1, bpe-openai, HF tokenizers), cl100k and o200k, first sight
  and warm, per document and flat array; exactness gate first (a peer whose ids differ from
  tiktoken's is flagged, not hidden): ``benchmarks/encode_peers_bench.py``, whose options
  (``--only``, ``--corpora``, ``--vocabs``, ...) are accepted here too;
- worst case: one piece without spaces ("a" x n and random letters, n up to 3.6 MB; tiktoken
  only up to 900 kB), ms and ns/byte, so that growth with n shows;
- training (``--vocab-size``): wall time, peak memory, bytes/token on held-out text, for
  fineweb-kit, rustbpe, HF tokenizers, sentencepiece (each run in a fresh process).
Prints the tables with ratios, the machine and versions; saves PNG charts (encode; training
beside it as ``*-train.png``).
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
from pathlib import Path

from benchmarks import encode_peers_bench as peers

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
    return peers.installed(pkg)


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


def bench_worst_case(runs: int, lengths: tuple[int, ...] = WORST_LENGTHS) -> list[dict]:
    """Milliseconds and ns/byte for one long piece, at several lengths (cl100k)."""
    libs = [
        x for x in ("fineweb-kit", "tiktoken", "bpe-openai") if peers.installed(peers.ENCODERS[x])
    ]
    per_doc = {x: peers.load(x, "cl100k_base")[0] for x in libs}
    encs = {x: (lambda d, f=f: [f(t) for t in d]) for x, f in per_doc.items()}
    for one in encs.values():
        one([peers.WARM_UP])  # lazy set-up (int objects, tables) is not part of the time
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


def format_tables(worst: list[dict], train: list[dict]) -> str:
    lines = format_worst(worst) if worst else []
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
    cpu = peers.cpu_model()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    vers = ", ".join(f"{p} {v}" for p in PEERS if (v := _installed(p)))
    return (
        f"machine: {cpu}, {os.cpu_count()} cores, load {load:.1f}; Python "
        f"{platform.python_version()}; fineweb-kit {_installed('fineweb-kit') or 'dev'}; {vers}"
    )


def save_train_chart(train: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.bar([r["trainer"] for r in train], [r["seconds"] for r in train])
    ax.set_ylabel("train seconds")
    ax.tick_params(axis="x", rotation=30)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--corpus",
        default="../shared/data/text/*.txt.gz",
        help="glob of text files for training (heldout-* files: bytes/token only) and for "
        "the encode table with --corpora files",
    )
    p.add_argument(
        "--ref",
        default="../shared/data/tokenizer-ref",
        help="folder with cl100k_base.tiktoken, o200k_base.tiktoken, encodings.json",
    )
    p.add_argument("--vocab-size", type=int, default=32768)
    # --runs, --mb (alias --encode-mb), --corpora, --only, --vocabs, --json, --chart, ...
    peers.add_arguments(p, runs=3, mb=2.0)
    p.set_defaults(chart=Path("tokenizer_bench.png"))
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


def run_bench(args: argparse.Namespace) -> int:
    files = sorted(glob.glob(args.corpus))
    if not files:
        raise SystemExit(f"no file matches {args.corpus!r}")
    train_files = [f for f in files if not Path(f).name.startswith("heldout-")]
    heldout = read_docs([f for f in files if Path(f).name.startswith("heldout-")])
    trainers = [t.strip() for t in args.trainers.split(",") if t.strip()]
    unknown = set(trainers) - set(TRAINERS)
    if unknown:
        raise SystemExit(f"--trainers: unknown {sorted(unknown)}; choose from {list(TRAINERS)}")
    # The rank files for this process and the measuring workers it starts.
    os.environ["FINEWEB_KIT_TOKENIZER_REF"] = str(Path(args.ref).resolve())
    peers.REF = Path(args.ref).resolve()
    peers.TEXT = peers.REF.parent / "text"
    args.files = args.files or args.corpus
    table, enc = "", {}
    worst, train = [], []
    if not args.skip_encode:
        table, enc = peers.side_by_side(args)
        print(table, flush=True)  # partial results early
        lengths = tuple(int(x) for x in args.worst_lengths.split(",") if x.strip())
        worst = bench_worst_case(args.runs, lengths) if lengths else []
    if not args.skip_train:
        train = bench_train(
            train_files,
            heldout or read_docs(train_files[:1]),
            args.vocab_size,
            args.train_runs or args.runs,
            trainers,
        )
    print(machine())
    print(
        f"corpus: {len(train_files)} files ({args.corpus}); train vocab {args.vocab_size}, "
        f"pattern o200k; runs {args.runs}\n"
    )
    print(table)
    print(format_tables(worst, train))
    if enc:
        print(f"\nchart: {args.chart}")
    if train:
        tchart = Path(args.chart).with_name(Path(args.chart).stem + "-train.png")
        save_train_chart(train, tchart)
        print(f"training chart: {tchart}")
    if args.json:
        Path(args.json).write_text(json.dumps({"encode": enc, "worst": worst, "train": train}))
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_arguments(p)
    return run_bench(p.parse_args(argv))
