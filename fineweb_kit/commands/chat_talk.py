"""``fineweb-kit chat --checkpoint DIR [--prompt TEXT]``: talk to a fine-tuned model.

Without ``--prompt`` a REPL: each line is a user turn, the assistant's answer is generated
with the chat engine (KV cache, calculator tool) and the conversation continues; ``/reset``
starts over, ``/quit`` (or end of input) leaves. With ``--prompt`` one answer is printed
(``--num-samples N`` prints N, separated by ``---``). Tool calls are shown as
``[calc: EXPR = RESULT]`` when ``--show-tools`` is given. Sampling is seeded (``--seed``).
"""

from __future__ import annotations

import argparse
import sys

from fineweb_kit.exceptions import ConfigError


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checkpoint", help="fine-tuned run out_dir or checkpoint folder")
    p.add_argument("--prompt", help="one user message: print the answer and exit")
    p.add_argument("--system", default=None, help="a system message opening the conversation")
    p.add_argument("--tokenizer", default=None, help="chat tokenizer file (default: the run's)")
    p.add_argument("--temperature", type=float, default=0.0, help="0 = greedy (default)")
    p.add_argument("--top-k", type=int, default=None)
    p.add_argument("--top-p", type=float, default=None)
    p.add_argument("--max-tokens", type=int, default=256, help="new tokens per answer")
    p.add_argument("--num-samples", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-tools", action="store_true", help="do not run the calculator")
    p.add_argument("--show-tools", action="store_true", help="show tool calls and outputs")
    p.add_argument("--device", default="cpu", help="cpu or cuda")


def answer_text(engine, completion, show_tools: bool) -> str:
    """The assistant's words; with ``show_tools`` each call as ``[calc: EXPR = RESULT]``."""
    if not show_tools:
        return completion.text
    shown = {"text": "{}", "tool_call": "[calc: {}", "tool_output": " = {}]"}
    return "".join(shown[p["type"]].format(p["text"]) for p in assistant_parts(engine, completion))


def run(args: argparse.Namespace) -> int:
    if not args.checkpoint:
        raise ConfigError("chat: give --checkpoint DIR (or a sub-command such as `render`)")
    try:
        from fineweb_kit.chat.engine import Engine
        from fineweb_kit.chat.load import load_chat_model
    except ImportError as e:
        raise ConfigError(f"chatting needs PyTorch: pip install 'fineweb-kit[train]' ({e})") from e
    model, template = load_chat_model(args.checkpoint, args.tokenizer, args.device)
    engine = Engine(model, template)
    opening = [{"role": "system", "content": args.system}] if args.system else []

    def reply(messages: list[dict]) -> list:
        prompt = template.render_prompt(messages)
        [group] = engine.generate(
            [prompt.tolist()],
            args.max_tokens,
            temperature=args.temperature,
            top_k=args.top_k,
            top_p=args.top_p,
            num_samples=args.num_samples,
            seed=args.seed,
            use_tools=not args.no_tools,
        )
        return group

    if args.prompt is not None:
        group = reply([*opening, {"role": "user", "content": args.prompt}])
        print("\n---\n".join(answer_text(engine, c, args.show_tools) for c in group))
        return 0
    messages = list(opening)
    interactive = sys.stdin.isatty()
    while True:
        if interactive:
            print("you> ", end="", flush=True)
        line = sys.stdin.readline()
        if not line or line.strip() == "/quit":
            return 0
        if line.strip() == "/reset":
            messages = list(opening)
            continue
        if not line.strip():
            continue
        messages.append({"role": "user", "content": line.rstrip("\n")})
        c = reply(messages)[0]
        print(f"assistant> {answer_text(engine, c, args.show_tools)}", flush=True)
        messages.append({"role": "assistant", "content": assistant_parts(engine, c)})


def assistant_parts(engine, completion) -> list[dict]:
    """The completion as message parts (text / tool_call / tool_output), so the next turn's
    prompt renders the assistant's turn with its tool use exactly as the model produced it."""
    tok, kind = engine.tokenizer, "text"
    parts: list[dict] = []
    piece: list[int] = []
    kinds = {
        engine.call_start: "tool_call",
        engine.output_start: "tool_output",
        engine.call_end: "text",
        engine.output_end: "text",
    }
    for t in completion.ids:
        if t in kinds:
            if piece or kind != "text":
                parts.append({"type": kind, "text": tok.decode(piece)})
            piece, kind = [], kinds[t]
        elif t not in engine.specials:
            piece.append(t)
    if piece:
        parts.append({"type": kind, "text": tok.decode(piece)})
    return parts or [{"type": "text", "text": ""}]
