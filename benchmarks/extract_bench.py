"""Reader + extractor throughput: fineweb-kit vs datatrove on the same real inputs.

Inputs: the real pages of ``../shared/data/html`` wrapped into one WARC by
``fineweb_kit.tools.html_to_warc`` (first in order, 885 pages), then the real WARC files of
``../shared/data/warc``. Each system reads the first ``--max-docs`` HTML documents of that
sequence with its own WarcReader and, per row, extracts them. One worker, one core.

Every measurement runs in a fresh Python process (trafilatura's ``deduplicate`` cache is per
process, so repeating in one process would change the work), ``--repeats`` times; the table
shows medians, docs/s, ratios against datatrove's WarcReader + Trafilatura, and our per-step
time shares. Usage: ``python benchmarks/extract_bench.py [--max-docs 400] [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # this checkout's fineweb_kit, also when run as a script
DEFAULT_DATA = REPO.parent / "shared" / "data"
ROWS = [
    ("reader", "datatrove", "none"),
    ("reader", "fineweb-kit", "none"),
    ("reader + Trafilatura", "datatrove", "trafilatura"),
    ("reader + Trafilatura", "fineweb-kit", "trafilatura"),
    ("reader + Trafilatura(fast)", "fineweb-kit", "trafilatura-fast"),
    ("reader + Resiliparse", "fineweb-kit", "resiliparse"),
    ("reader + MainContentExtractor", "fineweb-kit", "main-content"),
]


def build_inputs(data: Path, folder: Path) -> None:
    from fineweb_kit.tools.html_to_warc import pages, write_warc

    with open(folder / "00-html-pages.warc.gz", "wb") as f:
        write_warc(pages(data / "html"), f, "00-html-pages.warc.gz")
    for src in sorted((data / "warc").glob("*.warc.gz")):
        (folder / src.name).symlink_to(src)


def run_ours(folder: Path, extractor: str, max_docs: int) -> dict:
    from fineweb_kit.document import Document
    from fineweb_kit.steps.base import TaskContext
    from fineweb_kit.steps.extractors.main_content import MainContentExtractor
    from fineweb_kit.steps.extractors.resiliparse import ResiliparseExtractor
    from fineweb_kit.steps.extractors.trafilatura import Trafilatura
    from fineweb_kit.steps.readers.warc import WarcReader

    ctx = TaskContext(stage="bench")
    # per-file limit and batch size keep the reader from reading past ``max_docs``
    reader = WarcReader(
        paths=str(folder / "*.warc.gz"), limit=max_docs, batch_size=min(64, max_docs)
    )
    steps = {
        "trafilatura": Trafilatura,
        "trafilatura-fast": lambda: Trafilatura(fast=True),
        "resiliparse": ResiliparseExtractor,
        "main-content": MainContentExtractor,
    }
    ext = steps[extractor]() if extractor in steps else None
    if ext:
        # imports and the extraction child process's start, not timed
        warm = Document("<html><body><p>warm up</p></body></html>", "warm-up")
        ext.process_batch([warm], ctx)
    n_in = n_out = 0
    t0 = time.perf_counter()
    for path in reader.list_files(folder):
        ctx.input_path = path
        for batch in reader.process([], ctx):
            batch = batch[: max_docs - n_in]
            n_in += len(batch)
            n_out += sum(map(len, ext.process(iter([batch]), ctx))) if ext else len(batch)
            if n_in >= max_docs:
                break
        if n_in >= max_docs:
            break
    total = time.perf_counter() - t0
    shares = {"reader": reader.stats.time_s / total}
    if ext:
        shares["extractor"] = ext.stats.time_s / total
    return {"in": n_in, "out": n_out, "seconds": total, "shares": shares}


def run_datatrove(folder: Path, extractor: str, max_docs: int) -> dict:
    from datatrove.pipeline.extractors import Trafilatura
    from datatrove.pipeline.readers import WarcReader

    reader = WarcReader(str(folder), glob_pattern="*.warc.gz", limit=max_docs)
    if extractor == "trafilatura":
        ext = Trafilatura()
        ext.extract("<html><body><p>warm up</p></body></html>")
    n_in = n_out = 0
    t0 = time.perf_counter()
    docs = reader.run(None, rank=0, world_size=1)

    def counted():
        nonlocal n_in
        for doc in docs:
            n_in += 1
            yield doc

    stream = ext.run(counted(), rank=0, world_size=1) if extractor == "trafilatura" else counted()
    for _ in stream:
        n_out += 1
    return {"in": n_in, "out": n_out, "seconds": time.perf_counter() - t0, "shares": {}}


def one(args: argparse.Namespace) -> None:
    fn = run_ours if args.system == "fineweb-kit" else run_datatrove
    print(json.dumps(fn(Path(args.folder), args.extractor, args.max_docs)))


def measure(folder: Path, system: str, extractor: str, max_docs: int) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--one",
        system,
        extractor,
        str(folder),
        "--max-docs",
        str(max_docs),
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env, cwd=REPO)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--max-docs", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--one", nargs=3, metavar=("SYSTEM", "EXTRACTOR", "FOLDER"))
    args = parser.parse_args()
    if args.one:
        args.system, args.extractor, args.folder = args.one
        one(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        build_inputs(args.data, Path(tmp))
        # rows interleaved per repeat, so load from other processes hits every row alike
        runs: dict[int, list[dict]] = {i: [] for i in range(len(ROWS))}
        for rep in range(args.repeats):
            for i, (label, system, extractor) in enumerate(ROWS):
                runs[i].append(measure(Path(tmp), system, extractor, args.max_docs))
                print(
                    f"  run {rep + 1}: {label} / {system}: {runs[i][-1]['seconds']:.2f} s",
                    file=sys.stderr,
                )
        results = []
        for i, (label, system, _) in enumerate(ROWS):
            secs = [r["seconds"] for r in runs[i]]
            results.append((label, system, runs[i][0], statistics.median(secs), secs))
    print_table(results, args)


def print_table(results: list, args: argparse.Namespace) -> None:
    dt = {
        label: run["in"] / secs for label, system, run, secs, _ in results if system == "datatrove"
    }
    ref = dt.get("reader + Trafilatura")
    most = max(run["in"] for _, _, run, _, _ in results)
    scope = f"first {args.max_docs} HTML docs" if most >= args.max_docs else "all HTML docs"
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}, "
        f"Python {platform.python_version()}"
    )
    pkgs = ["datatrove", "trafilatura", "resiliparse", "warcio", "isal"]
    print("versions: " + ", ".join(f"{p} {version(p)}" for p in pkgs))
    print(
        f"input: {scope} (html/ pages as WARC, then warc/*.warc.gz); median of "
        f"{args.repeats} runs (rows interleaved), one process per run, one worker\n"
    )
    cols = ["pipeline", "system", "docs in", "docs out", "median s", "min s", "docs/s (median)"]
    cols += ["vs datatrove same row", "vs datatrove reader+Trafilatura", "our step shares"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for label, system, run, secs, all_secs in results:
        rate = run["in"] / secs
        same = f"{rate / dt[label]:.2f}x" if label in dt else "-"
        vs_ref = rate / ref if ref else float("nan")
        shares = ", ".join(f"{k} {v:.0%}" for k, v in run["shares"].items())
        print(
            f"| {label} | {system} | {run['in']} | {run['out']} | {secs:.2f} | "
            f"{min(all_secs):.2f} | {rate:.1f} | {same} | {vs_ref:.2f}x | {shares} |"
        )


if __name__ == "__main__":
    main()
