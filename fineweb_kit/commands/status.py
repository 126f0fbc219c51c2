"""``fineweb-kit status OUTPUT_DIR``: per stage, files done, failed tasks and their logs."""

from __future__ import annotations

import argparse

from fineweb_kit.executors.status import format_status, run_status


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("status", help="progress and failures of a run", description=__doc__)
    p.add_argument("output", help="the run's output folder")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    stages = run_status(args.output)
    print(format_status(stages))
    return 0 if all(s.complete for s in stages) else 1
