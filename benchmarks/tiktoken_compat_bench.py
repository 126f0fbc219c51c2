"""``tiktoken_compat.Encoding`` vs ``Tokenizer`` (and tiktoken itself): is the drop-in as fast?

Same documents (16 kB pieces of the shared text corpus), same process, the calls interleaved
round by round; prints MB/s per call and the ratio compat / Tokenizer (target: within 5 %).

    .venv/bin/python benchmarks/tiktoken_compat_bench.py --mb 4 --rounds 7
"""

from __future__ import annotations

import argparse
import gzip
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import tiktoken
from tiktoken.load import load_tiktoken_bpe

from benchmarks.common import machine, median, table, versions
from fineweb_kit.tokenizer import tiktoken_compat
from fineweb_kit.tokenizer.tiktoken_compat.registry import ENCODINGS, ENV_DIR

REPO = Path(__file__).resolve().parents[1]
SHARED = next(
    (p / "shared" / "data" for p in (REPO.parent, REPO.parent.parent) if (p / "shared").is_dir()),
    REPO.parent / "shared" / "data",
)


def documents(mb: float, size: int = 16_000) -> list[str]:
    text = "".join(
        gzip.open(p, "rt", encoding="utf-8").read() for p in sorted((SHARED / "text").glob("*.gz"))
    )
    text = text[: int(mb * 1e6)]
    return [text[i : i + size] for i in range(0, len(text), size)]


def calls(enc, docs: list[str]) -> dict[str, callable]:
    return {
        "encode (per doc)": lambda: [enc.encode(d, disallowed_special=()) for d in docs],
        "encode_ordinary (per doc)": lambda: [enc.encode_ordinary(d) for d in docs],
        "encode_batch (1 thread)": lambda: enc.encode_batch(
            docs, num_threads=1, disallowed_special=()
        ),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--encoding", default="cl100k_base")
    ap.add_argument("--mb", type=float, default=4.0)
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    os.environ.setdefault(ENV_DIR, str(SHARED / "tokenizer-ref"))
    docs = documents(args.mb)
    n_bytes = sum(len(d.encode()) for d in docs)
    compat = tiktoken_compat.get_encoding(args.encoding)
    ours = compat._tok
    d = ENCODINGS[args.encoding]
    theirs = tiktoken.Encoding(
        name=d.name,
        pat_str=compat._pat_str,
        mergeable_ranks=load_tiktoken_bpe(os.path.join(os.environ[ENV_DIR], d.ranks.name)),
        special_tokens=dict(d.specials),
    )
    same = compat.encode_batch(docs, disallowed_special=()) == theirs.encode_batch(
        docs, disallowed_special=()
    )
    assert same, "ids differ from tiktoken"
    impls = {"Tokenizer": ours, "tiktoken_compat": compat, "tiktoken": theirs}
    times: dict[tuple[str, str], list[float]] = {}
    for _ in range(args.rounds):
        for impl, enc in impls.items():
            for call, fn in calls(enc, docs).items():
                t0 = time.perf_counter()
                fn()
                times.setdefault((impl, call), []).append(time.perf_counter() - t0)
    rows = []
    for call in calls(compat, docs):
        mbs = {i: n_bytes / 1e6 / median(times[(i, call)]) for i in impls}
        ratios = [
            a / b
            for a, b in zip(
                times[("Tokenizer", call)], times[("tiktoken_compat", call)], strict=True
            )
        ]
        rows.append(
            [call]
            + [f"{mbs[i]:.1f}" for i in impls]
            + [f"{median(ratios):.3f}", f"{mbs['tiktoken_compat'] / mbs['tiktoken']:.2f}x"]
        )
    print(
        f"{machine()}; {versions('tiktoken')}; {args.encoding}, {n_bytes / 1e6:.1f} MB in "
        f"{len(docs)} docs, median of {args.rounds} interleaved rounds, one process"
    )
    print(table(
        ["call", "Tokenizer MB/s", "tiktoken_compat MB/s", "tiktoken MB/s",
         "compat speed / Tokenizer (median of per-round ratios)", "compat / tiktoken"],
        rows,
    ))  # fmt: skip


if __name__ == "__main__":
    main()
