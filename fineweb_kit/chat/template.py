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

Speed: :meth:`ChatTemplate.render_flat` renders a whole batch in one Rust call
(``rust/fineweb-kit-chat/src/lib.rs`` + the walker in ``rust/fineweb-kit-py/src/chat.rs``):
the message dicts are walked in Rust, texts borrowed without copy, then encoded and the mask
written with the GIL released; :meth:`ChatTemplate.render_packed` also cuts and packs the
batch into windows in the same call (``chat/packing.rs``). ``benchmarks/chat_bench.py``
measures it against a plain per-piece Python renderer (:func:`render_plain`, also the test
oracle).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fineweb_kit.chat.messages import Conversation, content_parts, validate
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


@dataclass(frozen=True)
class Packed:
    """Conversations rendered and packed into token-shard documents
    (:meth:`ChatTemplate.render_packed`): ``ids`` (uint32) and ``mask`` (uint8) of all
    documents, ``doc_ends`` (uint64) their exclusive ends, and the counts: conversations
    written (whole or cut), their tokens, how many were cut at a turn / dropped for length,
    and the windows next-fit packing would have needed (0 when not packed)."""

    ids: np.ndarray
    mask: np.ndarray
    doc_ends: np.ndarray
    conversations: int
    tokens_conversation: int
    truncated: int
    dropped: int
    windows_greedy: int


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
        self._special_list = [self._ids[name] for name in CHAT_SPECIALS]

    def special_id(self, name: str) -> int:
        """The id of a chat special token, e.g. ``special_id("<|assistant_end|>")``."""
        try:
            return self._ids[name]
        except KeyError:
            raise TokenizerError(f"{name!r} is not a chat special token") from None

    # ------------------------------------------------------------------ rendering
    def render_flat(
        self, conversations: Sequence[Conversation], *, validated: bool = False
    ) -> RenderedBatch:
        """Renders many conversations into flat arrays with one encoder call (the fast path
        that packing uses)."""
        convs = conversations if validated else [validate(c) for c in conversations]
        if not isinstance(convs, list):
            convs = list(convs)
        ids, mask, conv_ends, turn_ends, counts = self.tokenizer._core.render_chat(
            convs, self._special_list, self.num_threads
        )
        return RenderedBatch(ids.view(np.int32), mask, conv_ends, turn_ends, counts)

    def render_packed(
        self,
        conversations: Sequence[Conversation],
        window: int,
        *,
        overlong: str = "truncate",
        pack: bool = True,
        validated: bool = False,
    ) -> Packed:
        """Renders and packs in one Rust call (GIL released): each conversation longer than
        ``window`` tokens is cut after its last whole turn that keeps an assistant token
        (``overlong="truncate"``, else dropped) or dropped (``"drop"``); then, with ``pack``,
        best-fit windows of exactly ``window`` tokens padded with ``<|bos|>`` (mask 0)
        (:mod:`fineweb_kit.chat.packing`), else one document per conversation."""
        convs = conversations if validated else [validate(c) for c in conversations]
        if not isinstance(convs, list):
            convs = list(convs)
        ids, mask, ends, counts = self.tokenizer._core.render_pack_chat(
            convs, self._special_list, window, overlong, pack, self.num_threads
        )
        return Packed(ids, mask, ends, *counts)

    def render_batch(
        self, conversations: Sequence[Conversation], *, validated: bool = False
    ) -> list[Rendered]:
        """Renders many conversations with one encoder call, one :class:`Rendered` each."""
        return self.render_flat(conversations, validated=validated).split()

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
        ids = self.render_flat([checked], validated=True).ids
        return np.append(ids, np.int32(self._ids[ASSISTANT_START]))

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
