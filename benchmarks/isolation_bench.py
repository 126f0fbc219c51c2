"""Cost of extracting in a killable child process (``isolation: process``) vs in the worker.

Input: the 885 real pages of ``../shared/data/html``, decoded once, in batches of 256 (the
readers' default), made into documents batch by batch as a reader would. Per extractor, four
steps live side by side in this process, as in a worker, each run as a pipeline runs a step
(``process`` over the stream of batches, which counts documents in and out): ``process`` (the
default: guards, then a child process, pipelined: batch N+1 is prepared while the child
extracts batch N; the child started and warmed before timing), ``serial`` (the same, one
``process_batch`` call per batch: no overlap), ``none`` (guards, then in the worker) and
``before`` (in the worker without the depth/tag guards: what extraction cost before the child
process and the guards existed). Each repeat times one pass of each over all pages, in rotating
order (load from other processes hits all alike); the table gives medians, the ratios
process / before (the target: <= 1.10) per repeat and their median, process / none and
process / serial (medians), the child's start time (paid once per worker, and again after
each killed or crashed page) and CPU seconds per pass (this process and the child: with a
spare core, wall time is the larger of the two sides' shares, as they overlap; the child's is
the critical path). Trafilatura runs with ``deduplicate: false`` so that every pass
does the same work.

Usage: ``python benchmarks/isolation_bench.py [--repeats 5] [--extractors resiliparse,trafilatura]``
"""

from __future__ import annotations

import argparse
import gzip
import os
import platform
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DATA = next(
    (p / "shared" / "data" for p in (REPO.parent, REPO.parent.parent) if (p / "shared").is_dir()),
    REPO.parent / "shared" / "data",
)
BATCH = 256


def load_pages() -> list[tuple[str, str]]:
    from fineweb_kit.warc.charset import decode_html

    files = sorted((DATA / "html").glob("*.html.gz"))
    return [(f.name, decode_html(gzip.open(f).read())[0]) for f in files]


MODES = ("process", "serial", "none", "before")


def make(extractor: str, mode: str, timeout: float):
    from fineweb_kit.steps.extractors.resiliparse import ResiliparseExtractor
    from fineweb_kit.steps.extractors.trafilatura import Trafilatura

    isolation = "process" if mode in ("process", "serial") else "none"
    kw: dict = {"isolation": isolation, "timeout": timeout}
    if mode == "before":
        kw |= {"max_tag_depth": 0, "max_tags": 0}
    if extractor == "resiliparse":
        return ResiliparseExtractor(**kw)
    return Trafilatura(deduplicate=False, **kw)


def child_cpu_s(step) -> float:
    """CPU seconds used so far by the step's extraction child process (0: none; Linux only)."""
    pool = getattr(step, "_pool", None)
    child = getattr(pool, "_child", None)
    if child is None:
        return 0.0
    try:
        fields = Path(f"/proc/{child.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_pass(
    step, pages: list[tuple[str, str]], serial: bool = False
) -> tuple[float, int, float, float]:
    """One pass over ``pages`` in batches, as a pipeline's worker runs a step (``process``, on
    a stream of batches); ``serial``: one ``process_batch`` call per batch (no pipelining).
    Returns wall seconds, documents kept, and CPU seconds of this process and of the child."""
    from fineweb_kit.document import Document
    from fineweb_kit.steps.base import TaskContext

    ctx = TaskContext(stage="bench")

    def batches():
        for i in range(0, len(pages), BATCH):
            yield [Document(html, name) for name, html in pages[i : i + BATCH]]

    t0, cpu0, child0 = time.perf_counter(), time.process_time(), child_cpu_s(step)
    if serial:
        kept = sum(len(step.process_batch(b, ctx)) for b in batches())
    else:
        kept = sum(len(b) for b in step.process(batches(), ctx))
    wall = time.perf_counter() - t0
    return wall, kept, time.process_time() - cpu0, child_cpu_s(step) - child0


def bench(extractor: str, pages: list[tuple[str, str]], repeats: int, timeout: float) -> dict:
    steps = {mode: make(extractor, mode, timeout) for mode in MODES}
    t0 = time.perf_counter()
    one_pass(steps["process"], pages[:1])  # starts the child (imports, setup)
    start = time.perf_counter() - t0
    one_pass(steps["serial"], pages[:1])
    steps["none"].load()
    secs: dict[str, list[float]] = {m: [] for m in MODES}
    cpu: dict[str, list[float]] = {m: [] for m in MODES}
    child: dict[str, list[float]] = {m: [] for m in MODES}
    kept: dict[str, int] = {}
    for rep in range(repeats):
        for mode in MODES[rep % len(MODES) :] + MODES[: rep % len(MODES)]:
            s, kept[mode], c, k = one_pass(steps[mode], pages, serial=mode == "serial")
            secs[mode].append(s)
            cpu[mode].append(c + k)
            child[mode].append(k)
        print(
            f"  {extractor} run {rep + 1}: " + ", ".join(f"{m} {secs[m][-1]:.2f} s" for m in MODES),
            file=sys.stderr,
        )
    steps["process"].teardown()
    steps["serial"].teardown()
    ratios = {
        base: [p / n for p, n in zip(secs["process"], secs[base], strict=True)]
        for base in ("before", "none", "serial")
    }
    return {
        "secs": secs,
        "cpu": cpu,
        "child": child,
        "kept": kept,
        "ratios": ratios,
        "start": start,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--extractors", default="resiliparse,trafilatura")
    ap.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        help="per-page timeout of every mode: large, so that a loaded machine's slow pages do "
        "not time out in one mode and not in another (the same work in every mode)",
    )
    args = ap.parse_args()
    pages = load_pages()
    mb = sum(len(h.encode()) for _, h in pages) / 1e6
    results = {e: bench(e, pages, args.repeats, args.timeout) for e in args.extractors.split(",")}
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f} at the end"
    )
    print(
        f"input: {len(pages)} pages of ../shared/data/html ({mb:.1f} MB), batches of {BATCH}, "
        f"timeout {args.timeout:g} s; {args.repeats} passes per mode, order rotating\n"
    )
    cols = ["extractor", "pages kept", "s (median) " + " / ".join(MODES)]
    cols += ["process / before per run", "**process / before**", "process / none (median)"]
    cols += ["process / serial (median)", "child start s"]
    cols += ["CPU s (median) process (of which child) / none / before"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for name, r in results.items():
        med = " / ".join(f"{statistics.median(r['secs'][m]):.2f}" for m in MODES)
        kept = " / ".join(str(r["kept"][m]) for m in MODES)
        per_run = ", ".join(f"{x:.3f}" for x in r["ratios"]["before"])
        print(
            f"| {name} | {kept} | {med} | {per_run} | "
            f"**{statistics.median(r['ratios']['before']):.3f}** | "
            f"{statistics.median(r['ratios']['none']):.3f} | "
            f"{statistics.median(r['ratios']['serial']):.3f} | {r['start']:.2f} | "
            f"{statistics.median(r['cpu']['process']):.2f} "
            f"({statistics.median(r['child']['process']):.2f}) / "
            f"{statistics.median(r['cpu']['none']):.2f} / "
            f"{statistics.median(r['cpu']['before']):.2f} |"
        )


if __name__ == "__main__":
    main()
