"""Detection rate of planted pairs of known Jaccard similarity vs 1 - (1 - s^8)^14."""

from __future__ import annotations

import functools
import random

import numpy as np
import pytest

from fineweb_kit.dedup.minhash import MinhashSettings
from tests.dedup.corpus import real_docs

N_WORDS = 300
N_PAIRS = 1000


def planted_pair(vocab: list[str], s: float, rng: random.Random) -> tuple[str, str, float]:
    """Two texts of distinct words whose 5-gram sets have Jaccard similarity ~ s.

    B repeats A's first k words, then new words: shared 5-grams k - 4, union 2(N - 4) - (k - 4).
    """
    n = N_WORDS
    k = round((s * (2 * n - 4) + 4) / (1 + s))
    words = rng.sample(vocab, 2 * n - k)
    a, b = words[:n], words[:k] + words[n:]
    exact = (k - 4) / (2 * (n - 4) - (k - 4))
    return " ".join(a), " ".join(b), exact


@functools.cache
def vocabulary() -> list[str]:
    return sorted({w.lower() for d in real_docs() for w in d["text"].split() if w.isalpha()})


@pytest.mark.parametrize("s", [0.6, 0.7, 0.8, 0.9])
def test_detection_rate_follows_theory(s):
    settings = MinhashSettings()
    params = settings.core()
    vocab = vocabulary()
    assert len(vocab) > 2 * N_WORDS
    rng = random.Random(int(s * 100))
    pairs = [planted_pair(vocab, s, rng) for _ in range(N_PAIRS)]
    sig_a, ok_a = params.signatures([p[0] for p in pairs])
    sig_b, ok_b = params.signatures([p[1] for p in pairs])
    assert ok_a.all() and ok_b.all()
    r, b = settings.hashes_per_bucket, settings.num_buckets
    same = (sig_a == sig_b).reshape(N_PAIRS, b, r).all(axis=2).any(axis=1)
    exact = np.mean([p[2] for p in pairs])
    expected = 1 - (1 - exact**r) ** b
    measured = same.mean()
    print(f"s={exact:.3f}: detected {measured:.3f}, theory {expected:.3f}")
    assert abs(measured - expected) <= 0.05
