"""Chat engine and SFT throughput.

1. Generation: :class:`~fineweb_kit.chat.engine.Engine` with the KV cache against the same
   engine recomputing the whole sequence for every new token (``use_cache=False``), greedy,
   256 new tokens after a 64-token prompt (a GSM8K question), batch 1 and 8, same model and
   weights; the two must produce the same tokens (checked). Model ``tiny`` on CPU (4 layers,
   256 wide) with byte ids + chat specials (268 ids) and with r50k + chat specials (50,268
   ids), ``gpt2`` (124M, r50k) on a GPU. On one CPU core a batch-1 step with the cache is
   bound by reading the weights (the r50k head alone is 51 MB of float32 per token), which a
   recompute step reads once too: so the cache gains least there, and most where compute per
   token dominates (small vocabularies, batches, long contexts).
2. SFT: ``fineweb-kit train`` with ``kind: sft`` on the shared GSM8K train set rendered and
   packed by ``PackConversations`` (r50k + chat specials, windows of ``--seq + 1`` tokens),
   against pre-training (``kind: pretrain``) of the same model on the same shards: tokens/s
   (median of the logged steps after the first two) and, on CUDA, MFU. The ratio is the cost
   of document-aware attention (a boolean mask instead of the causal flag) and masked targets.

Usage: ``python benchmarks/generate_bench.py [--repeats 3] [--steps 12]``. GPU rows are added
when torch sees CUDA; without one they are skipped, and the output says so.
Writes ``benchmarks/results/generate_bench.md``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.common import machine, median, table, versions  # noqa: E402

MODELS = {
    "tiny": {"n_layer": 4, "n_head": 4, "n_embd": 256},
    "gpt2": {"n_layer": 12, "n_head": 12, "n_embd": 768},
}


def chat_tokenizer(data: Path, vocab: str = "r50k"):
    """(base, base + chat specials): GPT-2's r50k, or bytes (256 ids + end-of-text)."""
    from fineweb_kit.chat import with_chat_specials
    from fineweb_kit.tokenizer import Tokenizer

    if vocab == "bytes":
        ranks = {bytes([i]): i for i in range(256)}
        base = Tokenizer.from_ranks(ranks, "gpt2", {"<|endoftext|>": 256})
    else:
        path = data / "tokenizer-ref" / "r50k_base.tiktoken"
        base = Tokenizer.from_tiktoken(path, "r50k_base")
    return base, with_chat_specials(base)


def bench_generate(
    data: Path, model_name: str, device: str, repeats: int, vocab: str = "r50k"
) -> list[list[str]]:
    import torch

    from fineweb_kit.chat.engine import Engine
    from fineweb_kit.chat.gsm8k_eval import read_gsm8k
    from fineweb_kit.chat.template import ChatTemplate
    from fineweb_kit.train.config import ModelConfig
    from fineweb_kit.train.model import GPT

    _, tok = chat_tokenizer(data, vocab)
    template = ChatTemplate(tok)
    torch.manual_seed(0)
    cfg = ModelConfig(**MODELS[model_name], vocab_size=tok.n_vocab, max_seq_len=1024)
    model = GPT(cfg).to(device).eval()
    questions = read_gsm8k(data / "posttrain" / "gsm8k-test.jsonl.gz", 64)
    prompts = []
    for q in questions:
        ids = template.render_prompt([{"role": "user", "content": q["question"]}]).tolist()
        prompts.append((ids[:60] + ids[-4:]) if len(ids) > 64 else ids)
    engine = Engine(model, template)
    new = 256
    rows = []
    for batch in (1, 8):
        ps = prompts[:batch]
        # the random model never ends its turn: every row generates all 256 tokens
        fast = engine.generate(ps, new, temperature=0.0, use_tools=False)
        slow = engine.generate(ps, new, temperature=0.0, use_tools=False, use_cache=False)
        same = all(a[0].ids == b[0].ids for a, b in zip(fast, slow, strict=True))
        times = {}
        for use_cache in (True, False):
            runs = []
            for _ in range(repeats):
                if device == "cuda":
                    torch.cuda.synchronize()
                t0 = time.perf_counter()
                engine.generate(ps, new, temperature=0.0, use_tools=False, use_cache=use_cache)
                if device == "cuda":
                    torch.cuda.synchronize()
                runs.append(time.perf_counter() - t0)
            times[use_cache] = median(runs)
        n = batch * new
        rows.append(
            [
                f"{model_name}, vocab {tok.n_vocab:,}, {device}, batch {batch}",
                f"{n / times[True]:,.0f}",
                f"{n / times[False]:,.0f}",
                f"{times[False] / times[True]:.1f}x",
                "yes" if same else "NO",
            ]
        )
        print(rows[-1], flush=True)
    return rows


