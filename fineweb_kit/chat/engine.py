"""The chat engine: batched generation with a KV cache, sampling controls and a calculator tool.

``Engine(model, template).generate(prompts, max_new_tokens, ...)`` continues each prompt (token
ids, typically ``template.render_prompt(messages)``, which ends with ``<|assistant_start|>``)
until the model writes ``<|assistant_end|>`` or ``max_new_tokens`` tokens have been added.

How it runs:

- Prompts are left-padded to a common length and run through the model once (the prefill);
  each of the ``num_samples`` samples of a prompt then gets its own row of the
  :class:`~fineweb_kit.train.model.KVCache` (the prefill is computed once per prompt and
  copied). Every later step is one forward of one token per row over the cache, so a step
  costs O(context) instead of the O(context^2) of recomputing the prefix
  (``benchmarks/generate_bench.py``). ``use_cache=False`` recomputes the whole sequence each
  step instead: the reference the cache is tested against (greedy, token for token).
- Sampling: ``temperature`` (0 = greedy argmax), then ``top_k`` (keep the k most likely),
  then ``top_p`` (keep the smallest set of most likely tokens whose probability reaches p),
  drawn with a ``torch.Generator`` seeded by ``seed``: the same call gives the same text.
- Tools (``use_tools``): when a row writes ``<|tool_call_start|> expr <|tool_call_end|>``, the
  engine decodes ``expr``, evaluates it with :func:`fineweb_kit.chat.calculator.evaluate`
  (arithmetic only; anything else becomes an ``error: ...`` text, never an exception) and
  forces ``<|tool_output_start|> result <|tool_output_end|>`` into that row, one token per
  step like sampled tokens (mask 0 in the :class:`Completion`), then lets the model continue.
- A row stops at ``<|assistant_end|>`` (``finished``), or when it reaches ``max_new_tokens``
  or the model's ``max_seq_len`` (``truncated``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F

from fineweb_kit.chat.calculator import evaluate
from fineweb_kit.train.model import GPT, KVCache


@dataclass
class Completion:
    """One sample: ``ids`` generated (forced tool outputs included), ``mask`` 1 where the model
    sampled the token and 0 where the engine forced it, ``text`` the assistant's words without
    special tokens, ``finished`` (ended with ``<|assistant_end|>``), ``truncated`` (stopped by
    ``max_new_tokens`` or the context length)."""

    ids: list[int] = field(default_factory=list)
    mask: list[int] = field(default_factory=list)
    text: str = ""
    finished: bool = False
    truncated: bool = False
    tool_calls: int = 0


def filter_logits(
    logits: torch.Tensor, top_k: int | None = None, top_p: float | None = None
) -> torch.Tensor:
    """Sets to -inf what ``top_k`` / ``top_p`` (nucleus, Holtzman et al. 2019) exclude; rows
    of ``logits`` (B, V) are filtered independently; the most likely token always survives."""
    if top_k is not None and 0 < top_k < logits.size(-1):
        kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None and 0 < top_p < 1:
        sorted_logits, order = torch.sort(logits, descending=True, dim=-1)
        probs = F.softmax(sorted_logits, dim=-1)
        # drop a token when the tokens before it already reach top_p
        drop = probs.cumsum(-1) - probs >= top_p
        drop[:, 0] = False
        logits = logits.masked_fill(drop.scatter(-1, order, drop), float("-inf"))
    return logits


def sample_next(
    logits: torch.Tensor,
    temperature: float,
    top_k: int | None,
    top_p: float | None,
    generator: torch.Generator | None,
) -> torch.Tensor:
    """Next token per row (B,) from the last-position logits (B, V)."""
    logits = logits.float()
    if temperature <= 0:
        return logits.argmax(-1)
    logits = filter_logits(logits / temperature, top_k, top_p)
    probs = F.softmax(logits, dim=-1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)


class _Row:
    """Generation state of one sample."""

    def __init__(self) -> None:
        self.out = Completion()
        self.forced: deque[int] = deque()
        self.call_start: int | None = None  # index in out.ids after <|tool_call_start|>
        self.done = False


class Engine:
    """Generates assistant turns from a :class:`~fineweb_kit.train.model.GPT` and a chat
    template (anything with ``special_id(name)`` and a ``tokenizer`` that has
    ``encode_ordinary`` and ``decode``, e.g. :class:`fineweb_kit.chat.template.ChatTemplate`)."""

    def __init__(self, model: GPT, template: Any) -> None:
        self.model = model
        self.template = template
        self.tokenizer = template.tokenizer
        sid = template.special_id
        self.assistant_end = sid("<|assistant_end|>")
        self.call_start = sid("<|tool_call_start|>")
        self.call_end = sid("<|tool_call_end|>")
        self.output_start = sid("<|tool_output_start|>")
        self.output_end = sid("<|tool_output_end|>")
        self.specials = set(getattr(self.tokenizer, "special_tokens", {}).values()) | {
            self.assistant_end,
            self.call_start,
            self.call_end,
            self.output_start,
            self.output_end,
        }

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def tool_output(self, expr_ids: Sequence[int]) -> list[int]:
        """The forced tokens answering a tool call: ``<|tool_output_start|> result
        <|tool_output_end|>``; ``result`` is the calculator's value or its ``error: ...``."""
        expr = self.tokenizer.decode(list(expr_ids))
        result = evaluate(expr)
        ids = list(self.tokenizer.encode_ordinary(result))
        return [self.output_start, *ids, self.output_end]

    def text_of(self, ids: Sequence[int]) -> str:
        """The assistant's words in ``ids``: special tokens and tool outputs left out, tool
        calls kept as their expression text."""
        kept, inside_output = [], False
        for t in ids:
            if t == self.output_start:
                inside_output = True
            elif t == self.output_end:
                inside_output = False
            elif not inside_output and t not in self.specials:
                kept.append(t)
        return self.tokenizer.decode(kept)

    @torch.inference_mode()
    def generate(
        self,
        prompts: Sequence[Sequence[int]],
        max_new_tokens: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = None,
        num_samples: int = 1,
        seed: int = 0,
        use_tools: bool = True,
        use_cache: bool = True,
    ) -> list[list[Completion]]:
        """Completions per prompt (outer list) and sample (inner list); see the module doc."""
        if not prompts:
            return []
        if any(len(p) == 0 for p in prompts):
            raise ValueError("every prompt needs at least one token (e.g. <|bos|>)")
        if num_samples < 1 or max_new_tokens < 0:
            raise ValueError("num_samples must be >= 1 and max_new_tokens >= 0")
        was_training = self.model.training
        self.model.eval()
        try:
            return self._generate(
                prompts,
                max_new_tokens,
                temperature,
                top_k,
                top_p,
                num_samples,
                seed,
                use_tools,
                use_cache,
            )
        finally:
            self.model.train(was_training)

    def _generate(
        self,
        prompts: Sequence[Sequence[int]],
        max_new_tokens: int,
        temperature: float,
        top_k: int | None,
        top_p: float | None,
        num_samples: int,
        seed: int,
        use_tools: bool,
        use_cache: bool,
    ) -> list[list[Completion]]:
        dev, limit = self.device, self.model.cfg.max_seq_len
        lengths = [len(p) for p in prompts]
        width = max(lengths)
        if width > limit:
            raise ValueError(f"a prompt of {width} tokens exceeds max_seq_len {limit}")
        budget = min(max_new_tokens, limit - width)
        pad = [width - n for n in lengths]
        grid = torch.tensor(
            [[0] * pad[i] + list(map(int, p)) for i, p in enumerate(prompts)],
            dtype=torch.long,
            device=dev,
        )
        gen = torch.Generator(device=dev).manual_seed(seed)
        rows = [_Row() for _ in range(len(prompts) * num_samples)]
        repeat = torch.arange(len(prompts), device=dev).repeat_interleave(num_samples)
        start = torch.tensor(pad, dtype=torch.long, device=dev)
        if use_cache:
            cache = KVCache(self.model, len(prompts), width + budget, start)
            logits, _ = self.model(grid, cache=cache, last_only=True)
            cache.reorder(repeat)
            last = logits[repeat, -1]
        else:
            seqs = grid[repeat]
            doc = (torch.arange(width, device=dev)[None] >= start[repeat, None]).long()
            last = self.model(seqs, doc_ids=doc, last_only=True)[0][:, -1]
        for step in range(budget):
            sampled = sample_next(last, temperature, top_k, top_p, gen)
            nxt = []
            for r, row in enumerate(rows):
                if row.done:
                    nxt.append(self.assistant_end)
                    continue
                forced = bool(row.forced)
                tok = row.forced.popleft() if forced else int(sampled[r])
                self._append(row, tok, forced, use_tools)
                nxt.append(tok)
            if all(row.done for row in rows) or step == budget - 1:
                break
            x = torch.tensor(nxt, dtype=torch.long, device=dev)[:, None]
            if use_cache:
                last = self.model(x, cache=cache, last_only=True)[0][:, -1]
            else:
                seqs = torch.cat((seqs, x), dim=1)
                doc = torch.cat((doc, torch.ones_like(x)), dim=1)
                last = self.model(seqs, doc_ids=doc, last_only=True)[0][:, -1]
        out: list[list[Completion]] = []
        for i in range(len(prompts)):
            group = []
            for row in rows[i * num_samples : (i + 1) * num_samples]:
                row.out.truncated = not row.out.finished
                row.out.text = self.text_of(row.out.ids)
                group.append(row.out)
            out.append(group)
        return out

    def _append(self, row: _Row, tok: int, forced: bool, use_tools: bool) -> None:
        c = row.out
        c.ids.append(tok)
        c.mask.append(0 if forced else 1)
        if forced:
            return
        if tok == self.assistant_end:
            c.finished = row.done = True
        elif use_tools and tok == self.call_start:
            row.call_start = len(c.ids)
        elif use_tools and tok == self.call_end and row.call_start is not None:
            c.tool_calls += 1
            row.forced.extend(self.tool_output(c.ids[row.call_start : -1]))
            row.call_start = None
