"""DCLM-style fastText quality classifier: train, evaluate, save, load, score in batches.

Recipe (DCLM, Li et al. 2024, "DataComp-LM", section 4.4 and appendix; code:
mlfoundations/dclm ``baselines/README.md`` "Training your own fasttext classifiers" and
``baselines/mappers/enrichers/quality_prediction_enrichers_calc_fasttext.py``):

- labels ``__label__hq`` (positives: OpenHermes-2.5 + r/ExplainLikeImFive in DCLM) and
  ``__label__cc`` (negatives: random RefinedWeb documents), 200k examples in DCLM;
- ``fasttext.train_supervised`` with ``wordNgrams=2`` (unigrams + bigrams) and every other
  hyperparameter at fastText's supervised default: ``lr=0.1, dim=100, ws=5, epoch=5,
  minCount=1, minCountLabel=0, minn=0, maxn=0, neg=5, loss=softmax, bucket=2_000_000,
  lrUpdateRate=100, t=1e-4`` (fastText ``python/fasttext_module/fasttext/FastText.py``);
  :data:`DCLM_DEFAULTS` writes them all out;
- text is prepared as DCLM does: ``" ".join(text.strip().splitlines())`` (fastText reads one
  line per example);
- the score is ``P(__label__hq)``, computed like DCLM's enricher: ``p`` if the top label is the
  positive one, else ``1 - p``, with ``p`` as fastText reports it (``softmax + 1e-5``, so a score
  can pass 1 or 0 by 1e-5; not clipped, to equal DCLM's numbers); DCLM-Baseline kept the top
  ~10 % (threshold 0.018112 on its pool).

Note the default ``bucket=2_000_000`` with ``dim=100`` makes an 800 MB model file (2M hashed
bigram rows x 100 floats): DCLM's. Small experiments should pass a smaller ``bucket``.
fastText training is bit-reproducible only with ``thread=1`` (more threads update the weights
lock-free, "Hogwild"); the default uses every core and records the seed and thread count.

The model file is a plain fastText ``.bin`` (loadable by the ``fasttext`` package, by
``fasttext-predict``, and by DCLM's tooling; we train with fasttext-numpy2-wheel, see
:mod:`.fasttext_binding`); our manifest sits beside it. Foreign fastText models
(DCLM's published ``openhermes_reddit_eli5_vs_rw_v2_bigram_200k_train.bin``) load too, without a
manifest, given their positive label.
"""

from __future__ import annotations

import contextlib
import os
import random
import struct
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fineweb_kit.classifiers import manifest as mf
from fineweb_kit.classifiers.fasttext_binding import import_fasttext, predict_lines
from fineweb_kit.classifiers.metrics import plot_pr_curve, pr_curve, summary_binary
from fineweb_kit.exceptions import ConfigError, FormatError

KIND = "fasttext-quality"
POSITIVE_LABEL = "__label__hq"
NEGATIVE_LABEL = "__label__cc"
# First int32 of every fastText .bin / .ftz (fastText's FASTTEXT_FILEFORMAT_MAGIC_INT32).
FASTTEXT_MAGIC = 793712314

DCLM_DEFAULTS: dict[str, Any] = {
    "lr": 0.1,
    "dim": 100,
    "ws": 5,
    "epoch": 5,
    "minCount": 1,
    "minCountLabel": 0,
    "minn": 0,
    "maxn": 0,
    "neg": 5,
    "wordNgrams": 2,
    "loss": "softmax",
    "bucket": 2_000_000,
    "lrUpdateRate": 100,
    "t": 1e-4,
}


def prepare(text: str) -> str:
    """One line per document, as DCLM feeds fastText: ``" ".join(text.strip().splitlines())``."""
    return " ".join(text.strip().splitlines())


def check_fasttext_file(path: str | Path) -> None:
    """Refuses a path that is not a fastText binary model, naming what it is instead."""
    p = Path(path)
    mf.check_model_path(
        p, False, "fastText model file", "a fastText .bin model file", "an embedding head"
    )
    with open(p, "rb") as f:
        head = f.read(8)
    if len(head) < 8 or struct.unpack("<i", head[:4])[0] != FASTTEXT_MAGIC:
        raise FormatError(f"{p}: not a fastText binary model (bad magic number at offset 0)")


def _load_kernel(path: Path) -> Any:
    """Our Rust scorer for ``path``, or None if not built or the model is not one it handles
    (character n-grams, quantised, non-softmax): then the ``fasttext`` package scores."""
    try:
        from fineweb_kit._core import FastTextKernel
    except ImportError:
        return None
    try:
        return FastTextKernel(str(path))
    except (FormatError, ValueError):
        return None


