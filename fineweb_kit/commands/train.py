"""``fineweb-kit train CONFIG.yaml``: train (or resume) a GPT on token shards; with
``kind: rm | dpo | rl`` a reward model, DPO or GRPO/RLHF run (``fineweb_kit.rl``).

Needs PyTorch (``pip install fineweb-kit[train]``). Multi-process: ``torchrun
--nproc_per_node N -m fineweb_kit train CONFIG.yaml``.
"""

from __future__ import annotations

import argparse

from fineweb_kit.exceptions import ConfigError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a GPT on token shards", description=__doc__)
    p.add_argument("config", help="training YAML (see pipelines/train-tiny.yaml)")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config value, e.g. --set train.max_steps=100 (repeatable)",
    )
    p.add_argument(
        "--stop-after",
        type=int,
        default=None,
        metavar="N",
        help="checkpoint and exit after N steps of this invocation (time-sliced jobs)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fineweb_kit.config import load_yaml
    from fineweb_kit.train.config import load_config

    kind = (load_yaml(args.config) or {}).get("kind")
    if kind in ("rm", "dpo", "rl"):
        from fineweb_kit.rl.run import train_post

        train_post(args.config, args.set, args.stop_after)
        return 0
    cfg = load_config(args.config, args.set)
    try:
        from fineweb_kit.train.train import train
    except ImportError as e:
        raise ConfigError(f"training needs PyTorch: pip install 'fineweb-kit[train]' ({e})") from e
    train(cfg, stop_after=args.stop_after)
    return 0
