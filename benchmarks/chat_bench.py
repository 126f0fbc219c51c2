"""Chat rendering + packing throughput: ChatTemplate.render_packed (render, cut, best-fit into
windows, in one Rust call) vs a plain
Python renderer (one encode per piece, nanochat-style) and vs plain encoding of the same text.

Run: python benchmarks/chat_bench.py [--reps 5]. Interleaved runs, medians, ratios; writes
benchmarks/results/chat_bench.json. Input: all shared GSM8K (train+test) and HH-RLHF
conversations, GPT-2 r50k + chat specials; one thread (the headline), and two threads for ours
and plain encode (the plain Python renderer cannot use more than one).
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import statistics
import time
from pathlib import Path

from fineweb_kit.chat import ChatTemplate, from_gsm8k, from_hh, render_plain, with_chat_specials
from fineweb_kit.chat.messages import plain_text
from fineweb_kit.chat.packing import best_fit, fill_rate, greedy
from fineweb_kit.tokenizer import Tokenizer

ROOT = Path(__file__).resolve().parents[1]
DATA = next(p for p in (ROOT.parent / "shared", ROOT.parent.parent / "shared") if p.is_dir())
DATA = DATA / "data"


def load() -> list:
    pt = DATA / "posttrain"
    convs = []
    for name in ("gsm8k-train.jsonl.gz", "gsm8k-test.jsonl.gz"):
        with gzip.open(pt / name, "rt") as f:
            convs += [from_gsm8k(json.loads(x)) for x in f]
    with gzip.open(pt / "hh-rlhf-harmless-base-test.jsonl.gz", "rt") as f:
        convs += [from_hh(json.loads(x)[k]) for x in f for k in ("chosen", "rejected")]
    return convs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--seq-len", type=int, default=1024)
    args = ap.parse_args()
    tok = with_chat_specials(
        Tokenizer.from_tiktoken(DATA / "tokenizer-ref" / "r50k_base.tiktoken", "r50k_base")
    )
    t = ChatTemplate(tok, num_threads=1)
    t2 = ChatTemplate(tok, num_threads=2)
    convs = load()
    texts = [plain_text(c) for c in convs]
    window = args.seq_len + 1

    def ours(t=t):
        return t.render_packed(convs, window, validated=True)

    def plain():
        return [render_plain(tok, c) for c in convs]

    def encode():
        return tok.encode_to_numpy(texts, num_threads=1, disallowed_special=())

    def ours_2_threads():
        return ours(t2)

    def encode_2_threads():
        return tok.encode_to_numpy(texts, num_threads=2, disallowed_special=())

    r = t.render_flat(convs, validated=True)
    n_tokens = len(r.ids)
    runs = {
        "ours": ours,
        "plain_python": plain,
        "plain_encode": encode,
        "ours_2_threads": ours_2_threads,
        "plain_encode_2_threads": encode_2_threads,
    }
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.reps):
        for name, fn in runs.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    med = {k: statistics.median(v) for k, v in times.items()}
    lengths = r.lengths
    result = {
        "conversations": len(convs),
        "tokens": n_tokens,
        "seq_len": args.seq_len,
        "reps": args.reps,
        "median_s": med,
        "tokens_per_s": {k: n_tokens / v for k, v in med.items()},
        "speedup_vs_plain_python": med["plain_python"] / med["ours"],
        "share_of_plain_encode": med["plain_encode"] / med["ours"],
        "speedup_vs_plain_python_2_threads": med["plain_python"] / med["ours_2_threads"],
        "share_of_plain_encode_2_threads": med["plain_encode_2_threads"] / med["ours_2_threads"],
        "fill_rate_best_fit": fill_rate(lengths, best_fit(lengths, window), window),
        "fill_rate_greedy": fill_rate(lengths, greedy(lengths, window), window),
        "machine": platform.platform(),
    }
    print(json.dumps(result, indent=1))
    out = ROOT / "benchmarks" / "results" / "chat_bench.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
