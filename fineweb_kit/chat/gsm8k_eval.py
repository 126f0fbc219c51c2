"""GSM8K evaluation: pass@1 and pass@k with the final-number checker, and tool use.

Each problem's question is rendered as a user turn (``ChatTemplate.render_prompt``), the
engine samples ``num_samples`` answers (greedy when ``temperature`` is 0), and an answer is
correct when :func:`~fineweb_kit.chat.answers.extract_final_number` of its text equals the
reference's ``#### N`` (thousands separators and signs normalised). pass@k is the unbiased
estimator of Chen et al. 2021 (Codex paper): per problem ``1 - C(n-c, k) / C(n, k)`` with
``n`` samples of which ``c`` are correct, averaged over problems; pass@1 is ``c / n``
averaged. Also reported: the share of answers that called the calculator at least once and
the share that ended their turn (``<|assistant_end|>``) within ``max_new_tokens``.
"""

from __future__ import annotations

import gzip
import json
from math import comb
from pathlib import Path
from typing import Any

from fineweb_kit.chat.answers import is_correct


def pass_at_k(n: int, c: int, k: int) -> float:
    """Probability that at least one of ``k`` of ``n`` samples (``c`` correct) is correct."""
    if n - c < k:
        return 1.0
    return 1.0 - comb(n - c, k) / comb(n, k)


def read_gsm8k(path: str | Path, limit: int | None = None) -> list[dict[str, str]]:
    """``{"question", "answer"}`` records of a GSM8K ``.jsonl`` (or ``.jsonl.gz``)."""
    opener = gzip.open if str(path).endswith(".gz") else open
    out = []
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                out.append(json.loads(line))
                if limit is not None and len(out) >= limit:
                    break
    return out


def evaluate_gsm8k(
    engine: Any,
    records: list[dict[str, str]],
    num_samples: int = 1,
    k: int = 1,
    temperature: float = 0.0,
    top_k: int | None = None,
    max_new_tokens: int = 256,
    batch_size: int = 32,
    seed: int = 0,
) -> dict[str, Any]:
    """Scores ``engine`` on ``records`` (see the module doc); returns the metrics and, under
    ``"samples"``, each problem's completions' text and correctness."""
    if k > num_samples:
        raise ValueError(f"pass@{k} needs at least {k} samples per problem, got {num_samples}")
    template = engine.template
    p1 = pk = tools = finished = 0.0
    samples = []
    for i in range(0, len(records), batch_size):
        chunk = records[i : i + batch_size]
        prompts = [
            template.render_prompt([{"role": "user", "content": r["question"]}]).tolist()
            for r in chunk
        ]
        outs = engine.generate(
            prompts,
            max_new_tokens,
            temperature=temperature,
            top_k=top_k,
            num_samples=num_samples,
            seed=seed + i,
        )
        for rec, group in zip(chunk, outs, strict=True):
            right = [is_correct(c.text, rec["answer"]) for c in group]
            c = sum(right)
            p1 += c / num_samples
            pk += pass_at_k(num_samples, c, k)
            tools += sum(x.tool_calls > 0 for x in group) / num_samples
            finished += sum(x.finished for x in group) / num_samples
            samples.append(
                {"question": rec["question"], "texts": [x.text for x in group], "correct": right}
            )
    n = max(1, len(records))
    return {
        "problems": len(records),
        "num_samples": num_samples,
        "pass@1": p1 / n,
        f"pass@{k}": pk / n,
        "tool_call_rate": tools / n,
        "finished_rate": finished / n,
        "samples": samples,
    }
