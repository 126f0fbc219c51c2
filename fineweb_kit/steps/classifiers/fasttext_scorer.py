"""FastTextScorer: writes a fastText quality score ``P(positive)`` into each document's metadata.

DCLM's enricher (mlfoundations/dclm ``quality_prediction_enrichers_calc_fasttext.py``) and
datatrove's ``FastTextClassifierFilter`` call fastText once per document; this step scores a
whole batch in one call into fineweb-kit's Rust kernel (``rust/fineweb-kit-fasttext/src/``:
GIL released, the model on huge pages, rows prefetched; scores bit-identical to the ``fasttext``
package, tested), or, for models the kernel does not handle (character n-grams, quantised
``.ftz``), one batched ``predict`` of the ``fasttext`` package. The model loads once per worker
process. The text is prepared as DCLM does (lines joined with spaces) and the score is DCLM's
``P(__label__hq)``, so a threshold tuned with DCLM's tooling means the same here. Measured
speed: ``benchmarks/classifier_bench.py``.

- ``model``: a fastText ``.bin`` written by ``fineweb-kit classifier train fasttext`` (its
  manifest's kind and version are checked before the pipeline starts), or any other fastText
  classifier such as DCLM's published ``openhermes_reddit_eli5_vs_rw_v2_bigram_200k_train.bin``.
- ``positive_label``: the label whose probability is the score; default: the manifest's, else
  ``__label__hq`` (DCLM's).
- ``key``: metadata field for the score (default ``fasttext_score``). The score distribution
  (bins of 0.05) is recorded as histogram ``score_<key>`` and shown by ``fineweb-kit report``.

Filter on the score with :class:`ScoreFilter` (a fixed threshold) or :class:`TopFractionFilter`
(DCLM-Baseline kept the top ~10 %).
"""

from __future__ import annotations

from pathlib import Path

from fineweb_kit.classifiers import manifest as mf
from fineweb_kit.classifiers.cache import cached
from fineweb_kit.classifiers.fasttext_model import KIND, FastTextClassifier, check_fasttext_file
from fineweb_kit.document import Batch
from fineweb_kit.exceptions import FormatError
from fineweb_kit.io import storage
from fineweb_kit.steps.base import BatchStep, Params, TaskContext
from fineweb_kit.steps.classifiers.bins import score_bin
from fineweb_kit.steps.params import ParamError, check_name

BIN_WIDTH = 0.05


def check_model_param(key: str, path: str, check) -> None:
    """Runs a model-file check at validation (paths under ``{output}`` exist only later)."""
    if not isinstance(path, str) or not path:
        raise ParamError(key, f"expected a model path, got {path!r}")
    if "{output}" in path or storage.is_remote(path):  # exists only later / checked on load
        return
    try:
        check(path)
    except FormatError as e:
        raise ParamError(key, str(e)) from None


def resolve_model_path(path: str, ctx: TaskContext) -> str:
    """A local model path: as given (relative to the working directory), ``{output}``
    expanded; a URL is fetched to the local cache (``io/storage.py: stage_local``)."""
    path = path.replace("{output}", str(ctx.output_root))
    if storage.is_remote(path):
        return str(storage.stage_local(path))
    return str(Path(path).resolve())


class FastTextScorer(BatchStep):
    """Annotates each document with a fastText quality score (batched, model loaded once)."""

    kind = "annotator"
    abstract = False
    requires = (("fasttext", "fasttext-numpy2-wheel"),)

    def __init__(
        self, model: str, key: str = "fasttext_score", positive_label: str | None = None
    ) -> None:
        super().__init__()
        self.model_path = model
        self.key = key
        self.positive_label = positive_label
        self.clf: FastTextClassifier | None = None

    @classmethod
    def check_params(cls, params: Params) -> None:
        super().check_params(params)

        def check(path: str) -> None:
            check_fasttext_file(path)
            mf.read_manifest(path, KIND, required=False)

        check_model_param("model", params["model"], check)
        check_name("key", params["key"])

    def setup(self, ctx: TaskContext) -> None:
        resolved = resolve_model_path(self.model_path, ctx)
        self.clf = cached(
            ("fasttext", resolved, self.positive_label),
            lambda: FastTextClassifier.load(resolved, self.positive_label),
        )

    def process_batch(self, batch: Batch, ctx: TaskContext) -> Batch:
        assert self.clf is not None, "setup() loads the model"
        scores = self.clf.score([d.text for d in batch])
        hist = f"score_{self.key}"
        for doc, s in zip(batch, scores.tolist(), strict=True):
            doc.metadata[self.key] = s
            self.stats.observe(hist, score_bin(s, BIN_WIDTH))
        return batch
