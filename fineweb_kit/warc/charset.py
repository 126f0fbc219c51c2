"""Bytes of an HTML page -> text, choosing the charset the way that works on real crawls.

Order (the first that applies wins; ``how`` names it and the reader counts it):

1. ``bom``: a UTF-8 / UTF-16 byte-order mark.
2. ``utf8``: the bytes are valid UTF-8 (pure ASCII included). Valid UTF-8 text that is really in
   another encoding is vanishingly rare, while pages that *declare* a legacy charset but are
   UTF-8 are common (``../shared/data/html/README.md``: re-saved pages, ``latin1-header-vs-utf8
   -meta`` in ``warc-edge/charset-cases``). datatrove does this step too.
3. ``http`` / ``meta``: the charset declared in the HTTP Content-Type, else in a ``<meta>`` tag
   of the first 4 kB, if the bytes decode in it without error. Labels are mapped as browsers do
   (WHATWG): gb2312/gbk -> gb18030, latin-1/ascii -> windows-1252, shift_jis -> cp932, ...
   datatrove skips this step (UTF-8, then cchardet), so it mis-decodes pages whose declared
   charset a detector gets wrong; we trust a declaration that decodes cleanly.
4. ``detected``: cchardet's guess (what datatrove uses), if it decodes without error.
5. ``replaced``: the best candidate (declared, detected, else UTF-8) with undecodable bytes
   replaced by U+FFFD; never an exception, never a dropped page.
"""

from __future__ import annotations

import codecs
import re

META_WINDOW = 4096
_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-9": "cp1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "big5": "big5hkscs",
    "utf8": "utf-8",
    "unicode": "utf-16",
}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def normalize_label(label: str | None) -> str | None:
    """A Python codec name for a charset label, or None if Python does not know it."""
    if not label:
        return None
    name = _ALIASES.get(label.strip().lower(), label.strip().lower())
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def meta_charset(body: bytes) -> str | None:
    """The charset declared by a ``<meta charset>`` / ``http-equiv`` tag near the start."""
    m = _META.search(body, 0, META_WINDOW)
    return m.group(1).decode("ascii") if m else None


def _try(body: bytes, codec: str | None) -> str | None:
    if codec is None:
        return None
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def detect(body: bytes) -> str | None:
    """cchardet's guess as a Python codec name."""
    import cchardet

    return normalize_label(cchardet.detect(body).get("encoding"))


def decode_html(body: bytes, http_charset: str | None = None) -> tuple[str, str, str]:
    """Returns ``(text, codec, how)``; ``how`` is one of bom, utf8, http, meta, detected,
    replaced (see the module docstring)."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body.decode(codec, errors="replace"), codec, "bom"
    text = _try(body, "utf-8")
    if text is not None:
        return text, "utf-8", "utf8"
    declared: list[tuple[str, str | None]] = [
        ("http", normalize_label(http_charset)),
        ("meta", normalize_label(meta_charset(body))),
    ]
    for how, label in declared:
        text = _try(body, label)
        if text is not None and label:
            return text, label, how
    guess = detect(body)
    text = _try(body, guess)
    if text is not None and guess:
        return text, guess, "detected"
    fallback = next((c for _, c in declared if c), None) or guess or "utf-8"
    return body.decode(fallback, errors="replace"), fallback, "replaced"


def decode_text(body: bytes) -> tuple[str, str, str]:
    """Plain text (WET conversion records): UTF-8, else as for HTML without declarations."""
    return decode_html(body, None)
