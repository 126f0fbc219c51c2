"""The chat template: a conversation -> token ids + a per-token loss mask.

Layout (mask in brackets; nanochat's ``render_conversation`` with a system turn):

    <|bos|>[0]
    system     <|system_start|>[0] text[0] <|system_end|>[0]
    user       <|user_start|>[0] text[0] <|user_end|>[0]
    assistant  <|assistant_start|>[0]
                 text part                       text[1]
                 tool_call part   <|tool_call_start|>[1] expr[1] <|tool_call_end|>[1]
                 tool_output part <|tool_output_start|>[0] result[0] <|tool_output_end|>[0]
               <|assistant_end|>[1]
    tool       <|tool_output_start|>[0] text[0] <|tool_output_end|>[0]

So the loss covers exactly what the assistant writes: its text, its tool calls and its
end-of-turn token; never the prompt, the system text, or what a tool returns.

Text is encoded as ordinary text: a special-token string typed by a user
(``"<|user_end|>"``) stays plain text and cannot forge structure. Each text piece is encoded
on its own, which equals encoding the whole rendered string with the specials recognised
(special tokens cut the pre-tokeniser's pieces), the property the HF Jinja template of
:mod:`fineweb_kit.chat.hf` relies on to give the same ids.

Speed: :meth:`ChatTemplate.render_batch` encodes every text piece of a batch of
conversations in one Rust call (GIL released) and assembles ids and masks with a few numpy
gathers; only the walk over messages (a few Python operations per message) is per
conversation. ``benchmarks/chat_bench.py`` measures it against a plain per-piece Python
renderer (:func:`render_plain`, also the test oracle).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from fineweb_kit.chat.messages import Conversation, Message, content_parts, validate
from fineweb_kit.chat.specials import (
    ASSISTANT_END,
    ASSISTANT_START,
    BOS,
    CHAT_SPECIALS,
    SYSTEM_END,
    SYSTEM_START,
    TOOL_CALL_END,
    TOOL_CALL_START,
    TOOL_OUTPUT_END,
    TOOL_OUTPUT_START,
    USER_END,
    USER_START,
    missing_chat_specials,
)
from fineweb_kit.exceptions import TokenizerError
from fineweb_kit.tokenizer import Tokenizer

_WRAP = {
    "system": (SYSTEM_START, SYSTEM_END),
    "user": (USER_START, USER_END),
    "tool": (TOOL_OUTPUT_START, TOOL_OUTPUT_END),
}

_STRUCTURE = (
    BOS,
    SYSTEM_END,
    USER_END,
    ASSISTANT_START,
    ASSISTANT_END,
    TOOL_OUTPUT_START,
    TOOL_OUTPUT_END,
)
_PART_WRAP = {
    "tool_call": lambda text: (TOOL_CALL_START, text, TOOL_CALL_END),
    "tool_output": lambda text: (TOOL_OUTPUT_START, text, TOOL_OUTPUT_END),
}


@dataclass(frozen=True)
class Rendered:
    """One rendered conversation: ``ids`` (int32), ``mask`` (uint8, 1 = in the loss) and
    ``turn_ends``: the exclusive end of each message's tokens (the first message starts after
    ``<|bos|>``): the places where a conversation may be cut without splitting a turn."""

    ids: np.ndarray
    mask: np.ndarray
    turn_ends: np.ndarray


@dataclass(frozen=True)
class RenderedBatch:
    """Many rendered conversations in flat arrays: ``ids``/``mask`` of all of them in order,
    ``conv_ends`` the exclusive end of each conversation, ``turn_ends`` the exclusive end of
    every message (absolute offsets, ``turn_counts[i]`` of them for conversation ``i``)."""

    ids: np.ndarray
    mask: np.ndarray
    conv_ends: np.ndarray
    turn_ends: np.ndarray
    turn_counts: np.ndarray

    def __len__(self) -> int:
        return len(self.conv_ends)

    @property
    def lengths(self) -> np.ndarray:
        """Tokens of each conversation."""
        return np.diff(self.conv_ends, prepend=0)

    def split(self) -> list[Rendered]:
        """One :class:`Rendered` per conversation (views, turn ends made relative)."""
        out = []
        start, t = 0, 0
        for end, n in zip(self.conv_ends.tolist(), self.turn_counts.tolist(), strict=True):
            turns = self.turn_ends[t : t + n] - start
            out.append(Rendered(self.ids[start:end], self.mask[start:end], turns))
            start, t = end, t + n
        return out


@dataclass
class _Plan:
    """What a batch renders to before encoding: per piece a code (a special id, or ``-k-1``
    for ``texts[k]``) and a mask bit; the piece count at each message end and each
    conversation end."""

    codes: list[int] = field(default_factory=list)
    masks: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    turn_marks: list[int] = field(default_factory=list)
    conv_marks: list[int] = field(default_factory=list)
    turn_counts: list[int] = field(default_factory=list)


class ChatTemplate:
    """Renders conversations with a tokenizer that has the chat specials
    (:func:`~fineweb_kit.chat.specials.with_chat_specials`)."""

    def __init__(self, tokenizer: Tokenizer, num_threads: int | None = 1) -> None:
        missing = missing_chat_specials(tokenizer)
        if missing:
            raise TokenizerError(
                f"{tokenizer!r} lacks the chat special tokens {missing}: use "
                "fineweb_kit.chat.with_chat_specials(tokenizer) (and save it) first"
            )
        self.tokenizer = tokenizer
        self.num_threads = num_threads
        specials = tokenizer.special_tokens
        self._ids = {name: specials[name] for name in CHAT_SPECIALS}
        self._wrap = {role: (self._ids[a], self._ids[b]) for role, (a, b) in _WRAP.items()}
        self.bos_id = self._ids[BOS]
        self.assistant_end_id = self._ids[ASSISTANT_END]
        self._lo = min(self._ids.values())
        self._special_range = np.arange(self._lo, max(self._ids.values()) + 1, dtype=np.int32)

    def special_id(self, name: str) -> int:
        """The id of a chat special token, e.g. ``special_id("<|assistant_end|>")``."""
        try:
            return self._ids[name]
        except KeyError:
            raise TokenizerError(f"{name!r} is not a chat special token") from None

    # ------------------------------------------------------------------ the plan
    def _emit(self, messages: Sequence[Message], out: _Plan, prompt: bool = False) -> None:
        """Appends one conversation's pieces to ``out`` (see :class:`_Plan`)."""
        ids = self._ids
        codes, masks, texts = out.codes, out.masks, out.texts
        tool_call = (ids[TOOL_CALL_START], ids[TOOL_CALL_END], 1)
        tool_output = (ids[TOOL_OUTPUT_START], ids[TOOL_OUTPUT_END], 0)
        codes.append(ids[BOS])
        masks.append(0)
        for m in messages:
            role = m["role"]
            if role == "assistant":
                codes.append(ids[ASSISTANT_START])
                masks.append(0)
                content = m["content"]
                if isinstance(content, str):
                    if content:
                        texts.append(content)
                        codes.append(-len(texts))
                        masks.append(1)
                else:
                    for p in content:
                        text = p["text"]
                        kind = p["type"]
                        if kind == "text":
                            if text:
                                texts.append(text)
                                codes.append(-len(texts))
                                masks.append(1)
                            continue
                        start, end, mk = tool_call if kind == "tool_call" else tool_output
                        codes.append(start)
                        masks.append(mk)
                        if text:
                            texts.append(text)
                            codes.append(-len(texts))
                            masks.append(mk)
                        codes.append(end)
                        masks.append(mk)
                codes.append(ids[ASSISTANT_END])
                masks.append(1)
            else:
                start, end = self._wrap[role]
                codes.append(start)
                masks.append(0)
                if m["content"]:
                    texts.append(m["content"])
                    codes.append(-len(texts))
                    masks.append(0)
                codes.append(end)
                masks.append(0)
            out.turn_marks.append(len(codes))
        if prompt:
            codes.append(ids[ASSISTANT_START])
            masks.append(0)
        out.conv_marks.append(len(codes))
        out.turn_counts.append(len(messages))

    # ------------------------------------------------------------------ rendering
    def render_flat(
        self, conversations: Sequence[Conversation], *, validated: bool = False
    ) -> RenderedBatch:
        """Renders many conversations into flat arrays with one encoder call (the fast path
        that packing uses)."""
        convs = conversations if validated else [validate(c) for c in conversations]
        strings = [self._join(c) for c in convs]
        if all(s is not None for s in strings):
            return self._from_strings(strings)  # type: ignore[arg-type]
        plan = _Plan()
        for c in convs:
            self._emit(c, plan)
        return self._assemble(plan)

    def _join(self, conv: Conversation) -> str | None:
        """The conversation as one string with the special tokens' names, or ``None`` when
        a text holds ``<|`` (it might spell a special token; such a batch is rendered piece
        by piece instead, where text is always ordinary text)."""
        out = [BOS]
        n_specials = 1
        for m in conv:
            role, content = m["role"], m["content"]
            if role != "assistant":
                start, end = _WRAP[role]
                out += (start, content, end)
                n_specials += 2
            elif isinstance(content, str):
                out += (ASSISTANT_START, content, ASSISTANT_END)
                n_specials += 2
            else:
                out.append(ASSISTANT_START)
                for p in content:
                    kind = p["type"]
                    if kind == "text":
                        out.append(p["text"])
                    else:
                        out += _PART_WRAP[kind](p["text"])
                        n_specials += 2
                out.append(ASSISTANT_END)
                n_specials += 2
        text = "".join(out)
        return text if text.count("<|") == n_specials else None

    def _from_strings(self, strings: list[str]) -> RenderedBatch:
        """Encodes joined conversations (specials recognised) and derives the mask and the
        turn ends from the special ids alone (vectorised over the whole batch)."""
        ids = self.tokenizer.encode_to_numpy(
            strings,
            num_threads=self.num_threads,
            allowed_special=CHAT_SPECIALS,
            disallowed_special=(),
        ).astype(np.int32)
        i = self._ids
        n = len(ids)
        pos = {name: np.flatnonzero(ids == i[name]) for name in _STRUCTURE}
        # +1 from after <|assistant_start|> through <|assistant_end|>, -1 over each tool
        # output inside an assistant turn (a tool message's output lies outside: -1, clipped).
        d = np.zeros(n + 1, dtype=np.int8)
        d[pos[ASSISTANT_START] + 1] += 1
        d[pos[ASSISTANT_END] + 1] -= 1
        d[pos[TOOL_OUTPUT_START]] -= 1
        d[pos[TOOL_OUTPUT_END] + 1] += 1
        level = np.cumsum(d[:n], dtype=np.int8)
        mask = (level > 0).view(np.uint8)
        # a turn ends after system/user/assistant end, and after a tool output outside a turn
        toe = pos[TOOL_OUTPUT_END]
        tool_msg = toe[level[toe] < 0]
        turn_ends = (
            np.sort(
                np.concatenate([pos[SYSTEM_END], pos[USER_END], pos[ASSISTANT_END], tool_msg])
            ).astype(np.int64)
            + 1
        )
        starts = pos[BOS]
        conv_ends = np.append(starts[1:], n).astype(np.int64)
        counts = np.diff(np.searchsorted(turn_ends, conv_ends, side="right"), prepend=0)
        return RenderedBatch(ids, mask, conv_ends, turn_ends, counts.astype(np.int64))

    def render_batch(
        self, conversations: Sequence[Conversation], *, validated: bool = False
    ) -> list[Rendered]:
        """Renders many conversations with one encoder call, one :class:`Rendered` each."""
        return self.render_flat(conversations, validated=validated).split()

    def _assemble(self, plan: _Plan) -> RenderedBatch:
        eot = self.tokenizer.eot_token
        flat = self.tokenizer.encode_to_numpy(
            plan.texts, append_eot=True, num_threads=self.num_threads, disallowed_special=()
        )
        stops = np.flatnonzero(flat == eot)  # ordinary text never yields a special id
        text_starts = np.empty(len(stops), dtype=np.int64)
        text_starts[:1] = 0
        text_starts[1:] = stops[:-1] + 1
        text_lens = stops - text_starts
        # The source pool: encoded texts (with separators), then every id from the lowest
        # chat special to the highest, so a special id is one more index into the pool.
        lo = self._lo
        pool = np.concatenate([flat.astype(np.int32), self._special_range])
        codes = np.asarray(plan.codes, dtype=np.int64)
        is_text = codes < 0
        k = np.where(is_text, -codes - 1, 0)
        lens = np.where(is_text, text_lens[k] if len(text_lens) else 0, 1)
        src = np.where(is_text, text_starts[k] if len(text_starts) else 0, len(flat) + codes - lo)
        piece_ends = np.cumsum(lens)
        total = int(piece_ends[-1]) if len(piece_ends) else 0
        idx = np.repeat(src - piece_ends + lens, lens) + np.arange(total, dtype=np.int64)
        mask = np.repeat(np.asarray(plan.masks, dtype=np.uint8), lens)
        token_at = np.concatenate(([0], piece_ends))  # token offset of each piece boundary
        return RenderedBatch(
            ids=pool[idx],
            mask=mask,
            conv_ends=token_at[np.asarray(plan.conv_marks, dtype=np.int64)],
            turn_ends=token_at[np.asarray(plan.turn_marks, dtype=np.int64)],
            turn_counts=np.asarray(plan.turn_counts, dtype=np.int64),
        )

    def render(self, messages: Conversation) -> tuple[np.ndarray, np.ndarray]:
        """``(ids int32, mask uint8)`` of one conversation (validated first)."""
        r = self.render_batch([messages])[0]
        return r.ids, r.mask

    def render_prompt(self, messages: Conversation) -> np.ndarray:
        """Ids of a prompt for generation: ``<|bos|>``, the conversation without its last
        message if that is an assistant's (a GSM8K conversation gives its question), then
        ``<|assistant_start|>``."""
        msgs = list(messages)
        if msgs and isinstance(msgs[-1], dict) and msgs[-1].get("role") == "assistant":
            msgs = msgs[:-1]
        # validate() wants an assistant turn: check the prompt with a placeholder one.
        checked = validate([*msgs, {"role": "assistant", "content": ""}])[:-1]
        plan = _Plan()
        self._emit(checked, plan, prompt=True)
        return self._assemble(plan).ids

    def decode_masked(self, ids: np.ndarray, mask: np.ndarray) -> str:
        """The text of the masked-in tokens (specials shown by name): what the model learns."""
        return self.tokenizer.decode(np.asarray(ids)[np.asarray(mask, dtype=bool)])


