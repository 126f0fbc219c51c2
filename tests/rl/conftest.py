"""Fixtures of the RL tests: one tiny SFT model for the session (see ``sft_fixture.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fineweb_kit.rl.config import TaskData
from fineweb_kit.rl.grpo import load_tasks
from tests.rl.sft_fixture import train_tiny_sft

# The RL task of the tests: bare one-digit sums and differences ("What is 7 - 3?").
ARITH = {"kind": "arithmetic", "difficulty": 0, "n_train": 2000, "n_val": 48}


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """Tiny models run fastest on one thread (and leave the other core to other tests)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_sft(tmp_path_factory) -> Path:
    """A byte-level 2x64 GPT after 300 SFT steps on the training problems of ``ARITH`` (never
    its held-out ones), half of whose answers carry a wrong second guess ("7 or 8"): the
    model starts with a habit that a verifiable reward can remove."""
    out = tmp_path_factory.mktemp("tiny-sft")
    train, _ = load_tasks(TaskData(**ARITH), seed=0)
    train_tiny_sft(out, train, steps=300, hedge=0.5)
    return out
