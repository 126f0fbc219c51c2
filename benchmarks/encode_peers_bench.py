"""Fastest exact encoders, side by side: fineweb-kit vs tiktoken, fastokens, gigatoken,
toktok-rs, quicktok-v1, bpe-openai, HF tokenizers (those installed), one thread, same
documents. The encode part of `fineweb-kit tokenizer bench` (benchmarks/tokenizer_harness.py).

Cells (MB/s, median of ``--runs``; every run starts a fresh pinned process per encoder and
cell, encoders interleaved in a new random order each run):
- per-doc, first sight: a fresh process encodes each document once (one call per document);
- flat array, first sight: a fresh process encodes all documents in one call returning
  one id array + offsets (peers without such a call: "-");
- per-doc, warm: the same documents again after one warm-up pass (median of 3 passes).
Corpora: man pages rendered to text, cut into 4 kB documents, and the shared multilingual
documentation (Debian handbook and GNOME help translations), cut into 16 kB documents (or,
with ``--corpora files --files GLOB``, any text files, 4 kB documents).
Rows: ``fineweb-kit`` returns Python lists per document (as tiktoken, fastokens, toktok-rs,
quicktok, bpe-openai, HF tokenizers do); ``fineweb-kit array`` returns a numpy array per
document (as gigatoken does); the flat cell returns one array + offsets for every encoder.
Exactness gate first: every encoder's ids for every document are compared with tiktoken's; a
peer that differs is flagged in the table, not hidden.

    RAYON_NUM_THREADS=1 FASTOKENS_BPE_THREADS=1 taskset -c 0 \\
        .venv/bin/python benchmarks/encode_peers_bench.py --runs 5
"""

from __future__ import annotations

import argparse
import glob
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
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# The shared data folder beside the checkout (or beside the worktrees' parent).
DATA = next(
    (p / "shared" / "data" for p in ROOT.parents if (p / "shared" / "data").is_dir()),
    ROOT.parent / "shared" / "data",
)
# The rank files (FINEWEB_KIT_TOKENIZER_REF: another folder, passed on to the workers).
REF = Path(os.environ.get("FINEWEB_KIT_TOKENIZER_REF", DATA / "tokenizer-ref"))
TEXT = REF.parent / "text"
MULTI_FILES = (
    "multi-docs-debian-handbook-1.txt.gz",
    "multi-docs-debian-handbook-2.txt.gz",
    "multi-docs-gnome-help.txt.gz",
)
VOCABS = ("cl100k_base", "o200k_base")
CALLS = ("per-doc, first sight", "flat array, first sight", "per-doc, warm")
# Order of the table's columns; pip package name of each encoder.
ENCODERS = {
    "tiktoken": "tiktoken",
    "fineweb-kit": None,
    "fineweb-kit array": None,
    "fastokens": "fastokens",
    "gigatoken": "gigatoken",
    "toktok-rs": "toktok-rs",
    "quicktok": "quicktok-v1",
    "bpe-openai": "bpe-openai",
    "hf-tokenizers": "tokenizers",
}
OURS = ("fineweb-kit", "fineweb-kit array", "fineweb-kit before")
# FINEWEB_KIT_BENCH_BEFORE=<another checkout with its extension built>: an extra row,
# "fineweb-kit before", that checkout's fineweb-kit measured in the same run (before/after of
# a change on the same machine and load); it is not part of the exactness gate.
BEFORE = os.environ.get("FINEWEB_KIT_BENCH_BEFORE")
if BEFORE:
    ENCODERS["fineweb-kit before"] = None
# A few unrelated bytes encoded before timing, so lazy set-up is not timed.
WARM_UP = "Warm-up: 12 x (naïve) set-up, not timed.\n"
ONE_THREAD = {"RAYON_NUM_THREADS": "1", "FASTOKENS_BPE_THREADS": "1", "OMP_NUM_THREADS": "1"}


def installed(pkg: str | None) -> str | None:
    """Version of an installed distribution (``None``: not installed; ``"local"``: ours)."""
    if pkg is None:
        return "local"
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return None


