"""Trainer throughput: the data loader, and our training loop against a minimal reference loop.

1. Data loader (CPU, always): ``WindowSampler.batch`` over real ``.fks`` shards (the text of
   ``shards_bench`` encoded with r50k_base), batches of 8 x (1024 + 1) tokens, random and
   sequential windows, tokens/s on one core. Compared with what GPT-2 124M consumes at 50 %
   MFU on an H100/H200 (about 0.58 M tokens/s, 989 TFLOP/s dense bf16, 0.86 GFLOP/token).
2. Training step (``--model gpt2`` on a GPU, ``--model tiny`` on CPU): the same model config
   timed in our ``Trainer`` (shards, loader, accumulation, clipping, schedule, logging) and in a
   minimal loop written here (random token batches already on the device, plain fused AdamW,
   bf16 autocast, ``torch.compile`` on CUDA). Reports tokens/s, MFU (CUDA) and the ratio.

Usage: ``python benchmarks/train_bench.py [--model tiny|gpt2] [--steps 20] [--repeats 3]``.
The GPU rows need CUDA; on a machine without one they are skipped, and say so.
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
from benchmarks.shards_bench import load_docs  # noqa: E402

MODELS = {
    "tiny": {"n_layer": 4, "n_head": 4, "n_embd": 128},
    "gpt2": {"n_layer": 12, "n_head": 12, "n_embd": 768},  # GPT-2 small, 124M
}
GPT2_TOKENS_PER_S_AT_50_MFU = 0.5 * 989e12 / 0.86e9


def make_shards(data: Path, folder: Path, mb: float) -> Path:
    from fineweb_kit.shards import ShardFormat, ShardSetWriter, load_tokenizer

    tok = load_tokenizer(str(data / "tokenizer-ref" / "r50k_base.tiktoken"), num_threads=None)
    fmt = ShardFormat(tok.n_vocab, tok.fingerprint, "append", tok.eot_token)
    w = ShardSetWriter(folder, "bench", fmt, 10_000_000)
    docs = load_docs(data, mb)
    for i in range(0, len(docs), 256):
        w.append(*tok.encode_batch(docs[i : i + 256]))
    w.commit()
    return folder


def bench_loader(folder: Path, repeats: int) -> list[list[str]]:
    from fineweb_kit.train.data import ShardSet, WindowSampler

    data = ShardSet.open(str(folder))
    rows = []
    for mode in ("random", "sequential"):
        sampler = WindowSampler(data, 1024, 0, mode)
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            for step in range(200):
                sampler.batch(step, 0, 1, 8)
            times.append(time.perf_counter() - t0)
        tps = 200 * 8 * 1024 / median(times)
        rows.append(
            [
                f"loader, {mode} windows",
                f"{tps / 1e6:.1f} M",
                "-",
                f"{tps / GPT2_TOKENS_PER_S_AT_50_MFU:.0f}x GPT-2 124M's need",
            ]
        )
    return rows


def reference_loop(model_cfg: dict, seq: int, batch: int, steps: int, device: str) -> float:
    """Tokens/s of a minimal loop: random batches on the device, fused AdamW, bf16, compile."""
    import torch

    from fineweb_kit.train.config import ModelConfig
    from fineweb_kit.train.model import GPT

    torch.manual_seed(0)
    cfg = ModelConfig(**model_cfg, vocab_size=50257, max_seq_len=seq)
    model = GPT(cfg).to(device)
    cuda = device == "cuda"
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, fused=cuda)
    fwd = torch.compile(model) if cuda else model
    x = torch.randint(0, 50257, (batch, seq + 1), device=device)
    ctx = (
        torch.autocast("cuda", dtype=torch.bfloat16)
        if cuda
        else torch.autocast("cpu", enabled=False)
    )

    def step() -> None:
        with ctx:
            _, loss = fwd(x[:, :-1], x[:, 1:])
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    for _ in range(3):
        step()
    if cuda:
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    if cuda:
        torch.cuda.synchronize()
    return steps * batch * seq / (time.perf_counter() - t0)


def our_loop(
    model_cfg: dict, folder: Path, seq: int, batch: int, steps: int, device: str
) -> list[dict]:
    from fineweb_kit.train.config import parse_config
    from fineweb_kit.train.train import train

    with tempfile.TemporaryDirectory() as out:
        cfg = parse_config(
            {
                "out_dir": out,
                "model": model_cfg,
                "data": {"train": str(folder), "seq_len": seq},
                "optim": {"warmup_steps": 2},
                "train": {
                    "batch_size": batch,
                    "max_steps": steps + 3,
                    "device": device,
                    "checkpoint_interval": 10**9,
                    "eval_interval": 10**9,
                    "log_interval": 10**9,
                    "cpu_threads": 1,
                },
            },
            "bench",
        )
        return train(cfg)[3:]  # the first steps include compilation / warm-up


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--model", choices=tuple(MODELS), default="tiny")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=1024)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--mb", type=float, default=4.0)
    args = ap.parse_args()
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.set_num_threads(1)  # one core on CPU (the GPU rows do not depend on it)
    with tempfile.TemporaryDirectory() as tmp:
        folder = make_shards(args.data, Path(tmp), args.mb)
        rows = bench_loader(folder, args.repeats)
        if device == "cpu" and args.model == "gpt2":
            print("no GPU: skipping the GPT-2 124M rows (run with --model tiny on CPU)")
        else:
            cfg = MODELS[args.model]
            ref = median(
                [
                    reference_loop(cfg, args.seq, args.batch, args.steps, device)
                    for _ in range(args.repeats)
                ]
            )
            ours_rows = [
                our_loop(cfg, folder, args.seq, args.batch, args.steps, device)
                for _ in range(args.repeats)
            ]
            ours = median([median([r["tokens_per_s"] for r in rs]) for rs in ours_rows])
            mfu = [r.get("mfu") for rs in ours_rows for r in rs if r.get("mfu")]
            mfu_s = f"{100 * median(mfu):.1f} %" if mfu else "- (CPU)"
            rows.append(
                [f"minimal loop, {args.model}, {device}", f"{ref / 1e3:.1f} k", "-", "1.00"]
            )
            rows.append(
                [
                    f"fineweb-kit Trainer, {args.model}, {device}",
                    f"{ours / 1e3:.1f} k",
                    mfu_s,
                    f"{ours / ref:.2f}",
                ]
            )
    print(
        f"machine: {machine()}; device: "
        f"{torch.cuda.get_device_name() if device == 'cuda' else 'CPU (no GPU available)'}"
    )
    vs = versions("fineweb-kit", "torch", "numpy")
    print(f"versions: {vs}; batch {args.batch} x seq {args.seq}")
    print(table(["row", "tokens/s", "MFU", "ratio"], rows))


if __name__ == "__main__":
    main()
