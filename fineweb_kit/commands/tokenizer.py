"""``fineweb-kit tokenizer``: train a BPE vocabulary, encode text, benchmark tokenizers.

fineweb-kit tokenizer train --input 'out/*.jsonl.gz' --vocab-size 32768 --out tok.json
fineweb-kit tokenizer encode --tokenizer tok.json --input 'docs/*.txt' --out ids.npy
fineweb-kit tokenizer bench --corpus '../shared/data/text/*.txt.gz'
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from fineweb_kit.exceptions import FinewebKitError, TokenizerError

BENCH_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "tokenizer_bench.py"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("tokenizer", help="train / encode / benchmark byte-level BPE")
    sub = p.add_subparsers(dest="tokenizer_command", required=True, metavar="ACTION")

    t = sub.add_parser("train", help="train a BPE vocabulary from text files")
    t.add_argument(
        "--input",
        action="append",
        required=True,
        help="glob of .txt[.gz] / .jsonl[.gz] / .parquet files (repeatable)",
    )
    t.add_argument("--vocab-size", type=int, required=True, help="ids in total (>= 256 + specials)")
    t.add_argument("--out", required=True, help="output file")
    t.add_argument(
        "--pattern",
        default="o200k_base",
        help="o200k_base, cl100k_base, r50k_base or a regex (default o200k_base)",
    )
    t.add_argument(
        "--special",
        action="append",
        default=None,
        help="special token (repeatable; default <|endoftext|>)",
    )
    t.add_argument(
        "--format",
        choices=("fineweb", "hf", "tiktoken"),
        default="fineweb",
        help="output format: our JSON, HF tokenizer.json, or a tiktoken rank file",
    )
    t.add_argument("--threads", type=int, default=None)

    e = sub.add_parser("encode", help="encode text or files to ids")
    e.add_argument(
        "--tokenizer", required=True, help="our JSON, a HF tokenizer.json, or a .tiktoken rank file"
    )
    e.add_argument("--pattern", default="cl100k_base", help="pattern for a .tiktoken file")
    src = e.add_mutually_exclusive_group(required=True)
    src.add_argument("--text", help="encode this string and print the ids")
    src.add_argument("--input", action="append", help="glob of files (repeatable)")
    e.add_argument("--out", help="with --input: .npy of uint32 ids, end-of-text after each text")
    e.add_argument("--threads", type=int, default=None)

    # the harness lives in benchmarks/ (not in the package): its arguments pass through as they
    # are (prefix_chars: none of ours), so `bench --help` shows the script's own help
    b = sub.add_parser(
        "bench",
        help="compare tokenizers: speed, memory, bytes per token (source checkout)",
        add_help=False,
        prefix_chars="\0",
    )
    b.add_argument("bench_args", nargs="*", help="arguments of benchmarks/tokenizer_bench.py")
    p.set_defaults(func=run)


def _train(args: argparse.Namespace) -> int:
    from fineweb_kit.tokenizer import iter_texts, train_bpe

    specials = args.special if args.special is not None else ["<|endoftext|>"]
    t0 = time.perf_counter()
    tok = train_bpe(
        iter_texts(args.input),
        args.vocab_size,
        pattern=args.pattern,
        special_tokens=specials,
        num_threads=args.threads,
        progress=True,
    )
    save = {"fineweb": tok.save, "hf": tok.to_hf, "tiktoken": tok.to_tiktoken}[args.format]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    save(args.out)
    print(
        f"trained {tok.n_vocab} ids in {time.perf_counter() - t0:.1f} s -> {args.out}",
        file=sys.stderr,
    )
    return 0


def _encode(args: argparse.Namespace) -> int:
    from fineweb_kit.tokenizer import Tokenizer, iter_texts

    tok = Tokenizer.from_file(args.tokenizer, args.pattern)
    if args.text is not None:
        print(" ".join(map(str, tok.encode(args.text, allowed_special="all"))))
        return 0
    if not args.out:
        raise TokenizerError("--input needs --out (a .npy file for the ids)")
    parts, batch, size, n_bytes = [], [], 0, 0
    t0 = time.perf_counter()
    for text in iter_texts(args.input):
        batch.append(text)
        size += len(text)
        if size >= 16 << 20:
            parts.append(
                tok.encode_to_numpy(
                    batch, append_eot=True, num_threads=args.threads, disallowed_special=()
                )
            )
            n_bytes, batch, size = n_bytes + size, [], 0
    if batch:
        parts.append(
            tok.encode_to_numpy(
                batch, append_eot=True, num_threads=args.threads, disallowed_special=()
            )
        )
        n_bytes += size
    ids = np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint32)
    np.save(args.out, ids)
    dt = time.perf_counter() - t0
    print(
        f"{len(ids):,} ids from {n_bytes / 1e6:.1f} M chars in {dt:.1f} s -> {args.out}",
        file=sys.stderr,
    )
    return 0


def run(args: argparse.Namespace) -> int:
    if args.tokenizer_command == "train":
        return _train(args)
    if args.tokenizer_command == "encode":
        return _encode(args)
    return _bench(args.bench_args)


def _bench(argv: list[str]) -> int:
    """Runs ``benchmarks/tokenizer_bench.py`` of this checkout with ``argv``."""
    if not BENCH_SCRIPT.is_file():
        raise FinewebKitError(
            f"{BENCH_SCRIPT} not found: the tokenizer benchmark runs from a source checkout "
            "with the dev extra (its peers: tiktoken, tokenizers, rustbpe, ...): "
            "python benchmarks/tokenizer_bench.py --help"
        )
    return subprocess.run([sys.executable, str(BENCH_SCRIPT), *argv], check=False).returncode