def cut_docs(text: str, size: int) -> list[str]:
    """Documents of about ``size`` bytes, cut at line ends."""
    docs, cur, n = [], [], 0
    for line in text.splitlines(keepends=True):
        cur.append(line)
        n += len(line.encode())
        if n >= size:
            docs.append("".join(cur))
            cur, n = [], 0
    if cur:
        docs.append("".join(cur))
    return docs


def man_pages_text(cache: Path, mb: float) -> str:
    """English man pages (sections 1 and 8) rendered by ``man`` to plain text, cached."""
    path = cache / f"man-pages-{mb:g}MB.txt"
    if path.exists():
        return path.read_text()
    pages = sorted(
        p for sec in ("man1", "man8") for p in (Path("/usr/share/man") / sec).glob("*.gz")
    )
    if not pages:
        raise SystemExit("no man pages under /usr/share/man: apt-get install -y man-db manpages")
    random.Random(0).shuffle(pages)
    env = {**os.environ, "MANWIDTH": "80", "LC_ALL": "C.UTF-8"}
    out, size = [], 0
    for p in pages:
        r = subprocess.run(["man", "-l", str(p)], capture_output=True, env=env, check=False)
        txt = subprocess.run(["col", "-b"], input=r.stdout, capture_output=True, check=False)
        s = txt.stdout.decode("utf-8", "replace")
        out.append(s)
        size += len(s.encode())
        if size >= mb * 1e6:
            break
    text = "".join(out)
    cache.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.rename(path)
    return text


def multilingual_text(mb: float) -> str:
    """The first ``mb`` MB of each multilingual documentation file, interleaved by file."""
    parts = []
    for f in MULTI_FILES:
        raw = gzip.decompress((TEXT / f).read_bytes()).decode()
        parts.append(raw[: int(mb * 1e6 / len(MULTI_FILES))])
    return "\n".join(parts)


def files_text(pattern: str, mb: float) -> str:
    """The first ``mb`` MB of the text files (gzip or plain) matching ``pattern``."""
    out, size = [], 0
    for f in sorted(glob.glob(pattern)):
        raw = Path(f).read_bytes()
        text = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode()
        out.append(text[: max(0, int(mb * 1e6) - size)])
        size += len(out[-1])
        if size >= mb * 1e6:
            break
    if not out:
        raise SystemExit(f"no file matches {pattern!r}")
    return "".join(out)


CORPORA = ("man", "multi", "files")


def corpora(
    cache: Path, mb: float, which: tuple[str, ...] = ("man", "multi"), files: str = ""
) -> dict[str, list[str]]:
    """Corpus name -> documents: ``man`` (man pages, 4 kB docs), ``multi`` (the shared
    multilingual documentation, 16 kB docs), ``files`` (the files of ``files``, 4 kB docs)."""
    out = {}
    if "man" in which:
        out["man pages, 4 kB docs"] = cut_docs(man_pages_text(cache, mb), 4096)
    if "multi" in which:
        out["shared multilingual text, 16 kB docs"] = cut_docs(multilingual_text(mb), 16384)
    if "files" in which:
        out[f"{Path(files).name}, 4 kB docs"] = cut_docs(files_text(files, mb), 4096)
    return out


# ------------------------------------------------------------------ encoders
def _tiktoken(vocab: str):
    import tiktoken
    from tiktoken.load import load_tiktoken_bpe

    spec = {e["name"]: e for e in json.loads((REF / "encodings.json").read_text())["encodings"]}
    s = spec[vocab]
    return tiktoken.Encoding(
        name=vocab,
        pat_str=s["pat_str"],
        mergeable_ranks=load_tiktoken_bpe(str(REF / f"{vocab}.tiktoken")),
        special_tokens=s["special_tokens"],
    )


