"""Small synthetic arithmetic word problems in GSM8K's format (calculator annotations and a
``#### N`` line), for the SFT learning test and the generation benchmark."""

from __future__ import annotations

import random

NAMES = ("Ann", "Bo", "Cy", "Di", "Ed", "Flo")
THINGS = ("apples", "pens", "cards", "eggs")


def problem(rng: random.Random) -> dict[str, str]:
    name, thing = rng.choice(NAMES), rng.choice(THINGS)
    a, b = rng.randint(10, 99), rng.randint(2, 9)
    op = rng.choice("+-*")
    if op == "+":
        q = f"{name} has {a} {thing} and gets {b} more. How many {thing} now?"
    elif op == "-":
        q = f"{name} has {a} {thing} and gives away {b}. How many {thing} now?"
    else:
        q = f"{name} has {b} bags of {a} {thing}. How many {thing} in all?"
    expr = f"{a}{op}{b}" if op != "*" else f"{b}*{a}"
    r = a + b if op == "+" else a - b if op == "-" else a * b
    return {"question": q, "answer": f"{expr}=<<{expr}={r}>>{r} {thing}.\n#### {r}"}


def problems(n: int, seed: int) -> list[dict[str, str]]:
    rng = random.Random(seed)
    return [problem(rng) for _ in range(n)]
