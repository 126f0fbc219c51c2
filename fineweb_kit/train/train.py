"""The training loop: AdamW, warmup + decay, accumulation, clipping, eval, checkpoints, DDP.

Run with ``fineweb-kit train CONFIG.yaml`` (one process) or ``torchrun --nproc_per_node N -m
fineweb_kit train CONFIG.yaml`` (DDP; NCCL on GPUs, gloo on CPU). Per step it logs loss,
learning rate, gradient norm, tokens/s and, on CUDA, MFU (model FLOPs utilisation against the
GPU's dense bf16 peak) to stdout and ``OUT/log.jsonl``; every ``eval_interval`` steps the
validation loss on fixed windows of the held-out shards; every ``checkpoint_interval`` steps
(and at the end) an atomic checkpoint. Starting again with the same ``out_dir`` resumes from
the newest checkpoint and reproduces the losses of an uninterrupted run exactly (the data
order is a function of the step, see ``data.py``; RNG states are saved).

On CUDA: bf16 autocast (``dtype: auto``), ``torch.compile`` (``compile: auto``), fused AdamW,
TF32 matmuls, and SDPA's flash kernels. On CPU: float32, eager, the foreach AdamW. The CUDA
paths are written for and checked on GPUs where available; CI runs the CPU path only.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import json
import math
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist

from fineweb_kit.exceptions import ConfigError
from fineweb_kit.train import checkpoint
from fineweb_kit.train.config import TrainConfig
from fineweb_kit.train.data import ShardSet, WindowSampler, eval_windows, unigram_entropy
from fineweb_kit.train.model import GPT, param_groups

# Dense bf16 peak FLOP/s per GPU (vendor datasheets), for MFU.
PEAK_BF16 = {
    "H200": 989e12,
    "H100": 989e12,
    "A100": 312e12,
    "L40S": 362e12,
    "L4": 121e12,
    "A10": 125e12,
    "4090": 165e12,
    "3090": 71e12,
}


@dataclasses.dataclass
class Dist:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0


def init_distributed(device_type: str) -> Dist:
    """Joins the process group when launched by torchrun (``WORLD_SIZE`` > 1)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return Dist()
    d = Dist(int(os.environ["RANK"]), world, int(os.environ.get("LOCAL_RANK", "0")))
    if device_type == "cuda":
        torch.cuda.set_device(d.local_rank)
    dist.init_process_group(backend="nccl" if device_type == "cuda" else "gloo")
    return d


def resolve_device(cfg: TrainConfig) -> torch.device:
    want = cfg.train.device
    if want == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"{cfg.source}: train.device: cuda requested but no GPU is visible")
    if want == "auto":
        want = "cuda" if torch.cuda.is_available() else "cpu"
    if want == "cuda":
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    return torch.device("cpu")


def lr_at(step: int, cfg: TrainConfig) -> float:
    """Linear warmup to ``lr``, then cosine or linear decay to ``lr * min_lr_ratio``."""
    o, total = cfg.optim, cfg.train.max_steps
    if step < o.warmup_steps:
        return o.lr * (step + 1) / o.warmup_steps
    if o.decay == "none" or total <= o.warmup_steps:
        return o.lr
    frac = min(1.0, (step - o.warmup_steps) / max(1, total - o.warmup_steps))
    shape = 0.5 * (1 + math.cos(math.pi * frac)) if o.decay == "cosine" else 1 - frac
    return o.lr * (o.min_lr_ratio + (1 - o.min_lr_ratio) * shape)


def peak_flops(device: torch.device) -> float | None:
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    return next((v for k, v in PEAK_BF16.items() if k in name), None)


