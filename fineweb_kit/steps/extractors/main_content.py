"""MainContentExtractor: fineweb-kit's own main-content extractor (Rust core), FineWeb's slot.

Trafilatura-like quality and output (one line per paragraph / heading / list item / table row)
at resiliparse-like speed; the algorithm is described in :mod:`fineweb_kit.extract.main_content`.
A batch goes to Rust in one call with the GIL released; the per-page time budget is enforced
inside the Rust parse, so no Python timer runs per page. Counters as for every extractor:
``dropped_too_large``, ``timeouts``, ``dropped_empty``.
"""

from __future__ import annotations

from fineweb_kit.document import Batch
from fineweb_kit.extract.main_content import BIASES, extract_batch
from fineweb_kit.steps.base import Params, TaskContext
from fineweb_kit.steps.extractors.base import Extractor
from fineweb_kit.steps.params import ParamError, check_choice, check_positive_int

NO_BYTE_LIMIT = 1 << 62  # the step limits characters (``max_html_chars``), as other extractors


class MainContentExtractor(Extractor):
    """Main-content text with fineweb-kit's Rust extractor.

    ``bias``: ``precision`` (FineWeb's choice), ``balanced`` or ``recall``.
    ``include_tables``: keep table text. ``include_title``: the page title as first line.
    ``min_text_chars``: shorter extractions count as empty (dropped). ``timeout``: seconds per
    page, enforced inside the extraction. ``max_html_chars``: larger pages dropped unparsed.
    ``threads``: pages extracted in parallel inside one batch (1: one core, as a worker).
    """

    def __init__(
        self,
        timeout: float = 1.0,
        max_html_chars: int = 10_000_000,
        bias: str = "precision",
        include_tables: bool = True,
        include_title: bool = False,
        min_text_chars: int = 0,
        threads: int = 1,
    ) -> None:
        super().__init__(timeout=timeout, max_html_chars=max_html_chars)
        if bias not in BIASES:
            raise ParamError("bias", f"expected one of {', '.join(BIASES)}, got {bias!r}")
        for name, value in (("min_text_chars", min_text_chars), ("threads", threads)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ParamError(name, f"expected a non-negative integer, got {value!r}")
        self.options = {
            "bias": bias,
            "include_tables": bool(include_tables),
            "include_title": bool(include_title),
            "min_text_chars": min_text_chars,
            "max_html_bytes": NO_BYTE_LIMIT,
            "timeout": self.timeout,
            "threads": max(threads, 1),
        }

    @classmethod
    def check_params(cls, params: Params) -> None:
        super().check_params(params)
        check_choice("bias", params["bias"], BIASES)
        for name in ("min_text_chars", "threads"):
            check_positive_int(name, params[name], minimum=0)

    def extract(self, html: str) -> str:
        return extract_batch([html], **self.options)[0].text  # type: ignore[arg-type]

    def process_batch(self, batch: Batch, ctx: TaskContext) -> Batch:
        fits = []
        for doc in batch:
            if len(doc.text) > self.max_html_chars:
                self.stats.add("dropped_too_large")
            else:
                fits.append(doc)
        out: Batch = []
        results = extract_batch([d.text for d in fits], **self.options)  # type: ignore[arg-type]
        for doc, result in zip(fits, results, strict=True):
            if result.status == "timeout":
                self.stats.add("timeouts")
                ctx.log.warning(
                    "%s: extraction of %s (%s) took over %gs; dropped",
                    self.name,
                    doc.id,
                    doc.url,
                    self.timeout,
                )
            elif result.status == "too_large":
                self.stats.add("dropped_too_large")
            elif not result.text.strip():
                self.stats.add("dropped_empty")
            else:
                doc.set_text(result.text)
                out.append(doc)
        return out
