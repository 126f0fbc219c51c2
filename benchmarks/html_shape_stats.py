"""Nesting depth and tag count of real pages: where the extractors' guards should be.

Measures, with the Rust scanner the guards use (``_core.html_shapes``), every page of
``../shared/data/html`` and every HTML response of ``../shared/data/warc``: percentiles of the
deepest nesting and of the number of start tags, the pages above the default limits, and the
scanner's speed. Then times Resiliparse and trafilatura (in-process, no timeout) on crafted
pages of unclosed ``<div>``s and of many tags, to show what the limits protect against.

Usage: ``python benchmarks/html_shape_stats.py [--out benchmarks/results/html_shape_stats.md]``
"""

from __future__ import annotations

import argparse
import gzip
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
# ../shared/data beside the checkout; a worktree under /work/wt/ finds it one level up
DATA = next(
    (p / "shared" / "data" for p in (REPO.parent, REPO.parent.parent) if (p / "shared").is_dir()),
    REPO.parent / "shared" / "data",
)
PERCENTILES = (50, 90, 99, 99.9, 100)


def html_pages() -> list[str]:
    from fineweb_kit.warc.charset import decode_html

    files = sorted((DATA / "html").glob("*.html.gz"))
    return [decode_html(gzip.open(f).read())[0] for f in files]


def warc_pages() -> list[str]:
    from fineweb_kit.steps.base import TaskContext
    from fineweb_kit.steps.readers.warc import WarcReader

    ctx = TaskContext(stage="stats")
    out = []
    for path in sorted((DATA / "warc").glob("*.warc.gz")):
        reader = WarcReader(paths=str(path))
        out.extend(d.text for d in reader.read_file(str(path), ctx))
    return out


def table(rows: dict[str, list[str]]) -> list[str]:
    from fineweb_kit.text.html_guard import html_shapes

    lines = [
        "| pages | n | depth p50 / p90 / p99 / p99.9 / max | tags p50 / p90 / p99 / p99.9 / max |",
        "|---|--:|---|---|",
    ]
    for name, pages in rows.items():
        depths, tags = (np.array(x) for x in html_shapes(pages))
        d = " / ".join(f"{np.percentile(depths, p):.0f}" for p in PERCENTILES)
        t = " / ".join(f"{np.percentile(tags, p):,.0f}" for p in PERCENTILES)
        lines.append(f"| {name} | {len(pages)} | {d} | {t} |")
    return lines


def timed(fn, *args) -> float:
    t0 = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0


def parser_costs() -> list[str]:
    import trafilatura
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree

    def resiliparse(html: str) -> None:
        extract_plain_text(HTMLTree.parse(html), main_content=True, preserve_formatting=True)

    def traf(html: str) -> None:
        trafilatura.extract(html, favor_precision=True, deduplicate=False)

    lines = ["| crafted page | chars | Resiliparse s | trafilatura s |", "|---|--:|--:|--:|"]
    for n in (500, 1000, 2000, 4000):
        page = "<html><body>" + "<div>" * n + "text " * 20 + "</body></html>"
        r, t = timed(resiliparse, page), timed(traf, page)
        lines.append(f"| {n:,} unclosed `<div>` | {len(page):,} | {r:.3f} | {t:.3f} |")
    for n in (25_000, 50_000, 100_000):
        page = "<html><body>" + "<span>x</span>" * n + "</body></html>"
        r, t = timed(resiliparse, page), timed(traf, page)
        lines.append(f"| {n:,} `<span>x</span>` | {len(page):,} | {r:.3f} | {t:.3f} |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks/results/html_shape_stats.md")
    args = ap.parse_args()
    from fineweb_kit.text.html_guard import (
        DEFAULT_MAX_DEPTH,
        DEFAULT_MAX_TAGS,
        html_shapes,
        oversized_shapes,
    )

    html, warc = html_pages(), warc_pages()
    every = html + warc
    lines = ["# Nesting depth and tag count of the shared real pages", ""]
    lines += table({"html/": html, "warc/ (HTML responses)": warc, "all": every})
    reasons = oversized_shapes(every, DEFAULT_MAX_DEPTH, DEFAULT_MAX_TAGS)
    mb = sum(len(p.encode()) for p in every) / 1e6
    scan = min(timed(html_shapes, every) for _ in range(3))
    lines += [
        "",
        f"Defaults: `max_tag_depth` {DEFAULT_MAX_DEPTH:,}, `max_tags` {DEFAULT_MAX_TAGS:,}: "
        f"{sum(r is not None for r in reasons)} of {len(every)} real pages dropped.",
        f"Scanner: {mb:.1f} MB in {scan:.3f} s ({mb / scan:,.0f} MB/s, all threads).",
        "",
        "Parser time on crafted pages (one call each, in-process, this machine under load):",
        "",
        *parser_costs(),
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(args.out)


if __name__ == "__main__":
    main()
