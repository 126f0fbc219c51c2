"""WARC and ARC records out of an :class:`ArchiveStream`, with every kind of damage reported.

Our own WARC parser (not FastWARC's or warcio's iterators) because both libraries silently hand
back truncated records, and each fails on files the other reads (see
``../shared/data/warc-edge/README.md``). What it accepts and what it reports:

* version lines ``WARC/<digits>.<digits>`` (0.18, 1.0 and 1.1; the version is per record);
  header lines ending in CRLF or LF; field names case-insensitive, values trimmed; for a repeated
  field the first value wins (as in warcio) and ``warc_duplicate_field`` is counted.
* ``Content-Length`` must be a number: missing or not numeric -> error ``bad_header``.
* a block shorter than its Content-Length (the file or gzip member ends) -> error ``truncated``;
  the partial record is never returned.
* after the block, a CRLF CRLF separator; a missing or short separator followed by the next
  ``WARC/`` line is tolerated (counted as ``warc_missing_separator``); anything else means the
  Content-Length was wrong -> error ``bad_length``, the record is dropped, and the parser
  resyncs at the next line starting with ``WARC/`` (first inside the dropped block, where a
  too-long length swallowed the next record's head).
* a first line that is neither ``WARC/`` nor ARC's ``filedesc://`` -> error ``not_an_archive``
  at offset 0, without scanning the rest of the file.

ARC files (``filedesc://`` first) are read by warcio (``arc2warc``): FastWARC cannot read ARC.
Each record comes out as a :class:`RawRecord` (lower-cased WARC fields + block bytes).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO

from fineweb_kit.warc.source import ArchiveDamage, ArchiveStream

MAX_HEADER_LINE = 1 << 20
MAX_HEADER_LINES = 2000
SEPARATOR_CHARS = b"\r\n"
PADDING_CHARS = b"\r\n\x00 \t"
_VERSION = re.compile(rb"WARC/\d+\.\d+\s*$")
_RESYNC_MARKER = b"\nWARC/"
ARC_LENGTH_SLACK = 64


@dataclass(slots=True)
class RawRecord:
    """One archive record: its offset (see ``ArchiveStream.offset_of``), fields, and block."""

    offset: int
    headers: dict[str, str]
    block: bytes

    @property
    def type(self) -> str:
        return self.headers.get("warc-type", "").lower()


class RecordError(Exception):
    """A record-level problem; ``kind`` becomes the counter ``errors_<kind>``."""

    def __init__(self, kind: str, offset: int, detail: str) -> None:
        super().__init__(f"{kind} at byte {offset}: {detail}")
        self.kind = kind
        self.offset = offset


# Reports problems to the caller: (kind, offset, message). Errors are "errors_*" kinds; notes
# (tolerated oddities) start with "warc_".
Report = Callable[[str, int, str], None]


def is_arc(stream: ArchiveStream) -> bool:
    """True if the content starts like an ARC file (``filedesc://`` header record)."""
    stream.skip_while(PADDING_CHARS)
    return stream.peek(11) == b"filedesc://"


def iter_warc(stream: ArchiveStream, report: Report) -> Iterator[RawRecord]:
    """Yields the intact records of a WARC stream; reports damage and goes on where it can."""
    first = True
    resync = False
    while True:
        try:
            if resync:
                resync = False
                if not stream.scan_to(_RESYNC_MARKER):
                    return
            stream.skip_while(PADDING_CHARS)
            if stream.at_end():
                return
            offset = stream.offset_of(stream.pos)
            line = stream.readline(MAX_HEADER_LINE)
            if not _VERSION.match(line):
                if first:
                    report(
                        "not_an_archive",
                        offset,
                        f"expected 'WARC/' or 'filedesc://', got {line[:40]!r}",
                    )
                    return
                raise RecordError("garbage", offset, f"expected a 'WARC/' line, got {line[:40]!r}")
            first = False
            record = _read_record(stream, offset, report)
            if record is not None:
                yield record
        except ArchiveDamage as damage:
            report(damage.kind, damage.offset, str(damage))
            if not damage.resynced:
                return
        except RecordError as err:
            report(err.kind, err.offset, str(err))
            resync = True


def _read_record(stream: ArchiveStream, offset: int, report: Report) -> RawRecord | None:
    headers = _read_fields(stream, offset, report)
    length = _content_length(headers, offset)
    block = stream.read(length)
    if len(block) < length:
        raise RecordError(
            "truncated", offset, f"block has {len(block)} of its {length} bytes (Content-Length)"
        )
    sep = stream.skip_while(SEPARATOR_CHARS)
    nxt = stream.peek(5)
    if nxt and nxt != b"WARC/":
        if set(stream.peek(4096)) <= set(PADDING_CHARS):
            return RawRecord(offset, headers, block)  # padding, then the end
        _recover_swallowed(stream, block)
        raise RecordError(
            "bad_length",
            offset,
            f"Content-Length {length} does not end the record (next bytes {nxt!r}); record dropped",
        )
    if sep < 4 and nxt:
        report(
            "warc_missing_separator", offset, f"{sep} bytes between records instead of CRLF CRLF"
        )
    return RawRecord(offset, headers, block)


def _recover_swallowed(stream: ArchiveStream, block: bytes) -> None:
    """A too-long Content-Length swallowed the next record's head: push it back to re-parse."""
    j = block.find(_RESYNC_MARKER)
    if j >= 0:
        stream.unread(block[j + 1 :])


def _read_fields(stream: ArchiveStream, offset: int, report: Report) -> dict[str, str]:
    headers: dict[str, str] = {}
    last = ""
    for _ in range(MAX_HEADER_LINES):
        line = stream.readline(MAX_HEADER_LINE)
        if not line:
            raise RecordError("truncated", offset, "file ends inside the WARC header")
        if not line.endswith(b"\n"):
            raise RecordError("bad_header", offset, "WARC header line too long or cut")
        text = line.rstrip(b"\r\n").decode("utf-8", errors="replace")
        if not text:
            return headers
        if text[0] in " \t" and last:  # obsolete line folding
            headers[last] += " " + text.strip()
            continue
        name, colon, value = text.partition(":")
        if not colon:
            raise RecordError("bad_header", offset, f"WARC header line without ':': {text[:60]!r}")
        last = name.strip().lower()
        if last in headers:
            report("warc_duplicate_field", offset, f"repeated field {name.strip()!r}; first kept")
            last = ""
            continue
        headers[last] = value.strip()
    raise RecordError("bad_header", offset, f"more than {MAX_HEADER_LINES} WARC header lines")


def _content_length(headers: dict[str, str], offset: int) -> int:
    raw = headers.get("content-length")
    if raw is None:
        raise RecordError("bad_header", offset, "missing Content-Length")
    if not raw.isdigit():
        raise RecordError("bad_header", offset, f"Content-Length is not a number: {raw!r}")
    return int(raw)


class _StreamFile:
    """The minimal file interface warcio needs, over an :class:`ArchiveStream`."""

    def __init__(self, stream: ArchiveStream) -> None:
        self.stream = stream

    def read(self, n: int = -1) -> bytes:
        return self.stream.read(n if n >= 0 else 1 << 62)

    def readline(self, limit: int = -1) -> bytes:
        return self.stream.readline(limit if limit > 0 else MAX_HEADER_LINE)


def iter_arc(source: ArchiveStream | IO[bytes], report: Report) -> Iterator[RawRecord]:
    """Yields the records of an ARC file via warcio (``arc2warc``: WARC-style fields).

    ``source``: the raw file for plain or per-record gzip ARC (warcio reads gzip members itself,
    which survives ARC length fields that are off by a few bytes), else a decompressed stream.
    A record whose body is shorter than its ARC length is dropped as truncated if it is the last
    one and lacks more than ``ARC_LENGTH_SLACK`` bytes (warcio's own count is off by a few bytes
    on odd record lines, e.g. a URL with spaces); other mismatches are only counted
    (``warc_arc_length``): warcio delimited those records anyway.
    """
    from warcio.archiveiterator import ArchiveIterator

    fobj = _StreamFile(source) if isinstance(source, ArchiveStream) else source
    it = ArchiveIterator(fobj, arc2warc=True)
    offset = 0
    held: tuple[RawRecord, int] | None = None
    try:
        for rec in it:
            body = rec.raw_stream.read()
            missing = getattr(rec.raw_stream, "limit", 0)  # warcio's LimitReader: bytes not there
            offset = it.get_record_offset()  # (reads to the record's end)
            if held is not None:
                yield _checked_arc(held, report)
            headers = {k.lower(): v.strip() for k, v in reversed(rec.rec_headers.headers)}
            if not headers.get("content-length", "").isdigit():
                length = headers.get("content-length")
                report("bad_length", offset, f"ARC record length is not a number: {length!r}")
                continue
            head = rec.http_headers.to_bytes() if rec.http_headers is not None else b""
            held = (RawRecord(offset, headers, head + body), missing)
    except ArchiveDamage as damage:
        report(damage.kind, damage.offset, str(damage))
    except Exception as e:  # warcio's ArchiveLoadFailed and parse errors of broken ARC lines
        report("bad_arc", offset, f"{type(e).__name__}: {e}")
    if held is not None:
        if held[1] > ARC_LENGTH_SLACK:
            report("truncated", held[0].offset, f"ARC record lacks {held[1]} bytes of its length")
        else:
            yield _checked_arc(held, report)


def _checked_arc(held: tuple[RawRecord, int], report: Report) -> RawRecord:
    if held[1] > 0:
        report("warc_arc_length", held[0].offset, f"ARC length field {held[1]} bytes too long")
    return held[0]
