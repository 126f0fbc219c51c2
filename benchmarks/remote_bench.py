"""Remote storage overhead: the same pipeline reading from and writing to a local S3 server
(moto on 127.0.0.1, through s3fs, the client users use) vs local disk, and requests per MB.

Two pipelines, each run ``--runs`` times, remote and local interleaved (median wall seconds of
the whole ``fineweb-kit run`` command, 1 task, 1 worker):

* ``sample``: pipelines/sample.yaml (the FineWeb filters, Trafilatura) on its bundled WARCs;
* ``warc-to-jsonl``: WarcReader -> JsonlWriter on the two 7 MB crafted Common Crawl-style WARCs
  of ../shared/data/warc (I/O and parsing only: where storage overhead shows most).

A counting proxy in front of the server counts every S3 request of the remote runs; requests
per MB are per MB of input read. MinHash's intermediate files (the bucket stage's reads) stay on
a local or shared file system (the Rust core reads them directly), so no remote request count
exists for that stage: its input reads are local, buffered 1 MiB-plus by the core.

    python -m benchmarks.remote_bench --runs 3
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from benchmarks.common import machine, median, table, versions
from tests.s3_faults import faulty_proxy
from tests.s3_server import moto_s3, s3_env, s3fs_client

REPO = Path(__file__).resolve().parents[1]
SHARED = next(
    p / "shared" / "data" for p in (REPO.parent, REPO.parent.parent) if (p / "shared").is_dir()
)
CRAFTED = ["crafted-ccstyle-00000.warc.gz", "crafted-ccstyle-00001.warc.gz"]


def _copy_pipeline(path: Path) -> Path:
    config = {
        "name": "warc-to-jsonl",
        "executor": {"type": "local", "tasks": 1, "workers": 1},
        "stages": [
            {
                "name": "copy",
                "steps": [
                    {"type": "WarcReader", "paths": "x"},
                    {"type": "JsonlWriter", "output_folder": "output"},
                ],
            }
        ],
    }
    path.write_text(yaml.safe_dump(config))
    return path


def _run(pipeline: str, inputs: str, output: str, env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "fineweb_kit", "run", pipeline, "--input", inputs,
         "--output", output, "--tasks", "1", "--workers", "1", "--plain"],
        cwd=REPO, env=env, check=True, capture_output=True,
    )  # fmt: skip
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's access log
    tmp = Path(tempfile.mkdtemp(prefix="remote-bench-"))
    env = {**os.environ, "PYTHONPATH": str(REPO), "FWK_STAGING_DIR": str(tmp / "staging")}
    cases = {
        "sample": ("pipelines/sample.yaml", sorted((REPO / "pipelines/sample-data").glob("*.gz"))),
        "warc-to-jsonl": (
            str(_copy_pipeline(tmp / "copy.yaml")),
            [SHARED / "warc" / n for n in CRAFTED],
        ),
    }
    rows = []
    try:
        with moto_s3() as endpoint:
            fs = s3fs_client(endpoint)
            fs.mkdir("bench-in")
            fs.mkdir("bench-out")
            for name, (_, files) in cases.items():
                local_in = tmp / "in" / name
                local_in.mkdir(parents=True)
                for f in files:
                    shutil.copy(f, local_in / f.name)
                    fs.put_file(str(f), f"bench-in/{name}/{f.name}")
            log: list[str] = []
            with faulty_proxy(endpoint, lambda m, p, n: log.append(m)) as (url, _):
                counted_env = {**env, **s3_env(url)}
                remote_env = {**env, **s3_env(endpoint)}
                for name, (pipeline, files) in cases.items():
                    mb = sum(f.stat().st_size for f in files) / 1e6
                    times: dict[str, list[float]] = {"local": [], "s3": []}
                    local_in, remote_in = (
                        str(tmp / "in" / name / "*.gz"),
                        f"s3://bench-in/{name}/*.gz",
                    )
                    for i in range(args.runs):
                        out = str(tmp / "out" / f"{name}-{i}")
                        times["local"].append(_run(pipeline, local_in, out, env))
                        out = f"s3://bench-out/{name}-{i}"
                        times["s3"].append(_run(pipeline, remote_in, out, remote_env))
                    log.clear()  # one more run through the counting proxy (not timed)
                    _run(pipeline, remote_in, f"s3://bench-out/{name}-counted", counted_env)
                    reads = len(log)
                    local, remote = median(times["local"]), median(times["s3"])
                    rows.append((name, mb, local, remote, 100 * (remote / local - 1), reads, times))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("# remote storage benchmark (moto S3 on 127.0.0.1 vs local disk)")
    print(f"machine: {machine()}; versions: {versions('s3fs', 'moto', 'fsspec')}")
    print(f"runs: {args.runs}, local and S3 interleaved; load at start: {os.getloadavg()[0]:.1f}\n")
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


if __name__ == "__main__":
    main()
