"""Pages too deep or with too many tags for a parser, found before parsing (Rust byte scan).

:func:`oversized_shapes` scans a batch of raw HTML with ``_core.html_shapes``
(``rust/fineweb-kit-extract/src/html_guard.rs``: one pass per page, GIL released, pages in
parallel, an early stop once a limit is exceeded) and says, per page, whether it
is over a limit. The depth is the nesting an HTML5 parser would build, approximately (implied end
tags of ``p``, ``li``, table cells, ... are applied; void and raw-text elements skipped).

Defaults, from the shared real pages (885 pages of ``../shared/data/html`` and the 590 HTML
responses of ``../shared/data/warc``; ``benchmarks/html_shape_stats.py``, results in
``benchmarks/results/html_shape_stats.md``): nesting depth p50 16, p99 32, max 51; tags p50
673, p99 2,707, max 10,106. ``max_tag_depth`` 1,000 (20x the deepest real page; Resiliparse
needs 0.05 s at that depth, 1-2 s at 4,000 and grows with the square) and ``max_tags``
100,000 (10x the largest real page; trafilatura needs 30-60 s for 100,000 ``<span>``s) drop
none of them.
"""

from __future__ import annotations

from collections.abc import Sequence

from fineweb_kit import _core

DEFAULT_MAX_DEPTH = 1000
DEFAULT_MAX_TAGS = 100_000
TOO_DEEP = "too_deep"
TOO_MANY_TAGS = "too_many_tags"


def oversized_shapes(
    pages: list[str] | list[bytes], max_depth: int, max_tags: int
) -> list[str | None]:
    """Per page: ``None`` (fine), ``"too_deep"`` or ``"too_many_tags"``. A limit <= 0 is off."""
    if (max_depth <= 0 and max_tags <= 0) or not pages:
        return [None] * len(pages)
    unlimited = 2**64 - 1
    depth_limit = max_depth if max_depth > 0 else unlimited
    tags_limit = max_tags if max_tags > 0 else unlimited
    depths, tags = _core.html_shapes(pages, depth_limit, tags_limit)
    return [
        TOO_DEEP if d > depth_limit else TOO_MANY_TAGS if t > tags_limit else None
        for d, t in zip(depths.tolist(), tags.tolist(), strict=True)
    ]


def html_shapes(pages: Sequence[str]) -> tuple[list[int], list[int]]:
    """Full measurement, no early stop: (deepest nesting, start tags) of each page."""
    depths, tags = _core.html_shapes(list(pages))
    return depths.tolist(), tags.tolist()
