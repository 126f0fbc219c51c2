"""Main-content quality: our MainContentExtractor vs trafilatura, rs-trafilatura, resiliparse.

All extractors run on the 885 pages of ``../shared/data/html`` in one run (decoded with the
WarcReader's charset rules, one thread, pages in file order). Quality: the
article-extraction-benchmark's bag-of-words F1 (precision, recall) against the 299 page-level
ground truths (``aeb-*.txt``, ``np4k-*.txt``, ``rdb-*.expected.html.gz`` with tags stripped),
per source and per language; for the 462 ``traf-*`` pages, the share of trafilatura's
must-contain / must-not-contain snippets that are right. Speed: extraction ms per page over
all 885 pages (each extractor's own call, no reader).

Pages are split by a hash of their name: a quarter is held out and never used for tuning;
both parts are reported. ``--worst N`` lists the tuning-part pages where we lost the most F1
against trafilatura (the development loop); ``--cache DIR`` keeps the peers' outputs so that
the loop reruns only ours (``--only ours``).

    python benchmarks/extract_quality.py [--worst 20] [--cache /tmp/xq] [--only ours]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.common import machine, table, versions  # noqa: E402

SHARED = next(
    (p / "shared" for p in (REPO.parent, REPO.parent.parent) if (p / "shared").is_dir()),
    REPO.parent / "shared",
)
HTML = SHARED / "data" / "html"
EXTRACTORS = ["ours", "trafilatura", "rs-trafilatura", "resiliparse"]
LABELS = {
    "ours": "fineweb-kit MainContentExtractor (precision)",
    "trafilatura": "trafilatura, FineWeb settings (Trafilatura step)",
    "rs-trafilatura": "rs-trafilatura (favor_precision)",
    "resiliparse": "resiliparse (ResiliparseExtractor step)",
}


def held_out(name: str) -> bool:
    """A quarter of the pages, fixed by their name, never looked at while tuning."""
    return int(hashlib.sha1(name.encode()).hexdigest(), 16) % 4 == 0


def load_pages() -> list[dict]:
    from fineweb_kit.warc.charset import decode_html

    rows = list(csv.DictReader(open(HTML / "MANIFEST.tsv", encoding="utf-8"), delimiter="\t"))
    snippets = {}
    for line in (HTML / "ground-truth" / "trafilatura-with-without.jsonl").open(encoding="utf-8"):
        item = json.loads(line)
        snippets[item["filename"]] = item
    pages = []
    for r in rows:
        name = r["filename"].removesuffix(".html.gz")
        truth = None
        gt = r["ground_truth"]
        if gt.endswith(".txt"):
            truth = (HTML / gt).read_text("utf-8")
        elif gt.endswith(".expected.html.gz"):
            truth = strip_tags(gzip.open(HTML / gt).read().decode("utf-8", "replace"))
        page = {
            "name": name,
            "source": name.split("-", 1)[0],
            "language": r["language"] or "?",
            "html": decode_html(gzip.open(HTML / r["filename"]).read())[0],
            "truth": truth,
            "snippets": snippets.get(r["filename"]),
            "held_out": held_out(name),
        }
        pages.append(page)
    return pages


def strip_tags(html: str) -> str:
    import html as h

    return h.unescape(re.sub(r"<[^>]+>", " ", html))


def bag_prf(pred: str, truth: str) -> tuple[float, float, float]:
    """Word-bag precision, recall, F1 (the article-extraction-benchmark's measure)."""
    p, t = Counter(re.findall(r"\w+", pred.lower())), Counter(re.findall(r"\w+", truth.lower()))
    common = sum((p & t).values())
    if not common:
        return 0.0, 0.0, 0.0
    precision, recall = common / sum(p.values()), common / sum(t.values())
    return precision, recall, 2 * precision * recall / (precision + recall)


def snippet_score(pred: str, item: dict) -> tuple[int, int]:
    """(right, total) over trafilatura's with / without snippets."""
    norm = " ".join(pred.split())
    right = sum(" ".join(s.split()) in norm for s in item["with"])
    right += sum(" ".join(s.split()) not in norm for s in item["without"])
    return right, len(item["with"]) + len(item["without"])


def extractor(name: str) -> Callable[[str], str]:
    if name == "ours":
        from fineweb_kit.extract import extract

        return lambda html: extract(html, timeout=0)
    if name == "trafilatura":
        from fineweb_kit.steps.extractors.trafilatura import Trafilatura

        return Trafilatura(timeout=0).extract
    if name == "rs-trafilatura":
        import rs_trafilatura

        return lambda html: rs_trafilatura.extract(html, favor_precision=True).main_content or ""
    if name == "resiliparse":
        from fineweb_kit.steps.extractors.resiliparse import ResiliparseExtractor

        return ResiliparseExtractor(timeout=0).extract
    raise ValueError(f"unknown extractor {name!r}; choose from {', '.join(EXTRACTORS)}")


def run(name: str, pages: list[dict]) -> dict:
    fn = extractor(name)
    fn("<html><body><p>warm up</p></body></html>")
    texts, total = [], 0.0
    for p in pages:
        t0 = time.perf_counter()
        texts.append(fn(p["html"]))
        total += time.perf_counter() - t0
    return {"texts": texts, "ms_per_page": 1000 * total / len(pages)}


def scores(pages: list[dict], texts: list[str]) -> list[tuple[float, float, float] | None]:
    out = []
    for p, t in zip(pages, texts, strict=True):
        out.append(bag_prf(t, p["truth"]) if p["truth"] is not None else None)
    return out


def mean(rows: list[tuple[float, float, float]]) -> str:
    if not rows:
        return "-"
    n = len(rows)
    p, r, f = (sum(x[i] for x in rows) / n for i in range(3))
    return f"{f:.3f} ({p:.3f}/{r:.3f})"


def report(pages: list[dict], results: dict[str, dict], worst: int) -> None:
    names = list(results)
    prf = {n: scores(pages, results[n]["texts"]) for n in names}
    gt = [i for i, p in enumerate(pages) if p["truth"] is not None]
    print(f"machine: {machine()}")
    print("versions: " + versions("trafilatura", "rs-trafilatura", "resiliparse"))
    print(
        f"pages: {len(pages)} (speed), {len(gt)} with page-level ground truth (F1), "
        f"{sum(pages[i]['held_out'] for i in gt)} of them held out of tuning\n"
    )
    print("F1 (precision/recall), mean over pages:\n")
    headers = ["extractor", "all", "tuning part", "held-out part", "ms/page", "vs trafilatura"]
    ref = results.get("trafilatura", {}).get("ms_per_page")
    rows = []
    for n in names:
        part = [(prf[n][i], pages[i]["held_out"]) for i in gt]
        ms = results[n]["ms_per_page"]
        rows.append(
            [
                LABELS[n],
                mean([s for s, _ in part]),
                mean([s for s, h in part if not h]),
                mean([s for s, h in part if h]),
                f"{ms:.2f}",
                f"{ref / ms:.1f}x" if ref else "-",
            ]
        )
    print(table(headers, rows) + "\n")
    groups: dict[str, list[int]] = defaultdict(list)
    for i in gt:
        groups[f"source {pages[i]['source']}"].append(i)
    langs = Counter(pages[i]["language"] for i in gt)
    for i in gt:
        lang = pages[i]["language"]
        groups[f"language {lang if langs[lang] >= 3 else 'other'}"].append(i)
    rows = [
        [g, len(idx)] + [mean([prf[n][i] for i in idx]) for n in names]
        for g, idx in sorted(groups.items())
    ]
    print("F1 (precision/recall) per group:\n")
    print(table(["group", "pages", *names], rows) + "\n")
    snip = [i for i, p in enumerate(pages) if p["snippets"]]
    rows = []
    for n in names:
        got = [snippet_score(results[n]["texts"][i], pages[i]["snippets"]) for i in snip]
        rows.append([LABELS[n], f"{sum(r for r, _ in got) / max(sum(t for _, t in got), 1):.3f}"])
    print(f"trafilatura's own snippets ({len(snip)} traf-* pages): share right\n")
    print(table(["extractor", "snippets right"], rows) + "\n")
    if worst and "ours" in results and "trafilatura" in results:
        loss = [
            (prf["trafilatura"][i][2] - prf["ours"][i][2], i)
            for i in gt
            if not pages[i]["held_out"]
        ]
        print(f"tuning-part pages where ours lost the most F1 against trafilatura (top {worst}):")
        for d, i in sorted(loss, reverse=True)[:worst]:
            o, t = prf["ours"][i], prf["trafilatura"][i]
            print(
                f"  {d:+.3f}  {pages[i]['name']}: ours F1 {o[2]:.3f} (P {o[0]:.2f} R {o[1]:.2f})"
                f", trafilatura {t[2]:.3f} (P {t[0]:.2f} R {t[1]:.2f})"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", default=EXTRACTORS, choices=EXTRACTORS)
    parser.add_argument("--cache", type=Path, help="reuse / store the peers' outputs here")
    parser.add_argument("--worst", type=int, default=0)
    parser.add_argument("--dump", type=Path, help="write our texts here (one .txt per page)")
    args = parser.parse_args()
    pages = load_pages()
    results = {}
    for name in EXTRACTORS:
        cached = args.cache / f"{name}.json" if args.cache else None
        if name in args.only or not (cached and cached.exists()):
            results[name] = run(name, pages)
            print(f"  {name}: {results[name]['ms_per_page']:.2f} ms/page", file=sys.stderr)
            if cached and name != "ours":
                cached.parent.mkdir(parents=True, exist_ok=True)
                tmp = cached.with_suffix(".tmp")
                tmp.write_text(json.dumps(results[name]))
                tmp.rename(cached)
        else:
            results[name] = json.loads(cached.read_text())
    if args.dump:
        args.dump.mkdir(parents=True, exist_ok=True)
        for p, t in zip(pages, results["ours"]["texts"], strict=True):
            (args.dump / f"{p['name']}.txt").write_text(t, "utf-8")
    report(pages, results, args.worst)


if __name__ == "__main__":
    main()
