"""Remote storage overhead: the same pipeline reading from and writing to a local S3 server
(moto on 127.0.0.1, through s3fs, the client users use) vs local disk, and requests per MB.

Two pipelines, each run ``--runs`` times, remote and local interleaved (median wall seconds of
the whole ``fineweb-kit run`` command, 1 task, 1 worker):

* ``sample``: pipelines/sample.yaml (the FineWeb filters, Trafilatura) on its bundled WARCs;
* ``warc-to-jsonl``: WarcReader -> JsonlWriter on the two 7 MB crafted Common Crawl-style WARCs
  of ../shared/data/warc (I/O and parsing only: where storage overhead shows most).

Then MinHash's bucket stage (``benchmarks/minhash_bench.py``'s input and pipeline: cc-docs plus
near-duplicate copies, ``--minhash-mb``): stage 1 writes its signatures to the bucket (and, for
the local reference, to disk); the bucket stage alone is timed on each, then run once more
through the counting proxy: every request of the stage (listings, the ``.sig`` downloads, the
pairs uploads, markers, logs) per MB of signature files it reads.

A counting proxy in front of the server counts every S3 request of the counted runs; requests
per MB are per MB of input read. The server, the proxy and the runs share the machine.

    python -m benchmarks.remote_bench --runs 3
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml

from benchmarks.common import machine, median, table, versions
from benchmarks.minhash_bench import build_input, our_pipeline
from fineweb_kit.tools.local_s3 import moto_s3, s3_env, s3fs_client, upload_files
from fineweb_kit.tools.s3_proxy import faulty_proxy

REPO = Path(__file__).resolve().parents[1]
SHARED = next(
    p / "shared" / "data" for p in (REPO.parent, REPO.parent.parent) if (p / "shared").is_dir()
)
CRAFTED = ["crafted-ccstyle-00000.warc.gz", "crafted-ccstyle-00001.warc.gz"]


def _run(pipeline: str, inputs: str, output: str, env: dict[str, str], *extra: str) -> float:
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "fineweb_kit", "run", pipeline, "--input", inputs,
         "--output", output, "--tasks", "1", "--workers", "1", "--plain", *extra],
        cwd=REPO, env=env, check=True, capture_output=True,
    )  # fmt: skip
    return time.perf_counter() - t0


def _pipelines(tmp: Path, fs: object, runs: int, env: dict, remote_env: dict, log: list) -> list:
    """sample and warc-to-jsonl: whole runs, local vs S3; then one counted S3 run each."""
    cases = {
        "sample": ("pipelines/sample.yaml", sorted((REPO / "pipelines/sample-data").glob("*.gz"))),
        "warc-to-jsonl": (
            str(REPO / "benchmarks" / "remote_copy.yaml"),
            [SHARED / "warc" / n for n in CRAFTED],
        ),
    }
    rows = []
    for name, (pipeline, files) in cases.items():
        local_in = tmp / "in" / name
        local_in.mkdir(parents=True)
        for f in files:
            shutil.copy(f, local_in / f.name)
        upload_files(fs, files, f"bench-in/{name}")
        mb = sum(f.stat().st_size for f in files) / 1e6
        times: dict[str, list[float]] = {"local": [], "s3": []}
        remote_in = f"s3://bench-in/{name}/*.gz"
        for i in range(runs):
            out = str(tmp / "out" / f"{name}-{i}")
            times["local"].append(_run(pipeline, str(local_in / "*.gz"), out, env))
            times["s3"].append(_run(pipeline, remote_in, f"s3://bench-out/{name}-{i}", remote_env))
        log.clear()  # one more run through the counting proxy (not timed)
        _run(pipeline, remote_in, f"s3://bench-out/{name}-counted", {**remote_env, **_counted})
        local, remote = median(times["local"]), median(times["s3"])
        rows.append((name, mb, local, remote, 100 * (remote / local - 1), len(log), times))
    return rows


_counted: dict[str, str] = {}  # the counting proxy's AWS_* variables, set in main()


def _minhash_buckets(
    tmp: Path, fs: object, runs: int, mb: float, files: int, env: dict, remote_env: dict, log: list
) -> dict:
    """MinHash's bucket stage (14 buckets, 1 task) on signatures in a bucket vs on local disk:
    time, and every S3 request of the stage per MB of signature files it reads."""
    inputs = tmp / "minhash-in"
    docs, _ = build_input(inputs, mb, files=files)
    cfg = tmp / "minhash.yaml"
    cfg.write_text(yaml.safe_dump(our_pipeline(inputs, tmp / "unused", 512), sort_keys=False))
    local_out, remote_out = tmp / "minhash-local", "s3://bench-out/minhash"
    signatures, glob = ("--stage", "signatures"), str(inputs / "*.jsonl.gz")
    _run(str(cfg), glob, str(local_out), env, *signatures)
    _run(str(cfg), glob, remote_out, remote_env, *signatures)
    fs.invalidate_cache()  # type: ignore[attr-defined]
    sig_keys = [k for k in fs.find("bench-out/minhash/minhash/signatures/") if k.endswith(".sig")]  # type: ignore[attr-defined]
    sig_mb = sum(fs.size(k) for k in sig_keys) / 1e6  # type: ignore[attr-defined]

    def reset() -> None:  # forget the bucket stage: markers and pairs
        shutil.rmtree(local_out / "_state" / "buckets", ignore_errors=True)
        shutil.rmtree(local_out / "minhash" / "pairs", ignore_errors=True)
        for prefix in ("bench-out/minhash/_state/buckets", "bench-out/minhash/minhash/pairs"):
            if fs.exists(prefix):  # type: ignore[attr-defined]
                fs.rm(prefix, recursive=True)  # type: ignore[attr-defined]
        fs.invalidate_cache()  # type: ignore[attr-defined]

    times: dict[str, list[float]] = {"local": [], "s3": []}
    buckets = ("--stage", "buckets")
    for _ in range(runs):
        reset()
        times["local"].append(_run(str(cfg), glob, str(local_out), env, *buckets))
        times["s3"].append(_run(str(cfg), glob, remote_out, remote_env, *buckets))
    reset()
    log.clear()
    _run(str(cfg), glob, remote_out, {**remote_env, **_counted}, *buckets)
    sig_gets = sum(1 for m, p in log if m == "GET" and ".sig" in p and "list-type" not in p)
    lists = sum(1 for m, p in log if m == "GET" and "list-type" in p)
    kinds = Counter(f"{m} list" if "list-type" in p else m for m, p in log)
    return {
        "docs": docs, "sig_files": len(sig_keys), "sig_mb": sig_mb, "requests": len(log),
        "sig_gets": sig_gets, "lists": lists, "kinds": kinds, "times": times,
        "local": median(times["local"]), "s3": median(times["s3"]),
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--minhash-mb", type=float, default=60, help="MinHash input size (MB)")
    ap.add_argument("--minhash-files", type=int, default=2, help="MinHash input files")
    ap.add_argument("--only-minhash", action="store_true", help="skip the two pipelines")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="remote-bench-"))
    env = {**os.environ, "PYTHONPATH": str(REPO), "FWK_STAGING_DIR": str(tmp / "staging")}
    log: list[tuple[str, str]] = []
    rows: list = []
    try:
        with moto_s3() as endpoint:
            fs = s3fs_client(endpoint)
            fs.mkdir("bench-out")
            with faulty_proxy(endpoint, lambda m, p, n: log.append((m, p))) as (url, _):
                _counted.update(s3_env(url))
                remote_env = {**env, **s3_env(endpoint)}
                if not args.only_minhash:
                    rows = _pipelines(tmp, fs, args.runs, env, remote_env, log)
                mh = _minhash_buckets(
                    tmp, fs, args.runs, args.minhash_mb, args.minhash_files, env, remote_env, log
                )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("# remote storage benchmark (moto S3 on 127.0.0.1 vs local disk)")
    print(f"machine: {machine()}; versions: {versions('s3fs', 'moto', 'fsspec')}")
    print(f"runs: {args.runs}, local and S3 interleaved; load at start: {os.getloadavg()[0]:.1f}\n")
    if rows:
        headers = ["pipeline", "input MB", "local s (median)", "S3 s (median)", "overhead"]
        headers += ["S3 requests per run", "requests per MB in"]
        body = [
            [n, f"{mb:.2f}", f"{lo:.2f}", f"{re:.2f}", f"{ov:+.0f}%", str(rq), f"{rq / mb:.1f}"]
            for n, mb, lo, re, ov, rq, _ in rows
        ]
        print(table(headers, body))
        print()
        for name, *_, times in rows:
            print(
                f"all runs {name}: "
                + ", ".join(f"{k}={[round(t, 2) for t in v]}" for k, v in times.items())
            )
        print()
    print(
        f"## MinHash bucket stage (14 buckets, 1 task), {mh['docs']} documents "
        f"({args.minhash_mb:g} MB of text in {args.minhash_files} files), signatures written "
        "to the bucket by stage 1\n"
    )
    headers = ["signature files", "signature MB read", "local s (median)", "S3 s (median)"]
    headers += ["S3 requests (all)", "GET .sig", "listings", "all per MB", "reads per MB"]
    print(
        table(
            headers,
            [
                [
                    str(mh["sig_files"]),
                    f"{mh['sig_mb']:.2f}",
                    f"{mh['local']:.2f}",
                    f"{mh['s3']:.2f}",
                    str(mh["requests"]),
                    str(mh["sig_gets"]),
                    str(mh["lists"]),
                    f"{mh['requests'] / mh['sig_mb']:.1f}",
                    f"{(mh['sig_gets'] + mh['lists']) / mh['sig_mb']:.2f}",
                ]
            ],
        )
    )
    print(f"\nrequests of the counted bucket stage by kind: {dict(sorted(mh['kinds'].items()))}")
    print(
        "all runs minhash buckets: "
        + ", ".join(f"{k}={[round(t, 2) for t in v]}" for k, v in mh["times"].items())
    )


if __name__ == "__main__":
    main()
