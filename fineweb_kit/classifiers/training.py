"""End-to-end training from files, as ``fineweb-kit classifier train ...`` runs it.

Everything that can be refused is refused before any model is trained: missing or empty inputs,
a single class, labels out of range, a missing encoder folder. Both recipes hold out a stable,
hash-based fraction of the data (:func:`fineweb_kit.classifiers.data.split`) and evaluate on it;
the evaluation goes into the model's manifest and into the returned report.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np

from fineweb_kit.classifiers import data as D
from fineweb_kit.classifiers import fasttext_model as ftm
from fineweb_kit.exceptions import ConfigError


def train_fasttext(
    positive: str | list[str],
    negative: str | list[str],
    out: str | Path,
    text_field: str = "text",
    heldout: float = 0.1,
    params: dict[str, Any] | None = None,
    seed: int = 0,
    threads: int | None = None,
    threshold: float = 0.5,
    pr_png: str | Path | None = None,
) -> dict[str, Any]:
    """Trains a DCLM-style model on positive/negative files; returns the held-out report."""
    pos = [D.Example(t, 1, w) for w, t in D.read_texts(positive, text_field)]
    neg = [D.Example(t, 0, w) for w, t in D.read_texts(negative, text_field)]
    D.check_nonempty(pos, f"positive examples in {positive!r}")
    D.check_nonempty(neg, f"negative examples in {negative!r}")
    train, test = D.split(pos + neg, heldout)
    by = {c: [e.text for e in train if e.label == c] for c in (0, 1)}
    clf = ftm.train(by[1], by[0], out, params, seed=seed, threads=threads)
    test_pos = [e.text for e in test if e.label == 1]
    test_neg = [e.text for e in test if e.label == 0]
    png = pr_png if pr_png is not None else Path(str(out) + ".pr.png")
    report = ftm.evaluate(clf, test_pos, test_neg, threshold, png)
    report["train_examples"] = {"positive": len(by[1]), "negative": len(by[0])}
    ftm.record_evaluation(out, report)
    return report


def train_embedding(
    labels: str | list[str],
    score_field: str,
    model: str | Path,
    out: str | Path,
    text_field: str = "text",
    task: str = "regression",
    score_range: tuple[float, float] = (0.0, 5.0),
    threshold: float = 3.0,
    heldout: float = 0.1,
    device: str = "auto",
    max_tokens: int | None = None,
    embed_batch_size: int = 32,
    seed: int = 0,
    progress: bool = True,
    **hp: Any,
) -> dict[str, Any]:
    """Embeds labelled texts with a local encoder, fits a head, evaluates it, saves it."""
    from fineweb_kit.classifiers.embedding import Embedder, check_model_dir
    from fineweb_kit.classifiers.head import check_labels, evaluate_head, train_head

    check_model_dir(model)
    examples = D.read_scored(labels, score_field, text_field)
    D.check_nonempty(examples, f"labelled examples in {labels!r}")
    check_labels(np.array([e.label for e in examples]), task, score_range)
    train, test = D.split(examples, heldout)
    embedder = Embedder(model, device=device, max_tokens=max_tokens, batch_size=embed_batch_size)
    x_train, cut_train = _embed(embedder, [e.text for e in train], "train", progress)
    x_test, cut_test = _embed(embedder, [e.text for e in test], "held-out", progress)
    y_train = np.array([e.label for e in train], dtype=np.float64)
    y_test = np.array([e.label for e in test], dtype=np.float64)
    head = train_head(x_train, y_train, task, score_range, threshold, seed, **hp)
    report = evaluate_head(head, x_test, y_test)
    report["train_examples"] = len(train)
    report["truncated"] = {
        "train": cut_train,
        "heldout": cut_test,
        "max_tokens": embedder.max_tokens,
    }
    head.save(
        out,
        encoder={"path": str(embedder.path), **embedder.fingerprint()},
        hyperparameters=head.manifest["hyperparameters"],
        seed=seed,
        heldout=report,
    )
    return report


def _embed(embedder: Any, texts: list[str], what: str, progress: bool) -> tuple[np.ndarray, int]:
    if not progress or not sys.stderr.isatty():
        return embedder.embed(texts)
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task(f"embedding {what} ({embedder.device})", total=len(texts))
        return embedder.embed(texts, progress=lambda n: bar.advance(task, n))


def parse_range(text: str) -> tuple[float, float]:
    """``"0,5"`` -> ``(0.0, 5.0)``."""
    try:
        lo, hi = (float(v) for v in text.split(","))
    except ValueError:
        raise ConfigError(f"score range must look like 0,5; got {text!r}") from None
    return lo, hi
