"""``fineweb-kit chat render``: shows a sample's tokens coloured by their loss mask.
``fineweb-kit chat --checkpoint DIR [--prompt TEXT]``: talks to a fine-tuned model
(:mod:`fineweb_kit.commands.chat_talk`)."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from fineweb_kit.exceptions import ConfigError


def add_parser(sub: argparse._SubParsersAction) -> None:
    from fineweb_kit.commands import chat_talk

    p = sub.add_parser(
        "chat",
        help="talk to a fine-tuned model (--checkpoint), or render chat data (render)",
        description=chat_talk.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    chat_talk.add_arguments(p)
    p.set_defaults(func=chat_talk.run)
    chat_sub = p.add_subparsers(dest="chat_command", required=False, metavar="ACTION")
    r = chat_sub.add_parser(
        "render",
        help="show a sample's tokens coloured by mask (a shard document or a conversation file)",
    )
    r.add_argument("path", help="an SFT shard (.fks) or folder, or a conversations .jsonl[.gz]")
    r.add_argument("--index", type=int, default=0, help="document/record number (default 0)")
    r.add_argument(
        "--format",
        default="openai",
        help="record format of a .jsonl: openai, sharegpt, hh, gsm8k (default openai)",
    )
    r.add_argument(
        "--tokenizer",
        help="tokenizer file (default: tokenizer.json beside the shards; required for a .jsonl)",
    )
    r.add_argument(
        "--add-chat-specials",
        action="store_true",
        help="append the chat specials to --tokenizer (e.g. r50k_base.tiktoken)",
    )
    r.set_defaults(func=run_render)


def _sample(args: argparse.Namespace):
    from fineweb_kit.chat.shards import open_sft_shards, tokenizer_beside
    from fineweb_kit.chat.template import ChatTemplate
    from fineweb_kit.steps.tokens.pack_conversations import load_chat_tokenizer

    path = Path(args.path)
    if args.tokenizer:
        tok = load_chat_tokenizer(args.tokenizer, args.add_chat_specials)
    else:
        tok = tokenizer_beside(path)
    if path.is_dir() or path.suffix == ".fks":
        sft = open_sft_shards(str(path), tok)
        i = args.index
        for shard in sft.shards:
            if i < len(shard):
                a, b = shard.doc_range(i)
                return tok, np.asarray(shard.tokens[a:b]), np.asarray(shard.mask[a:b])
            i -= len(shard)
        raise ConfigError(f"--index {args.index}: the shards hold fewer documents")
    from fineweb_kit.io.files import json_lines
    from fineweb_kit.steps.readers.conversations import ConversationReader

    reader = ConversationReader(str(path), format=args.format)
    for n, (lineno, record) in enumerate(json_lines(path)):
        if n == args.index:
            doc = reader.to_document(record, f"{path}:{lineno}")
            ids, mask = ChatTemplate(tok).render(doc.metadata["messages"])
            return tok, ids, mask
    raise ConfigError(f"--index {args.index}: {path} has fewer records")


def run_render(args: argparse.Namespace) -> int:
    from rich.console import Console

    from fineweb_kit.chat.view import legend, masked_text

    tok, ids, mask = _sample(args)
    console = Console()
    console.print(legend(ids, mask))
    console.print(masked_text(tok, ids, mask))
    return 0
