"""Dedup pipelines on a folder of JSONL files (helpers for the dedup tests): our four MinHash
stages, and the three stages of exact and sentence dedup."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.pipeline.helpers import cli, read_jsonl_folder, write_pipeline


def minhash_pipeline(
    inputs: Path,
    output: Path,
    config: dict[str, Any] | None = None,
    budget_mb: float = 64,
    tasks: int = 2,
    annotate: bool = True,
    write: bool = True,
    name: str = "minhash-test",
) -> dict[str, Any]:
    """The four stages as a pipeline mapping; ``write``: the filter stage writes the kept
    documents to ``deduped`` and the removed ones to ``removed`` (false: it only counts, as
    benchmarks/minhash_bench.py times it)."""
    mh = {"folder": "minhash", "config": dict(config or {})}
    reader = {"type": "JsonlReader", "paths": str(inputs / "*.jsonl.gz")}
    dedup: dict[str, Any] = {"type": "MinhashFilter", "annotate": annotate, **mh}
    filter_steps: list[dict[str, Any]] = [reader, dedup]
    if write:
        dedup["exclusion_writer"] = {"type": "JsonlWriter", "output_folder": "removed"}
        filter_steps.append({"type": "JsonlWriter", "output_folder": "deduped"})
    return {
        "name": name,
        "output": str(output),
        "executor": {"type": "local", "tasks": tasks, "workers": 1},
        "stages": [
            {
                "name": "signatures",
                "steps": [
                    reader,
                    {"type": "MinhashSignature", "memory_budget_mb": budget_mb, **mh},
                ],
            },
            {
                "name": "buckets",
                "steps": [{"type": "MinhashBuckets", "memory_budget_mb": budget_mb, **mh}],
            },
            {"name": "cluster", "steps": [{"type": "MinhashCluster", **mh}]},
            {"name": "filter", "steps": filter_steps},
        ],
    }


def run_minhash(tmp: Path, inputs: Path, **kwargs: Any) -> tuple[list[dict], list[dict]]:
    """Runs the pipeline; returns (kept records, removed records)."""
    out = tmp / "out"
    cfg = write_pipeline(tmp / "minhash.yaml", minhash_pipeline(inputs, out, **kwargs))
    cli("run", str(cfg), "--plain", check=True)
    return read_jsonl_folder(out / "deduped"), read_jsonl_folder(out / "removed")


def key_pipeline(method: str, inputs: Path, out: Path | str, **filter_args: Any) -> dict:
    """Exact or sentence dedup (``method``: exact | sentence) as three stages, 2 tasks each:
    keys, find (a small memory budget), filter; kept documents in ``kept/``, removed in
    ``removed/``."""
    reader = {"type": "JsonlReader", "paths": str(inputs / "*.jsonl.gz")}
    prefix = {"exact": "ExactDedup", "sentence": "SentenceDedup"}[method]
    return {
        "name": f"{method}-test",
        "output": str(out),
        "executor": {"type": "local", "tasks": 2, "workers": 1},
        "stages": [
            {"name": "keys", "steps": [reader, {"type": f"{prefix}Signature"}]},
            {"name": "find", "steps": [{"type": f"{prefix}Find", "memory_budget_mb": 0.05}]},
            {
                "name": "filter",
                "steps": [
                    reader,
                    {
                        "type": f"{prefix}Filter",
                        **filter_args,
                        "exclusion_writer": {"type": "JsonlWriter", "output_folder": "removed"},
                    },
                    {"type": "JsonlWriter", "output_folder": "kept"},
                ],
            },
        ],
    }
