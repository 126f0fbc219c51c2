"""Entry point of ``fineweb-kit train`` for ``kind: rm | dpo | rl`` configs."""

from __future__ import annotations

from typing import Any

from fineweb_kit.rl.config import PostTrainConfig, load_post_config


def trainer_for(cfg: PostTrainConfig, stop_after: int | None = None) -> Any:
    """The trainer class of ``cfg.kind``, constructed (loads data and model, resumes)."""
    if cfg.kind == "rm":
        from fineweb_kit.rl.reward_model import RMTrainer

        return RMTrainer(cfg, stop_after)
    if cfg.kind == "dpo":
        from fineweb_kit.rl.dpo import DPOTrainer

        return DPOTrainer(cfg, stop_after)
    from fineweb_kit.rl.grpo import GRPOTrainer

    return GRPOTrainer(cfg, stop_after)


def train_post(
    path: str, overrides: list[str] | None = None, stop_after: int | None = None
) -> list[dict[str, Any]]:
    """Loads the YAML at ``path`` and runs it; returns this invocation's log rows."""
    cfg = load_post_config(path, overrides)
    return trainer_for(cfg, stop_after).run()