@dataclass
class FastTextClassifier:
    """A loaded fastText quality model; :meth:`score` takes a batch of texts.

    Scoring runs in fineweb-kit's Rust kernel (``_core.FastTextKernel``: the whole batch in one
    call, GIL released, raw texts read as their :func:`prepare` d lines without building them,
    scores bit-identical to the ``fasttext`` package) when the model is one it handles, else
    through the ``fasttext`` package's batch ``predict``.
    """

    path: Path
    model: Any
    positive_label: str
    manifest: dict[str, Any]
    kernel: Any = None

    @classmethod
    def load(cls, path: str | Path, positive_label: str | None = None) -> FastTextClassifier:
        """Loads ``path``; with our manifest its kind and version are checked first."""
        p = Path(path)
        check_fasttext_file(p)
        manifest = mf.read_manifest(p, KIND, required=False)
        if manifest and manifest.get("model_bytes") not in (None, p.stat().st_size):
            raise FormatError(
                f"{p}: file size {p.stat().st_size} differs from its manifest's "
                f"{manifest['model_bytes']}: the model was replaced; retrain or remove the "
                f"stale {mf.manifest_path(p).name}"
            )
        label = positive_label or manifest.get("positive_label") or POSITIVE_LABEL
        kernel = _load_kernel(p)
        if kernel is not None and len(kernel.labels()) != 2:
            kernel = None  # DCLM's top-1 formula is for two labels; the package reads any
        model: Any = None
        if kernel is None:
            fasttext = import_fasttext(full=True)  # get_labels()
            with _quiet_stderr():
                try:
                    model = fasttext.load_model(str(p))
                except ValueError as e:
                    raise FormatError(f"{p}: fastText could not load it: {e}") from None
        labels = list(kernel.labels()) if kernel is not None else list(model.get_labels())
        if label not in labels:
            raise ConfigError(f"{p}: positive label {label!r} is not in the model's {labels}")
        return cls(p, model, label, manifest, kernel)

    @property
    def labels(self) -> list[str]:
        return list(self.kernel.labels() if self.kernel is not None else self.model.get_labels())

    def score(self, texts: list[str]) -> np.ndarray:
        """``P(positive)`` per text, one fastText call for the whole batch (DCLM's formula)."""
        if not texts:
            return np.zeros(0)
        if self.kernel is not None:  # reads each text as its prepare()d line, in Rust
            positive = self.labels.index(self.positive_label)
            return np.asarray(self.kernel.score_texts(texts, positive), dtype=np.float64)
        lines = [prepare(t) for t in texts]
        if len(self.labels) != 2:  # many labels: read the positive one directly
            return self._score_multiclass(lines)
        labels, probs = predict_lines(self.model, lines, k=1)
        pos = self.positive_label
        p = np.fromiter((pr[0] if pr.size else 0.0 for pr in probs), np.float64, len(lines))
        is_pos = np.fromiter((lb[0] == pos if lb else True for lb in labels), bool, len(lines))
        return np.where(is_pos, p, 1.0 - p)  # no prediction (no input at all): 0.0

    def _score_multiclass(self, lines: list[str]) -> np.ndarray:
        labels, probs = predict_lines(self.model, lines, k=-1)
        out = np.zeros(len(lines))
        for i, (lb, pr) in enumerate(zip(labels, probs, strict=True)):
            for name, value in zip(lb, pr, strict=True):
                if name == self.positive_label:
                    out[i] = min(max(float(value), 0.0), 1.0)
        return out


@contextlib.contextmanager
def _quiet_stderr():
    """fastText's C++ prints a warning on load; keep it out of the user's terminal."""
    try:
        fd = os.dup(2)
    except OSError:
        yield
        return
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(fd, 2)
            os.close(fd)


def _write_training_file(path: Path, pos: list[str], neg: list[str], seed: int) -> None:
    rows = [f"{POSITIVE_LABEL} {prepare(t)}" for t in pos]
    rows += [f"{NEGATIVE_LABEL} {prepare(t)}" for t in neg]
    random.Random(seed).shuffle(rows)
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def train(
    positives: list[str],
    negatives: list[str],
    out: str | Path,
    params: dict[str, Any] | None = None,
    seed: int = 0,
    threads: int | None = None,
) -> FastTextClassifier:
    """Trains on the given texts with DCLM's defaults updated by ``params``; saves to ``out``."""
    if not positives or not negatives:
        which = "positive" if not positives else "negative"
        raise ConfigError(f"no {which} examples: both classes need documents to train")
    unknown = set(params or {}) - set(DCLM_DEFAULTS)
    if unknown:
        known = ", ".join(DCLM_DEFAULTS)
        raise ConfigError(f"unknown fastText parameters {sorted(unknown)}; known: {known}")
    hp = {**DCLM_DEFAULTS, **(params or {})}
    fasttext = import_fasttext(full=True)
    threads = threads or max(1, os.cpu_count() or 1)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="fwk-fasttext-") as tmp:
        data = Path(tmp) / "train.txt"
        _write_training_file(data, positives, negatives, seed)
        model = fasttext.train_supervised(
            input=str(data), seed=seed, thread=threads, verbose=0, **hp
        )
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    model.save_model(str(out))
    mf.write_manifest(
        out,
        KIND,
        positive_label=POSITIVE_LABEL,
        negative_label=NEGATIVE_LABEL,
        hyperparameters=hp,
        seed=seed,
        threads=threads,
        train_examples={"positive": len(positives), "negative": len(negatives)},
        train_seconds=round(time.perf_counter() - t0, 3),
        model_bytes=out.stat().st_size,
        text_preparation='" ".join(text.strip().splitlines())',
    )
    return FastTextClassifier.load(out)


def evaluate(
    clf: FastTextClassifier,
    positives: list[str],
    negatives: list[str],
    threshold: float = 0.5,
    png: str | Path | None = None,
) -> dict[str, Any]:
    """Held-out metrics at ``threshold`` (+ average precision, best-F1), PR-curve PNG if asked."""
    scores = clf.score(positives + negatives)
    truth = np.r_[np.ones(len(positives), bool), np.zeros(len(negatives), bool)]
    report = summary_binary(truth, scores, threshold)
    if png is not None:
        ap = report["average_precision"]
        plot_pr_curve(pr_curve(truth, scores), png, f"fastText held-out PR (AP {ap:.3f})")
        report["pr_curve_png"] = str(png)
    return report


def record_evaluation(path: str | Path, report: dict[str, Any]) -> None:
    """Adds the held-out evaluation to the model's manifest."""
    data = mf.read_manifest(path, KIND)
    fields = {k: v for k, v in data.items() if k not in ("kind", "format_version", "created")}
    fields["heldout"] = report
    mf.write_manifest(path, KIND, **fields)
