"""Training config: one YAML file -> typed sections, checked before anything is loaded.

Sections ``model``, ``data``, ``optim``, ``train`` (plus top-level ``out_dir`` and
``tokenizer``). Unknown keys are refused with a "did you mean" (the CLI exits 2), wrong types
name the key. Every model choice is explicit in ``model`` with today's established defaults:
RoPE positions (Su et al. 2021, used by LLaMA and nanochat) instead of GPT-2's learned table,
RMSNorm (Zhang & Sennrich 2019) instead of LayerNorm, no biases (PaLM; nanoGPT's
``bias=False``), tied input/output embeddings (GPT-2), GELU MLP of 4x width (GPT-2).
``gpt2_124m`` in ``pipelines/`` sets GPT-2 small's shape (12 layers, 12 heads, 768 wide).

``kind: sft`` (supervised fine-tuning, :mod:`fineweb_kit.train.sft`) starts from the
checkpoint ``init_from`` (a pre-training run's ``out_dir`` or one checkpoint folder) and
trains on shards with a loss mask; the model's shape comes from that checkpoint, so its
``model`` section may set only ``dropout``.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from fineweb_kit.config import did_you_mean, load_yaml
from fineweb_kit.exceptions import ConfigError


@dataclass
class ModelConfig:
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 256
    mlp_ratio: int = 4
    pos_emb: Literal["rope", "learned"] = "rope"
    rope_base: float = 10000.0
    norm: Literal["rmsnorm", "layernorm"] = "rmsnorm"
    bias: bool = False
    tie_embeddings: bool = True
    dropout: float = 0.0
    # Embedding rows are padded to a multiple of this (50257 -> 50304 for GPT-2: faster matmuls).
    vocab_pad_to: int = 64
    # Filled from the shards' header when the run starts; a checkpoint records it.
    vocab_size: int = 0
    max_seq_len: int = 0


@dataclass
class DataConfig:
    train: str | list[str] = ""
    val: str | list[str] | None = None
    seq_len: int = 256
    sampling: Literal["random", "sequential"] = "random"


@dataclass
class OptimConfig:
    lr: float = 6e-4
    min_lr_ratio: float = 0.1
    weight_decay: float = 0.1
    beta1: float = 0.9
    beta2: float = 0.95
    eps: float = 1e-8
    warmup_steps: int = 100
    decay: Literal["cosine", "linear", "none"] = "cosine"
    grad_clip: float = 1.0


@dataclass
class RunConfig:
    batch_size: int = 8
    grad_accum: int = 1
    max_steps: int = 1000
    seed: int = 1337
    log_interval: int = 10
    eval_interval: int = 200
    eval_batches: int = 20
    checkpoint_interval: int = 500
    device: Literal["auto", "cpu", "cuda"] = "auto"
    dtype: Literal["auto", "float32", "bfloat16"] = "auto"
    compile: Literal["auto", "on", "off"] = "auto"
    # CPU threads for torch (0: torch's default). Tiny models run faster on 1 thread.
    cpu_threads: int = 0


class ConfigFile:
    """Base of a run's whole YAML config (:class:`TrainConfig`, ``rl.config.PostTrainConfig``):
    its ``source`` field is the file it was read from, left out of :meth:`to_dict`."""

    source: str

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)  # type: ignore[call-overload]  # subclasses are dataclasses
        d.pop("source")
        return d


C = TypeVar("C", bound=ConfigFile)


@dataclass
class TrainConfig(ConfigFile):
    kind: Literal["pretrain", "sft"] = "pretrain"
    out_dir: str = "runs/gpt"
    tokenizer: str | None = None
    init_from: str | None = None
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: RunConfig = field(default_factory=RunConfig)
    source: str = ""


def _check_type(value: Any, hint: Any, where: str) -> Any:
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _build(hint, value, where)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is Literal:
        if value not in args:
            raise ConfigError(f"{where}: expected one of {list(args)}, got {value!r}")
        return value
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        nested = [a for a in args if isinstance(a, type) and dataclasses.is_dataclass(a)]
        if nested and isinstance(value, dict):  # an optional section: its own precise errors
            return _build(nested[0], value, where)
        for arg in args:
            try:
                return _check_type(value, arg, where)
            except ConfigError:
                continue
        raise ConfigError(f"{where}: expected {hint}, got {value!r}")
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        return [_check_type(v, args[0], f"{where}[{i}]") for i, v in enumerate(value)]
    if hint is type(None):
        if value is not None:
            raise ConfigError(f"{where}: expected null")
        return None
    if hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if hint is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if hint in (bool, str) and isinstance(value, hint):
        return value
    raise ConfigError(f"{where}: expected {getattr(hint, '__name__', hint)}, got {value!r}")


def _build(cls: type, data: Any, where: str) -> Any:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls) if f.name != "source"}
    kwargs = {}
    for key, value in data.items():
        if key not in fields:
            raise ConfigError(f"{where}.{key}: unknown key{did_you_mean(str(key), fields)}")
        hint = hints[key]
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            kwargs[key] = _build(hint, value, f"{where}.{key}")
        else:
            kwargs[key] = _check_type(value, hint, f"{where}.{key}")
    return cls(**kwargs)


def _check_values(c: TrainConfig, src: str) -> None:
    positive = {
        "model.n_layer": c.model.n_layer,
        "model.n_head": c.model.n_head,
        "model.n_embd": c.model.n_embd,
        "data.seq_len": c.data.seq_len,
        "train.batch_size": c.train.batch_size,
        "train.grad_accum": c.train.grad_accum,
        "train.max_steps": c.train.max_steps,
        "train.log_interval": c.train.log_interval,
        "train.eval_interval": c.train.eval_interval,
        "train.eval_batches": c.train.eval_batches,
        "train.checkpoint_interval": c.train.checkpoint_interval,
    }
    for key, v in positive.items():
        if v < 1:
            raise ConfigError(f"{src}: {key}: expected an integer >= 1, got {v}")
    if c.model.n_embd % c.model.n_head:
        raise ConfigError(
            f"{src}: model.n_embd ({c.model.n_embd}) must be a multiple of model.n_head "
            f"({c.model.n_head})"
        )
    if c.model.pos_emb == "rope" and (c.model.n_embd // c.model.n_head) % 2:
        raise ConfigError(f"{src}: model: RoPE needs an even head size (n_embd / n_head)")
    if not c.data.train:
        raise ConfigError(f"{src}: data.train: give the training shards (file, folder or glob)")
    if not 0 <= c.model.dropout < 1:
        raise ConfigError(f"{src}: model.dropout: expected a number in [0, 1)")
    if c.optim.lr <= 0 or not 0 <= c.optim.min_lr_ratio <= 1:
        raise ConfigError(f"{src}: optim: lr must be > 0 and min_lr_ratio in [0, 1]")


def _check_sft(data: Any, c: TrainConfig, src: str) -> None:
    if c.kind != "sft":
        if c.init_from:
            raise ConfigError(f"{src}: init_from: only for kind: sft")
        return
    if not c.init_from:
        raise ConfigError(f"{src}: init_from: kind sft needs the base model's checkpoint (DIR)")
    model = data.get("model") or {} if isinstance(data, dict) else {}
    extra = sorted(k for k in model if k != "dropout")
    if extra:
        raise ConfigError(
            f"{src}: model.{extra[0]}: kind sft takes the model's shape from init_from; "
            "only model.dropout may be set"
        )


def build_config(cls: type[C], data: Any, source: str) -> C:
    """A loaded YAML mapping as ``cls``, keys and types checked (errors read ``SOURCE:
    section.key: message``), with ``source`` recorded."""
    cfg = _build(cls, data, source)
    cfg.source = source
    return cfg


def read_config(path: str | Path, overrides: list[str] | None) -> Any:
    """A config file's mapping, with ``section.key=value`` overrides (values parsed as YAML)."""
    return apply_overrides(load_yaml(path) or {}, overrides)


def parse_config(data: Any, source: str) -> TrainConfig:
    """Validates a loaded YAML mapping; errors read ``SOURCE: section.key: message``."""
    cfg = build_config(TrainConfig, data, source)
    _check_values(cfg, source)
    _check_sft(data, cfg, source)
    return cfg


def load_config(path: str | Path, overrides: list[str] | None = None) -> TrainConfig:
    """Loads a training YAML, applying ``section.key=value`` overrides (values parsed as YAML)."""
    return parse_config(read_config(path, overrides), str(path))


def apply_overrides(data: dict, overrides: list[str] | None) -> dict:
    """Sets ``section.key=value`` items (values parsed as YAML) in a loaded config mapping."""
    import yaml

    for item in overrides or []:
        key, sep, raw = item.partition("=")
        if not sep:
            raise ConfigError(f"override {item!r}: expected section.key=value")
        node = data
        *parents, last = key.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = yaml.safe_load(raw)
    return data
