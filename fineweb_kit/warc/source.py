"""Decompressed bytes of an archive file, with byte offsets for error reports and damage recovery.

:class:`ArchiveStream` gives the WARC/ARC parser ``readline`` / ``read`` / ``peek`` / ``unread``
over the decompressed content of one file, whatever its compression (detected from magic bytes,
never from the name): plain, gzip (one member per record, one member for the whole file, or
anything in between), zstd (frames read across) and lz4 (FastWARC's reader).

Damage is not raised mid-way as an ``OSError`` that ends the file. The gzip layer knows where
each member starts in the compressed file; when a member is corrupt or cut short, or the bytes
after a member are not gzip, it reports an :class:`ArchiveDamage` (kind + the member's offset)
and, where possible, *resyncs* at the next member that really decompresses, so the records after
the damage are still read. The parser catches the damage, drops the record it was in, counts and
logs it, and continues.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import IO

from fineweb_kit.exceptions import StorageError
from fineweb_kit.io import storage
from fineweb_kit.io.files import GZIP_MAGIC, LZ4_MAGIC, ZSTD_MAGIC

_inflate: ModuleType
try:  # Intel ISA-L inflate: same API as zlib, ~1.5x faster on WARC members
    from isal import isal_zlib as _inflate

    _INFLATE_ERRORS: tuple[type[Exception], ...] = (zlib.error, _inflate.error)
except ImportError:  # pragma: no cover - isal is a dependency, but zlib works the same
    _inflate = zlib
    _INFLATE_ERRORS = (zlib.error,)

RAW_CHUNK = 1 << 20
"""Compressed bytes read per call; also the most decompressed bytes produced per step."""
FEED = 64 << 10
"""Compressed bytes given to zlib per call."""
GZIP_MEMBER_MAGIC = GZIP_MAGIC + b"\x08"  # + deflate method: what a real member starts with


@dataclass
class ArchiveDamage(Exception):
    """The file is damaged at ``offset`` (a gzip member start, or a byte of the plain file).

    ``kind`` becomes the counter ``errors_<kind>``; ``resynced`` says whether reading goes on.
    """

    kind: str
    offset: int
    detail: str
    resynced: bool = False

    def __str__(self) -> str:
        tail = "; resumed at the next intact gzip member" if self.resynced else ""
        return f"{self.kind} at byte {self.offset}: {self.detail}{tail}"


# An event of a chunk source: (member offset, data) or an ArchiveDamage.
Event = tuple[int, bytes] | ArchiveDamage


def _plain_chunks(f: IO[bytes]) -> Iterator[Event]:
    pos = 0
    while chunk := f.read(RAW_CHUNK):
        yield pos, chunk
        pos += len(chunk)


def _stream_chunks(reader: IO[bytes], kind: str) -> Iterator[Event]:
    """zstd / lz4: one logical stream; offsets are positions in the decompressed content."""
    pos = 0
    while True:
        try:
            chunk = reader.read(RAW_CHUNK)
        except StorageError:
            raise
        except Exception as e:  # the decompressor's own error class
            yield ArchiveDamage(f"corrupt_{kind}", pos, f"{kind} decompression failed: {e}")
            return
        if not chunk:
            return
        yield pos, chunk
        pos += len(chunk)


class _GzipMembers:
    """Decompresses gzip member after member, knowing each member's offset in the file.

    Compressed bytes sit in ``_data`` from index ``_off`` (no slicing copies per member);
    ``base`` is the file offset of ``_data[_off]``.
    """

    def __init__(self, f: IO[bytes]) -> None:
        self.f = f
        self._data = b""
        self._off = 0
        self.base = 0
        self.eof = False

    def _avail(self) -> int:
        return len(self._data) - self._off

    def _fill(self, need: int = 1) -> bool:
        while self._avail() < need and not self.eof:
            more = self.f.read(RAW_CHUNK)
            if not more:
                self.eof = True
            self._data = self._data[self._off :] + more
            self._off = 0
        return self._avail() >= need

    def _view(self, n: int) -> bytes:
        return self._data[self._off : self._off + n]

    def _consume(self, n: int) -> None:
        self._off += n
        self.base += n

    def events(self) -> Iterator[Event]:
        while self._fill(1):
            start = self.base
            if not self._fill(3) or self._view(3) != GZIP_MEMBER_MAGIC:
                yield from self._after_members(start)
                return
            yield from self._member(start)

    def _member(self, start: int) -> Iterator[Event]:
        d = _inflate.decompressobj(31)
        while True:
            if not self._fill(1):
                yield self._damage("truncated_gzip", start, "file ends inside a gzip member")
                return
            # feed at most FEED bytes: what zlib copies into unused_data stays small
            fed = self._view(FEED)
            try:
                out = d.decompress(fed, RAW_CHUNK)
            except _INFLATE_ERRORS as e:
                yield self._damage("corrupt_gzip", start, f"gzip data error ({e})")
                return
            left = d.unused_data if d.eof else d.unconsumed_tail
            self._consume(len(fed) - len(left))
            if out:
                yield start, out
            if d.eof:
                return

    def _after_members(self, start: int) -> Iterator[Event]:
        """Bytes after the last member that are not gzip: padding (fine) or garbage."""
        while True:
            if self._data[self._off :].lstrip(b"\x00\r\n \t"):
                break
            if self.eof:
                return  # NUL / blank padding at the end (tape blocks): not an error
            self._fill(self._avail() + RAW_CHUNK)
        yield self._damage(
            "trailing_garbage", start, "bytes after the last gzip member are not gzip"
        )

    def _damage(self, kind: str, start: int, detail: str) -> ArchiveDamage:
        resynced = self._resync(start + 1)
        return ArchiveDamage(kind, start, detail, resynced)

    def _resync(self, frm: int) -> bool:
        """Positions the reader at the next offset >= ``frm`` where a gzip member decompresses."""
        self.f.seek(frm)
        self._data, self._off, self.base, self.eof = b"", 0, frm, False
        magic = len(GZIP_MEMBER_MAGIC)
        while self._fill(magic):
            i = self._data.find(GZIP_MEMBER_MAGIC, self._off)
            if i < 0:
                self._consume(max(0, self._avail() - (magic - 1)))
                if self.eof:
                    return False
                self._fill(self._avail() + 1)
                continue
            self._consume(i - self._off)
            self._fill(64 << 10)
            if _starts_cleanly(self._view(64 << 10)):
                return True
            self._consume(1)
        return False


def _starts_cleanly(raw: bytes) -> bool:
    """True if ``raw`` begins a gzip member whose first bytes decompress without error."""
    try:
        zlib.decompressobj(31).decompress(raw, 16)
    except zlib.error:
        return False
    return True


def open_events(path: str) -> tuple[str, Iterator[Event], IO[bytes]]:
    """Opens ``path``; returns its compression name, its chunk events and the file to close."""
    f = storage.open_read(path)  # closed by the caller; a URL is read in large blocks
    head = f.read(4)
    f.seek(0)
    if head.startswith(GZIP_MAGIC):
        return "gzip", _GzipMembers(f).events(), f
    if head.startswith(ZSTD_MAGIC):
        import zstandard

        reader = zstandard.ZstdDecompressor().stream_reader(f, read_across_frames=True)
        return "zstd", _stream_chunks(reader, "zstd"), f
    if head.startswith(LZ4_MAGIC):
        from fastwarc.stream_io import Lz4Reader

        return "lz4", _stream_chunks(Lz4Reader(f), "lz4"), f
    return "none", _plain_chunks(f), f


class ArchiveStream:
    """A pull-parser's view of the decompressed content: lines, blocks, look-ahead, push-back.

    ``pos`` counts decompressed bytes. :meth:`offset_of` maps a position to the offset error
    reports use: its gzip member's start for gzip, else the position itself (the file offset for
    plain files). Reading past damage raises the :class:`ArchiveDamage` once the bytes before it
    are used up; the partial data of the damaged member is dropped and, if the source resynced,
    reading continues at the next intact member.
    """

    def __init__(self, events: Iterator[Event], by_member: bool) -> None:
        self._events = events
        self._by_member = by_member
        self._buf = b""
        self._i = 0
        self.pos = 0  # decompressed position of _buf[_i]
        self._segments: list[tuple[int, int]] = []  # (decompressed start, member offset)
        self._end = 0  # decompressed position after the last buffered byte
        self._pending: ArchiveDamage | None = None
        self.eof = False

    def _fill(self) -> bool:
        """Appends the next chunk to the buffer; False at the end or at damage (kept pending)."""
        if self.eof or self._pending is not None:
            return False
        for ev in self._events:
            if isinstance(ev, ArchiveDamage):
                self._pending = ev
                return False
            offset, data = ev
            if not self._segments or self._segments[-1][1] != offset:
                self._segments.append((self._end, offset))
            self._buf = self._buf[self._i :] + data
            self._i = 0
            self._end += len(data)
            return True
        self.eof = True
        return False

    def _more(self) -> bool:
        """Like ``_fill``, but raises pending damage instead of returning False for it."""
        if self._fill():
            return True
        damage, self._pending = self._pending, None
        if damage is None:
            return False
        self.pos = self._end  # the damaged member's partial bytes are dropped
        self._buf, self._i = b"", 0
        if not damage.resynced:
            self.eof = True
        raise damage

    def _avail(self) -> int:
        return len(self._buf) - self._i

    def offset_of(self, pos: int) -> int:
        """The reportable offset of decompressed position ``pos`` (asked in increasing order)."""
        if not self._by_member:
            return pos
        segs = self._segments
        while len(segs) > 1 and segs[1][0] <= pos:
            segs.pop(0)
        return segs[0][1] if segs else 0

    def at_end(self) -> bool:
        """True at the end of the content; raises damage met before any further byte."""
        return not self._avail() and not self._more()

    def peek(self, n: int) -> bytes:
        while self._avail() < n and self._fill():
            pass
        return self._buf[self._i : self._i + n]

    def readline(self, limit: int) -> bytes:
        """One line including its ``\\n`` (or less at the end); at most ``limit`` bytes."""
        searched = 0
        while True:
            j = self._buf.find(b"\n", self._i + searched, self._i + limit)
            if j >= 0:
                return self._take(j + 1 - self._i)
            if self._avail() >= limit:
                return self._take(limit)
            searched = self._avail()
            if not self._more():
                return self._take(self._avail())

    def read(self, n: int) -> bytes:
        """Up to ``n`` bytes; fewer only at the end of the content."""
        if self._avail() >= n:
            return self._take(n)
        parts = [self._take(self._avail())]
        got = len(parts[0])
        while got < n and self._more():
            part = self._take(min(n - got, self._avail()))
            parts.append(part)
            got += len(part)
        return b"".join(parts)

    def _take(self, n: int) -> bytes:
        out = self._buf[self._i : self._i + n]
        self._i += n
        self.pos += n
        return out

    def unread(self, data: bytes) -> None:
        """Pushes ``data`` back in front of the stream (used to re-parse a swallowed record)."""
        self._buf = data + self._buf[self._i :]
        self._i = 0
        self.pos -= len(data)

    def skip_while(self, chars: bytes) -> int:
        """Skips bytes in ``chars`` (separators, padding); returns how many were skipped."""
        n = 0
        while self._avail() or self._fill():
            rest = self._buf[self._i :]
            k = len(rest) - len(rest.lstrip(chars))
            self._take(k)
            n += k
            if self._avail():
                return n
        return n

    def scan_to(self, marker: bytes) -> bool:
        """Advances onto the second byte of the next ``marker`` (``b"\\nWARC/"`` -> onto ``W``).
        False if there is none before the end."""
        while True:
            j = self._buf.find(marker, self._i)
            if j >= 0:
                self._take(j + 1 - self._i)
                return True
            self._take(max(0, self._avail() - (len(marker) - 1)))
            if not self._more():
                return False
