"""GRPO with the DAPO loss on verifiable tasks, and RLHF with a reward model
(``fineweb-kit train rl.yaml``).

Per step, ``prompts_per_step`` tasks are drawn (seeded by the step) and the KV-cache
:class:`~fineweb_kit.chat.engine.Engine` samples ``group_size`` (G) completions of each.
Rewards are the weighted sum of the configured reward functions (:mod:`.rewards`).
Advantages are group-relative: ``A = r - mean(group)``, divided by the group's std when
``scale_rewards`` (GRPO; off is Dr. GRPO's unbiased form); ``zero_advantages`` sets A = 0,
the control run that must not learn. The loss (TRL's ``GRPOTrainer`` with
``loss_type: dapo``):

    ratio = exp(log π(o_t) - log π_old(o_t))
    L_t   = -min(ratio A, clip(ratio, 1 - ε_low, 1 + ε_high) A) + β KL_t
    KL_t  = exp(ref_t - logπ_t) - (ref_t - logπ_t) - 1           (k3 estimator, Schulman)
    loss  = Σ_t L_t m_t / Σ_t m_t                                 (token-level, whole batch)

where the mask ``m`` is 1 on tokens the model sampled: forced tool outputs are 0 (they are
the calculator's, not the policy's), and truncated completions (no ``<|assistant_end|>``
within ``max_new_tokens``) are 0 throughout when ``mask_truncated`` (DAPO's overlong
filtering). With ``inner_steps`` = 1, π_old = π (ratio 1, the clip inactive) as in TRL.

Logged per step: reward mean/std (and per reward function), completion length, truncated
share, KL to the reference (when ``beta`` > 0 or a ``kl_budget`` is set; the frozen reference
is kept only then), clip fraction, entropy; every ``eval_interval`` steps the held-out
pass@1 (greedy unless ``eval_temperature``) and, with ``rl.check``, the independent check on
held-out prompts beside the reward. ``kl_budget`` stops the run once the KL exceeds it (RLHF).
At the end ``OUT/report.png`` plots reward, held-out check and KL per step. Resume and
determinism follow the pre-trainer: task choice and sampling seeds are functions of the
step; RNG state and optimizer are checkpointed.
"""

from __future__ import annotations

import copy
import json
import random
import time
from typing import Any

import torch
from torch import nn

from fineweb_kit.chat.engine import Completion, Engine
from fineweb_kit.chat.template import ChatTemplate
from fineweb_kit.exceptions import ConfigError
from fineweb_kit.rl.config import PostTrainConfig, TaskData
from fineweb_kit.rl.logprobs import logprobs_and_entropy, pad_right
from fineweb_kit.rl.rewards import build_reward
from fineweb_kit.rl.runs import PostTrainer
from fineweb_kit.rl.tasks import Task, arithmetic_tasks, load_gsm8k, load_task_file


def load_tasks(t: TaskData, seed: int) -> tuple[list[Task], list[Task]]:
    """(train, held-out) tasks of a ``tasks`` section."""
    if t.kind == "arithmetic":
        # held-out problems are distinct prompts, never seen in training
        val = list(
            {x.prompt: x for x in arithmetic_tasks(t.n_val, t.difficulty, seed + 1)}.values()
        )
        held = {x.prompt for x in val}
        pool = arithmetic_tasks(t.n_train + 4 * t.n_val, t.difficulty, seed)
        return [x for x in pool if x.prompt not in held][: t.n_train], val
    assert t.path is not None
    if t.kind == "gsm8k":
        train = load_gsm8k(t.path, t.n_train + (0 if t.val_path else t.n_val))
        given = load_gsm8k(t.val_path, t.n_val) if t.val_path else None
    else:
        train = load_task_file(t.path)
        given = load_task_file(t.val_path)[: t.n_val] if t.val_path else None
    if given is not None:
        return train[: t.n_train], given
    return train[: t.n_train], train[t.n_train : t.n_train + t.n_val]


