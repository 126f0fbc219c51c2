"""Answer checkers: ``(completion: str, answer: str) -> float`` in [0, 1], never raising.

A checker turns a model's free-text completion into a reward against a known answer:

- ``gsm8k``: the final number of the completion (after the last ``####`` if there is one,
  else the last number in the text; :func:`fineweb_kit.chat.answers.extract_final_number`)
  equals the answer's; thousands separators (``1,000``), signs (``-3``, ``+3``), trailing
  zeros (``18.00``) and ``$`` are tolerated, as in GSM8K's own answers (README of
  ``posttrain/``: 91 answers hold a separator, 4 a minus);
- ``numeric``: as ``gsm8k`` with a relative tolerance of 1e-6 (for decimal answers);
- ``exact``: the stripped completion equals the stripped answer;
- ``regex``: the answer is a regular expression that must match somewhere in the completion
  (``re.search``); a bad pattern scores 0, it does not raise;
- ``unit_tests``: the answer is a Python test module run against the completion's code in
  the sandbox of :mod:`fineweb_kit.rl.sandbox` (code tasks).

Any exception inside a checker (garbage input, huge numbers) scores 0.0: a reward function
must never stop an RL run.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from fineweb_kit.chat.answers import extract_final_number

Checker = Callable[[str, str], float]

_MAX_CHARS = 100_000  # completions longer than this are cut before searching (bounded time)


def final_number(text: str) -> str | None:
    """The normalised final number of ``text`` (the chat package's GSM8K reading, shared
    with ``fineweb-kit eval gsm8k``), looking at its last ``_MAX_CHARS`` characters."""
    return extract_final_number(text[-_MAX_CHARS:]) if isinstance(text, str) else None


def _to_float(s: str | None) -> float | None:
    if s is None:
        return None
    try:
        v = float(s)
    except (ValueError, OverflowError):
        return None
    return v if math.isfinite(v) else None


def _safe(fn: Checker) -> Checker:
    def wrapped(completion: str, answer: str) -> float:
        try:
            return float(fn(completion, answer))
        except Exception:
            return 0.0

    wrapped.__name__, wrapped.__doc__ = fn.__name__, fn.__doc__
    return wrapped


@_safe
def gsm8k(completion: str, answer: str) -> float:
    """1.0 when the completion's final number equals the answer's final number (exactly,
    after normalising separators and signs), else 0.0."""
    got, want = final_number(completion), final_number(answer)
    return 1.0 if got is not None and got == want else 0.0


@_safe
def numeric(completion: str, answer: str) -> float:
    """1.0 when the completion's final number is within 1e-6 (relative) of the answer's."""
    got = _to_float(final_number(completion))
    want = _to_float(final_number(answer))
    if got is None or want is None:
        return 0.0
    return 1.0 if math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-9) else 0.0


@_safe
def exact(completion: str, answer: str) -> float:
    """1.0 when the stripped completion equals the stripped answer."""
    return 1.0 if completion.strip() == answer.strip() else 0.0


@_safe
def regex(completion: str, answer: str) -> float:
    """1.0 when the regular expression ``answer`` matches somewhere in the completion."""
    return 1.0 if re.search(answer, completion[:_MAX_CHARS]) else 0.0


def unit_tests(completion: str, answer: str) -> float:
    """1.0 when the completion's code (its last fenced block, else all of it) passes the unit
    tests in ``answer`` run in the sandbox (:mod:`fineweb_kit.rl.sandbox`). Anything about the
    completion scores 0.0; only a machine where no safe sandbox can be set up raises
    ``SandboxError`` (a configuration problem, not a bad completion)."""
    from fineweb_kit.rl.sandbox import unit_test_checker

    return unit_test_checker(completion, answer)


CHECKERS: dict[str, Checker] = {
    "gsm8k": gsm8k,
    "numeric": numeric,
    "exact": exact,
    "regex": regex,
    "unit_tests": unit_tests,
}


def get_checker(name: str) -> Checker:
    """The checker called ``name``; the error lists the known names."""
    try:
        return CHECKERS[name]
    except KeyError:
        raise ValueError(f"unknown checker {name!r}; known: {', '.join(CHECKERS)}") from None
