"""MinHash dedup, fineweb-kit vs datatrove 0.10.1: the four stages on the same >= 50 MB input.

Both run FineWeb's configuration (sha1 64-bit, 14 buckets x 8 hashes, word 5-grams), one
worker each (ours with ``RAYON_NUM_THREADS=1``), each stage in its own process so its peak RSS
(``wait4`` ru_maxrss) and CPU time are its own. Input: the real cc-docs documents plus
near-duplicate copies (5-30 % of words changed) until ``--mb`` megabytes, in ``--files`` files.
A last run gives stages 1-2 a memory budget 10x smaller than one bucket's signature data.

    .venv/bin/python benchmarks/minhash_bench.py --mb 50 --runs 3

Prints per stage: median wall seconds, CPU seconds, docs/s, MB/s, peak RSS, the ratios, and
the cost model scaled to one Common Crawl dump (2.5 billion pages, linear in documents).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = next(  # ../shared/data beside the checkout, or one up from a worktree
    (p / "shared" / "data" for p in (REPO.parent, REPO.parent.parent) if (p / "shared").is_dir()),
    REPO.parent / "shared" / "data",
)
sys.path.insert(0, str(REPO))  # this checkout's fineweb_kit and tests/, also when run as a script
STAGES = ["signatures", "buckets", "cluster", "filter"]
CC_PAGES = 2.5e9


def build_input(folder: Path, mb: float, files: int, seed: int = 0) -> tuple[int, int]:
    """Writes ~``mb`` MB of documents into ``files`` JSONL.gz files; returns (docs, bytes)."""
    rng = random.Random(seed)
    base = []
    for path in sorted((SHARED / "cc-docs").glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            base.extend(json.loads(line)["text"] for line in f)
    vocab = sorted({w for t in base[:300] for w in t.split() if w.isalpha()})
    docs, total = list(base), sum(len(t.encode()) for t in base)
    while total < mb * 1e6:
        words = rng.choice(base).split()
        for i in rng.sample(range(len(words)), int(len(words) * rng.uniform(0.05, 0.3))):
            words[i] = rng.choice(vocab)
        text = " ".join(words)
        docs.append(text)
        total += len(text.encode())
    rng.shuffle(docs)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    outs = [gzip.open(folder / f"in-{i:03d}.jsonl.gz", "wt", compresslevel=1) for i in range(files)]
    for i, t in enumerate(docs):
        outs[i % files].write(json.dumps({"id": str(i), "text": t}) + "\n")
    for f in outs:
        f.close()
    return len(docs), total


def measure(cmd: list[str], env: dict | None = None) -> dict:
    """Runs ``cmd``; returns wall seconds, CPU seconds and peak RSS (MiB) of that process.

    Linux carries the parent's peak RSS into a child's ru_maxrss at exec, so this process
    stays small (the input is built in a subprocess): a stage's peak below ~30 MiB reads as
    this process's.
    """
    t0 = time.perf_counter()
    devnull = os.open(os.devnull, os.O_WRONLY)
    log = os.open(str(Path(cmd[-1]).name) + ".stderr.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    actions = [(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, log, 2)]
    pid = os.posix_spawn(cmd[0], cmd, env or dict(os.environ), file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    os.close(devnull)
    os.close(log)
    if os.waitstatus_to_exitcode(status) != 0:
        err = Path(str(Path(cmd[-1]).name) + ".stderr.log").read_text()[-3000:]
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{err}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss": usage.ru_maxrss / 1024}


def run_ours(inputs: Path, work: Path, budget_mb: float) -> dict[str, dict]:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    cfg = work / "p.yaml"
    import yaml

    from tests.dedup.pipeline import minhash_pipeline  # the pipeline the dedup tests run

    pipeline = minhash_pipeline(
        inputs,
        work / "out",
        budget_mb=budget_mb,
        tasks=1,
        annotate=False,
        write=False,
        name="minhash-bench",
    )
    cfg.write_text(yaml.safe_dump(pipeline))
    env = dict(os.environ, RAYON_NUM_THREADS="1", PYTHONPATH=str(REPO))
    py = [sys.executable, "-m", "fineweb_kit", "run", str(cfg), "--plain", "--stage"]
    return {s: measure([*py, s], env) for s in STAGES}


def run_datatrove(inputs: Path, work: Path) -> dict[str, dict]:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    me = [sys.executable, __file__, "--child", str(inputs), str(work)]
    return {s: measure([*me, s]) for s in STAGES}


def datatrove_child(inputs: Path, work: Path, stage: str) -> None:
    """One datatrove stage, all units sequentially in this process (one worker)."""
    from datatrove.data import Document
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )
    from datatrove.utils.hashing import HashConfig
    from datatrove.utils.logging import logger

    logger.remove()
    cfg = MinhashConfig(hash_config=HashConfig(precision=64, hash_fc="sha1"))
    files = sorted(inputs.glob("*.jsonl.gz"))

    def docs(path: Path):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                yield Document(text=r["text"], id=r["id"])

    if stage == "signatures":
        step = MinhashDedupSignature(output_folder=str(work / "sigs"), config=cfg)
        for rank, path in enumerate(files):
            step.run(docs(path), rank=rank, world_size=len(files))
    elif stage == "buckets":
        step = MinhashDedupBuckets(str(work / "sigs"), str(work / "buckets"), config=cfg)
        for b in range(cfg.num_buckets):
            step.run(rank=b, world_size=cfg.num_buckets)
    elif stage == "cluster":
        MinhashDedupCluster(str(work / "buckets"), str(work / "remove"), config=cfg).run()
    else:
        step = MinhashDedupFilter(str(work / "remove"))
        for rank, path in enumerate(files):
            for _ in step.run(docs(path), rank=rank, world_size=len(files)):
                pass


def median(runs: list[dict[str, dict]], stage: str, key: str) -> float:
    return statistics.median(r[stage][key] for r in runs)


def report(ours: list, theirs: list, n_docs: int, n_bytes: int, small: dict, small_info: str):
    from importlib.metadata import version

    print(
        f"\nmachine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, datatrove {version('datatrove')}, "
        f"fineweb-kit: this checkout, "
        f"runs: {len(ours)} (median), input: {n_docs} docs, {n_bytes / 1e6:.1f} MB"
    )
    head = (
        "| stage | ours s (cpu) | datatrove s (cpu) | speed-up (cpu) | ours docs/s | "
        "ours MB/s | datatrove docs/s | ours peak RSS MiB | datatrove peak RSS MiB |"
    )
    print(head)
    print("|" + "---|" * 9)
    tot_o = tot_t = 0.0
    for s in STAGES:
        o, t = median(ours, s, "cpu"), median(theirs, s, "cpu")
        tot_o, tot_t = tot_o + o, tot_t + t
        print(
            f"| {s} | {median(ours, s, 'wall'):.2f} ({o:.2f}) | {median(theirs, s, 'wall'):.2f} "
            f"({t:.2f}) | {t / o:.1f}x | {n_docs / o:,.0f} | {n_bytes / 1e6 / o:.2f} | "
            f"{n_docs / t:,.0f} | {median(ours, s, 'rss'):.0f} | {median(theirs, s, 'rss'):.0f} |"
        )
    print(
        f"| all four | ({tot_o:.2f}) | ({tot_t:.2f}) | {tot_t / tot_o:.1f}x | "
        f"{n_docs / tot_o:,.0f} | {n_bytes / 1e6 / tot_o:.2f} | {n_docs / tot_t:,.0f} | | |"
    )
    print(f"\nsmall-budget run ({small_info}):")
    for s in STAGES[:2]:
        print(f"  {s}: {small[s]['cpu']:.2f} s cpu, peak RSS {small[s]['rss']:.0f} MiB")
    print(f"\ncost model, one CC dump ({CC_PAGES:.1e} pages), core-hours (linear in documents):")
    print("| stage | ours core-h | datatrove core-h |")
    print("|---|---|---|")
    for s in STAGES:
        scale = CC_PAGES / n_docs / 3600
        o, t = median(ours, s, "cpu") * scale, median(theirs, s, "cpu") * scale
        print(f"| {s} | {o:,.0f} | {t:,.0f} |")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--mb", type=float, default=50)
    p.add_argument("--files", type=int, default=10)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--work", default="/tmp/fwk-minhash-bench")
    p.add_argument("--child", nargs=3, metavar=("INPUTS", "WORK", "STAGE"))
    p.add_argument("--build", nargs=3, metavar=("FOLDER", "MB", "FILES"))
    a = p.parse_args()
    if a.build:
        print(json.dumps(build_input(Path(a.build[0]), float(a.build[1]), int(a.build[2]))))
        return
    if a.child:
        datatrove_child(Path(a.child[0]), Path(a.child[1]), a.child[2])
        return
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    os.chdir(work)  # stderr logs of the stages go here
    built = subprocess.run(
        [sys.executable, __file__, "--build", str(work / "in"), str(a.mb), str(a.files)],
        check=True,
        capture_output=True,
        text=True,
    )
    n_docs, n_bytes = json.loads(built.stdout)
    ours, theirs = [], []
    for i in range(a.runs):
        ours.append(run_ours(work / "in", work / "ours", 512))
        theirs.append(run_datatrove(work / "in", work / "dt"))
        print(
            f"run {i + 1}: ours {json.dumps(ours[-1])}\n       datatrove {json.dumps(theirs[-1])}",
            flush=True,
        )
    out = work / "ours" / "out"
    stats = json.loads((out / "stats.json").read_text())
    counters = {
        k: v for st in stats["stages"] for step in st["steps"] for k, v in step["counters"].items()
    }
    print(
        "ours:",
        {
            k: counters[k]
            for k in (
                "minhash_pairs",
                "minhash_clusters",
                "minhash_removed",
                "minhash_union_find_bytes",
            )
            if k in counters
        },
    )
    removed_dt = sum(p.stat().st_size // 4 for p in (work / "dt" / "remove").glob("*.remove"))
    print("datatrove removed:", removed_dt)
    bucket = max(
        sum(f.stat().st_size for f in d.glob("*.sig"))
        for d in (out / "minhash" / "signatures").glob("bucket_*")
    )
    small_mb = bucket / 10 / 2**20
    small = run_ours(work / "in", work / "small", small_mb)
    sstats = json.loads((work / "small" / "out" / "stats.json").read_text())
    sc = {
        k: v for st in sstats["stages"] for step in st["steps"] for k, v in step["counters"].items()
    }
    info = (
        f"budget {small_mb:.2f} MiB = largest bucket's data {bucket / 2**20:.1f} MiB / 10; "
        f"{sc.get('minhash_runs', 0)} runs, {sc.get('minhash_extra_merge_passes', 0)} extra merge "
        f"passes, removed {sc.get('minhash_removed')} "
        f"(default budget: {counters.get('minhash_removed')})"
    )
    report(ours, theirs, n_docs, n_bytes, small, info)


if __name__ == "__main__":
    main()
