"""``fineweb-kit validate FILE.yaml``: check every step's parameters (building none, opening
no input); exit 2 on any error.

Missing data assets (``fineweb-kit assets``) are reported for every step at once first. A
training config (``fineweb-kit train``: no ``stages``) is checked as ``train`` reads it."""

from __future__ import annotations

import argparse
import sys

from fineweb_kit import assets
from fineweb_kit.config import load_yaml
from fineweb_kit.executors.plan import make_plan
from fineweb_kit.pipeline import step_types


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "validate",
        help="check a pipeline (or training config) file without running it",
        description=__doc__,
    )
    p.add_argument("pipeline", help="pipeline YAML file (or a `fineweb-kit train` config)")
    p.add_argument("--output", metavar="DIR", help="output folder (if the file has none)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    data = load_yaml(args.pipeline)
    if isinstance(data, dict) and "stages" not in data:
        return _training_config(args.pipeline, data)
    missing = assets.missing_in_pipeline(data, args.pipeline, step_types())
    if missing:
        print("\n".join(missing), file=sys.stderr)
        print(
            f"config error: missing assets in {assets.data_dir()}; run `{assets.FETCH_COMMAND}`"
            f" (or set {assets.ENV_VAR})",
            file=sys.stderr,
        )
        return 2
    has_output = isinstance(data, dict) and data.get("output")
    plan = make_plan(args.pipeline, output=args.output or (None if has_output else "(unset)"))
    for i, stage in enumerate(plan.pipeline.stages):
        steps = ", ".join(s.type for s in stage.steps)
        print(f"stage {i} {stage.name!r} ({plan.tasks(i)} tasks): {steps}")
    print(f"{args.pipeline}: OK")
    return 0


def _training_config(path: str, data: dict) -> int:
    from fineweb_kit.rl.config import parse_post_config
    from fineweb_kit.train.config import parse_config

    kind = data.get("kind")
    cfg = parse_post_config(data, path) if kind in ("rm", "dpo", "rl") else parse_config(data, path)
    print(f"training config (kind {cfg.kind}, out_dir {cfg.out_dir})")
    print(f"{path}: OK")
    return 0
