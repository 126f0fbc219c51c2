"""Evaluation of classifiers on a held-out set: precision / recall / F1, PR curve, confusion
matrix, MSE. Plain numpy (no scikit-learn); the PR-curve plot is a PNG made with matplotlib's
Agg backend, viewable offline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def binary_metrics(y_true: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, float]:
    """Precision, recall, F1 and accuracy of ``score >= threshold`` against boolean truth."""
    y = np.asarray(y_true, dtype=bool)
    pred = np.asarray(scores) >= threshold
    tp = int(np.sum(pred & y))
    fp = int(np.sum(pred & ~y))
    fn = int(np.sum(~pred & y))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "threshold": float(threshold),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "accuracy": float(np.mean(pred == y)) if len(y) else 0.0,
        "support_positive": int(y.sum()),
        "support_negative": int((~y).sum()),
    }


def pr_curve(y_true: np.ndarray, scores: np.ndarray) -> dict[str, np.ndarray]:
    """Precision and recall at every distinct score used as threshold (descending)."""
    y = np.asarray(y_true, dtype=bool)
    s = np.asarray(scores, dtype=np.float64)
    order = np.argsort(-s, kind="stable")
    s, y = s[order], y[order]
    last_of_run = np.r_[np.nonzero(np.diff(s))[0], len(s) - 1]
    tp = np.cumsum(y)[last_of_run]
    fp = np.cumsum(~y)[last_of_run]
    precision = tp / np.maximum(tp + fp, 1)
    recall = tp / max(int(y.sum()), 1)
    return {"thresholds": s[last_of_run], "precision": precision, "recall": recall}


def average_precision(curve: dict[str, np.ndarray]) -> float:
    """Area under the PR curve as the step sum ``sum((R_i - R_{i-1}) * P_i)``."""
    recall = np.r_[0.0, curve["recall"]]
    return float(np.sum(np.diff(recall) * curve["precision"]))


def best_f1(curve: dict[str, np.ndarray]) -> dict[str, float]:
    """The threshold of the curve with the highest F1."""
    p, r = curve["precision"], curve["recall"]
    f1 = np.where(p + r > 0, 2 * p * r / np.maximum(p + r, 1e-12), 0.0)
    i = int(np.argmax(f1))
    return {"threshold": float(curve["thresholds"][i]), "f1": float(f1[i])}


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, classes: list[int]) -> list[list[int]]:
    """Rows: true class, columns: predicted class, in the order of ``classes``."""
    index = {c: i for i, c in enumerate(classes)}
    m = np.zeros((len(classes), len(classes)), dtype=np.int64)
    for t, p in zip(y_true, y_pred, strict=True):
        m[index[int(t)], index[int(p)]] += 1
    return m.tolist()


def format_confusion(matrix: list[list[int]], classes: list[int]) -> str:
    """A text table of a confusion matrix (rows true, columns predicted)."""
    width = max(6, *(len(str(v)) + 1 for row in matrix for v in row))
    head = "true\\pred" + "".join(f"{c:>{width}}" for c in classes)
    rows = [
        f"{c:>9}" + "".join(f"{v:>{width}}" for v in row)
        for c, row in zip(classes, matrix, strict=True)
    ]
    return "\n".join([head, *rows])


def plot_pr_curve(curve: dict[str, np.ndarray], path: str | Path, title: str) -> Path:
    """Writes the PR curve as a PNG and returns its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 4), dpi=100)
    ax.step(curve["recall"], curve["precision"], where="post", color="#3b6ea5")
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_xlim(0, 1.01)
    ax.set_ylim(0, 1.01)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out


def summary_binary(y_true: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, Any]:
    """Metrics at ``threshold`` plus average precision and the best-F1 threshold."""
    curve = pr_curve(y_true, scores)
    return {
        **binary_metrics(y_true, scores, threshold),
        "average_precision": average_precision(curve),
        "best_f1": best_f1(curve),
    }
