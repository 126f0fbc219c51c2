"""The funnel of a run (documents and bytes in/out per step, drop reasons) and ``report.html``.

Built from ``stats.json`` only, so it works on any finished or partial run. Plots are PNG files
(matplotlib, Agg backend) beside ``report.html`` in ``OUTPUT/report/``, viewable offline.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from fineweb_kit.exceptions import InputError


def load_stats(output: str | Path) -> dict[str, Any]:
    path = Path(output) / "stats.json"
    if not path.is_file():
        raise InputError(f"{path}: no stats.json; is {output} the output folder of a run?")
    return json.loads(path.read_text())


def funnel_rows(stats: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per step: stage, step, docs/bytes in and out, and its drop reasons."""
    rows = []
    for stage in stats["stages"]:
        prev_docs, prev_bytes = None, None
        for step in stage["steps"]:
            c = step["counters"]
            docs_in = c.get("documents_in", prev_docs)
            bytes_in = c.get("documents_in_bytes", prev_bytes)
            docs_out = c.get("documents_out", docs_in)
            bytes_out = c.get("documents_out_bytes", bytes_in)
            drops = {
                k.removeprefix("dropped_"): v for k, v in c.items() if k.startswith("dropped_")
            }
            errors = {
                k: v for k, v in c.items() if k.startswith("errors_") or k.endswith("timeout")
            }
            rows.append(
                {
                    "stage": stage["name"],
                    "step": step["name"],
                    "docs_in": docs_in,
                    "docs_out": docs_out,
                    "bytes_in": bytes_in,
                    "bytes_out": bytes_out,
                    "drops": drops,
                    "errors": errors,
                    "time_s": step.get("time_s", 0.0),
                }
            )
            prev_docs, prev_bytes = docs_out, bytes_out
    return rows


def _fmt(n: Any) -> str:
    return "-" if n is None else f"{int(n):,}"


def format_funnel(stats: dict[str, Any]) -> str:
    """A plain-text table of the funnel."""
    lines = [f"pipeline {stats.get('pipeline')}"]
    header = (
        f"{'stage':<12} {'step':<26} {'docs in':>10} {'docs out':>10} {'kept':>7} {'MB out':>9}"
    )
    lines += [header, "-" * len(header)]
    for r in funnel_rows(stats):
        kept = f"{100 * r['docs_out'] / r['docs_in']:.1f}%" if r["docs_in"] else "-"
        mb = "-" if r["bytes_out"] is None else f"{r['bytes_out'] / 1e6:.2f}"
        lines.append(
            f"{r['stage']:<12} {r['step']:<26} {_fmt(r['docs_in']):>10} "
            f"{_fmt(r['docs_out']):>10} {kept:>7} {mb:>9}"
        )
        for reason, n in sorted(r["drops"].items(), key=lambda kv: -kv[1]):
            lines.append(f"{'':<12}   dropped {reason:<30} {_fmt(n):>10}")
        for name, n in sorted(r["errors"].items()):
            lines.append(f"{'':<12}   {name:<38} {_fmt(n):>10}")
    return "\n".join(lines)


def merged_hist(stats: dict[str, Any], name: str) -> dict[str, int]:
    """A named distribution summed over the steps that record it (last stage that has it)."""
    found: dict[str, int] = {}
    for stage in stats["stages"]:
        for step in stage["steps"]:
            if name in step.get("hists", {}):
                found = dict(step["hists"][name])
    return found


def write_report(output: str | Path) -> Path:
    """Writes ``OUTPUT/report/report.html`` and its PNG plots; returns the HTML path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stats = load_stats(output)
    folder = Path(output) / "report"
    folder.mkdir(parents=True, exist_ok=True)
    images = []
    rows = [r for r in funnel_rows(stats) if r["docs_out"] is not None]
    if rows:
        fig, ax = plt.subplots(figsize=(9, 0.45 * len(rows) + 1.5))
        labels = [f"{r['stage']}: {r['step']}" for r in rows]
        ax.barh(labels[::-1], [r["docs_out"] for r in rows][::-1], color="#4878a8")
        ax.set_xlabel("documents out")
        ax.set_title("removal funnel")
        images.append(_save(fig, folder / "funnel.png", plt))
    for name, title in _hist_names(stats):
        hist = merged_hist(stats, name)
        if not hist:
            continue
        keys = sorted(hist, key=_sort_key(name, hist))[:40]
        fig, ax = plt.subplots(figsize=(9, 4))
        ax.bar(range(len(keys)), [hist[k] for k in keys], color="#6a9f58")
        ax.set_xticks(range(len(keys)), keys, rotation=60, fontsize=8)
        ax.set_ylabel("documents")
        ax.set_title(title)
        images.append(_save(fig, folder / f"{name}.png", plt))
    page = _html(stats, images)
    path = folder / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


def _hist_names(stats: dict[str, Any]) -> list[tuple[str, str]]:
    names: list[str] = []
    for stage in stats["stages"]:
        for step in stage["steps"]:
            names += [n for n in step.get("hists", {}) if n not in names]
    titles = {
        "length_chars": "document length (characters, log2 bins, written documents)",
        "language": "language distribution",
    }
    return [(n, titles.get(n, n.replace("_", " "))) for n in names]


def _sort_key(name: str, hist: dict[str, int]):
    if name == "length_chars" or all(k.lstrip("-").replace(".", "").isdigit() for k in hist):
        return lambda k: float(k)
    return lambda k: -hist[k]


def _save(fig: Any, path: Path, plt: Any) -> str:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path.name


def _html(stats: dict[str, Any], images: list[str]) -> str:
    table = html.escape(format_funnel(stats))
    imgs = "\n".join(f'<p><img src="{html.escape(i)}" alt="{html.escape(i)}"></p>' for i in images)
    name = html.escape(str(stats.get("pipeline")))
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>fineweb-kit report: "
        f"{name}</title></head><body><h1>fineweb-kit report: {name}</h1>"
        f"<h2>Funnel</h2><pre>{table}</pre><h2>Plots</h2>{imgs}</body></html>\n"
    )
