"""``fineweb-kit steps``: every step type with its parameters, defaults and one-line doc.

Generated from the step registry and the constructors' signatures, so it cannot drift.
"""

from __future__ import annotations

import argparse
import inspect

from fineweb_kit.pipeline.registry import step_types
from fineweb_kit.pipeline.signature import describe, step_parameters


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("steps", help="list the pipeline step types", description=__doc__)
    p.add_argument("name", nargs="?", help="show one step in full (its whole docstring)")
    p.set_defaults(func=run)


def describe_step(cls: type, full: bool = False) -> str:
    doc = inspect.getdoc(cls) or ""
    module_doc = inspect.getdoc(inspect.getmodule(cls)) or ""
    lines = [
        f"{cls.__name__}  [{getattr(cls, 'kind', 'step')}]  {doc.splitlines()[0] if doc else ''}"
    ]
    for name, p in step_parameters(cls).items():
        default = "" if p.default is inspect.Parameter.empty else f" = {p.default!r}"
        required = " (required)" if p.default is inspect.Parameter.empty else ""
        lines.append(f"    {name}: {describe(p.annotation)}{default}{required}")
    if full and module_doc:
        lines += ["", *("    " + line for line in module_doc.splitlines())]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    steps = step_types()
    if args.name:
        if args.name not in steps:
            from fineweb_kit.config import did_you_mean
            from fineweb_kit.exceptions import ConfigError

            raise ConfigError(f"unknown step {args.name!r}{did_you_mean(args.name, steps)}")
        print(describe_step(steps[args.name], full=True))
        return 0
    by_kind: dict[str, list[type]] = {}
    for cls in steps.values():
        by_kind.setdefault(getattr(cls, "kind", "step"), []).append(cls)
    for kind in sorted(by_kind):
        print(f"# {kind}s")
        for cls in sorted(by_kind[kind], key=lambda c: c.__name__):
            print(describe_step(cls))
        print()
    return 0
