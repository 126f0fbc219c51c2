"""RewardModelScorer: a trained reward model (``fineweb-kit train rm.yaml``) as a pipeline step.

Each document gets ``metadata[key]`` = the reward model's score: a conversation document (one
with ``metadata["messages"]``, as ``ConversationReader`` makes) is scored as that
conversation; any other document as one assistant turn holding its text. Sequences keep their
last ``max_seq_len`` tokens (what the model was trained on). The model loads once per worker
process; ``batch_size`` sequences per forward pass; histogram ``score_<key>`` (rounded) in
``fineweb-kit report``. Keep the best with ``ScoreFilter`` / ``TopFractionFilter``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fineweb_kit.classifiers.cache import cached
from fineweb_kit.document import Batch
from fineweb_kit.exceptions import FormatError
from fineweb_kit.steps.base import BatchStep, TaskContext
from fineweb_kit.steps.classifiers.fasttext_scorer import check_model_param, resolve_model_path
from fineweb_kit.steps.params import ParamError, check_positive_int


class RewardModelScorer(BatchStep):
    """Annotates each document (or conversation) with a reward model's score."""

    kind = "annotator"
    abstract = False
    requires = (("torch", "torch"),)

    def __init__(
        self, model: str, key: str = "reward", device: str = "cpu", batch_size: int = 16
    ) -> None:
        super().__init__()

        def check(path: str) -> None:
            from fineweb_kit.train import checkpoint

            if checkpoint.latest(Path(path)) is None:
                raise FormatError(f"{path}: no reward model run (no checkpoints/LATEST)")

        check_model_param("model", model, check)
        if device not in ("cpu", "cuda", "auto"):
            raise ParamError("device", f"expected cpu, cuda or auto, got {device!r}")
        self.model_path, self.key, self.device = model, key, device
        self.batch_size = check_positive_int("batch_size", batch_size)
        self.scorer: Any = None

    def setup(self, ctx: TaskContext) -> None:
        import torch

        from fineweb_kit.rl.reward_model import RewardScorer

        path = resolve_model_path(self.model_path, ctx)
        dev = self.device
        if dev == "auto":
            dev = "cuda" if torch.cuda.is_available() else "cpu"
        self.scorer = cached(("reward_model", path, dev), lambda: RewardScorer.load(path, dev))

    def process_batch(self, batch: Batch, ctx: TaskContext) -> Batch:
        docs = list(batch)
        convs = [
            d.metadata["messages"]
            if isinstance(d.metadata.get("messages"), list)
            else [{"role": "assistant", "content": d.text}]
            for d in docs
        ]
        scores: list[float] = []
        for i in range(0, len(convs), self.batch_size):
            scores += self.scorer.score_conversations(convs[i : i + self.batch_size])
        hist = f"score_{self.key}"
        for doc, s in zip(docs, scores, strict=True):
            doc.metadata[self.key] = s
            self.stats.observe(hist, str(round(s)))
        return batch
