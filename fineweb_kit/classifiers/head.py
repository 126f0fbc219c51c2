"""A linear head on frozen sentence embeddings (FineWeb-Edu's recipe): train, evaluate, save, load.

FineWeb-Edu (HuggingFaceFW/fineweb-edu-classifier card and its training script
``train_edu_bert.py`` in huggingface/cosmopedia) freezes the encoder and trains one linear
regression output on Llama-3-70B grades 0-5 for 20 epochs with learning rate 3e-4 (batch 256,
AdamW); a page's ``int_score`` is ``round(clip(score, 0, 5))`` and the dataset keeps
``int_score >= 3``. Those are :data:`HEAD_DEFAULTS`. With few examples (a few hundred), 20
epochs of batch 256 is a handful of steps: raise ``epochs``/``lr`` for small data.

Two tasks:

- ``regression``: one output, mean squared error; ``score`` = the output.
- ``classification``: one output per integer grade seen in training (softmax, cross-entropy);
  ``score`` = the expected grade ``sum_c p_c * c``, ``label`` = the most probable grade.

Training is deterministic on CPU for a given seed (full determinism switched on for the run).
Scoring needs numpy only: the head is stored as ``head.npz`` (``weight`` [outputs, dim],
``bias`` [outputs]) beside ``manifest.json``, which records the task, grades, score range,
threshold, the encoder's path and fingerprint (a head is refused with an encoder of another
size, pooling or normalisation), hyperparameters and held-out metrics.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fineweb_kit.classifiers import manifest as mf
from fineweb_kit.classifiers.metrics import binary_metrics, confusion_matrix
from fineweb_kit.exceptions import ConfigError, FormatError

KIND = "embedding-head"
TASKS = ("regression", "classification")
HEAD_DEFAULTS: dict[str, Any] = {"epochs": 20, "lr": 3e-4, "batch_size": 256, "weight_decay": 0.0}


@dataclass
class Head:
    """A trained linear head. ``predict`` maps embeddings to scores (and integer labels)."""

    task: str
    weight: np.ndarray  # [outputs, dim]
    bias: np.ndarray  # [outputs]
    classes: list[int]
    score_range: tuple[float, float]
    threshold: float
    manifest: dict[str, Any]

    def predict(self, emb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(scores, int labels)``; each row is computed on its own (batch-independent)."""
        x = np.asarray(emb, dtype=np.float64)
        w = self.weight.astype(np.float64)
        logits = np.stack([(x * w[k]).sum(axis=1) for k in range(len(w))], axis=1) + self.bias
        lo, hi = self.score_range
        if self.task == "regression":
            scores = logits[:, 0]
            labels = np.clip(np.rint(scores), lo, hi).astype(np.int64)
            return scores, labels
        z = np.exp(logits - logits.max(axis=1, keepdims=True))
        p = z / z.sum(axis=1, keepdims=True)
        grades = np.asarray(self.classes, dtype=np.float64)
        return (p * grades).sum(axis=1), grades[np.argmax(p, axis=1)].astype(np.int64)

    def save(self, folder: str | Path, **fields: Any) -> None:
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        np.savez(out / "head.npz", weight=self.weight, bias=self.bias)
        self.manifest = mf.write_manifest(
            out,
            KIND,
            task=self.task,
            classes=self.classes,
            score_range=list(self.score_range),
            threshold=self.threshold,
            dim=int(self.weight.shape[1]),
            **fields,
        )

    @classmethod
    def load(cls, folder: str | Path) -> Head:
        p = Path(folder)
        mf.check_model_path(
            p, True, "embedding head folder", "an embedding head folder", "a fastText model"
        )
        m = mf.read_manifest(p, KIND)
        try:
            with np.load(p / "head.npz") as z:
                weight, bias = z["weight"], z["bias"]
        except (OSError, KeyError, ValueError) as e:
            raise FormatError(f"{p / 'head.npz'}: unreadable head weights: {e}") from None
        if weight.ndim != 2 or weight.shape[1] != m.get("dim") or bias.shape != weight.shape[:1]:
            raise FormatError(
                f"{p / 'head.npz'}: weight shape {weight.shape} disagrees with manifest"
            )
        lo, hi = m["score_range"]
        return cls(m["task"], weight, bias, list(m["classes"]), (lo, hi), m["threshold"], m)


