"""The chat engine's calculator tool: exact arithmetic on ``+ - * / ( )`` and numbers, no more.

A hand-written recursive-descent parser over the characters of the expression (never
``eval``, never ``ast``, no names, no calls, no powers), computing with exact fractions so
``0.1 + 0.2`` is ``0.3`` and ``10/4`` is ``2.5``. Grammar::

    expr   := term (("+" | "-") term)*
    term   := unary (("*" | "/") unary)*
    unary  := ("+" | "-") unary | atom
    atom   := NUMBER | "(" expr ")"
    NUMBER := digits ["." digits] | "." digits      (commas between digit groups allowed: 1,000)

Limits keep a model's tool call cheap and bounded whatever it writes: at most
``MAX_LENGTH`` characters, ``MAX_DEPTH`` nested parentheses/signs, ``MAX_DIGITS`` digits per
number, and every intermediate value at most ``MAX_MAGNITUDE`` in absolute value (so no
product chain can build a huge integer). :func:`evaluate` never raises: a bad expression
gives a string starting with ``"error: "`` that the engine feeds back as the tool output.

Results print as integers when whole (``24``), else as decimals rounded to
``DECIMALS`` places with trailing zeros dropped (``3.333333``), matching the style of GSM8K's
``<<expr=result>>`` annotations.
"""

from __future__ import annotations

from fractions import Fraction

MAX_LENGTH = 100
MAX_DEPTH = 16
MAX_DIGITS = 18
MAX_MAGNITUDE = Fraction(10**15)
DECIMALS = 6


class CalculatorError(Exception):
    """Internal: a reason the expression is refused (turned into an ``error: ...`` string)."""


class _Parser:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0
        self.depth = 0

    def peek(self) -> str:
        while self.i < len(self.s) and self.s[self.i] in " \t":
            self.i += 1
        return self.s[self.i] if self.i < len(self.s) else ""

    def check(self, x: Fraction) -> Fraction:
        if abs(x) > MAX_MAGNITUDE:
            raise CalculatorError("number too large")
        return x

    def expr(self) -> Fraction:
        x = self.term()
        while (op := self.peek()) in ("+", "-"):
            self.i += 1
            y = self.term()
            x = self.check(x + y if op == "+" else x - y)
        return x

    def term(self) -> Fraction:
        x = self.unary()
        while (op := self.peek()) in ("*", "/"):
            self.i += 1
            y = self.unary()
            if op == "*":
                x = self.check(x * y)
            elif y == 0:
                raise CalculatorError("division by zero")
            else:
                x = self.check(x / y)
        return x

    def nested(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise CalculatorError("expression nested too deeply")

    def unary(self) -> Fraction:
        c = self.peek()
        if c in ("+", "-"):
            self.i += 1
            self.nested()
            x = self.unary()
            self.depth -= 1
            return -x if c == "-" else x
        return self.atom()

    def atom(self) -> Fraction:
        c = self.peek()
        if c == "(":
            self.i += 1
            self.nested()
            x = self.expr()
            if self.peek() != ")":
                raise CalculatorError(f"expected ')' at position {self.i}")
            self.i += 1
            self.depth -= 1
            return x
        if c and c in "0123456789.":
            return self.number()
        if not c:
            raise CalculatorError("unexpected end of expression")
        raise CalculatorError(f"unexpected character {c!r} at position {self.i}")

    def number(self) -> Fraction:
        start = self.i
        s = self.s
        while self.i < len(s) and s[self.i] in "0123456789.,":
            self.i += 1
        raw = s[start : self.i].rstrip(",")
        self.i = start + len(raw)
        if raw.count(".") > 1 or raw.startswith(",") or ",." in raw or ".," in raw:
            raise CalculatorError(f"malformed number {raw!r}")
        whole, _, frac = raw.replace(",", "").partition(".")
        if "," in raw and any(len(g) != 3 for g in raw.split(".")[0].split(",")[1:]):
            raise CalculatorError(f"malformed number {raw!r}")
        if len(whole) + len(frac) > MAX_DIGITS:
            raise CalculatorError("number has too many digits")
        if not (whole + frac):
            raise CalculatorError(f"malformed number {raw!r}")
        value = Fraction(int(whole or "0")) + (
            Fraction(int(frac), 10 ** len(frac)) if frac else Fraction(0)
        )
        return self.check(value)


def format_number(x: Fraction) -> str:
    """``24``, ``-3``, ``2.5``, ``3.333333`` (rounded to ``DECIMALS`` places)."""
    if x.denominator == 1:
        return str(x.numerator)
    scaled = round(x * 10**DECIMALS)
    sign = "-" if scaled < 0 else ""
    whole, frac = divmod(abs(scaled), 10**DECIMALS)
    digits = f"{frac:0{DECIMALS}d}".rstrip("0")
    return f"{sign}{whole}.{digits}" if digits else f"{sign}{whole}"


def calculate(expr: str) -> Fraction:
    """The exact value of ``expr``; raises :class:`CalculatorError` (use :func:`evaluate`)."""
    if not isinstance(expr, str):
        raise CalculatorError("expression must be text")
    if len(expr) > MAX_LENGTH:
        raise CalculatorError(f"expression longer than {MAX_LENGTH} characters")
    p = _Parser(expr)
    if not p.peek():
        raise CalculatorError("empty expression")
    value = p.expr()
    if p.peek():
        raise CalculatorError(f"unexpected character {p.peek()!r} at position {p.i}")
    return value


def evaluate(expr: str) -> str:
    """The result of ``expr`` as text, or ``"error: <reason>"``; never raises."""
    try:
        return format_number(calculate(expr))
    except CalculatorError as e:
        return f"error: {e}"
    except (RecursionError, ValueError, OverflowError, MemoryError) as e:  # belt and braces
        return f"error: {type(e).__name__}"
