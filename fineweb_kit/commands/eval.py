"""``fineweb-kit eval gsm8k --checkpoint DIR``: score a fine-tuned model on GSM8K.

pass@1 and pass@k with the final-number checker (:mod:`fineweb_kit.chat.gsm8k_eval`);
defaults: the first 1,000 test problems of ``--data`` (GSM8K ``{question, answer}`` JSONL),
greedy decoding with one sample (pass@1). ``--num-samples N --k K --temperature T`` samples
N answers per problem for pass@K. ``--json FILE`` writes the metrics and every answer.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from fineweb_kit.exceptions import ConfigError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="evaluate a fine-tuned model (gsm8k)", description=__doc__)
    tasks = p.add_subparsers(dest="task", required=True, metavar="TASK")
    g = tasks.add_parser("gsm8k", help="GSM8K pass@1 / pass@k", description=__doc__)
    g.add_argument("--checkpoint", required=True, help="fine-tuned run out_dir or checkpoint")
    g.add_argument(
        "--data",
        default="../shared/data/posttrain/gsm8k-test.jsonl.gz",
        help="GSM8K JSONL[.gz] (default: ../shared/data/posttrain/gsm8k-test.jsonl.gz)",
    )
    g.add_argument("--limit", type=int, default=None, help="first N problems only")
    g.add_argument("--num-samples", type=int, default=1, help="answers per problem (n)")
    g.add_argument("--k", type=int, default=1, help="report pass@k (k <= num-samples)")
    g.add_argument("--temperature", type=float, default=0.0, help="0 = greedy")
    g.add_argument("--top-k", type=int, default=None)
    g.add_argument("--max-tokens", type=int, default=256, help="new tokens per answer")
    g.add_argument("--batch-size", type=int, default=32, help="problems per generate call")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--tokenizer", default=None, help="chat tokenizer (default: the run's)")
    g.add_argument("--device", default="cpu", help="cpu or cuda")
    g.add_argument("--json", default=None, help="write metrics and answers to this file")
    g.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.k > args.num_samples or args.k < 1:
        raise ConfigError(f"--k {args.k}: needs 1 <= k <= --num-samples ({args.num_samples})")
    if args.num_samples > 1 and args.temperature <= 0:
        raise ConfigError("--num-samples > 1 needs --temperature > 0 (greedy samples are equal)")
    if not Path(args.data).is_file():
        raise ConfigError(f"--data {args.data!r}: file not found")
    try:
        from fineweb_kit.chat.engine import Engine
        from fineweb_kit.chat.load import load_chat_model
    except ImportError as e:
        raise ConfigError(
            f"evaluation needs PyTorch: pip install 'fineweb-kit[train]' ({e})"
        ) from e
    from fineweb_kit.chat.gsm8k_eval import evaluate_gsm8k, read_gsm8k

    model, template = load_chat_model(args.checkpoint, args.tokenizer, args.device)
    records = read_gsm8k(args.data, args.limit)
    result = evaluate_gsm8k(
        Engine(model, template),
        records,
        num_samples=args.num_samples,
        k=args.k,
        temperature=args.temperature,
        top_k=args.top_k,
        max_new_tokens=args.max_tokens,
        batch_size=args.batch_size,
        seed=args.seed,
    )
    metrics = {k: v for k, v in result.items() if k != "samples"}
    print(
        f"gsm8k: {metrics['problems']} problems, {args.num_samples} sample(s) each | "
        f"pass@1 {100 * metrics['pass@1']:.1f}%"
        + (f" | pass@{args.k} {100 * metrics[f'pass@{args.k}']:.1f}%" if args.k > 1 else "")
        + f" | calculator used {100 * metrics['tool_call_rate']:.1f}%"
        + f" | turns ended {100 * metrics['finished_rate']:.1f}%"
    )
    if args.json:
        out = Path(args.json)
        tmp = out.with_name(f".{out.name}.tmp")
        tmp.write_text(json.dumps(result, indent=1))
        tmp.replace(out)
    return 0
