"""Parsers from the common conversation formats to messages (see :mod:`.messages`).

Each returns a validated conversation or raises :class:`ConversationError` with a named
reason (the reasons of :func:`~fineweb_kit.chat.messages.validate`, plus ``bad_format`` for a
record that is not of the format at all).

- :func:`from_openai`: ``{"messages": [{"role", "content"}, ...]}`` (or the list itself).
  Content may be a string or OpenAI content parts (``{"type": "text", "text"}``, joined);
  an assistant's ``tool_calls`` become ``tool_call`` parts (``name(arguments)``), a
  ``tool`` / ``function`` message a tool output.
- :func:`from_sharegpt`: ``{"conversations": [{"from", "value"}, ...]}`` with ShareGPT's
  speaker names (``human``/``user``, ``gpt``/``assistant``/``chatgpt``/..., ``system``,
  ``tool``/``observation``/``function_response``, ``function_call``).
- :func:`from_hh`: an Anthropic HH-RLHF dialogue, ``"\\n\\nHuman: ...\\n\\nAssistant: ..."``,
  split into turns on those two markers, each turn stripped of surrounding whitespace.
- :func:`from_gsm8k`: ``{"question", "answer"}``. User = the question; assistant = the
  solution, where each calculator annotation ``<<48/2=24>>`` becomes a ``tool_call`` part
  ``48/2`` followed by a ``tool_output`` part ``24``, and the text continues as written (the
  printed result after the annotation, the last line ``#### 72`` ending the turn).
"""

from __future__ import annotations

import json
import re
from typing import Any

from fineweb_kit.chat.messages import Conversation, ConversationError, validate

_SHAREGPT_ROLES = {
    "system": "system",
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "chatgpt": "assistant",
    "bing": "assistant",
    "bard": "assistant",
    "model": "assistant",
    "tool": "tool",
    "observation": "tool",
    "function_response": "tool",
    "function_call": "function_call",
}
_HH_MARKER = re.compile(r"\n\n(Human|Assistant):")
_GSM8K_CALL = re.compile(r"<<([^<>]*)>>")
_GSM8K_FINAL = "####"


def _record_list(record: Any, key: str, fmt: str) -> list:
    items = record.get(key) if isinstance(record, dict) else record
    if items is None:
        raise ConversationError("bad_format", f"{fmt} record without {key!r}")
    if not isinstance(items, list):
        raise ConversationError("bad_type", f"{fmt} {key!r} is {type(items).__name__}, not a list")
    return items


def _openai_content(content: Any) -> Any:
    """OpenAI content parts (``[{"type": "text", "text": ...}]``) joined to one string."""
    if isinstance(content, list) and all(
        isinstance(p, dict) and p.get("type") in ("text", "input_text", "output_text")
        for p in content
    ):
        return "".join(p.get("text", "") for p in content)
    return content


def _tool_call_text(call: Any) -> str:
    fn = call.get("function", call) if isinstance(call, dict) else None
    if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
        raise ConversationError("bad_type", f"tool call {call!r} has no function name")
    args = fn.get("arguments", "")
    if not isinstance(args, str):
        args = json.dumps(args, ensure_ascii=False, sort_keys=True)
    return f"{fn['name']}({args})"


def from_openai(record: Any) -> Conversation:
    """OpenAI chat messages (see the module doc) -> a validated conversation."""
    out = []
    for i, msg in enumerate(_record_list(record, "messages", "OpenAI")):
        if not isinstance(msg, dict):
            raise ConversationError("bad_type", f"messages[{i}] is {type(msg).__name__}")
        role = msg.get("role")
        role = "tool" if role == "function" else role
        content = _openai_content(msg.get("content"))
        calls = msg.get("tool_calls")
        if role == "assistant" and calls:
            parts = [{"type": "text", "text": content}] if content else []
            parts += [{"type": "tool_call", "text": _tool_call_text(c)} for c in calls]
            content = parts
        elif content is None and role == "assistant" and "content" in msg:
            content = ""  # OpenAI's assistant message with only a refusal or tool calls
        elif "content" not in msg:
            out.append({"role": role})  # validate() names the missing field
            continue
        out.append({"role": role, "content": content})
    return validate(out)


