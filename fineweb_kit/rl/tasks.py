"""Verifiable tasks: a prompt, a known answer and the checker that scores a completion.

Sources:
- ``arithmetic_tasks(n, difficulty, seed)``: synthetic problems with known answers, in five
  difficulty levels (0: a bare one-digit sum or difference, "What is 7 - 3?", small enough
  for a tiny CPU model; 1: the same as a word problem; 2: two-digit; 3: two operations with
  a product; 4: three operations on up to three-digit numbers);
- ``load_task_file(path)``: user tasks, JSONL with ``prompt``, ``answer`` and ``checker``
  (``exact | numeric | regex | gsm8k``); each bad line is named with its line number;
- ``load_gsm8k(path)``: GSM8K records ``{"question", "answer"}``; the answer is the number
  after ``####``, checked with the ``gsm8k`` checker.
"""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from fineweb_kit.exceptions import ConfigError
from fineweb_kit.rl.checkers import CHECKERS, final_number, get_checker


@dataclass(frozen=True)
class Task:
    """One practice problem. ``reward(completion)`` is the checker's score in [0, 1]."""

    prompt: str
    answer: str
    checker: str = "gsm8k"

    def reward(self, completion: str) -> float:
        return get_checker(self.checker)(completion, self.answer)

    def messages(self) -> list[dict]:
        """The conversation to generate from: a single user turn."""
        return [{"role": "user", "content": self.prompt}]


_NAMES = ("Ann", "Ben", "Cara", "Dev", "Eli", "Fay", "Gus", "Ivy", "Jon", "Kim")
_THINGS = ("apples", "books", "coins", "pens", "cards", "shells", "eggs", "rocks")


def _level0(r: random.Random) -> tuple[str, int]:
    a, b = r.randint(0, 9), r.randint(0, 9)
    if r.random() < 0.5:
        return f"What is {a} + {b}?", a + b
    a, b = max(a, b), min(a, b)
    return f"What is {a} - {b}?", a - b


def _story(r: random.Random, lo: int, hi: int) -> tuple[str, int]:
    """Someone gets or gives away things; both counts in ``[lo, hi]``."""
    name, thing = r.choice(_NAMES), r.choice(_THINGS)
    a, b = r.randint(lo, hi), r.randint(lo, hi)
    if r.random() < 0.5:
        return f"{name} has {a} {thing} and gets {b} more. How many {thing} now?", a + b
    a, b = max(a, b), min(a, b)
    return f"{name} has {a} {thing} and gives away {b}. How many {thing} now?", a - b


def _level1(r: random.Random) -> tuple[str, int]:
    return _story(r, 0, 9)


def _level2(r: random.Random) -> tuple[str, int]:
    return _story(r, 10, 99)


def _level3(r: random.Random) -> tuple[str, int]:
    name, thing = r.choice(_NAMES), r.choice(_THINGS)
    boxes, per, extra = r.randint(2, 9), r.randint(2, 12), r.randint(1, 20)
    return (
        f"{name} buys {boxes} boxes of {per} {thing} and finds {extra} more. "
        f"How many {thing} in all?",
        boxes * per + extra,
    )


def _level4(r: random.Random) -> tuple[str, int]:
    name, thing = r.choice(_NAMES), r.choice(_THINGS)
    boxes, per = r.randint(3, 30), r.randint(5, 40)
    sold, friends = r.randint(1, boxes * per // 2), r.randint(2, 6)
    left = boxes * per - sold
    gift = left - left % friends
    return (
        f"{name} has {boxes} crates of {per} {thing}, sells {sold}, and shares the largest "
        f"amount that splits evenly among {friends} friends. How many {thing} does each "
        f"friend get?",
        gift // friends,
    )


_LEVELS = {0: _level0, 1: _level1, 2: _level2, 3: _level3, 4: _level4}


def arithmetic_tasks(n: int, difficulty: int = 1, seed: int = 0) -> list[Task]:
    """``n`` synthetic problems of a difficulty level 0-4 (same seed, same tasks)."""
    if difficulty not in _LEVELS:
        raise ValueError(f"difficulty must be one of {sorted(_LEVELS)}, got {difficulty!r}")
    r = random.Random(f"arith-{difficulty}-{seed}")
    out = []
    for _ in range(n):
        prompt, value = _LEVELS[difficulty](r)
        out.append(Task(prompt, str(value), "gsm8k"))
    return out


def _numbered_lines(path: Path, what: str) -> Iterator[tuple[int, str]]:
    """``(line number, line)`` of a JSONL file (``.gz`` allowed); a missing file is a
    :class:`ConfigError` naming ``what``."""
    if not path.is_file():
        raise ConfigError(f"{what} {path} not found")
    with gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else path.open() as f:
        yield from enumerate(f, 1)


def load_task_file(path: str | Path) -> list[Task]:
    """User tasks from JSONL (``.gz`` allowed): ``{"prompt", "answer", "checker"}`` per line."""
    path = Path(path)
    tasks: list[Task] = []
    for no, line in _numbered_lines(path, "task file"):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            raise ConfigError(f"{path}:{no}: not JSON ({e.msg})") from None
        if not isinstance(rec, dict):
            raise ConfigError(f"{path}:{no}: expected an object with prompt, answer, checker")
        missing = [k for k in ("prompt", "answer") if not isinstance(rec.get(k), str)]
        if missing:
            raise ConfigError(f"{path}:{no}: missing or non-string {', '.join(missing)}")
        checker = rec.get("checker", "exact")
        if checker not in CHECKERS:
            raise ConfigError(
                f"{path}:{no}: checker {checker!r} unknown; use one of {', '.join(CHECKERS)}"
            )
        tasks.append(Task(rec["prompt"], rec["answer"], checker))
    if not tasks:
        raise ConfigError(f"{path}: no tasks")
    return tasks


def load_gsm8k(path: str | Path, limit: int | None = None) -> list[Task]:
    """GSM8K problems as tasks: prompt = question, answer = the number after ``####``."""
    path = Path(path)
    tasks: list[Task] = []
    for no, line in _numbered_lines(path, "GSM8K file"):
        if limit is not None and len(tasks) >= limit:
            break
        rec = json.loads(line)
        answer = rec.get("answer", "")
        if "####" not in answer:
            raise ConfigError(f"{path}:{no}: answer has no '#### N' final line")
        final = final_number(answer)
        if final is None:
            raise ConfigError(f"{path}:{no}: no number after '####'")
        tasks.append(Task(rec["question"], final, "gsm8k"))
    return tasks
