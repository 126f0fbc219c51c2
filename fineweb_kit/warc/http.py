"""HTTP responses inside WARC blocks: head parsing, de-chunking, content decoding.

Lenient on purpose, because real captures are messy (``../shared/data/warc-edge``): head lines
may end in LF or CRLF, a line without ``:`` is skipped, an obs-fold continuation line is merged
into the previous value, header bytes are decoded as latin-1, header lines have no length limit
(a 70 kB ``Set-Cookie`` is fine), a status line may lack its reason phrase. ``Transfer-Encoding:
chunked`` is undone first, then ``Content-Encoding`` (gzip, x-gzip, deflate as zlib or raw, br,
zstd). When a declared coding does not decode (a header that lies about a plain body, wrong chunk
framing), the raw body is kept and the problem is returned as a note for the caller to count.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

MAX_HEAD = 1 << 20
"""An HTTP head longer than this is not a head (the block is then not an HTTP response)."""


@dataclass(slots=True)
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    notes: list[str] = field(default_factory=list)

    @property
    def mime(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def charset(self) -> str | None:
        return charset_param(self.headers.get("content-type", ""))


def charset_param(content_type: str) -> str | None:
    """The ``charset=`` parameter of a Content-Type value, or None."""
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            value = value.strip().strip("\"'").strip()
            return value or None
    return None


def parse_response(block: bytes) -> HttpResponse | None:
    """Splits an HTTP response block into status, headers and decoded body; None if the block
    does not start with an HTTP status line or has no end of head."""
    if not block.startswith(b"HTTP/"):
        return None
    end, sep_len = _head_end(block)
    if end < 0:
        return None
    lines = block[:end].decode("latin-1").split("\n")
    status = _status(lines[0])
    if status is None:
        return None
    headers = _fields(lines[1:])
    resp = HttpResponse(status, headers, block[end + sep_len :])
    _decode_body(resp)
    return resp


def _head_end(block: bytes) -> tuple[int, int]:
    crlf = block.find(b"\r\n\r\n", 0, MAX_HEAD)
    lf = block.find(b"\n\n", 0, MAX_HEAD)
    if lf >= 0 and (crlf < 0 or lf < crlf):
        return lf, 2
    return crlf, 4


def _status(line: str) -> int | None:
    parts = line.strip().split(None, 2)
    if len(parts) < 2 or not parts[1].isdigit():
        return None
    return int(parts[1])


def _fields(lines: list[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    last = ""
    for raw in lines:
        line = raw.rstrip("\r")
        if not line.strip():
            continue
        if line[0] in " \t":
            if last:
                headers[last] += " " + line.strip()
            continue
        name, colon, value = line.partition(":")
        if not colon:
            continue  # not a header line: skipped
        last = name.strip().lower()
        if last in headers:
            headers[last] += ", " + value.strip()
        else:
            headers[last] = value.strip()
    return headers


def _decode_body(resp: HttpResponse) -> None:
    if "chunked" in resp.headers.get("transfer-encoding", "").lower():
        unchunked = dechunk(resp.body)
        if unchunked is None:
            resp.notes.append("http_bad_chunking")
        else:
            resp.body = unchunked
    for coding in reversed(_codings(resp.headers.get("content-encoding", ""))):
        decoded = decode_content(resp.body, coding)
        if decoded is None:
            resp.notes.append("http_bad_content_encoding")
            return
        resp.body = decoded


def _codings(value: str) -> list[str]:
    return [
        c.strip().lower() for c in value.split(",") if c.strip().lower() not in ("", "identity")
    ]


def dechunk(body: bytes) -> bytes | None:
    """Undoes chunked transfer coding; None if the framing is wrong."""
    out: list[bytes] = []
    i = 0
    while True:
        j = body.find(b"\n", i)
        if j < 0:
            return b"".join(out) if out else None  # missing last-chunk: keep what was framed
        size_field = body[i:j].split(b";")[0].strip()
        try:
            size = int(size_field, 16)
        except ValueError:
            return None
        if size == 0:
            return b"".join(out)
        start = j + 1
        if start + size > len(body):
            return None
        out.append(body[start : start + size])
        i = start + size
        if body[i : i + 2] == b"\r\n":
            i += 2
        elif body[i : i + 1] == b"\n":
            i += 1
        else:
            return None


def decode_content(body: bytes, coding: str) -> bytes | None:
    """Decodes one Content-Encoding; None if the body is not in that coding."""
    try:
        if coding in ("gzip", "x-gzip"):
            if not body.startswith(b"\x1f\x8b"):
                return None
            return zlib.decompressobj(31).decompress(body)
        if coding == "deflate":
            try:
                return zlib.decompress(body)
            except zlib.error:
                return zlib.decompressobj(-15).decompress(body)
        if coding == "br":
            import brotli

            return brotli.decompress(body)
        if coding == "zstd":
            import zstandard

            return zstandard.ZstdDecompressor().decompressobj().decompress(body)
    except Exception:  # each library's own error class: the body is not in that coding
        return None
    return None  # unknown coding
