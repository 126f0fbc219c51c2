"""``fineweb-kit sample --checkpoint DIR --prompt TEXT``: continue text with a trained model.

``DIR`` is a run's ``out_dir`` (its newest checkpoint is used) or one checkpoint folder. The
tokenizer is the one named in the training config (or ``--tokenizer``); its fingerprint must
match the shards the model was trained on.
"""

from __future__ import annotations

import argparse

from fineweb_kit.exceptions import ConfigError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sample", help="generate text from a trained model", description=__doc__)
    p.add_argument("--checkpoint", required=True, help="run out_dir or checkpoint folder")
    p.add_argument("--prompt", default="", help="text to continue (default: from scratch)")
    p.add_argument("--tokenizer", default=None, help="tokenizer spec (default: the run's)")
    p.add_argument("--temperature", type=float, default=0.8)
    p.add_argument("--top-k", type=int, default=200)
    p.add_argument("--max-tokens", type=int, default=200)
    p.add_argument("--num-samples", type=int, default=1)
    p.add_argument("--seed", type=int, default=1337)
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        import torch

        from fineweb_kit.train import checkpoint
        from fineweb_kit.train.config import ModelConfig
        from fineweb_kit.train.model import GPT
    except ImportError as e:
        raise ConfigError(f"sampling needs PyTorch: pip install 'fineweb-kit[train]' ({e})") from e
    from fineweb_kit.shards.tokenizer import load_tokenizer

    path = checkpoint.latest(args.checkpoint)
    if path is None:
        raise ConfigError(f"{args.checkpoint}: no checkpoint found")
    state = checkpoint.load(path)
    spec = args.tokenizer or state.get("tokenizer")
    if not spec:
        raise ConfigError(f"{path}: the run names no tokenizer: pass --tokenizer")
    tok = load_tokenizer(spec)
    if tok.fingerprint_hex != state["fingerprint"]:
        raise ConfigError(f"{path}: tokenizer {spec!r} is not the one the model was trained with")
    model = GPT(ModelConfig(**state["model_config"]))
    model.load_state_dict(state["model"])
    model.to(args.device).eval()
    ids = tok.encode(args.prompt).tolist() if args.prompt else []
    start = ids if ids else [tok.eot_token if tok.eot_token is not None else 0]
    gen = torch.Generator(device=args.device).manual_seed(args.seed)
    x = torch.tensor([start] * args.num_samples, dtype=torch.long, device=args.device)
    out = model.generate(x, args.max_tokens, args.temperature, args.top_k, gen)
    for row in out.tolist():
        text = tok.decode([t for t in row[len(start) :] if t != tok.eot_token])
        print(f"{args.prompt}{text}\n---")
    return 0
