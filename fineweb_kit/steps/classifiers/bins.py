"""Histogram bins of scores for ``fineweb-kit report`` (numeric labels, so it sorts them)."""

from __future__ import annotations

import math


def score_bin(score: float, width: float) -> str:
    """The lower edge of ``score``'s bin of ``width``, as a short numeric label."""
    if not math.isfinite(score):
        return "nan"
    edge = math.floor(score / width + 1e-9) * width
    return f"{edge:.2f}"