class Trainer:
    """One run: data, model, optimizer, and the loop. ``run()`` returns the per-step log."""

    def __init__(self, cfg: TrainConfig, stop_after: int | None = None) -> None:
        self.cfg, self.stop_after = cfg, stop_after
        self.out = Path(cfg.out_dir)
        self.device = resolve_device(cfg)
        if self.device.type == "cpu" and cfg.train.cpu_threads > 0:
            torch.set_num_threads(cfg.train.cpu_threads)
        self.dist = init_distributed(self.device.type)
        self._load_data()
        self._build_model()

    def _load_data(self) -> None:
        c = self.cfg
        expect = None
        if c.tokenizer:
            from fineweb_kit.shards.tokenizer import load_tokenizer

            expect = load_tokenizer(c.tokenizer).fingerprint_hex
        self.train_set = ShardSet.open(c.data.train, expect)
        self.val_set = ShardSet.open(c.data.val, self.train_set.fingerprint) if c.data.val else None
        self.sampler = WindowSampler(self.train_set, c.data.seq_len, c.train.seed, c.data.sampling)
        c.model.vocab_size = self.train_set.vocab_size
        c.model.max_seq_len = max(c.model.max_seq_len, c.data.seq_len)
        self.val_batches: Sequence[torch.Tensor | tuple[torch.Tensor, ...]] = (
            eval_windows(self.val_set, c.data.seq_len, c.train.eval_batches, c.train.batch_size)
            if self.val_set
            else []
        )

    def _build_model(self) -> None:
        c, dev = self.cfg, self.device
        torch.manual_seed(c.train.seed)
        self.model = GPT(c.model).to(dev)
        self._init_weights()
        self.use_bf16 = c.train.dtype == "bfloat16" or (
            c.train.dtype == "auto" and dev.type == "cuda"
        )
        if dev.type == "cuda":
            torch.backends.cuda.matmul.allow_tf32 = True
            torch.backends.cudnn.allow_tf32 = True
        o = c.optim
        self.opt = torch.optim.AdamW(
            param_groups(self.model, o.weight_decay),
            lr=o.lr,
            betas=(o.beta1, o.beta2),
            eps=o.eps,
            fused=dev.type == "cuda",
        )
        self.step = 0
        ckpt = checkpoint.latest(self.out)
        if ckpt is not None:
            self._resume(ckpt)
        compile_on = c.train.compile == "on" or (c.train.compile == "auto" and dev.type == "cuda")
        self.fwd: Any = torch.compile(self.model) if compile_on else self.model
        if self.dist.world > 1:
            from torch.nn.parallel import DistributedDataParallel as DDP

            ids = [dev.index] if dev.type == "cuda" else None
            self.fwd = DDP(self.fwd, device_ids=ids)

    def _init_weights(self) -> None:
        """Hook: weights to start from before any resume (fine-tuning loads its base here)."""

    def _resume(self, path: Path) -> None:
        state = checkpoint.load(path)
        checkpoint.check_model_config(
            path, state["model_config"], dataclasses.asdict(self.cfg.model)
        )
        if state["fingerprint"] != self.train_set.fingerprint:
            raise ConfigError(f"{path}: checkpoint was trained on shards of another tokenizer")
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["optim"])
        torch.set_rng_state(state["rng"])
        if self.device.type == "cuda" and state.get("cuda_rng") is not None:
            torch.cuda.set_rng_state(state["cuda_rng"], self.device)
        self.step = state["step"]
        self._trim_log(self.step)
        if self.dist.main:
            print(f"resumed from {path} at step {self.step}", flush=True)

    def _trim_log(self, step: int) -> None:
        """Drops log lines of steps after the checkpoint (they will be redone)."""
        log = self.out / "log.jsonl"
        if self.dist.main and log.is_file():
            keep = [
                ln for ln in log.read_text().splitlines() if json.loads(ln).get("step", 0) < step
            ]
            log.write_text("".join(f"{ln}\n" for ln in keep))

    def _save(self) -> None:
        if not self.dist.main:
            return
        state = {
            "model": self.model.state_dict(),
            "optim": self.opt.state_dict(),
            "step": self.step,
            "model_config": dataclasses.asdict(self.cfg.model),
            "fingerprint": self.train_set.fingerprint,
            "tokenizer": self.cfg.tokenizer,
            "rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state(self.device)
            if self.device.type == "cuda"
            else None,
        }
        checkpoint.save(self.out, self.step, state, self.cfg.to_dict())

    def _autocast(self) -> contextlib.AbstractContextManager:
        if self.use_bf16:
            return torch.autocast(device_type=self.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    @torch.no_grad()
    def evaluate(self) -> float | None:
        """Validation loss: the mean over every counted target of the fixed windows."""
        if not self.val_batches:
            return None
        self.model.eval()
        total, count = 0.0, 0
        for batch in self.val_batches:
            inputs = [t.to(self.device) for t in self._val_inputs(batch)]
            with self._autocast():
                _, loss = self.model(*inputs, loss_reduction="sum")
            total += float(loss)
            count += int((inputs[1] != -1).sum())
        self.model.train()
        return total / max(1, count)

    def _val_inputs(self, rows: Any) -> tuple[torch.Tensor, ...]:
        """Model inputs of one validation batch: (inputs, targets) of pre-training windows."""
        return rows[:, :-1], rows[:, 1:]

    def train_step(self) -> tuple[float, float]:
        """One optimizer step over ``grad_accum`` micro-batches; returns (loss, grad norm)."""
        for g in self.opt.param_groups:
            g["lr"] = lr_at(self.step, self.cfg)
        loss = self.accumulate()
        norm = torch.nn.utils.clip_grad_norm_(
            self.model.parameters(), self.cfg.optim.grad_clip or float("inf")
        )
        self.opt.step()
        self.opt.zero_grad(set_to_none=True)
        return loss, float(norm)

    def accumulate(self) -> float:
        """Forward and backward over the step's ``grad_accum`` micro-batches (on every rank):
        leaves in ``.grad`` the gradient of the step's loss and returns that loss, the sum of
        the per-token losses over every counted target (``!= -1``) of the step divided by
        their count. So a micro-batch weighs by its counted tokens: in SFT, one with few
        assistant tokens does not weigh as much as one with many (the normalisation of HF
        ``Trainer``/TRL's ``num_items_in_batch`` with ``average_tokens_across_devices``;
        nanochat's ``chat_sft`` averages micro-batch means instead). In pre-training every
        micro-batch counts the same number of targets: the mean of micro-batch means."""
        c, d = self.cfg, self.dist
        accum = c.train.grad_accum
        batches = [  # (inputs, targets) for pre-training; SFT adds per-token document ids
            [
                t.to(self.device, non_blocking=True)
                for t in self.sampler.batch(
                    self.step, micro * d.world + d.rank, accum * d.world, c.train.batch_size
                )
            ]
            for micro in range(accum)
        ]
        count = torch.stack([(b[1] != -1).sum() for b in batches]).sum()
        if d.world > 1:
            dist.all_reduce(count)
        count = count.clamp_min(1)
        scale = d.world / count  # DDP averages gradients over ranks: undo it, divide by count
        total = torch.zeros((), device=self.device)
        for micro, inputs in enumerate(batches):
            sync = micro == accum - 1 or d.world == 1
            ctx = contextlib.nullcontext() if sync else self.fwd.no_sync()
            with ctx, self._autocast():
                _, loss = self.fwd(*inputs, loss_reduction="sum")
            with ctx:
                (loss * scale).backward()
            total += loss.detach()
        if d.world > 1:
            dist.all_reduce(total)
        return float(total / count)

    def run(self) -> list[dict[str, Any]]:
        c, d = self.cfg, self.dist
        if d.main:
            self.out.mkdir(parents=True, exist_ok=True)
            print(self._banner(), flush=True)
        tokens_per_step = c.train.batch_size * c.data.seq_len * c.train.grad_accum * d.world
        flops = self.model.flops_per_token(c.data.seq_len)
        peak = peak_flops(self.device)
        rows: list[dict[str, Any]] = []
        done_here = 0
        while self.step < c.train.max_steps:
            if self.stop_after is not None and done_here >= self.stop_after:
                break
            t0 = time.perf_counter()
            loss, norm = self.train_step()
            if self.device.type == "cuda":
                torch.cuda.synchronize()
            dt = time.perf_counter() - t0
            row: dict[str, Any] = {
                "step": self.step,
                "loss": loss,
                "lr": lr_at(self.step, c),
                "grad_norm": norm,
                "tokens_per_s": tokens_per_step / dt,
            }
            if peak:
                row["mfu"] = flops * tokens_per_step / dt / (peak * d.world)
            self.step += 1
            done_here += 1
            last = self.step == c.train.max_steps
            if self.val_set and (self.step % c.train.eval_interval == 0 or last):
                row["val_loss"] = self.evaluate()
            self._log(row)
            rows.append(row)
            if self.step % c.train.checkpoint_interval == 0 or last:
                self._save()
        if self.stop_after is not None and self.step < c.train.max_steps:
            self._save()
        if d.world > 1:
            dist.barrier()
        return rows

    def _log(self, row: dict[str, Any]) -> None:
        if not self.dist.main:
            return
        with open(self.out / "log.jsonl", "a") as f:
            f.write(json.dumps(row) + "\n")
        if row["step"] % self.cfg.train.log_interval == 0 or "val_loss" in row:
            parts = [
                f"step {row['step']:6d}",
                f"loss {row['loss']:.4f}",
                f"lr {row['lr']:.2e}",
                f"{row['tokens_per_s']:,.0f} tok/s",
            ]
            if "mfu" in row:
                parts.append(f"mfu {100 * row['mfu']:.1f}%")
            if row.get("val_loss") is not None:
                parts.append(f"val {row['val_loss']:.4f}")
            print(" | ".join(parts), flush=True)

    def _banner(self) -> str:
        c = self.cfg
        return (
            f"model: {self.model.n_params() / 1e6:.2f}M params, {c.model.n_layer} layers, "
            f"{c.model.n_embd} wide, {c.model.pos_emb}/{c.model.norm}; vocab {c.model.vocab_size}; "
            f"train {self.train_set.n_tokens:,} tokens in {len(self.train_set.shards)} shards; "
            f"unigram baseline {unigram_entropy(self.train_set):.3f} nats; device {self.device}, "
            f"{'bf16' if self.use_bf16 else 'fp32'}, world {self.dist.world}"
        )

    def close(self) -> None:
        """Leaves the process group cleanly: the DDP wrapper (whose reducer holds work on the
        group) is dropped first; destroying the group under a live DDP object can abort gloo's
        threads at exit ("terminate called without an active exception")."""
        if self.dist.world > 1 and dist.is_initialized():
            self.fwd = self.model
            gc.collect()
            dist.destroy_process_group()


def train(cfg: TrainConfig, stop_after: int | None = None) -> list[dict[str, Any]]:
    """Trains (or resumes) the run ``cfg`` describes; returns this invocation's log rows.
    ``kind: sft`` runs :class:`fineweb_kit.train.sft.SFTTrainer`."""
    if cfg.kind == "sft":
        from fineweb_kit.train.sft import SFTTrainer

        trainer: Trainer = SFTTrainer(cfg, stop_after)
    else:
        trainer = Trainer(cfg, stop_after)
    try:
        return trainer.run()
    finally:
        trainer.close()
