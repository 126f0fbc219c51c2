"""The final-number checker for GSM8K-style answers (shared by ``eval gsm8k`` and RL rewards).

:func:`extract_final_number` reads the number an answer ends with: the first number after the
last ``####`` marker when there is one (GSM8K's reference format, ``#### 72``), else the last
number in the text (a model that forgets the marker still gets checked on what it said).
Numbers are normalised so that equal values compare equal as strings, following the shared
GSM8K data's README: thousands separators are dropped (``1,000`` -> ``1000``; 91 reference
answers have one), a sign is kept (``-5``; 4 answers are negative) and a leading ``+``
dropped, and decimals lose trailing zeros (``2.50`` -> ``2.5``, ``3.0`` -> ``3``). A comma
that is not a thousands separator separates two numbers (``3,4`` is 3 and 4); a ``$`` or
``%`` next to a number is ignored.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[-+]?\.\d+")
MARKER = "####"


def normalize_number(raw: str) -> str | None:
    """``"1,000.50"`` -> ``"1000.5"``; ``None`` if ``raw`` is not a number."""
    s = raw.strip().replace(",", "").lstrip("+")
    try:
        d = Decimal(s)
    except InvalidOperation:
        return None
    if not d.is_finite():
        return None
    if d == d.to_integral_value():
        return str(int(d))
    return format(d.normalize(), "f")


def extract_final_number(text: str) -> str | None:
    """The normalised final number of ``text`` (see the module doc), or ``None``."""
    if MARKER in text:
        tail = text.rsplit(MARKER, 1)[1]
        m = _NUMBER.search(tail)
        if m:
            return normalize_number(m.group())
    found = _NUMBER.findall(text)
    return normalize_number(found[-1]) if found else None


def is_correct(text: str, reference: str) -> bool:
    """Whether ``text`` ends with the reference answer's number (a GSM8K ``answer`` or a
    bare number)."""
    want = extract_final_number(reference)
    return want is not None and extract_final_number(text) == want
