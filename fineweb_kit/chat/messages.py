"""The message model: a conversation is a list of OpenAI-style messages.

``{"role": "system"|"user"|"assistant"|"tool", "content": str | list[Part]}`` where a Part is
``{"type": "text"|"tool_call"|"tool_output", "text": str}``. Parts are allowed only in
assistant content (a tool call and its output inside one assistant turn, as in GSM8K's
calculator annotations); a ``tool`` message is one tool output given to the model.

:func:`validate` checks one conversation and returns it normalised (string content kept,
parts as fresh dicts, consecutive text parts merged so that rendering them equals rendering
their concatenation), or raises :class:`ConversationError` whose ``reason`` is a short name
that pipelines count as ``dropped_<reason>``:

- ``bad_type``: not a list, a message not a dict, a content or part of the wrong type;
- ``empty``: no messages;
- ``missing_field``: a message without ``role`` or ``content``, a part without ``text``;
- ``unknown_role``: a role other than the four above;
- ``unknown_part``: a part type other than text/tool_call/tool_output;
- ``parts_outside_assistant``: a list content in a system/user/tool message;
- ``misplaced_system``: a system message that is not the first message;
- ``no_assistant``: nothing for the model to learn (no assistant message);
- ``bad_text``: text that has no UTF-8 form (a lone surrogate).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

from fineweb_kit.exceptions import FinewebKitError

Message: TypeAlias = dict[str, Any]
Conversation: TypeAlias = list[Message]

ROLES = ("system", "user", "assistant", "tool")
PART_TYPES = ("text", "tool_call", "tool_output")
REASONS = (
    "bad_type",
    "empty",
    "missing_field",
    "unknown_role",
    "unknown_part",
    "parts_outside_assistant",
    "misplaced_system",
    "no_assistant",
    "bad_text",
)


class ConversationError(FinewebKitError, ValueError):
    """A conversation is malformed. ``reason`` is one of :data:`REASONS` (or a format's own
    reason, e.g. ``no_answer``); the message says where."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason


def _check_text(text: Any, where: str) -> str:
    if not isinstance(text, str):
        raise ConversationError("bad_type", f"{where} is {type(text).__name__}, expected str")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ConversationError("bad_text", f"{where} has a lone surrogate at {e.start}") from None
    return text


def _parts(content: list, where: str) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for k, part in enumerate(content):
        at = f"{where}.content[{k}]"
        if not isinstance(part, dict):
            raise ConversationError("bad_type", f"{at} is {type(part).__name__}, expected dict")
        kind = part.get("type")
        if kind not in PART_TYPES:
            raise ConversationError("unknown_part", f"{at}.type is {kind!r}, not {PART_TYPES}")
        if "text" not in part:
            raise ConversationError("missing_field", f"{at} has no 'text'")
        text = _check_text(part["text"], f"{at}.text")
        if kind == "text" and out and out[-1]["type"] == "text":
            out[-1] = {"type": "text", "text": out[-1]["text"] + text}
        else:
            out.append({"type": kind, "text": text})
    return out


def validate(conversation: Any) -> Conversation:
    """The normalised conversation, or :class:`ConversationError` (see the module doc)."""
    if not isinstance(conversation, list | tuple):
        raise ConversationError(
            "bad_type", f"a conversation is a list of messages, got {type(conversation).__name__}"
        )
    if not conversation:
        raise ConversationError("empty", "the conversation has no messages")
    out: Conversation = []
    for i, msg in enumerate(conversation):
        where = f"messages[{i}]"
        if not isinstance(msg, dict):
            raise ConversationError("bad_type", f"{where} is {type(msg).__name__}, expected dict")
        if "role" not in msg or "content" not in msg:
            raise ConversationError("missing_field", f"{where} needs 'role' and 'content'")
        role = msg["role"]
        if role not in ROLES:
            raise ConversationError("unknown_role", f"{where}.role is {role!r}, not {ROLES}")
        if role == "system" and i != 0:
            raise ConversationError("misplaced_system", f"{where} is a system message")
        content = msg["content"]
        if isinstance(content, list):
            if role != "assistant":
                raise ConversationError(
                    "parts_outside_assistant", f"{where}: only assistant content has parts"
                )
            parts = _parts(content, where)
            if len(parts) == 1 and parts[0]["type"] == "text":
                out.append({"role": role, "content": parts[0]["text"]})
            else:
                out.append({"role": role, "content": parts})
        else:
            out.append({"role": role, "content": _check_text(content, f"{where}.content")})
    if not any(m["role"] == "assistant" for m in out):
        raise ConversationError("no_assistant", "no assistant message: nothing to train on")
    return out


def content_parts(message: Message) -> list[dict[str, str]]:
    """The content of a (validated) message as a list of parts."""
    content = message["content"]
    return [{"type": "text", "text": content}] if isinstance(content, str) else content


def assistant_text(message: Message) -> str:
    """The text parts of a message joined (tool calls and outputs left out)."""
    return "".join(p["text"] for p in content_parts(message) if p["type"] == "text")


def plain_text(conversation: Sequence[Message]) -> str:
    """A plain rendering for filters, dedup and PII steps: ``role: content`` blocks separated
    by blank lines; tool calls as ``<<expr>>`` and their outputs as ``=result``, so that
    the words of every turn are present and in order."""
    blocks = []
    for m in conversation:
        pieces = []
        for p in content_parts(m):
            if p["type"] == "text":
                pieces.append(p["text"])
            elif p["type"] == "tool_call":
                pieces.append(f"<<{p['text']}")
            else:
                pieces.append(f"={p['text']}>>")
        blocks.append(f"{m['role']}: {''.join(pieces)}")
    return "\n\n".join(blocks)


def map_texts(conversation: Sequence[Message], fn: Callable[[str], str]) -> Conversation:
    """A copy of a validated conversation with ``fn`` applied to every text, tool call and
    tool output (how formatters such as PII removal rewrite conversations)."""
    out: Conversation = []
    for m in conversation:
        content = m["content"]
        if isinstance(content, str):
            out.append({"role": m["role"], "content": fn(content)})
        else:
            parts = [{"type": p["type"], "text": fn(p["text"])} for p in content]
            out.append({"role": m["role"], "content": parts})
    return out