def load(name: str, vocab: str) -> tuple[Callable, Callable | None]:
    """(per-doc call: one text -> ids, flat call: texts -> (ids, offsets) or None)."""
    rank_file = str(REF / f"{vocab}.tiktoken")
    if name in OURS:
        from fineweb_kit.tokenizer import Tokenizer

        t = Tokenizer.from_tiktoken(rank_file, vocab)
        flat = lambda d: t.encode_flat(d, num_threads=1)  # noqa: E731
        if name == "fineweb-kit array":
            return (lambda d: t.encode_to_numpy(d, num_threads=1)), None
        return t.encode_ordinary, flat
    if name == "tiktoken":
        tk = _tiktoken(vocab)
        return tk.encode_ordinary, None
    if name == "fastokens":
        import fastokens

        f = fastokens.Tokenizer.from_tiktoken(rank_file, encoding=vocab, special_tokens={})
        return (lambda t: f.encode_ordinary(t).ids), f.encode_batch_flat
    if name == "gigatoken":
        import gigatoken

        g = gigatoken.Tokenizer.from_tiktoken(
            rank_file, pretokenizer=vocab.split("_")[0], special_tokens={}
        )
        return g.encode, lambda d: g.encode_batch(d, parallel=False)
    if name == "toktok-rs":
        import toktok

        k = toktok._encoding(vocab)
        return k.encode_ordinary, lambda d: k.encode_batch_to_numpy(d, threads=1)
    if name == "quicktok":
        import quicktok

        q = quicktok.get_encoding(vocab)
        return q.encode_ordinary, lambda d: q.encode_batch(d, threads=1)
    if name == "bpe-openai":
        from bpe_openai import _bindings

        b = _bindings.tokenizer_for_encoding(vocab)
        return b.encode, None
    if name == "hf-tokenizers":
        from tokenizers import Tokenizer as HfTokenizer

        from fineweb_kit.tokenizer import Tokenizer

        # Our vocabulary written as a tokenizer.json (the exactness gate checks HF's ids).
        path = Path(os.environ.get("TMPDIR", "/tmp")) / f"fineweb-kit-bench-{vocab}-hf.json"
        if not path.exists():
            Tokenizer.from_tiktoken(rank_file, vocab).to_hf(path)
        hf = HfTokenizer.from_file(str(path))
        return (lambda t: hf.encode(t, add_special_tokens=False).ids), None
    raise ValueError(name)


def _as_lists(name: str, per_doc: Callable, flat: Callable | None, docs: list[str]):
    import numpy as np

    yield "per-doc", [list(map(int, per_doc(d))) for d in docs]
    if flat is None:
        return
    r = flat(docs)
    if name == "fastokens":
        ids, off = np.frombuffer(r[0], np.uint32), np.frombuffer(r[1], np.uint64)
    elif name == "gigatoken":
        import awkward as ak

        return_lists = ak.to_list(r)
        yield "flat", [list(x) for x in return_lists]
        return
    else:
        ids, off = r
    yield "flat", [ids[off[i] : off[i + 1]].tolist() for i in range(len(docs))]


def worker(name: str, vocab: str, corpus_file: str, call: str) -> None:
    """One measurement in this (fresh) process: prints MB/s."""
    docs = json.loads(Path(corpus_file).read_text())
    mb = sum(len(d.encode()) for d in docs) / 1e6
    if name == "fineweb-kit before" and BEFORE:
        sys.path.insert(0, BEFORE)
        name = "fineweb-kit"
    per_doc, flat = load(name, vocab)
    # One-time set-up (thread pools, lazy tables, imports) is not part of "first sight".
    per_doc(WARM_UP)
    if flat is not None:
        flat([WARM_UP, WARM_UP[:7]])
    if call.startswith("flat"):
        if flat is None:
            print("null")
            return
        t0 = time.process_time()
        flat(docs)
        print(mb / (time.process_time() - t0))
        return
    t0 = time.process_time()
    for d in docs:
        per_doc(d)
    first = time.process_time() - t0
    if call.endswith("first sight"):
        print(mb / first)
        return
    times = []
    for _ in range(3):
        t0 = time.process_time()
        for d in docs:
            per_doc(d)
        times.append(time.process_time() - t0)
    print(mb / statistics.median(times))