def render_plain(tokenizer: Tokenizer, messages: Conversation) -> tuple[list[int], list[int]]:
    """The same rendering in plain Python, one ``encode`` call per text piece (nanochat's
    ``render_conversation`` style): the oracle of the tests and the benchmark's baseline."""
    sp = tokenizer.special_tokens
    ids: list[int] = [sp[BOS]]
    mask: list[int] = [0]

    def add(tokens: list[int], m: int) -> None:
        ids.extend(tokens)
        mask.extend([m] * len(tokens))

    for msg in messages:
        if msg["role"] == "assistant":
            add([sp[ASSISTANT_START]], 0)
            for p in content_parts(msg):
                if p["type"] == "text":
                    add(tokenizer.encode_ordinary(p["text"]), 1)
                elif p["type"] == "tool_call":
                    add([sp[TOOL_CALL_START]], 1)
                    add(tokenizer.encode_ordinary(p["text"]), 1)
                    add([sp[TOOL_CALL_END]], 1)
                else:
                    add([sp[TOOL_OUTPUT_START]], 0)
                    add(tokenizer.encode_ordinary(p["text"]), 0)
                    add([sp[TOOL_OUTPUT_END]], 0)
            add([sp[ASSISTANT_END]], 1)
        else:
            start, end = _WRAP[msg["role"]]
            add([sp[start]], 0)
            add(tokenizer.encode_ordinary(msg["content"]), 0)
            add([sp[end]], 0)
    return ids, mask
