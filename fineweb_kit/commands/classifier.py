"""``fineweb-kit classifier train fasttext|embedding``: train a quality classifier.

``train fasttext`` is DCLM's recipe (positives vs negatives, bigram fastText; DCLM's
hyperparameters are the defaults, every one overridable); ``train embedding`` is FineWeb-Edu's
(a linear head on frozen sentence embeddings of graded documents). Both hold out a stable
fraction of the data, print held-out metrics and record them in the model's manifest.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

from fineweb_kit.classifiers.fasttext_model import DCLM_DEFAULTS
from fineweb_kit.classifiers.metrics import format_confusion

# CLI flag -> fastText parameter name; defaults come from DCLM_DEFAULTS
FASTTEXT_FLAGS = {
    "lr": float,
    "dim": int,
    "ws": int,
    "epoch": int,
    "minCount": int,
    "minCountLabel": int,
    "minn": int,
    "maxn": int,
    "neg": int,
    "wordNgrams": int,
    "loss": str,
    "bucket": int,
    "lrUpdateRate": int,
    "t": float,
}


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("classifier", help="train quality classifiers", description=__doc__)
    verbs = p.add_subparsers(dest="verb", required=True, metavar="VERB")
    train = verbs.add_parser("train", help="train a classifier")
    kinds = train.add_subparsers(dest="kind", required=True, metavar="KIND")
    _add_fasttext(kinds)
    _add_embedding(kinds)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--text-field", default="text", help="field holding the text (default text)")
    p.add_argument("--heldout", type=float, default=0.1, help="held-out fraction (default 0.1)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print the report as JSON")


def _add_fasttext(kinds: argparse._SubParsersAction) -> None:
    p = kinds.add_parser(
        "fasttext",
        help="DCLM-style fastText classifier",
        description="Train a fastText bigram classifier: positives (__label__hq) vs negatives "
        "(__label__cc). Defaults are DCLM's: "
        + ", ".join(f"{k}={v}" for k, v in DCLM_DEFAULTS.items()),
    )
    p.add_argument(
        "--positive",
        action="append",
        required=True,
        metavar="GLOB",
        help="JSONL/Parquet of positives (repeatable)",
    )
    p.add_argument(
        "--negative",
        action="append",
        required=True,
        metavar="GLOB",
        help="JSONL/Parquet of negatives (repeatable)",
    )
    p.add_argument("--out", required=True, help="model file to write (e.g. model.bin)")
    p.add_argument(
        "--threads", type=int, help="training threads (default: all cores; 1 is bit-reproducible)"
    )
    p.add_argument("--threshold", type=float, default=0.5, help="threshold for held-out P/R/F1")
    p.add_argument("--pr-png", help="PR-curve PNG (default OUT.pr.png)")
    for name, typ in FASTTEXT_FLAGS.items():
        p.add_argument(f"--{name}", type=typ, help=f"fastText {name} (DCLM: {DCLM_DEFAULTS[name]})")
    _common(p)
    p.set_defaults(func=run_fasttext)


def _add_embedding(kinds: argparse._SubParsersAction) -> None:
    p = kinds.add_parser(
        "embedding",
        help="FineWeb-Edu-style head on sentence embeddings",
        description="Embed graded documents with a local Hugging Face encoder and fit a "
        "regression or classification head (FineWeb-Edu: 20 epochs, lr 3e-4, batch 256).",
    )
    p.add_argument(
        "--labels",
        action="append",
        required=True,
        metavar="GLOB",
        help="JSONL/Parquet of graded documents (repeatable)",
    )
    p.add_argument("--score-field", required=True, help="field holding the grade")
    p.add_argument("--model", required=True, help="local Hugging Face encoder folder")
    p.add_argument("--out", required=True, help="folder to write the head into")
    p.add_argument("--task", choices=["regression", "classification"], default="regression")
    p.add_argument("--range", default="0,5", help="allowed grade range LO,HI (default 0,5)")
    p.add_argument("--threshold", type=float, default=3.0, help="keep threshold for F1 (default 3)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--max-tokens", type=int, help="truncate documents to this many tokens")
    p.add_argument("--batch-size", type=int, default=32, help="embedding batch size")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--lr", type=float, default=3e-4)
    p.add_argument("--head-batch-size", type=int, default=256)
    _common(p)
    p.set_defaults(func=run_embedding)


def _shared(args: argparse.Namespace, *names: str) -> dict:
    """The flags both trainers take under the same name (``_common``'s, the threshold and
    those in ``names``), as keyword arguments."""
    return {k: getattr(args, k) for k in ("text_field", "heldout", "seed", "threshold", *names)}


def _print_report(args: argparse.Namespace, report: dict, summary: Callable[[], list]) -> int:
    """The report as JSON with ``--json``, else the lines of ``summary()``."""
    print(json.dumps(report, indent=2) if args.json else "\n".join(summary()))
    return 0


def run_fasttext(args: argparse.Namespace) -> int:
    from fineweb_kit.classifiers.training import train_fasttext

    params = {k: getattr(args, k) for k in FASTTEXT_FLAGS if getattr(args, k) is not None}
    report = train_fasttext(
        args.positive,
        args.negative,
        args.out,
        params=params,
        pr_png=args.pr_png,
        **_shared(args, "threads"),
    )
    return _print_report(
        args,
        report,
        lambda: [
            f"model: {args.out}",
            f"trained on {report['train_examples']}; held out "
            f"{report['support_positive']} positive / {report['support_negative']} negative",
            f"at threshold {report['threshold']:g}: precision {report['precision']:.3f}  "
            f"recall {report['recall']:.3f}  F1 {report['f1']:.3f}  "
            f"accuracy {report['accuracy']:.3f}",
            f"average precision {report['average_precision']:.3f}; best F1 "
            f"{report['best_f1']['f1']:.3f} at threshold {report['best_f1']['threshold']:.4f}",
            f"PR curve: {report['pr_curve_png']}",
        ],
    )


def run_embedding(args: argparse.Namespace) -> int:
    from fineweb_kit.classifiers.training import parse_range, train_embedding

    report = train_embedding(
        args.labels,
        args.score_field,
        args.model,
        args.out,
        score_range=parse_range(args.range),
        embed_batch_size=args.batch_size,
        batch_size=args.head_batch_size,
        **_shared(args, "task", "device", "max_tokens", "epochs", "lr"),
    )
    b, cut = report.get("at_threshold", {}), report.get("truncated", {})
    return _print_report(
        args,
        report,
        lambda: [
            f"head: {args.out}",
            f"trained on {report['train_examples']}, held out {report['examples']} documents; "
            f"{cut['train'] + cut['heldout']} truncated at {cut['max_tokens']} tokens",
            f"held-out MSE {report['mse']:.4f}; "
            f"integer-grade accuracy {report['int_accuracy']:.3f}",
            f"at threshold {args.threshold:g}: precision {b['precision']:.3f}  "
            f"recall {b['recall']:.3f}  F1 {b['f1']:.3f}",
            "confusion matrix (integer grades):",
            format_confusion(report["confusion"], report["grades"]),
        ],
    )