def exactness(
    names: list[str], cdocs: dict[str, list[str]], vocabs: list[str]
) -> dict[str, list[str]]:
    """name -> list of failures (vocab, corpus, call, first differing document)."""
    bad: dict[str, list[str]] = {n: [] for n in names}
    for vocab in vocabs:
        ref = _tiktoken(vocab)
        for cname, docs in cdocs.items():
            want = [ref.encode_ordinary(d) for d in docs]
            for n in names:
                if n == "fineweb-kit before":
                    continue
                per_doc, flat = load(n, vocab)
                for call, got in _as_lists(n, per_doc, flat, docs):
                    diff = next(
                        (i for i, (a, b) in enumerate(zip(got, want, strict=False)) if a != b), None
                    )
                    if diff is not None or len(got) != len(want):
                        bad[n].append(f"{vocab} {cname} {call}: doc {diff}")
    return bad


def add_arguments(ap: argparse.ArgumentParser, runs: int = 5, mb: float = 2.0) -> None:
    """The options of the side-by-side table (shared with benchmarks/tokenizer_harness.py)."""
    ap.add_argument("--runs", type=int, default=runs, help="runs per cell (median)")
    ap.add_argument("--mb", "--encode-mb", type=float, default=mb, help="MB of text per corpus")
    ap.add_argument("--corpora", default="man,multi", help=f"comma-separated, of {CORPORA}")
    ap.add_argument("--files", default="", help="glob of text files for --corpora files")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/fineweb-kit-encode-bench"))
    ap.add_argument("--cpu", default="0", help="CPU to pin each measurement to (taskset)")
    ap.add_argument(
        "--only", nargs="*", help=f"encoders to run (default: all installed of {list(ENCODERS)})"
    )
    ap.add_argument("--vocabs", nargs="*", default=list(VOCABS))
    ap.add_argument("--skip-exactness", action="store_true")
    ap.add_argument("--json", type=Path, help="also write the raw results here")
    ap.add_argument("--chart", type=Path, help="PNG chart of the table")


def side_by_side(a: argparse.Namespace) -> tuple[str, dict[str, list[float]]]:
    """Runs the table (exactness gate, then every cell in fresh pinned processes, encoders in
    a new random order each run); returns it as text and the raw MB/s per cell (keys
    ``vocab|corpus|call|encoder``); writes the chart ``a.chart`` if given."""
    names = [n for n, pkg in ENCODERS.items() if installed(pkg) and (not a.only or n in a.only)]
    which = tuple(c.strip() for c in a.corpora.split(",") if c.strip())
    if set(which) - set(CORPORA):
        raise SystemExit(f"--corpora: unknown {sorted(set(which) - set(CORPORA))}; of {CORPORA}")
    cdocs = corpora(a.cache, a.mb, which, a.files)
    files = {}
    a.cache.mkdir(parents=True, exist_ok=True)
    for k, (cname, docs) in enumerate(cdocs.items()):
        # The corpus with its documents, for the worker processes (one file per corpus).
        f = a.cache / f"corpus-{k}-{a.mb:g}MB.json"
        f.write_text(json.dumps(docs))
        files[cname] = str(f)
    bad = {n: [] for n in names} if a.skip_exactness else exactness(names, cdocs, a.vocabs)
    env = {**os.environ, **ONE_THREAD, "PYTHONPATH": str(ROOT)}
    pin = ["taskset", "-c", a.cpu] if a.cpu and shutil.which("taskset") else []
    cells = [(v, c, call) for v in a.vocabs for c in cdocs for call in CALLS]
    res: dict[tuple, list[float]] = {}
    rng = random.Random(1)
    for run in range(a.runs):
        for v, c, call in cells:
            order = names[:]
            rng.shuffle(order)
            for n in order:
                cmd = [*pin, sys.executable, __file__, "--worker", n, v, files[c], call]
                out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
                if out.returncode != 0:
                    raise SystemExit(f"{n} {v} {c} {call} failed:\n{out.stderr}")
                val = json.loads(out.stdout.strip().splitlines()[-1])
                if val is not None:
                    res.setdefault((v, c, call, n), []).append(val)
        print(f"run {run + 1}/{a.runs} done", file=sys.stderr)
    if a.chart:
        save_chart(a.chart, names, cells, res, bad)
    return report(a, names, cdocs, cells, res, bad), {"|".join(k): v for k, v in res.items()}


