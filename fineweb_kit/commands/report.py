"""``fineweb-kit report OUTPUT_DIR``: print the funnel and write ``report/report.html``."""

from __future__ import annotations

import argparse

from fineweb_kit.report import format_funnel, load_stats, write_report


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="funnel and plots of a run", description=__doc__)
    p.add_argument("output", help="the run's output folder")
    p.add_argument("--no-html", action="store_true", help="print the funnel only")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    print(format_funnel(load_stats(args.output)))
    if not args.no_html:
        print(f"\nwrote {write_report(args.output)}")
    return 0
