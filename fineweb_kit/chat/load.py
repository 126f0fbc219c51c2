"""Loading a fine-tuned checkpoint for chatting: the model, its tokenizer and the template.

The tokenizer is the file the run names (an SFT run records the chat tokenizer it trained
with, by default the ``tokenizer.json`` beside its shards), or ``tokenizer`` given here; its
fingerprint must equal the checkpoint's, and it must hold the chat special tokens.
"""

from __future__ import annotations

from pathlib import Path

from fineweb_kit.exceptions import ConfigError


def load_chat_model(checkpoint_dir: str | Path, tokenizer: str | None = None, device: str = "cpu"):
    """``(model, template)`` from a run's ``out_dir`` or one checkpoint folder; the model is in
    eval mode on ``device``."""
    from fineweb_kit.chat.specials import missing_chat_specials
    from fineweb_kit.chat.template import ChatTemplate
    from fineweb_kit.shards.tokenizer import from_fineweb_kit
    from fineweb_kit.tokenizer import Tokenizer
    from fineweb_kit.train import checkpoint
    from fineweb_kit.train.config import ModelConfig
    from fineweb_kit.train.model import GPT

    path = checkpoint.latest(checkpoint_dir)
    if path is None:
        raise ConfigError(f"{checkpoint_dir}: no checkpoint found")
    state = checkpoint.load(path)
    spec = tokenizer or state.get("tokenizer")
    if not spec or not Path(spec).is_file():
        raise ConfigError(f"{path}: tokenizer file {spec!r} not found: pass --tokenizer")
    p = Path(spec)
    tok = Tokenizer.from_file(p, p.stem if p.suffix == ".tiktoken" else "cl100k_base")
    if from_fineweb_kit(tok, tok.name).fingerprint_hex != state["fingerprint"]:
        raise ConfigError(f"{path}: tokenizer {spec!r} is not the one the model was trained with")
    missing = missing_chat_specials(tok)
    if missing:
        raise ConfigError(
            f"{path}: tokenizer {spec!r} has no chat special tokens {missing}: this is a base "
            "model; fine-tune it first (fineweb-kit train with kind: sft)"
        )
    model = GPT(ModelConfig(**state["model_config"]))
    model.load_state_dict(state["model"])
    return model.to(device).eval(), ChatTemplate(tok)
