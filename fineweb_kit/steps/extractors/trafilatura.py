"""Trafilatura: FineWeb's text extractor (main content of a page, boilerplate removed).

Settings are FineWeb's, as in datatrove's ``Trafilatura`` step used by ``examples/fineweb.py``:
``favor_precision=True`` (less text, but more surely main content), ``include_comments=False``,
``deduplicate=True`` (trafilatura drops repeated segments seen in recent pages of this process),
no images, no tables' markup, plain text output. Default ``timeout`` 1 s per page as in
datatrove's ``BaseExtractor``, enforced in a killable child process (``isolation: process``,
see :mod:`.base`). With ``deduplicate``, trafilatura's cache of recent segments lives in that
child and starts empty again after a restart (a killed or crashed page).
"""

from __future__ import annotations

from typing import Any

from fineweb_kit.steps.extractors.base import Extractor


class Trafilatura(Extractor):
    """Main-content text with trafilatura (FineWeb settings).

    ``favour_precision``: trafilatura's favor_precision (FineWeb: true). ``deduplicate``:
    trafilatura's deduplicate (FineWeb: true). ``include_tables``: keep table text (trafilatura
    default: true). ``fast``: trafilatura's ``no_fallback``, i.e. skip the comparison with its
    readability / jusText fallbacks on pages where its own result looks poor; faster, but not
    FineWeb's setting (default false). The timeout, guards and isolation settings are
    :class:`Extractor`'s.
    """

    default_isolation = "process"
    requires = (("trafilatura", "trafilatura"),)

    def __init__(
        self,
        *,
        favour_precision: bool = True,
        deduplicate: bool = True,
        include_tables: bool = True,
        fast: bool = False,
        **settings: Any,
    ) -> None:
        super().__init__(**settings)
        self.favour_precision = favour_precision
        self.deduplicate = deduplicate
        self.include_tables = include_tables
        self.fast = fast

    def load(self) -> None:
        import trafilatura  # noqa: F401  (lxml, justext, readability: ~0.5 s)

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
