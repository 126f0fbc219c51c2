"""Counters that steps keep, per input file, merged into a run's ``stats.json``.

Layout (datatrove-like): per stage, a list of steps in order, each with its counters
(``documents_in``, ``documents_out``, ``bytes_in``, ``dropped_<reason>``, ...), its wall time,
and named distributions (``hists``: for example ``language`` -> {"en": 12}) used by the report.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class StepStats:
    """The counters of one step. Plain numbers so merging is a sum."""

    counters: Counter[str] = field(default_factory=Counter)
    hists: dict[str, Counter[str]] = field(default_factory=dict)
    time_s: float = 0.0

    def add(self, name: str, value: float = 1) -> None:
        """Adds ``value`` to counter ``name``."""
        self.counters[name] += value  # type: ignore[assignment]  # totals may be float

    def observe(self, hist: str, key: str, value: int = 1) -> None:
        """Counts ``key`` in distribution ``hist`` (a language, a length bin, ...)."""
        self.hists.setdefault(hist, Counter())[key] += value

    def merge(self, other: StepStats) -> None:
        """Adds another file's or task's stats into this one."""
        self.counters.update(other.counters)
        for name, hist in other.hists.items():
            self.hists.setdefault(name, Counter()).update(hist)
        self.time_s += other.time_s

    def to_json(self) -> dict[str, Any]:
        return {
            "counters": dict(sorted(self.counters.items())),
            "hists": {k: dict(sorted(v.items())) for k, v in sorted(self.hists.items())},
            "time_s": round(self.time_s, 6),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StepStats:
        return cls(
            counters=Counter(data.get("counters", {})),
            hists={k: Counter(v) for k, v in data.get("hists", {}).items()},
            time_s=float(data.get("time_s", 0.0)),
        )


def length_bin(n_chars: int) -> str:
    """Log2 bin label of a document length, for the report's length histogram."""
    if n_chars <= 0:
        return "0"
    return str(1 << (n_chars.bit_length() - 1))