def save_chart(path: Path, names: list[str], cells: list[tuple], res: dict, bad: dict) -> None:
    """One panel per vocabulary: median MB/s per cell (corpus, call), a bar per encoder; a
    peer that is not exact is hatched and marked in the legend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    vocabs = list(dict.fromkeys(c[0] for c in cells))
    fig, axes = plt.subplots(len(vocabs), 1, figsize=(12, 4.2 * len(vocabs)), squeeze=False)
    width = 0.85 / max(1, len(names))
    for ax, v in zip(axes[:, 0], vocabs, strict=True):
        mine = [c for c in cells if c[0] == v]
        for k, n in enumerate(names):
            ys = [statistics.median(res.get((*c, n), [0.0])) for c in mine]
            label = n + (" (NOT EXACT)" if bad.get(n) else "")
            ax.bar(
                [i + k * width for i in range(len(mine))],
                ys,
                width,
                label=label,
                hatch="//" if bad.get(n) else None,
            )
        ax.set_xticks(
            [i + width * (len(names) - 1) / 2 for i in range(len(mine))],
            [f"{c[1].split(',')[0]}\n{c[2]}" for c in mine],
            fontsize=8,
        )
        ax.set_ylabel("MB/s (one thread)")
        ax.set_title(f"{v}: encode speed, median of runs")
        ax.legend(fontsize=7, ncol=3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(ap)
    ap.add_argument(
        "--scaling",
        action="store_true",
        help="instead: fineweb-kit's encode_flat / encode_batch, 2 threads vs 1 (wall time)",
    )
    ap.add_argument(
        "--cache-cost",
        action="store_true",
        help="instead: fineweb-kit first-sight speed by piece-cache cap (0 = no cache)",
    )
    ap.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker:
        worker(*a.worker)
        return 0
    if a.scaling or a.cache_cost:
        which = tuple(c.strip() for c in a.corpora.split(",") if c.strip())
        cdocs = corpora(a.cache, a.mb, which, a.files)
        print(scaling(a, cdocs) if a.scaling else cache_cost(a, cdocs))
        return 0
    table, raw = side_by_side(a)
    print(table)
    if a.json:
        a.json.write_text(json.dumps(raw, indent=1))
    return 0


def scaling(a, cdocs: dict[str, list[str]]) -> str:
    """Two threads / one thread for our batch calls, wall time, median of ``a.runs`` (the
    corpus repeated 4 times so each call runs long enough to split)."""
    from fineweb_kit.tokenizer import Tokenizer

    lines = [
        f"two threads / one thread (wall time, median of {a.runs}, corpus x4, load "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)",
        "",
        "| vocab | corpus | call | 1 thread MB/s | 2 threads MB/s | speed-up |",
        "|---|---|---|---|---|---|",
    ]
    for v in a.vocabs:
        tok = Tokenizer.from_tiktoken(REF / f"{v}.tiktoken", v)
        for c, docs in cdocs.items():
            docs = docs * 4
            mb = sum(len(d.encode()) for d in docs) / 1e6
            calls = {
                "encode_flat": lambda n, d=docs, t=tok: t.encode_flat(d, num_threads=n),
                "encode_batch": lambda n, d=docs, t=tok: t.encode_batch(d, num_threads=n),
            }
            for call, f in calls.items():
                f(1), f(2)
                t = {1: [], 2: []}
                for _ in range(a.runs):
                    for n in (1, 2):
                        t0 = time.perf_counter()
                        f(n)
                        t[n].append(time.perf_counter() - t0)
                one, two = (mb / statistics.median(t[n]) for n in (1, 2))
                lines.append(f"| {v} | {c} | {call} | {one:.1f} | {two:.1f} | {two / one:.2f}x |")
    return "\n".join(lines)


CACHE_CAPS = (0, 64 << 10, 1 << 20, 4 << 20, 16 << 20)


def cache_cost(a, cdocs: dict[str, list[str]]) -> str:
    """First-sight encode_flat (one thread, CPU time) of each corpus by cache cap: the cache
    is emptied before every pass; caps interleaved, median of ``a.runs``."""
    from fineweb_kit.tokenizer import Tokenizer

    lines = [
        f"first-sight MB/s by piece-cache cap per thread (CPU time, median of {a.runs})",
        "",
        "| vocab | corpus | " + " | ".join(f"{c >> 10} KiB" for c in CACHE_CAPS) + " |",
        "|---|---|" + "---|" * len(CACHE_CAPS),
    ]
    for v in a.vocabs:
        tok = Tokenizer.from_tiktoken(REF / f"{v}.tiktoken", v)
        for c, docs in cdocs.items():
            mb = sum(len(d.encode()) for d in docs) / 1e6
            t: dict[int, list[float]] = {cap: [] for cap in CACHE_CAPS}
            for _ in range(a.runs):
                for cap in CACHE_CAPS:
                    tok.cache_bytes = cap  # also empties the caches
                    t0 = time.process_time()
                    tok.encode_flat(docs, num_threads=1)
                    t[cap].append(time.process_time() - t0)
            row = " | ".join(f"{mb / statistics.median(t[cap]):.1f}" for cap in CACHE_CAPS)
            lines.append(f"| {v} | {c} | {row} |")
    return "\n".join(lines)


def cpu_model() -> str:
    """The CPU's model name (Linux), else what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def report(a, names, cdocs, cells, res, bad) -> str:
    vers = ", ".join(f"{n} {installed(ENCODERS[n])}" for n in names)
    lines = [
        f"machine: {cpu_model()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; "
        f"Python {platform.python_version()}; one thread, pinned to CPU {a.cpu}",
        f"versions: {vers}",
        "corpora: "
        + "; ".join(
            f"{c}: {len(d)} docs, {sum(map(len, d)) / 1e6:.1f} M chars" for c, d in cdocs.items()
        ),
        f"median MB/s of {a.runs} runs (fresh process per encoder and cell, interleaved); "
        "ratio = ours / fastest exact peer (lists: fineweb-kit; array: fineweb-kit array, "
        "per-doc numpy arrays, or the flat cell's array + offsets); machine shared with other "
        "sessions",
        "exactness vs tiktoken: "
        + "; ".join(
            f"{n}: {'exact' if not bad[n] else 'NOT EXACT (' + bad[n][0] + ')'}" for n in names
        ),
        "",
    ]
    for v in a.vocabs:
        lines.append(f"### {v}\n")
        hdr = ["corpus", "call", *[n + ("" if not bad[n] else " (not exact)") for n in names]]
        lines.append("| " + " | ".join(hdr) + " | ratio, lists | ratio, array |")
        lines.append("|" + "---|" * (len(hdr) + 2))
        for _, c, call in [x for x in cells if x[0] == v]:
            med = {
                n: statistics.median(res[(v, c, call, n)]) for n in names if (v, c, call, n) in res
            }
            peers = [m for n, m in med.items() if n not in OURS and not bad[n]]
            # The flat cell is an array for every encoder: our row there is "fineweb-kit".
            arr = "fineweb-kit" if call.startswith("flat") else "fineweb-kit array"
            ratios = [
                f"{med[o] / max(peers):.2f}x" if o in med and peers else "-"
                for o in ("fineweb-kit", arr)
            ]
            row = [c, call, *(f"{med[n]:.1f}" if n in med else "-" for n in names), *ratios]
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
