"""Configs of the post-training runs: ``kind: rm``, ``kind: dpo`` and ``kind: rl`` YAML files.

They share the pre-trainer's sections and checks (``model``, ``optim``, ``train`` from
:mod:`fineweb_kit.train.config`: unknown keys refused with "did you mean", wrong types
named) and add their own:

- ``init``: a checkpoint (run folder or ``step-*`` folder) to start from, e.g. an SFT run;
  without it a fresh model of shape ``model`` is built (tests, toy runs);
- ``tokenizer``: a fineweb-kit tokenizer file or ``bytes`` (byte-level ids); the chat special
  tokens are appended when missing. Left out with an ``init`` run, that run's tokenizer is
  used and checked against the checkpoint's fingerprint (``fineweb_kit.chat.load``);
- ``data``: where preference pairs (rm, dpo) or tasks (rl) come from;
- ``rm`` / ``dpo`` / ``rl``: the method's own knobs (documented on each dataclass).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from fineweb_kit.exceptions import ConfigError
from fineweb_kit.train.config import (
    ConfigFile,
    ModelConfig,
    OptimConfig,
    RunConfig,
    build_config,
    read_config,
)


@dataclass
class PairData:
    """Preference pairs: HH-RLHF style JSONL (``chosen``/``rejected`` dialogue texts) or
    OpenAI-style ``{"prompt": [messages], "chosen": [messages], "rejected": [messages]}``."""

    train: str = ""
    val: str | None = None
    # Without ``val``: the last ``val_fraction`` of ``train`` (after a seeded shuffle) is held out.
    val_fraction: float = 0.1
    limit: int | None = None
    # Longer sequences keep their last ``max_len`` tokens (the pair differs at the end).
    max_len: int = 512


@dataclass
class RMOptions:
    # Bradley–Terry: -log sigmoid(r_chosen - r_rejected - margin) (TRL's RewardTrainer).
    margin: float = 0.0
    # Reward centering (Eisenstein et al. 2023): + coef * mean((r_c + r_r)^2).
    center_coef: float = 0.0


@dataclass
class DPOOptions:
    beta: float = 0.1
    label_smoothing: float = 0.0


@dataclass
class TaskData:
    """Where RL tasks come from: ``kind`` ``arithmetic`` (synthetic, ``difficulty`` 1-4),
    ``gsm8k`` (a GSM8K JSONL file in ``path``) or ``file`` (a task JSONL in ``path``)."""

    kind: Literal["arithmetic", "gsm8k", "file"] = "arithmetic"
    path: str | None = None
    difficulty: int = 1
    n_train: int = 512
    n_val: int = 64
    val_path: str | None = None


@dataclass
class RewardSpec:
    """One reward function: ``checker`` (the task's own checker), ``reward_model`` (a saved
    RM folder in ``path``), ``length`` (-completion tokens / max_new_tokens) or ``token_count``
    (occurrences of ``text`` in the completion; a deliberately exploitable reward)."""

    kind: Literal["checker", "reward_model", "length", "token_count"] = "checker"
    weight: float = 1.0
    path: str | None = None
    text: str | None = None


@dataclass
class RLOptions:
    group_size: int = 8  # G samples per prompt
    prompts_per_step: int = 8
    max_new_tokens: int = 32
    temperature: float = 1.0
    top_k: int | None = None
    epsilon_low: float = 0.2  # DAPO clip-low
    epsilon_high: float = 0.28  # DAPO clip-higher
    scale_rewards: bool = True  # divide advantages by the group's std (GRPO); off: Dr. GRPO
    beta: float = 0.0  # KL(policy || reference) weight, k3 estimator
    mask_truncated: bool = True  # completions that hit max_new_tokens get no loss (DAPO)
    inner_steps: int = 1  # optimizer steps per batch of samples (mu)
    zero_advantages: bool = False  # the control run: no learning signal at all
    use_tools: bool = True
    kl_budget: float | None = None  # stop the run once the mean KL to the reference exceeds it
    eval_samples: int = 1  # held-out pass@1 from this many samples per problem
    eval_temperature: float = 0.0  # 0: greedy
    # Independent held-out check for RLHF runs (a second reward model, or "checker").
    check: RewardSpec | None = None
    rewards: list[RewardSpec] = field(default_factory=lambda: [RewardSpec()])


@dataclass
class PostTrainConfig(ConfigFile):
    kind: Literal["rm", "dpo", "rl"] = "rm"
    out_dir: str = "runs/post"
    # None: the ``init`` run's own tokenizer (an SFT run records it), else ``bytes``.
    tokenizer: str | None = None
    init: str | None = None
    model: ModelConfig = field(default_factory=ModelConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: RunConfig = field(default_factory=RunConfig)
    pairs: PairData | None = None
    tasks: TaskData | None = None
    rm: RMOptions = field(default_factory=RMOptions)
    dpo: DPOOptions = field(default_factory=DPOOptions)
    rl: RLOptions = field(default_factory=RLOptions)
    source: str = ""


def _check(c: PostTrainConfig, src: str) -> None:
    if c.kind in ("rm", "dpo") and (c.pairs is None or not c.pairs.train):
        raise ConfigError(f"{src}: pairs.train: a {c.kind} run needs preference pairs")
    if c.kind == "rl" and c.tasks is None:
        raise ConfigError(f"{src}: tasks: an rl run needs a tasks section")
    if c.tasks and c.tasks.kind != "arithmetic" and not c.tasks.path:
        raise ConfigError(f"{src}: tasks.path: tasks of kind {c.tasks.kind!r} need a file")
    if c.pairs and not 0 <= c.pairs.val_fraction < 1:
        raise ConfigError(f"{src}: pairs.val_fraction: expected a number in [0, 1)")
    r = c.rl
    if r.group_size < 2 and not r.zero_advantages:
        raise ConfigError(f"{src}: rl.group_size: group-relative advantages need >= 2 samples")
    for spec in [*r.rewards, *([r.check] if r.check else [])]:
        if spec.kind == "reward_model" and not spec.path:
            raise ConfigError(f"{src}: rl.rewards: a reward_model reward needs path")
        if spec.kind == "token_count" and not spec.text:
            raise ConfigError(f"{src}: rl.rewards: a token_count reward needs text")
    for key in ("batch_size", "max_steps", "log_interval", "eval_interval"):
        if getattr(c.train, key) < 1:
            raise ConfigError(f"{src}: train.{key}: expected an integer >= 1")
    if c.optim.lr <= 0:
        raise ConfigError(f"{src}: optim.lr: expected > 0")


def parse_post_config(data: Any, source: str) -> PostTrainConfig:
    cfg = build_config(PostTrainConfig, data, source)
    _check(cfg, source)
    return cfg


def load_post_config(path: str | Path, overrides: list[str] | None = None) -> PostTrainConfig:
    """Loads a ``kind: rm | dpo | rl`` YAML with ``section.key=value`` overrides."""
    return parse_post_config(read_config(path, overrides), str(path))
