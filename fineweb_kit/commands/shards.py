"""``fineweb-kit shards info|merge|export``: inspect, shuffle-merge and convert token shards."""

from __future__ import annotations

import argparse
from pathlib import Path

from fineweb_kit.shards.reader import Shard, list_shards


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("shards", help="inspect, merge and export token shards", description=__doc__)
    cmds = p.add_subparsers(dest="shards_command", required=True, metavar="ACTION")

    info = cmds.add_parser("info", help="counts, tokenizer and a decoded sample")
    info.add_argument("paths", nargs="+", help="shard files, folders or globs")
    info.add_argument("--tokenizer", help="tokenizer spec to decode a sample and check with")
    info.add_argument("--verify", action="store_true", help="also check all section checksums")
    info.add_argument("--sample-chars", type=int, default=300)
    info.set_defaults(func=run_info)

    merge = cmds.add_parser("merge", help="global document shuffle into fixed-size shards")
    merge.add_argument("paths", nargs="+", help="input shard files, folders or globs")
    merge.add_argument("--output", required=True, help="output folder")
    merge.add_argument("--seed", type=int, default=0)
    merge.add_argument("--max-tokens-per-shard", type=int, default=100_000_000)
    merge.add_argument("--val-tokens", type=int, default=0, help="held-out shard size")
    merge.add_argument("--no-shuffle", action="store_true")
    merge.set_defaults(func=run_merge)

    export = cmds.add_parser("export", help="convert to llm.c .bin or nanoGPT raw uint16")
    export.add_argument("paths", nargs="+", help="input shard files, folders or globs")
    export.add_argument("--format", required=True, choices=("llmc", "nanogpt"))
    export.add_argument(
        "--output", required=True, help="llmc: output folder; nanogpt: output file (train.bin)"
    )
    export.set_defaults(func=run_export)


def run_info(args: argparse.Namespace) -> int:
    tok = None
    if args.tokenizer:
        from fineweb_kit.shards.tokenizer import load_tokenizer

        tok = load_tokenizer(args.tokenizer)
    totals = [0, 0]
    for path in list_shards(args.paths):
        s = Shard(path, tok.fingerprint_hex if tok else None)
        if args.verify:
            s.verify()
        h = s.header
        totals[0] += h.n_tokens
        totals[1] += h.n_docs
        print(
            f"{path}: {h.n_tokens:,} tokens, {h.n_docs:,} documents, {h.dtype}, vocab "
            f"{h.vocab_size:,}, boundary {h.boundary} ({h.boundary_token}), tokenizer "
            f"{h.fingerprint[:16]}{', loss mask' if h.has_mask else ''}"
            f"{', verified' if args.verify else ''}"
        )
        if tok is not None and h.n_docs:
            text = tok.decode(s.doc(0, strip_boundary=True)[: args.sample_chars])
            print(f"  first document: {text[: args.sample_chars]!r}")
    print(f"total: {totals[0]:,} tokens, {totals[1]:,} documents")
    return 0


def run_merge(args: argparse.Namespace) -> int:
    from fineweb_kit.shards.merge import merge_shards

    res = merge_shards(
        list_shards(args.paths),
        Path(args.output),
        seed=args.seed,
        max_tokens_per_shard=args.max_tokens_per_shard,
        val_tokens=args.val_tokens,
        shuffle=not args.no_shuffle,
    )
    print(
        f"merged {res.n_docs:,} documents ({res.n_tokens:,} tokens) from {len(res.inputs)} "
        f"shards into {len(res.outputs)} shards; validation: {res.val_docs:,} documents, "
        f"{res.val_tokens:,} tokens"
    )
    return 0


def run_export(args: argparse.Namespace) -> int:
    from fineweb_kit.shards.export import export_llmc, export_nanogpt

    inputs = list_shards(args.paths)
    fn = export_llmc if args.format == "llmc" else export_nanogpt
    for path in fn(inputs, Path(args.output)):
        print(path)
    return 0