def from_sharegpt(record: Any) -> Conversation:
    """A ShareGPT record (see the module doc) -> a validated conversation."""
    out: list[dict[str, Any]] = []
    for i, turn in enumerate(_record_list(record, "conversations", "ShareGPT")):
        if not isinstance(turn, dict) or "from" not in turn or "value" not in turn:
            raise ConversationError("missing_field", f"conversations[{i}] needs from and value")
        role = _SHAREGPT_ROLES.get(str(turn["from"]).lower())
        if role is None:
            raise ConversationError("unknown_role", f"conversations[{i}].from is {turn['from']!r}")
        if role == "function_call":
            call = {"type": "tool_call", "text": turn["value"]}
            if out and out[-1]["role"] == "assistant":
                prev = out[-1]["content"]
                prev = [{"type": "text", "text": prev}] if isinstance(prev, str) else prev
                out[-1]["content"] = [*prev, call]
            else:
                out.append({"role": "assistant", "content": [call]})
            continue
        out.append({"role": role, "content": turn["value"]})
    return validate(out)


def from_hh(text: Any) -> Conversation:
    """An HH-RLHF dialogue text (see the module doc) -> a validated conversation."""
    if not isinstance(text, str):
        raise ConversationError("bad_type", f"HH dialogue is {type(text).__name__}, not str")
    pieces = _HH_MARKER.split(text)
    if pieces[0].strip():
        raise ConversationError(
            "bad_format", f"text before the first Human:/Assistant: marker: {pieces[0][:60]!r}"
        )
    roles = {"Human": "user", "Assistant": "assistant"}
    msgs = [
        {"role": roles[who], "content": body.strip()}
        for who, body in zip(pieces[1::2], pieces[2::2], strict=True)
    ]
    return validate(msgs)


def gsm8k_parts(answer: str) -> list[dict[str, str]]:
    """The assistant parts of a GSM8K solution (annotations -> tool call + output)."""
    parts: list[dict[str, str]] = []
    pos = 0
    for m in _GSM8K_CALL.finditer(answer):
        body = m.group(1)
        if "=" not in body:
            raise ConversationError("bad_format", f"calculator annotation {m.group(0)!r} has no =")
        expr, result = body.rsplit("=", 1)
        if m.start() > pos:
            parts.append({"type": "text", "text": answer[pos : m.start()]})
        parts.append({"type": "tool_call", "text": expr})
        parts.append({"type": "tool_output", "text": result})
        pos = m.end()
    if pos < len(answer):
        parts.append({"type": "text", "text": answer[pos:]})
    return parts


def from_gsm8k(record: Any) -> Conversation:
    """A GSM8K ``{"question", "answer"}`` record (see the module doc) -> a conversation."""
    if not isinstance(record, dict) or "question" not in record or "answer" not in record:
        raise ConversationError("missing_field", "a GSM8K record needs question and answer")
    question, answer = record["question"], record["answer"]
    if not isinstance(question, str) or not isinstance(answer, str):
        raise ConversationError("bad_type", "GSM8K question and answer must be strings")
    if _GSM8K_FINAL not in answer:
        raise ConversationError("no_answer", f"GSM8K answer without a final '{_GSM8K_FINAL}'")
    return validate(
        [
            {"role": "user", "content": question},
            {"role": "assistant", "content": gsm8k_parts(answer)},
        ]
    )


def gsm8k_final_answer(answer: str) -> str | None:
    """The final answer after ``####`` (stripped), or ``None``."""
    if _GSM8K_FINAL not in answer:
        return None
    return answer.rsplit(_GSM8K_FINAL, 1)[1].strip()


PARSERS = {
    "openai": from_openai,
    "sharegpt": from_sharegpt,
    "hh": from_hh,
    "gsm8k": from_gsm8k,
}
"""Format name (as in a reader's ``conversation:`` option) -> parser."""
