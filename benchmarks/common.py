"""Shared helpers of the benchmark scripts: timing, machine description, tables."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable
from importlib import metadata
from typing import Any


def timed_runs(fn: Callable[[], Any], runs: int = 3, warmup: int = 0) -> list[float]:
    """Wall-clock seconds of ``runs`` calls of ``fn`` (after ``warmup`` untimed calls)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def versions(*packages: str) -> str:
    out = []
    for p in packages:
        try:
            out.append(f"{p} {metadata.version(p)}")
        except metadata.PackageNotFoundError:
            out.append(f"{p} (not installed)")
    return ", ".join(out)


def machine() -> str:
    """CPU model, cores and Python, for the header of every benchmark table."""
    cpu = platform.processor() or "?"
    try:
        info = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in info.splitlines():
            if line.startswith("Model name:"):
                cpu = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def table(headers: list[str], rows: list[list[Any]]) -> str:
    """A Markdown table (pasted into the README as is)."""
    cells = [[str(c) for c in r] for r in rows]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in cells]
    return "\n".join(lines)
