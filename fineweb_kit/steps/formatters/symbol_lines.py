"""SymbolLinesFormatter: removes lines made only of symbols (``* * *``, ``|||``, ``►►``).

As datatrove's ``SymbolLinesFormatter`` (FineWeb's last step): a line that is not blank and
consists only of symbol characters and spaces is removed; a run of such lines is replaced by
``replace_char`` once (default: nothing). Whitespace-only lines are kept. Symbol characters:
Unicode punctuation and symbols (categories P* and S*, which include emoji) and control
characters -- datatrove uses its fixed ``PUNCTUATION`` list instead, which lacks some symbols
(so a line of emoji or of rare arrows is removed here and kept there).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from fineweb_kit.steps.formatters.base import Formatter


@lru_cache(maxsize=4096)
def is_symbol(c: str) -> bool:
    return unicodedata.category(c)[0] in "PSC" and c not in "\t\n\r\x0b\x0c"


def is_symbol_line(line: str) -> bool:
    return bool(line.strip()) and all(c == " " or c == "\t" or is_symbol(c) for c in line)


class SymbolLinesFormatter(Formatter):
    """Removes symbol-only lines."""

    abstract = False

    def __init__(self, replace_char: str = "") -> None:
        super().__init__()
        self.replace_char = replace_char

    def format(self, text: str) -> str:
        out: list[str] = []
        in_run = False
        for line in text.splitlines():
            if is_symbol_line(line):
                if not in_run and self.replace_char:
                    out.append(self.replace_char)
                in_run = True
            else:
                out.append(line)
                in_run = False
        return "\n".join(out)
