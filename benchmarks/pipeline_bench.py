"""FineWeb-like filtering pipeline: fineweb-kit vs datatrove, same WARC input, one worker each.

Both run WarcReader -> URLFilter -> extractor -> LanguageFilter(en) -> GopherRepetition ->
GopherQuality -> C4Quality -> FineWebQuality -> JsonlWriter (datatrove's examples/fineweb.py
order). Prints docs/s per core, the ratio, and each step's share of the time, median of --runs.

    .venv/bin/python -m benchmarks.pipeline_bench [--runs 3] [--extractor both]

Input: the real WARC files of ../shared/data/warc plus the pages of ../shared/data/html wrapped
into one WARC (fineweb_kit.tools.html_to_warc). datatrove's Trafilatura has a 1 s timeout, so its
output depends on machine load; extraction parity is tested elsewhere.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import machine, median, table, versions

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
WARCS = [
    "cc-main-2020-34-excerpt.warc.gz",
    "crafted-ccstyle-00000.warc.gz",
    "crafted-ccstyle-00001.warc.gz",
    "dolma-wget-sample-0000.warc.gz",
    "dolma-wget-sample-0001.warc.gz",
]
FILTERS = [
    "GopherRepetitionFilter",
    "GopherQualityFilter",
    "C4QualityFilter",
    "FineWebQualityFilter",
]


def prepare_inputs(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for name in WARCS:
        shutil.copyfile(SHARED / "warc" / name, folder / name)
        files.append(folder / name)
    from fineweb_kit.tools.html_to_warc import pages, write_warc

    with open(folder / "html-pages.warc.gz", "wb") as f:
        write_warc(pages(SHARED / "html"), f, "html-pages.warc.gz")
    files.append(folder / "html-pages.warc.gz")
    return files


def ours(inputs: Path, out: Path, extractor: str) -> tuple[float, int, int, dict[str, float]]:
    from fineweb_kit.config import parse_pipeline
    from fineweb_kit.executors.local import run_local
    from fineweb_kit.executors.plan import RunPlan

    steps = [
        {"type": "WarcReader", "paths": str(inputs / "*.warc.gz")},
        {"type": "URLFilter"},
        {"type": extractor},
        {"type": "LanguageFilter", "languages": ["en"]},
        *({"type": f} for f in FILTERS),
        {"type": "JsonlWriter", "output_folder": "output"},
    ]
    if extractor == "Trafilatura":
        steps[2]["timeout"] = 1.0
    raw = {
        "name": "bench",
        "output": str(out),
        "executor": {"tasks": 1, "workers": 1},
        "stages": [{"name": "filter", "steps": steps}],
    }
    plan = RunPlan(raw, parse_pipeline(raw, "bench"), out, raw["executor"])
    t0 = time.perf_counter()
    if run_local(plan, plain=True) != 0:
        raise RuntimeError("fineweb-kit run failed")
    wall = time.perf_counter() - t0
    stats = json.loads((out / "stats.json").read_text())["stages"][0]["steps"]
    shares = {s["name"]: s["time_s"] for s in stats}
    return (
        wall,
        stats[0]["counters"]["documents_out"],
        stats[-1]["counters"]["documents_out"],
        shares,
    )


def datatrove(inputs: Path, out: Path) -> tuple[float, int, int, dict]:
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline import filters as F
    from datatrove.pipeline.extractors import Trafilatura
    from datatrove.pipeline.readers import WarcReader
    from datatrove.pipeline.writers import JsonlWriter
    from datatrove.utils.lid import FT176LID

    FT176LID.MODEL_URL = str(_lid_model())
    steps = [
        WarcReader(str(inputs), glob_pattern="*.warc.gz"),
        F.URLFilter(),
        Trafilatura(favour_precision=True, timeout=1.0),
    ]
    steps += [
        F.LanguageFilter(languages=["en"]),
        F.GopherRepetitionFilter(),
        F.GopherQualityFilter(),
        F.C4QualityFilter(filter_no_terminal_punct=False),
        F.FineWebQualityFilter(),
        JsonlWriter(str(out / "output")),
    ]
    ex = LocalPipelineExecutor(steps, tasks=1, workers=1, logging_dir=str(out / "logs"))
    t0 = time.perf_counter()
    ex.run()
    wall = time.perf_counter() - t0
    stats = json.loads((out / "logs" / "stats.json").read_text())
    shares = {s["name"]: _total(s.get("time_stats", 0)) for s in stats}
    docs_in = stats[0]["stats"]["documents"]["total"]
    last_filter = stats[-2]["stats"]
    docs_out = last_filter.get("forwarded", 0)
    return wall, docs_in, docs_out, shares


def _total(stat: dict | float) -> float:
    return stat["total"] if isinstance(stat, dict) else float(stat)


def _lid_model() -> Path:
    from fineweb_kit.steps.filters.language import default_model_path

    return default_model_path()  # the lid176 asset (fineweb-kit assets fetch)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--extractor", choices=["trafilatura", "resiliparse", "both"], default="both")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="fwk-bench-"))
    inputs = tmp / "in"
    prepare_inputs(inputs)
    print(
        f"# pipeline benchmark\nmachine: {machine()}\n"
        f"versions: {versions('fineweb-kit', 'datatrove', 'trafilatura', 'resiliparse')}\n"
    )
    kinds = ["trafilatura", "resiliparse"] if args.extractor == "both" else [args.extractor]
    steps = {"trafilatura": "Trafilatura", "resiliparse": "ResiliparseExtractor"}
    times: dict[str, list[float]] = {"datatrove": [], **{k: [] for k in kinds}}
    results: dict[str, tuple[int, int, dict[str, float]]] = {}
    for i in range(args.runs):  # interleaved, so load changes hit every system alike
        w, n_in, n_out, dt_shares = datatrove(inputs, tmp / f"dt{i}")
        times["datatrove"].append(w)
        for kind in kinds:
            w, m_in, m_out, shares = ours(inputs, tmp / f"fwk-{kind}{i}", steps[kind])
            times[kind].append(w)
            results[kind] = (m_in, m_out, shares)
    dt = median(times["datatrove"])
    rows = [["datatrove (Trafilatura)", f"{dt:.1f}", f"{n_in / dt:.1f}", n_out, "1.0x"]]
    for kind in kinds:
        m_in, m_out, shares = results[kind]
        t = median(times[kind])
        rows.append(
            [f"fineweb-kit ({steps[kind]})", f"{t:.1f}", f"{m_in / t:.1f}", m_out, f"{dt / t:.2f}x"]
        )
        total = sum(shares.values()) or 1
        print(
            f"fineweb-kit ({steps[kind]}) time shares: "
            + ", ".join(f"{k} {100 * v / total:.0f}%" for k, v in shares.items())
        )
    total = sum(dt_shares.values()) or 1
    print(
        "datatrove time shares: "
        + ", ".join(f"{k} {100 * v / total:.0f}%" for k, v in dt_shares.items())
        + "\n"
    )
    print(f"all runs (s): {json.dumps({k: [round(x, 1) for x in v] for k, v in times.items()})}")
    print(
        table(["pipeline (1 worker)", "wall s (median)", "docs/s", "docs kept", "speed-up"], rows)
    )
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
