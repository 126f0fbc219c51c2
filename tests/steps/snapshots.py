"""Per-filter fixtures with snapshot files, reviewed in diffs as ruff does per rule.

``fixtures/<Filter>.txt`` holds small documents, each after a ``=== case`` line; lines right
after it of the form ``@url: VALUE`` or ``@KEY: VALUE`` (``VALUE`` parsed as JSON, else kept as
a string) set the document's URL or ``metadata[KEY]``. ``fixtures/<Filter>.snap`` holds each
case's verdict, one line per case. After an intended change to a filter:
``FWK_UPDATE_SNAPSHOTS=1 pytest <the test file>``, then review the snapshot diff.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from fineweb_kit.document import Document


def read_cases(folder: Path, name: str) -> list[Document]:
    """The documents of ``folder/<name>.txt``, each with its case name as ``id``."""
    docs: list[Document] = []
    lines: list[str] = []

    def close() -> None:
        if docs:
            docs[-1].text = "\n".join(lines).rstrip("\n")
            lines.clear()

    for line in (folder / f"{name}.txt").read_text(encoding="utf-8").split("\n"):
        if line.startswith("=== "):
            close()
            docs.append(Document(text="", id=line[4:].strip()))
        elif docs and not lines and line.startswith("@") and ": " in line:
            key, _, raw = line[1:].partition(": ")
            if key == "url":
                docs[-1].url = raw
            else:
                try:
                    docs[-1].metadata[key] = json.loads(raw)
                except json.JSONDecodeError:
                    docs[-1].metadata[key] = raw
        elif docs:
            lines.append(line)
    close()
    return docs


def verdict_lines(
    reasons: list[str | None], docs: list[Document], note: Callable[[Document], str] | None = None
) -> list[str]:
    """One snapshot line per case: ``case: keep`` or ``case: drop <reason>``, then ``note``'s
    text for the document (e.g. the language it was given), if any."""
    out = []
    for doc, reason in zip(docs, reasons, strict=True):
        extra = note(doc) if note is not None else ""
        out.append(f"{doc.id}: {'drop ' + reason if reason else 'keep'}{extra}")
    return out


def check_snapshot(folder: Path, name: str, got: list[str]) -> None:
    """``got`` must equal ``folder/<name>.snap`` (rewritten with ``FWK_UPDATE_SNAPSHOTS=1``);
    every fixture must show both sides of its filter."""
    snap = folder / f"{name}.snap"
    if os.environ.get("FWK_UPDATE_SNAPSHOTS") == "1":
        snap.write_text("\n".join(got) + "\n", encoding="utf-8")
    assert got == snap.read_text(encoding="utf-8").splitlines(), f"{snap} differs (see {__file__})"
    kept = [": keep" in line for line in got]
    assert any(kept) and not all(kept), f"{name}: the fixture must have kept and dropped cases"
