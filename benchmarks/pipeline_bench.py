"""FineWeb-like filtering pipeline: fineweb-kit vs datatrove, same WARC input, one worker each.

Both run WarcReader -> URLFilter -> extractor -> LanguageFilter(en) -> GopherRepetition ->
GopherQuality -> C4Quality -> FineWebQuality -> JsonlWriter (datatrove's examples/fineweb.py
order). Prints docs/s per core, the ratio, and each step's share of the time, median of --runs.

    .venv/bin/python -m benchmarks.pipeline_bench [--runs 3] [--extractor all] [--html-only]
        [--no-datatrove] [--in-process]

Besides wall time it reports, per extractor, the extractor step's own time per page (from
``stats.json``) and the downstream effect: documents kept by the FineWeb filters and the GPT-2
token count of their text (``../shared/data/tokenizer-ref/r50k_base.tiktoken``).
``--html-only``: only the 885 pages of ``html/`` (the extraction speed claim of the README).

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
SHARED = next(
    (p / "shared" / "data" for p in (REPO.parent, REPO.parent.parent) if (p / "shared").is_dir()),
    REPO.parent / "shared" / "data",
)
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


def prepare_inputs(folder: Path, html_only: bool = False) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for name in [] if html_only else WARCS:
        shutil.copyfile(SHARED / "warc" / name, folder / name)
        files.append(folder / name)
    from fineweb_kit.tools.html_to_warc import pages, write_warc

    with open(folder / "html-pages.warc.gz", "wb") as f:
        write_warc(pages(SHARED / "html"), f, "html-pages.warc.gz")
    files.append(folder / "html-pages.warc.gz")
    return files


def ours(
    inputs: Path, out: Path, extractor: str, isolation: str | None = None
) -> tuple[float, int, int, dict[str, float]]:
    from fineweb_kit.executors.local import run_local
    from fineweb_kit.executors.plan import RunPlan
    from fineweb_kit.pipeline import parse_pipeline

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
    if isolation is not None:
        steps[2]["isolation"] = isolation
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


def extractor_ms_per_page(out: Path, extractor: str) -> float:
    """The extractor step's own time per input page, from the run's stats.json."""
    steps = json.loads((out / "stats.json").read_text())["stages"][0]["steps"]
    step = next(s for s in steps if s["name"] == extractor)
    return 1000 * step["time_s"] / max(step["counters"].get("documents_in", 0), 1)


def kept_tokens(out: Path) -> int:
    """GPT-2 tokens of the documents the pipeline kept (its JsonlWriter output)."""
    import gzip

    from fineweb_kit.tokenizer import Tokenizer

    tok = Tokenizer.from_tiktoken(SHARED / "tokenizer-ref" / "r50k_base.tiktoken", "gpt2")
    n = 0
    for path in sorted((out / "output").rglob("*.jsonl*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as f:
            texts = [json.loads(line)["text"] for line in f if line.strip()]
        n += sum(len(ids) for ids in tok.encode_batch(texts))
    return n


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
    ap.add_argument(
        "--extractor",
        choices=["trafilatura", "resiliparse", "main-content", "both", "all"],
        default="all",
    )
    ap.add_argument("--html-only", action="store_true", help="only the 885 html/ pages")
    ap.add_argument("--no-datatrove", action="store_true", help="our extractors only")
    ap.add_argument(
        "--in-process",
        action="store_true",
        help="also run Trafilatura / Resiliparse with isolation: none (extraction in the worker, "
        "no child process), to show what the child process costs or saves in a pipeline",
    )
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="fwk-bench-"))
    inputs = tmp / "in"
    prepare_inputs(inputs, args.html_only)
    print(
        f"# pipeline benchmark\nmachine: {machine()}\n"
        f"versions: {versions('fineweb-kit', 'datatrove', 'trafilatura', 'resiliparse')}\n"
    )
    kinds = {
        "both": ["trafilatura", "resiliparse"],
        "all": ["trafilatura", "resiliparse", "main-content"],
    }.get(args.extractor, [args.extractor])
    if args.in_process:
        kinds += [f"{k}-none" for k in kinds if k != "main-content"]
    steps = {
        "trafilatura": "Trafilatura",
        "resiliparse": "ResiliparseExtractor",
        "main-content": "MainContentExtractor",
    }
    steps |= {f"{k}-none": v for k, v in steps.items()}
    times: dict[str, list[float]] = {"datatrove": [], **{k: [] for k in kinds}}
    step_ms: dict[str, list[float]] = {k: [] for k in kinds}
    results: dict[str, tuple[int, int, dict[str, float], int]] = {}
    dt_shares: dict = {}
    n_in = n_out = 0
    for i in range(args.runs):  # interleaved, so load changes hit every system alike
        if not args.no_datatrove:
            w, n_in, n_out, dt_shares = datatrove(inputs, tmp / f"dt{i}")
            times["datatrove"].append(w)
        for kind in kinds:
            out = tmp / f"fwk-{kind}{i}"
            isolation = "none" if kind.endswith("-none") else None
            w, m_in, m_out, shares = ours(inputs, out, steps[kind], isolation)
            times[kind].append(w)
            step_ms[kind].append(extractor_ms_per_page(out, steps[kind]))
            results[kind] = (m_in, m_out, shares, kept_tokens(out))
    dt = median(times["datatrove"]) if times["datatrove"] else float("nan")
    rows = [["datatrove (Trafilatura)", f"{dt:.1f}", f"{n_in / dt:.1f}", n_out, "-", "-", "1.0x"]]
    if args.no_datatrove:
        rows = []
    traf_ms = median(step_ms["trafilatura"]) if "trafilatura" in step_ms else float("nan")
    for kind in kinds:
        m_in, m_out, shares, tokens = results[kind]
        t = median(times[kind])
        ms = median(step_ms[kind])
        label = steps[kind] + (", isolation: none" if kind.endswith("-none") else "")
        rows.append(
            [
                f"fineweb-kit ({label})",
                f"{t:.1f}",
                f"{m_in / t:.1f}",
                m_out,
                f"{tokens:,}",
                f"{ms:.2f} ({traf_ms / ms:.1f}x)",
                f"{dt / t:.2f}x",
            ]
        )
        total = sum(shares.values()) or 1
        print(
            f"fineweb-kit ({label}) time shares: "
            + ", ".join(f"{k} {100 * v / total:.0f}%" for k, v in shares.items())
        )
    total = sum(dt_shares.values()) or 1
    print(
        "datatrove time shares: "
        + ", ".join(f"{k} {100 * v / total:.0f}%" for k, v in dt_shares.items())
        + "\n"
    )
    print(f"all runs (s): {json.dumps({k: [round(x, 1) for x in v] for k, v in times.items()})}")
    print(f"extractor step ms/page, all runs: {json.dumps(step_ms)}")
    headers = ["pipeline (1 worker)", "wall s (median)", "docs/s", "docs kept", "GPT-2 tokens kept"]
    headers += ["extractor step ms/page (vs Trafilatura step)", "speed-up vs datatrove"]
    print(table(headers, rows))
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
