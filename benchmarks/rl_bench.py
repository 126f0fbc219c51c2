"""RL throughput: batched KV-cache generation against naive recompute, and GRPO steps/s.

1. Generation (CPU, always; CUDA too when available): the chat ``Engine`` samples
   ``--new`` tokens for a batch of prompts with its KV cache (one token per row per step over
   the cache) and with ``use_cache=False`` (the whole sequence recomputed each step: the naive
   baseline). Same model, prompts and seed, so both sample the same tokens; runs interleaved,
   median of ``--repeats``; sampled tokens/s and the ratio (target >= 5x on CPU).
2. GRPO (CPU; CUDA when available): ``GRPOTrainer`` steps on synthetic arithmetic tasks
   (G = 8 samples of 8 prompts), steps/s and sampled tokens/s; on CUDA also the training MFU
   of the policy-gradient forward/backward (6 N FLOPs per token, dense bf16 peak).

Usage: ``python benchmarks/rl_bench.py [--repeats 3] [--new 192]``. Without CUDA the GPU rows
are skipped, and the output says so.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.common import machine, median, table, versions  # noqa: E402

GEN_MODELS = {
    "cpu": {"n_layer": 4, "n_head": 4, "n_embd": 256},
    "cuda": {"n_layer": 12, "n_head": 12, "n_embd": 768},  # GPT-2 small shape
}


def generation(device: str, batch: int, prompt_len: int, new: int, repeats: int) -> list:
    import torch

    from fineweb_kit.chat.engine import Engine
    from fineweb_kit.chat.template import ChatTemplate
    from fineweb_kit.rl.tokens import byte_chat_tokenizer
    from fineweb_kit.train.config import ModelConfig
    from fineweb_kit.train.model import GPT

    tok = byte_chat_tokenizer()
    template = ChatTemplate(tok)
    torch.manual_seed(0)
    cfg = ModelConfig(
        **GEN_MODELS[device], vocab_size=tok.n_vocab, max_seq_len=prompt_len + new + 8
    )
    model = GPT(cfg).to(device).eval()
    prompts = [
        template.render_prompt(
            [{"role": "user", "content": "x" * (prompt_len - 4 + i % 3)}]
        ).tolist()
        for i in range(batch)
    ]
    engine = Engine(model, template)
    rates: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(repeats):
        for cached in (True, False):
            if device == "cuda":
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            out = engine.generate(prompts, new, temperature=1.0, seed=1, use_cache=cached)
            if device == "cuda":
                torch.cuda.synchronize()
            dt = time.perf_counter() - t0
            rates[cached].append(sum(len(c.ids) for g in out for c in g) / dt)
    kv, naive = median(rates[True]), median(rates[False])
    shape = f"{cfg.n_layer}x{cfg.n_embd}"
    return [
        [f"naive recompute, {shape}, {device}", f"{naive:,.0f}", "1.00"],
        [f"KV-cache Engine, {shape}, {device}", f"{kv:,.0f}", f"{kv / naive:.2f}"],
    ]


def grpo(device: str, steps: int) -> list:
    import torch

    from fineweb_kit.rl.config import parse_post_config
    from fineweb_kit.rl.grpo import GRPOTrainer

    model = {"n_layer": 2, "n_head": 2, "n_embd": 64} if device == "cpu" else GEN_MODELS["cuda"]
    with tempfile.TemporaryDirectory() as tmp:
        cfg = parse_post_config(
            {
                "kind": "rl",
                "out_dir": tmp,
                "model": model,
                "tasks": {"kind": "arithmetic", "difficulty": 0, "n_val": 8},
                "optim": {"lr": 1e-4, "warmup_steps": 1},
                "rl": {"group_size": 8, "prompts_per_step": 8, "max_new_tokens": 16},
                "train": {
                    "batch_size": 64,
                    "max_steps": steps + 1,
                    "eval_interval": 10_000,
                    "checkpoint_interval": 10_000,
                    "log_interval": 10_000,
                    "device": device,
                    "seed": 0,
                },
            },
            "rl_bench",
        )
        trainer = GRPOTrainer(cfg)
        trainer.train_step()  # warm-up (allocations, kernels)
        trainer.step += 1
        t0 = time.perf_counter()
        rows = []
        for _ in range(steps):
            rows.append(trainer.train_step())
            trainer.step += 1
        if device == "cuda":
            torch.cuda.synchronize()
        dt = time.perf_counter() - t0
    sampled = sum(r["completion_length"] * 64 for r in rows)
    train_s = sum(r["step_s"] - r["gen_s"] for r in rows)
    out = [
        f"GRPO, {model['n_layer']}x{model['n_embd']}, {device}",
        f"{steps / dt:.2f}",
        f"{sampled / dt:,.0f}",
        f"{sum(r['gen_s'] for r in rows) / sum(r['step_s'] for r in rows):.0%}",
    ]
    if device == "cuda":
        from fineweb_kit.train.train import peak_flops

        n = trainer.policy.n_params()
        prompt_and_completion = 30 + sum(r["completion_length"] for r in rows) / len(rows)
        flops = 6 * n * prompt_and_completion * 64 * steps
        peak = peak_flops(torch.device("cuda"))
        out.append(f"{100 * flops / train_s / peak:.1f} %" if peak else "?")
    else:
        out.append("- (CPU)")
    return [out]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--prompt", type=int, default=32)
    ap.add_argument("--new", type=int, default=192)
    ap.add_argument("--grpo-steps", type=int, default=5)
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    gen_rows, grpo_rows = [], []
    for dev in devices:
        gen_rows += generation(dev, args.batch, args.prompt, args.new, args.repeats)
        grpo_rows += grpo(dev, args.grpo_steps)
    gpu = torch.cuda.get_device_name() if "cuda" in devices else "none (GPU rows skipped)"
    print(f"machine: {machine()}; GPU: {gpu}")
    print(f"versions: {versions('fineweb-kit', 'torch', 'numpy')}; one CPU thread")
    print(
        f"\ngeneration: {args.batch} prompts of ~{args.prompt} tokens, up to {args.new} new "
        "tokens each, temperature 1, same seed for both"
    )
    print(table(["row", "sampled tokens/s", "ratio"], gen_rows))
    print("\nGRPO: 8 prompts x G=8 samples per step, up to 16 new tokens, arithmetic level 0")
    print(table(["row", "steps/s", "sampled tokens/s", "time generating", "MFU"], grpo_rows))


if __name__ == "__main__":
    main()
