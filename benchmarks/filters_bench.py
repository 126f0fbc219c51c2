"""Benchmark: fineweb-kit's four quality filters against datatrove's filter blocks.

Runs, on the same real documents (``../shared/data/cc-docs``, an evenly spaced sample), one
worker each:

- the FineWeb filter chain (Gopher repetition -> Gopher quality -> C4 -> FineWeb quality) of
  datatrove 0.10.1 (``run()`` generators, as its executor chains them) and of fineweb-kit
  (``process()`` over batches of 256, as our runner chains them);
- each filter alone on all sample documents;
- the bare analysis: one Rust ``analyse_texts`` call over all sample texts.

Timing: median of ``--repeat`` runs (default 3) with fresh documents each run (document creation
not timed). Our Rust core runs on ``--threads`` threads (default 1, so the comparison is per
core). Prints docs/s, the ratio, the machine and the versions.

    .venv/bin/python benchmarks/filters_bench.py [--docs 300] [--repeat 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

# Must be set before the Rust core starts its thread pool.
if __name__ == "__main__":
    _threads = "1"
    for i, a in enumerate(sys.argv):
        if a == "--threads" and i + 1 < len(sys.argv):
            _threads = sys.argv[i + 1]
    os.environ["RAYON_NUM_THREADS"] = _threads

import gzip
import json
import statistics
import subprocess
import time
from collections.abc import Callable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.common import machine, versions  # noqa: E402
from fineweb_kit.document import Document  # noqa: E402
from fineweb_kit.steps.base import TaskContext  # noqa: E402
from fineweb_kit.steps.filters.c4_quality import C4QualityFilter  # noqa: E402
from fineweb_kit.steps.filters.fineweb_quality import FineWebQualityFilter  # noqa: E402
from fineweb_kit.steps.filters.gopher_quality import GopherQualityFilter  # noqa: E402
from fineweb_kit.steps.filters.gopher_repetition import GopherRepetitionFilter  # noqa: E402
from fineweb_kit.text import analyse_texts  # noqa: E402

NAMES = ("GopherRepetitionFilter", "GopherQualityFilter", "C4QualityFilter", "FineWebQualityFilter")
OURS = dict(
    zip(
        NAMES,
        (GopherRepetitionFilter, GopherQualityFilter, C4QualityFilter, FineWebQualityFilter),
        strict=True,
    )
)


def load_texts(data: Path, n: int) -> list[str]:
    texts: list[str] = []
    for path in sorted((data / "cc-docs").glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            texts.extend(json.loads(line)["text"] for line in fh if line.strip())
    step = max(1, len(texts) // n)
    return texts[::step][:n]


def datatrove_filters() -> list:
    from datatrove.pipeline.filters import (
        C4QualityFilter as DtC4,
    )
    from datatrove.pipeline.filters import (
        FineWebQualityFilter as DtFineWeb,
    )
    from datatrove.pipeline.filters import (
        GopherQualityFilter as DtGopherQ,
    )
    from datatrove.pipeline.filters import (
        GopherRepetitionFilter as DtGopherR,
    )

    # FineWeb's settings (datatrove examples/fineweb.py)
    return [DtGopherR(), DtGopherQ(), DtC4(filter_no_terminal_punct=False), DtFineWeb()]


def run_datatrove(texts: list[str], which: list[int]) -> Callable[[], int]:
    from datatrove.data import Document as DtDocument

    docs = [DtDocument(text=t, id=str(i)) for i, t in enumerate(texts)]
    filters = datatrove_filters()

    def go() -> int:
        stream = iter(docs)
        for i in which:
            stream = filters[i].run(stream)
        return sum(1 for _ in stream)

    return go


def run_ours(texts: list[str], which: list[int], batch_size: int = 256) -> Callable[[], int]:
    docs = [Document(text=t, id=str(i)) for i, t in enumerate(texts)]
    batches = [docs[i : i + batch_size] for i in range(0, len(docs), batch_size)]
    steps = [OURS[NAMES[i]]() for i in which]
    ctx = TaskContext(stage="bench")

    def go() -> int:
        stream = iter(batches)
        for step in steps:
            stream = step.process(stream, ctx)
        return sum(len(b) for b in stream)

    return go


def timed(make: Callable[[], Callable[[], int]], repeat: int) -> tuple[float, int]:
    """Median seconds of ``repeat`` runs, each on freshly built documents; and docs kept."""
    times, kept = [], 0
    for _ in range(repeat):
        fn = make()
        t0 = time.perf_counter()
        kept = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), kept


def describe() -> str:
    """Machine, versions, commit and thread count, for the table header."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    return (
        f"{machine()}; {versions('datatrove', 'spacy', 'numpy')}; fineweb-kit {commit or '?'}; "
        f"RAYON_NUM_THREADS={os.environ.get('RAYON_NUM_THREADS', 'all')}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--docs", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    texts = load_texts(args.data, args.docs)
    n, mb = len(texts), sum(len(t.encode()) for t in texts) / 1e6
    print(f"{n} cc-docs documents ({mb:.1f} MB), median of {args.repeat} runs")
    print(describe())
    run_ours(texts[:20], [0, 1, 2, 3])()  # warm up (thread pool, tables)
    run_datatrove(texts[:20], [0, 1, 2, 3])()  # warm up (spaCy load)

    rows = [("four filters, chained (FineWeb order)", [0, 1, 2, 3])]
    rows += [(name, [i]) for i, name in enumerate(NAMES)]
    print(
        f"\n| {'step':40} | datatrove docs/s | fineweb-kit docs/s | speed-up | kept (dt / ours) |"
    )
    print(f"|{'-' * 42}|-----------------:|-------------------:|---------:|-----------------:|")
    for label, which in rows:
        t_dt, k_dt = timed(lambda w=which: run_datatrove(texts, w), args.repeat)
        t_us, k_us = timed(lambda w=which: run_ours(texts, w), args.repeat)
        print(
            f"| {label:40} | {n / t_dt:16.1f} | {n / t_us:18.1f} | {t_dt / t_us:7.1f}x "
            f"| {k_dt:7d} / {k_us:<6d} |"
        )
    t_an, _ = timed(lambda: lambda: len(analyse_texts(texts)["n_chars"]), args.repeat)
    t_dt, _ = timed(lambda: run_datatrove(texts, [0, 1, 2, 3]), 1)
    print(
        f"| {'analysis only (one analyse_texts call)':40} | {n / t_dt:16.1f} | {n / t_an:18.1f} "
        f"| {t_dt / t_an:7.1f}x | {'-':>16} |"
    )
    print("\n(datatrove column of the last row: its four chained filter blocks, one run.)")


if __name__ == "__main__":
    main()
