"""Reward functions of an RL run, built from the config's ``rl.rewards`` list and summed
with their weights. Each maps a batch ``(tasks, completions)`` to one float per completion:

- ``checker``: the task's own checker on the completion text (verifiable rewards);
- ``reward_model``: a saved reward model (``kind: rm`` run folder) scoring the conversation
  (the task's prompt + the completion as the assistant turn): RLHF;
- ``length``: ``-tokens / max_new_tokens`` (a brevity pressure);
- ``token_count``: occurrences of ``text`` in the completion: deliberately exploitable, for
  reward-hacking demonstrations.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fineweb_kit.rl.config import RewardSpec
from fineweb_kit.rl.tasks import Task

RewardFn = Callable[[Sequence[Task], Sequence[Any]], list[float]]


def build_reward(spec: RewardSpec, max_new_tokens: int, device: Any = "cpu") -> RewardFn:
    """The reward function of one ``RewardSpec`` (completions are engine ``Completion``s)."""
    if spec.kind == "checker":
        return lambda tasks, comps: [t.reward(c.text) for t, c in zip(tasks, comps, strict=True)]
    if spec.kind == "length":
        return lambda tasks, comps: [-len(c.ids) / max(1, max_new_tokens) for c in comps]
    if spec.kind == "token_count":
        needle = spec.text or ""
        return lambda tasks, comps: [float(c.text.count(needle)) for c in comps]
    from fineweb_kit.rl.reward_model import RewardScorer

    scorer = RewardScorer.load(spec.path or "", device)

    def rm(tasks: Sequence[Task], comps: Sequence[Any]) -> list[float]:
        convs = [
            [*t.messages(), {"role": "assistant", "content": c.text}]
            for t, c in zip(tasks, comps, strict=True)
        ]
        return scorer.score_conversations(convs)

    return rm