def group_advantages(rewards: torch.Tensor, group_size: int, scale: bool) -> torch.Tensor:
    """``r - mean`` per group of ``group_size`` consecutive rewards, / (std + 1e-4) if ``scale``."""
    g = rewards.view(-1, group_size)
    adv = g - g.mean(dim=1, keepdim=True)
    if scale:
        adv = adv / (g.std(dim=1, keepdim=True) + 1e-4)
    return adv.reshape(-1)


def completion_rows(
    prompts: list[list[int]], comps: list[Completion], group_size: int, mask_truncated: bool
) -> tuple[list[list[int]], list[list[int]]]:
    """Training rows ``prompt + completion`` and their loss masks: 0 on the prompt, the
    engine's mask on the completion (0 on forced tool outputs), all 0 for a truncated
    completion when ``mask_truncated``. ``comps`` holds ``group_size`` samples per prompt."""
    seqs, masks = [], []
    for i, comp in enumerate(comps):
        p = prompts[i // group_size]
        keep = 0 if (comp.truncated and mask_truncated) else 1
        seqs.append(p + comp.ids)
        masks.append([0] * len(p) + [m * keep for m in comp.mask])
    return seqs, masks


def dapo_loss(
    logp: torch.Tensor,
    old_logp: torch.Tensor,
    advantages: torch.Tensor,
    mask: torch.Tensor,
    eps_low: float,
    eps_high: float,
    ref_logp: torch.Tensor | None = None,
    beta: float = 0.0,
    n_tokens: torch.Tensor | float | None = None,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The clipped token-level loss over (B, T) tensors (see the module doc); ``n_tokens``
    normalises (default: the mask's sum). Returns the loss and summed statistics."""
    ratio = torch.exp(logp - old_logp)
    a = advantages[:, None]
    clipped = torch.clamp(ratio, 1 - eps_low, 1 + eps_high)
    per_token = -torch.min(ratio * a, clipped * a)
    kl = None
    if ref_logp is not None:
        d = ref_logp - logp
        kl = torch.exp(d) - d - 1
        if beta:
            per_token = per_token + beta * kl
    denom = mask.sum().clamp_min(1) if n_tokens is None else n_tokens
    loss = (per_token * mask).sum() / denom
    with torch.no_grad():
        is_clipped = ((ratio < 1 - eps_low) & (a < 0)) | ((ratio > 1 + eps_high) & (a > 0))
        stats = {"clipped": (is_clipped.float() * mask).sum()}
        if kl is not None:
            stats["kl"] = (kl * mask).sum()
    return loss, stats


class GRPOTrainer(PostTrainer):
    """``kind: rl`` runs (GRPO on tasks; RLHF when a reward is a reward model)."""

    def __init__(self, cfg: PostTrainConfig, stop_after: int | None = None) -> None:
        super().__init__(cfg, stop_after)
        assert cfg.tasks is not None
        self.train_tasks, self.val_tasks = load_tasks(cfg.tasks, cfg.train.seed)
        if not self.train_tasks:
            raise ConfigError(f"{cfg.source}: tasks: no training tasks")
        self.template = ChatTemplate(self.tokenizer)
        self.policy = self.base_model()
        self.train_tasks = self._fitting(self.train_tasks, "training")
        self.val_tasks = self._fitting(self.val_tasks, "held-out")
        r = cfg.rl
        self.reference: nn.Module | None = None
        if r.beta > 0 or r.kl_budget is not None:
            self.reference = copy.deepcopy(self.policy).eval().requires_grad_(False)
        self.engine = Engine(self.policy, self.template)
        self.rewards = [(s, build_reward(s, r.max_new_tokens, self.device)) for s in r.rewards]
        self.check = build_reward(r.check, r.max_new_tokens, self.device) if r.check else None
        self.make_optimizer(self.policy)
        self.resume()

    def trained(self) -> nn.Module:
        return self.policy

    def _fitting(self, tasks: list[Task], what: str) -> list[Task]:
        """Tasks whose prompt leaves room for at least 16 new tokens in the context."""
        room = self.policy.cfg.max_seq_len - 16
        lengths = [len(p) for p in self._prompts(tasks)]
        kept = [t for t, n in zip(tasks, lengths, strict=True) if n <= room]
        if len(kept) < len(tasks):
            print(
                f"{len(tasks) - len(kept)} of {len(tasks)} {what} tasks skipped: prompt longer "
                f"than max_seq_len {self.policy.cfg.max_seq_len} - 16 tokens",
                flush=True,
            )
        if what == "training" and not kept:
            raise ConfigError(f"{self.cfg.source}: no training task fits the model's context")
        return kept

    # ------------------------------------------------------------------ sampling
    def _prompts(self, tasks: list[Task]) -> list[list[int]]:
        return [self.template.render_prompt(t.messages()).tolist() for t in tasks]

    def sample(self, tasks: list[Task], seed: int, n: int, temperature: float) -> list:
        r = self.cfg.rl
        return self.engine.generate(
            self._prompts(tasks),
            r.max_new_tokens,
            temperature=temperature,
            top_k=r.top_k,
            num_samples=n,
            seed=seed,
            use_tools=r.use_tools,
        )

    def score(self, tasks: list[Task], comps: list[Completion]) -> tuple[torch.Tensor, dict]:
        total = torch.zeros(len(comps))
        parts = {}
        for spec, fn in self.rewards:
            values = torch.tensor(fn(tasks, comps), dtype=torch.float32)
            parts[f"reward_{spec.kind}"] = float(values.mean())
            total += spec.weight * values
        return total, parts

    # ------------------------------------------------------------------ one step
    def train_step(self) -> dict[str, float]:
        c, r = self.cfg, self.cfg.rl
        lr = self.set_lr()
        t0 = time.perf_counter()
        pick = random.Random(c.train.seed * 1_000_003 + self.step)
        tasks = pick.sample(self.train_tasks, min(r.prompts_per_step, len(self.train_tasks)))
        groups = self.sample(tasks, c.train.seed * 7919 + self.step, r.group_size, r.temperature)
        comps = [comp for g in groups for comp in g]
        flat_tasks = [t for t in tasks for _ in range(r.group_size)]
        rewards, parts = self.score(flat_tasks, comps)
        t_gen = time.perf_counter() - t0
        adv = group_advantages(rewards, r.group_size, r.scale_rewards)
        if r.zero_advantages:
            adv = torch.zeros_like(adv)
        seqs, masks = completion_rows(self._prompts(tasks), comps, r.group_size, r.mask_truncated)
        stats = self._optimize(seqs, masks, adv)
        lengths = [len(comp.ids) for comp in comps]
        return {
            "lr": lr,
            "reward_mean": float(rewards.mean()),
            "reward_std": float(rewards.std()) if len(rewards) > 1 else 0.0,
            **parts,
            "completion_length": sum(lengths) / len(lengths),
            "truncated": sum(comp.truncated for comp in comps) / len(comps),
            **stats,
            "gen_s": t_gen,
            "step_s": time.perf_counter() - t0,
        }

    def _optimize(self, seqs: list, masks: list, adv: torch.Tensor) -> dict[str, float]:
        c, r, dev = self.cfg, self.cfg.rl, self.device
        ids, _ = pad_right(seqs, 0, dev)
        mask_full, _ = pad_right(masks, 0, dev)
        mask = mask_full[:, 1:].float()
        adv = adv.to(dev)
        n_tokens = mask.sum().clamp_min(1)
        mb = max(1, c.train.batch_size)
        chunks = [slice(i, i + mb) for i in range(0, len(seqs), mb)]
        with torch.no_grad():
            old = None
            if r.inner_steps > 1:
                old = torch.cat([logprobs_and_entropy(self.policy, ids[s])[0] for s in chunks])
            ref = None
            if self.reference is not None:
                ref = torch.cat([logprobs_and_entropy(self.reference, ids[s])[0] for s in chunks])
        out: dict[str, float] = {}
        for _ in range(r.inner_steps):
            sums = {"loss": 0.0, "clipped": 0.0, "kl": 0.0, "entropy": 0.0}
            for s in chunks:
                logp, ent = logprobs_and_entropy(self.policy, ids[s])
                old_s = old[s] if old is not None else logp.detach()
                loss, st = dapo_loss(
                    logp,
                    old_s,
                    adv[s],
                    mask[s],
                    r.epsilon_low,
                    r.epsilon_high,
                    ref[s] if ref is not None else None,
                    r.beta,
                    n_tokens,
                )
                loss.backward()
                sums["loss"] += float(loss.detach())
                sums["clipped"] += float(st["clipped"])
                sums["kl"] += float(st.get("kl", 0.0))
                sums["entropy"] += float((ent * mask[s]).sum())
            norm = self.optimizer_step(self.policy)
            n = float(n_tokens)
            out = {
                "loss": sums["loss"],
                "grad_norm": float(norm),
                "clip_fraction": sums["clipped"] / n,
                "entropy": sums["entropy"] / n,
            }
            if ref is not None:
                out["kl"] = sums["kl"] / n
        return out

    # ------------------------------------------------------------------ evaluation
    def evaluate(self) -> dict[str, float]:
        r = self.cfg.rl
        if not self.val_tasks:
            return {}
        groups = self.sample(
            self.val_tasks, 123_457, r.eval_samples, r.eval_temperature if r.eval_samples else 0
        )
        tasks = [t for t in self.val_tasks for _ in range(r.eval_samples)]
        comps = [comp for g in groups for comp in g]
        out = {
            "val_pass1": sum(t.reward(comp.text) for t, comp in zip(tasks, comps, strict=True))
            / len(comps)
        }
        total, _ = self.score(tasks, comps)
        out["val_reward"] = float(total.mean())
        if self.check is not None:
            out["val_check"] = sum(self.check(tasks, comps)) / len(comps)
        return out

    def should_stop(self, row: dict[str, Any]) -> bool:
        budget = self.cfg.rl.kl_budget
        if budget is not None and row.get("kl", 0.0) > budget:
            self.stop_reason = f"KL {row['kl']:.4f} > kl_budget {budget}"
            return True
        return False

    def run(self) -> list[dict[str, Any]]:
        rows = super().run()
        plot_run(self.out)
        return rows


def plot_run(out_dir: Any) -> None:
    """``OUT/report.png``: reward (train, held-out), the held-out check / pass@1 and the KL
    to the reference per step, side by side (the check on its own scale, so a fall shows)."""
    from pathlib import Path

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(out_dir) / "log.jsonl"
    if not path.is_file():
        return
    rows = [json.loads(ln) for ln in path.read_text().splitlines() if ln.strip()]

    def series(ax: Any, key: str, label: str, **kw: Any) -> None:
        pts = [(x["step"], x[key]) for x in rows if x.get(key) is not None]
        if pts:
            ax.plot(*zip(*pts, strict=True), label=label, **kw)

    fig, (a, b, k) = plt.subplots(1, 3, figsize=(13, 3.6))
    series(a, "reward_mean", "train")
    series(a, "val_reward", "held-out", marker="o")
    a.set_title("reward (what the policy optimises)")
    series(b, "val_pass1", "pass@1 (task checker)", marker="o")
    if any(x.get("val_check") != x.get("val_pass1") for x in rows if "val_check" in x):
        series(b, "val_check", "independent check", marker="s")
    b.set_title("held-out check")
    series(k, "kl", "KL to reference", color="tab:red")
    stop = [x for x in rows if x.get("stopped")]
    if stop:
        k.axvline(stop[-1]["step"], color="gray", ls="--", label="stopped: KL budget")
    k.set_title("KL (k3, per token)")
    for ax in (a, b, k):
        ax.set_xlabel("step")
        if ax.lines:
            ax.legend(fontsize=8)
    fig.tight_layout()
    tmp = Path(out_dir) / ".report.png.tmp"
    fig.savefig(tmp, dpi=80, format="png")
    plt.close(fig)
    tmp.replace(Path(out_dir) / "report.png")
