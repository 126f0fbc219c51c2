"""Preference pairs: loading (HH-RLHF dialogues or OpenAI-style messages), a seeded
train/held-out split, and rendering with the chat template.

A pair renders to two token sequences (chosen, rejected), each with a *response mask*: 1 on
the final assistant turn (its text and ``<|assistant_end|>``), the part that differs between
the two and the part DPO scores; a reward model reads the whole sequence. Sequences longer
than ``max_len`` keep their last ``max_len`` tokens. Pairs whose dialogue is malformed (e.g.
HH's 4 empty turns) are skipped and counted by reason.
"""

from __future__ import annotations

import gzip
import json
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fineweb_kit.chat.formats import from_hh
from fineweb_kit.chat.messages import Conversation, ConversationError, validate
from fineweb_kit.chat.template import ChatTemplate
from fineweb_kit.exceptions import ConfigError


@dataclass(frozen=True)
class PreferencePair:
    chosen: Conversation
    rejected: Conversation


@dataclass(frozen=True)
class RenderedPair:
    chosen: np.ndarray  # int32 ids
    rejected: np.ndarray
    chosen_mask: np.ndarray  # uint8, aligned with ids: 1 on the final assistant turn
    rejected_mask: np.ndarray


def _conversation(value: Any, prompt: Any) -> Conversation:
    if isinstance(value, str):
        return from_hh(value)
    if isinstance(value, list):
        return validate([*(prompt or []), *value])
    raise ConversationError("bad_type", f"expected a dialogue text or messages, got {value!r}")


def load_pairs(path: str | Path, limit: int | None = None) -> tuple[list[PreferencePair], Counter]:
    """Pairs of a JSONL(.gz) file and the count of skipped ones by reason."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"preference file {path} not found")
    opener = gzip.open if path.suffix == ".gz" else open
    pairs: list[PreferencePair] = []
    skipped: Counter = Counter()
    with opener(path, "rt", encoding="utf-8") as f:
        for no, line in enumerate(f, 1):
            if limit is not None and len(pairs) >= limit:
                break
            rec = json.loads(line)
            if not isinstance(rec, dict) or "chosen" not in rec or "rejected" not in rec:
                raise ConfigError(f"{path}:{no}: expected an object with chosen and rejected")
            try:
                c = _conversation(rec["chosen"], rec.get("prompt"))
                r = _conversation(rec["rejected"], rec.get("prompt"))
            except ConversationError as e:
                skipped[e.reason] += 1
                continue
            if c[-1]["role"] != "assistant" or r[-1]["role"] != "assistant":
                skipped["last_turn_not_assistant"] += 1
                continue
            pairs.append(PreferencePair(c, r))
    return pairs, skipped


def split_pairs(
    pairs: list[PreferencePair], val_fraction: float, seed: int
) -> tuple[list[PreferencePair], list[PreferencePair]]:
    """Seeded shuffle, then the last ``val_fraction`` held out."""
    order = list(range(len(pairs)))
    random.Random(seed).shuffle(order)
    n_val = round(len(pairs) * val_fraction)
    cut = len(pairs) - n_val
    return [pairs[i] for i in order[:cut]], [pairs[i] for i in order[cut:]]


def render_pairs(
    template: ChatTemplate, pairs: list[PreferencePair], max_len: int
) -> list[RenderedPair]:
    """Renders every pair (one encoder call for all chosen, one for all rejected)."""
    out = []
    sides = []
    for side in ("chosen", "rejected"):
        convs = [getattr(p, side) for p in pairs]
        rendered = template.render_batch(convs, validated=True)
        masks = []
        for conv, r in zip(convs, rendered, strict=True):
            prompt_len = len(template.render_prompt(conv))
            m = np.zeros(len(r.ids), dtype=np.uint8)
            m[prompt_len:] = 1
            masks.append(m)
        sides.append(([r.ids[-max_len:] for r in rendered], [m[-max_len:] for m in masks]))
    (c_ids, c_mask), (r_ids, r_mask) = sides
    for i in range(len(pairs)):
        out.append(RenderedPair(c_ids[i], r_ids[i], c_mask[i], r_mask[i]))
    return out


def prepare_pairs(
    data: Any, tokenizer: Any, seed: int, max_len: int, source: str
) -> tuple[list[RenderedPair], list[RenderedPair], Counter]:
    """The rendered (train, held-out) pairs of a config's ``pairs`` section and the skipped
    counts; sequences keep their last ``max_len`` tokens."""
    pairs, skipped = load_pairs(data.train, data.limit)
    if data.val:
        train, val = pairs, load_pairs(data.val, data.limit)[0]
    else:
        train, val = split_pairs(pairs, data.val_fraction, seed)
    if not train:
        raise ConfigError(f"{source}: pairs.train: no usable pairs in {data.train}")
    template = ChatTemplate(tokenizer)
    return render_pairs(template, train, max_len), render_pairs(template, val, max_len), skipped
