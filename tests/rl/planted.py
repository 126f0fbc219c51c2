"""Planted preference pairs: chosen and rejected answers share random words and differ only
in their last two characters (" :)" preferred over " :("), so a preference is learnable and
the two sides have the same length."""

from __future__ import annotations

import json
import random
from pathlib import Path

WORDS = [
    "sun",
    "tree",
    "river",
    "stone",
    "cloud",
    "bird",
    "road",
    "lamp",
    "door",
    "seed",
    "wind",
    "hill",
]


def planted_pairs(path: Path, n: int, seed: int = 0) -> Path:
    r = random.Random(seed)
    with open(path, "w") as f:
        for _ in range(n):
            prompt = [{"role": "user", "content": "Tell me about " + r.choice(WORDS) + "."}]
            body = " ".join(r.choice(WORDS) for _ in range(r.randint(2, 5)))
            rec = {
                "prompt": prompt,
                "chosen": [{"role": "assistant", "content": body + " :)"}],
                "rejected": [{"role": "assistant", "content": body + " :("}],
            }
            f.write(json.dumps(rec) + "\n")
    return path
