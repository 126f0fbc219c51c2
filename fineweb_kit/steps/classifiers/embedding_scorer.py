"""EmbeddingScorer: FineWeb-Edu-style score from a head on frozen sentence embeddings.

FineWeb-Edu (HuggingFaceFW/fineweb-edu-classifier) embeds each page, applies a linear regression
head, and stores ``score`` and ``int_score = round(clip(score, 0, 5))``; the dataset keeps
``int_score >= 3`` (:class:`ScoreFilter` with ``key: edu_score_int, threshold: 3``). This step
does the same with a head trained by ``fineweb-kit classifier train embedding``:

- ``head``: the head folder (its manifest's kind and version are checked before the pipeline
  starts). ``model``: the encoder folder; default: the one recorded in the head's manifest.
  The encoder must match what the head was trained on (size, pooling, normalisation,
  ``max_tokens``), else the step refuses to start.
- writes ``metadata[key]`` (float score) and ``metadata[key + "_int"]`` (integer grade); the
  grade distribution is histogram ``score_<key>`` in ``fineweb-kit report``.
- documents longer than the encoder's ``max_tokens`` are cut to their first ``max_tokens``
  tokens (see :mod:`fineweb_kit.classifiers.embedding`) and counted as ``truncated``.
- batching and device: ``batch_size`` texts per forward pass; ``device: auto`` uses CUDA when
  present. Scores do not depend on how documents fall into batches, tasks or workers (each text
  is padded to a width that depends only on its own length); checked on CPU in the tests.
- the encoder and head load once per worker process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fineweb_kit.classifiers.cache import cached
from fineweb_kit.document import Batch
from fineweb_kit.exceptions import ConfigError, FormatError
from fineweb_kit.steps.base import BatchStep, Params, TaskContext
from fineweb_kit.steps.classifiers.fasttext_scorer import check_model_param, resolve_model_path
from fineweb_kit.steps.params import ParamError, check_positive_int


class EmbeddingScorer(BatchStep):
    """Annotates each document with an embedding-head score and integer grade."""

    kind = "annotator"
    abstract = False
    requires = (("torch", "torch"), ("transformers", "transformers"), ("tokenizers", "tokenizers"))

    def __init__(
        self,
        head: str,
        model: str | None = None,
        key: str = "edu_score",
        device: str = "auto",
        batch_size: int = 32,
    ) -> None:
        super().__init__()
        self.head_path, self.model_path, self.key = head, model, key
        self.device = device
        self.batch_size = batch_size
        self.embedder: Any = None
        self.head: Any = None

    @classmethod
    def check_params(cls, params: Params) -> None:
        super().check_params(params)
        from fineweb_kit.classifiers.embedding import DEVICES, check_model_dir
        from fineweb_kit.classifiers.head import KIND
        from fineweb_kit.classifiers.manifest import read_manifest

        head, model, device = params["head"], params["model"], params["device"]
        manifest: dict[str, Any] = {}

        def check(path: str) -> None:
            if Path(path).is_file():
                raise FormatError(f"{path}: is a file (a fastText model?); expected a head folder")
            manifest.update(read_manifest(path, KIND))

        check_model_param("head", head, check)
        encoder = model or manifest.get("encoder", {}).get("path")
        if encoder is None and "{output}" not in head:
            raise ParamError("model", "the head's manifest names no encoder; give model:")
        if encoder is not None and "{output}" not in encoder:
            try:
                check_model_dir(encoder)
            except ConfigError as e:
                raise ParamError("model", str(e)) from None
        if device not in DEVICES:
            raise ParamError("device", f"expected one of {DEVICES}, got {device!r}")
        check_positive_int("batch_size", params["batch_size"])

    def setup(self, ctx: TaskContext) -> None:
        from fineweb_kit.classifiers.embedding import Embedder
        from fineweb_kit.classifiers.head import Head

        head_path = resolve_model_path(self.head_path, ctx)
        self.head = cached(("head", head_path), lambda: Head.load(head_path))
        trained = self.head.manifest.get("encoder", {})
        encoder = resolve_model_path(self.model_path or trained["path"], ctx)
        max_tokens = trained.get("max_tokens")
        self.embedder = cached(
            ("encoder", encoder, self.device, max_tokens, self.batch_size),
            lambda: Embedder(encoder, self.device, max_tokens, self.batch_size),
        )
        self._check_match(trained)

    def _check_match(self, trained: dict[str, Any]) -> None:
        have = self.embedder.fingerprint()
        diff = {k: (v, have.get(k)) for k, v in trained.items() if k != "path" and have.get(k) != v}
        if diff:
            raise ConfigError(
                f"{self.head_path}: the encoder {self.embedder.path} differs from the one the head "
                f"was trained on: {', '.join(f'{k} {a!r} vs {b!r}' for k, (a, b) in diff.items())}"
            )

    def process_batch(self, batch: Batch, ctx: TaskContext) -> Batch:
        emb, truncated = self.embedder.embed([d.text for d in batch])
        self.stats.add("truncated", truncated)
        scores, grades = self.head.predict(emb)
        hist = f"score_{self.key}"
        for doc, s, g in zip(batch, scores.tolist(), grades.tolist(), strict=True):
            doc.metadata[self.key] = s
            doc.metadata[f"{self.key}_int"] = g
            self.stats.observe(hist, str(g))
        return batch
