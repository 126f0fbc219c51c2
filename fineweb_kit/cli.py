"""The ``fineweb-kit`` command line. Each sub-command lives in ``fineweb_kit/commands/``."""

from __future__ import annotations

import argparse
import importlib
import sys

from fineweb_kit.exceptions import ConfigError, FinewebKitError

# name -> module under fineweb_kit.commands exposing add_parser(sub) and run(args) -> int
COMMANDS = (
    "run",
    "validate",
    "steps",
    "report",
    "status",
    "tokenizer",
    "shards",
    "train",
    "sample",
    "classifier",
    "chat",
    "eval",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fineweb-kit",
        description="LLM pre-training data: WARC -> clean text -> BPE -> token shards -> GPT.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"fineweb_kit.commands.{name}")
        except ModuleNotFoundError as e:
            if e.name == f"fineweb_kit.commands.{name}":
                continue
            raise
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as e:
        print(f"config error: {e}", file=sys.stderr)
        return 2
    except FinewebKitError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