def check_labels(labels: np.ndarray, task: str, score_range: tuple[float, float]) -> list[int]:
    """Refuses labels out of range, a single class, or non-integer grades for classification."""
    if task not in TASKS:
        raise ConfigError(f"task must be one of {TASKS}, got {task!r}")
    lo, hi = score_range
    if not lo < hi:
        raise ConfigError(f"score range [{lo}, {hi}] is empty")
    bad = np.nonzero((labels < lo) | (labels > hi))[0]
    if len(bad):
        raise ConfigError(
            f"{len(bad)} labels are outside the score range [{lo:g}, {hi:g}] "
            f"(first: {labels[bad[0]]:g} at example {bad[0]}); fix the data or pass the range"
        )
    distinct = np.unique(labels)
    if len(distinct) < 2:
        raise ConfigError(
            f"all {len(labels)} labels are {distinct[0]:g}: a single class cannot train a head"
        )
    if task == "classification":
        if not np.all(distinct == np.round(distinct)):
            raise ConfigError("classification needs integer grades; use task 'regression'")
        return [int(c) for c in distinct]
    return [int(c) for c in np.arange(np.ceil(lo), np.floor(hi) + 1)]


def train_head(
    emb: np.ndarray,
    labels: np.ndarray,
    task: str = "regression",
    score_range: tuple[float, float] = (0.0, 5.0),
    threshold: float = 3.0,
    seed: int = 0,
    **hp: Any,
) -> Head:
    """Fits the head on CPU with AdamW and a fixed seed (deterministic)."""
    import torch

    params = {**HEAD_DEFAULTS, **hp}
    classes = check_labels(labels, task, score_range)
    torch.manual_seed(seed)
    x = torch.from_numpy(np.asarray(emb, dtype=np.float32))
    outputs = 1 if task == "regression" else len(classes)
    layer = torch.nn.Linear(x.shape[1], outputs)
    if task == "regression":
        y = torch.from_numpy(labels.astype(np.float32)).unsqueeze(1)
        loss_fn: Any = torch.nn.MSELoss()
        with torch.no_grad():
            layer.bias.fill_(float(labels.mean()))  # start at the mean grade
    else:
        index = {c: i for i, c in enumerate(classes)}
        y = torch.tensor([index[int(v)] for v in labels], dtype=torch.long)
        loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.AdamW(
        layer.parameters(), lr=params["lr"], weight_decay=params["weight_decay"]
    )
    gen = torch.Generator().manual_seed(seed)
    for _ in range(params["epochs"]):
        order = torch.randperm(len(x), generator=gen)
        for start in range(0, len(x), params["batch_size"]):
            idx = order[start : start + params["batch_size"]]
            opt.zero_grad()
            loss_fn(layer(x[idx]), y[idx]).backward()
            opt.step()
    weight = layer.weight.detach().numpy().astype(np.float32)
    bias = layer.bias.detach().numpy().astype(np.float64)
    head_classes = classes if task == "classification" else []
    manifest = {"hyperparameters": params, "seed": seed}
    return Head(task, weight, bias, head_classes, score_range, threshold, manifest)


def evaluate_head(head: Head, emb: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """MSE, F1 of ``score >= threshold`` vs ``label >= threshold``, and a confusion matrix."""
    scores, pred = head.predict(emb)
    lo, hi = head.score_range
    grades = [int(g) for g in np.arange(np.ceil(lo), np.floor(hi) + 1)]
    truth = np.clip(np.rint(labels), lo, hi).astype(np.int64)
    binary = binary_metrics(labels >= head.threshold, pred >= head.threshold, 0.5)
    return {
        "examples": len(labels),
        "mse": float(np.mean((scores - labels) ** 2)),
        "at_threshold": binary,
        "int_accuracy": float(np.mean(pred == truth)),
        "grades": grades,
        "confusion": confusion_matrix(truth, pred, grades),
    }
