"""Trafilatura: FineWeb's text extractor (main content of a page, boilerplate removed).

Settings are FineWeb's, as in datatrove's ``Trafilatura`` step used by ``examples/fineweb.py``:
``favor_precision=True`` (less text, but more surely main content), ``include_comments=False``,
``deduplicate=True`` (trafilatura drops repeated segments seen in recent pages of this process),
no images, no tables' markup, plain text output. Default ``timeout`` 1 s per page as in
datatrove's ``BaseExtractor`` -- but enforced by a timer in the worker (see :mod:`.timeout`)
instead of datatrove's sandbox process, which pays pipe transfers for every page.
"""

from __future__ import annotations

from fineweb_kit.steps.extractors.base import Extractor


class Trafilatura(Extractor):
    """Main-content text with trafilatura (FineWeb settings).

    ``favour_precision``: trafilatura's favor_precision (FineWeb: true). ``deduplicate``:
    trafilatura's deduplicate (FineWeb: true). ``include_tables``: keep table text (trafilatura
    default: true). ``fast``: trafilatura's ``no_fallback``, i.e. skip the comparison with its
    readability / jusText fallbacks on pages where its own result looks poor; faster, but not
    FineWeb's setting (default false).
    """

    requires = (("trafilatura", "trafilatura"),)

    def __init__(
        self,
        timeout: float = 1.0,
        max_html_chars: int = 10_000_000,
        favour_precision: bool = True,
        deduplicate: bool = True,
        include_tables: bool = True,
        fast: bool = False,
    ) -> None:
        super().__init__(timeout=timeout, max_html_chars=max_html_chars)
        self.favour_precision = favour_precision
        self.deduplicate = deduplicate
        self.include_tables = include_tables
        self.fast = fast

    def extract(self, html: str) -> str:
        from trafilatura import extract

        return (
            extract(
                html,
                favor_precision=self.favour_precision,
                include_comments=False,
                deduplicate=self.deduplicate,
                include_tables=self.include_tables,
                no_fallback=self.fast,
            )
            or ""
        )