def pack_gsm8k(data: Path, folder: Path, seq: int) -> Path:
    """GSM8K train -> masked, packed shards with ``fineweb-kit run`` (ConversationReader ->
    PackConversations); returns the shard folder (its ``tokenizer.json`` beside)."""
    import yaml

    pipeline = {
        "name": "bench-sft",
        "output": str(folder),
        "executor": {"type": "local", "tasks": 1},
        "stages": [
            {
                "name": "pack",
                "steps": [
                    {
                        "type": "ConversationReader",
                        "paths": str(data / "posttrain" / "gsm8k-train.jsonl.gz"),
                        "format": "gsm8k",
                    },
                    {
                        "type": "PackConversations",
                        "output_folder": "shards",
                        "tokenizer": str(data / "tokenizer-ref" / "r50k_base.tiktoken"),
                        "add_chat_specials": True,
                        "seq_len": seq,
                    },
                ],
            }
        ],
    }
    (folder / "pack.yaml").write_text(yaml.safe_dump(pipeline))
    subprocess.run(
        [sys.executable, "-m", "fineweb_kit", "run", str(folder / "pack.yaml")],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    return folder / "shards"


def base_checkpoint(folder: Path, base_tok, model_name: str, seq: int) -> Path:
    """A randomly initialised 'base model' checkpoint of the base (r50k) tokenizer: SFT speed
    does not depend on the weights."""
    import dataclasses

    import torch

    from fineweb_kit.shards.tokenizer import from_fineweb_kit
    from fineweb_kit.train import checkpoint
    from fineweb_kit.train.config import ModelConfig
    from fineweb_kit.train.model import GPT

    cfg = ModelConfig(**MODELS[model_name], vocab_size=base_tok.n_vocab, max_seq_len=seq)
    torch.manual_seed(0)
    state = {
        "model": GPT(cfg).state_dict(),
        "model_config": dataclasses.asdict(cfg),
        "fingerprint": from_fineweb_kit(base_tok, "r50k").fingerprint_hex,
        "tokenizer": None,
        "step": 0,
    }
    checkpoint.save(folder / "base", 0, state, {})
    return folder / "base"


def run_train(cfg: dict) -> list[dict]:
    from fineweb_kit.train.config import parse_config
    from fineweb_kit.train.train import train

    return train(parse_config(json.loads(json.dumps(cfg)), "bench"))


def bench_sft(
    data: Path, model_name: str, device: str, seq: int, batch: int, steps: int, repeats: int
) -> list[list[str]]:
    base_tok, _ = chat_tokenizer(data)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shards = pack_gsm8k(data, root, seq)
        base = base_checkpoint(root, base_tok, model_name, seq)
        common = {
            "data": {"train": str(shards), "seq_len": seq},
            "train": {
                "batch_size": batch,
                "max_steps": steps,
                "log_interval": 1000,
                "checkpoint_interval": 100_000,
                "eval_interval": 100_000,
                "cpu_threads": 1,
            },
        }
        results: dict[str, list[float]] = {"pretrain": [], "sft": []}
        mfu: dict[str, list[float]] = {"pretrain": [], "sft": []}
        for r in range(repeats):
            for kind in ("sft", "pretrain"):  # interleaved
                cfg = {**common, "kind": kind, "out_dir": str(root / f"{kind}-{r}")}
                if kind == "sft":
                    cfg["init_from"] = str(base)
                else:
                    cfg["model"] = MODELS[model_name]
                log = run_train(cfg)[2:]
                results[kind].append(median([x["tokens_per_s"] for x in log]))
                mfu[kind] += [x["mfu"] for x in log if "mfu" in x]
        for kind in ("pretrain", "sft"):
            m = f"{100 * median(mfu[kind]):.1f} %" if mfu[kind] else "- (CPU)"
            rows.append(
                [
                    f"{kind}, {model_name}, {device}, {batch} x {seq}",
                    f"{median(results[kind]):,.0f}",
                    m,
                    f"{median(results[kind]) / median(results['pretrain']):.2f}",
                ]
            )
            print(rows[-1], flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    shared = [p / "shared" / "data" for p in (REPO.parent, REPO.parent.parent)]
    default = next((p for p in shared if p.is_dir()), shared[0])
    ap.add_argument("--data", type=Path, default=default)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--steps", type=int, default=12)
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    gen_rows = bench_generate(args.data, "tiny", "cpu", args.repeats, "bytes")
    gen_rows += bench_generate(args.data, "tiny", "cpu", args.repeats, "r50k")
    sft_rows = bench_sft(args.data, "tiny", "cpu", 512, 4, args.steps, args.repeats)
    gpu_note = "no GPU visible to torch: GPU rows skipped"
    if torch.cuda.is_available():
        gpu_note = f"GPU: {torch.cuda.get_device_name(0)}"
        gen_rows += bench_generate(args.data, "gpt2", "cuda", args.repeats)
        sft_rows += bench_sft(args.data, "gpt2", "cuda", 1024, 16, args.steps, args.repeats)
    out = [
        "# Chat engine and SFT throughput (`benchmarks/generate_bench.py`)",
        "",
        f"Machine: {machine()}; {versions('torch', 'numpy')}; torch threads 1; {gpu_note}.",
        "",
        "## Generation: KV cache vs recompute (greedy, 64-token prompt, 256 new tokens)",
        "",
        table(
            ["model, device, batch", "KV cache tok/s", "recompute tok/s", "speed-up", "same"],
            gen_rows,
        ),
        "",
        f"## SFT vs pre-training, same model and shards (GSM8K train, median of {args.repeats})",
        "",
        table(["run", "tokens/s", "MFU", "vs pre-training"], sft_rows),
        "",
    ]
    text = "\n".join(out)
    print(text)
    dest = REPO / "benchmarks" / "results" / "generate_bench.md"
    tmp = dest.with_name(f".{dest.name}.tmp")
    tmp.write_text(text)
    tmp.replace(dest)


if __name__ == "__main__":
    main()
