"""A memory region shared with the child process, through which byte items travel.

The parent copies a batch of ``bytes`` items into one anonymous shared file (``memfd`` on
Linux, an unlinked temporary file elsewhere) and sends only their ``(offset, length)`` spans
over the pipe; the child maps the same file and hands each item to the function as a read-only
``memoryview``. That is one copy per page instead of five (pickle, pipe write, pipe read,
unpickle). The parent keeps two regions (it fills one while the child reads the other) and
writes a new batch into a region only once every item of the batch there has been answered (or
its child killed), so the child never reads a region being rewritten. A file grows to the
largest batch and shrinks back after an unusually large one (over 256 MB).
"""

from __future__ import annotations

import mmap
import os
import tempfile
from collections.abc import Sequence

Span = tuple[int, int]
MIN_BYTES = 1 << 20
SHRINK_ABOVE = 64 << 20
"""A region shrinks back only when over 4x both the batch and this: resizing costs page faults
in both processes, and batches of ordinary pages (tens of MB) vary in size all the time."""


def anonymous_file() -> int:
    """A file descriptor of an unnamed file in memory, to be mapped by several processes."""
    if hasattr(os, "memfd_create"):
        return os.memfd_create("fineweb-kit-pages")
    fd, path = tempfile.mkstemp(prefix="fineweb-kit-pages-")
    os.unlink(path)
    return fd


class SharedPages:
    """Parent side: writes batches of byte items; ``fd`` is passed to each child."""

    def __init__(self) -> None:
        self.fd = anonymous_file()
        self._size = 0
        self._map: mmap.mmap | None = None

    def write(self, items: Sequence[bytes]) -> list[Span]:
        """Copies ``items`` into the region (replacing the previous batch); their spans."""
        total = sum(len(b) for b in items)
        if total > self._size or self._size > 4 * max(total, SHRINK_ABOVE):
            self._resize(max(total, MIN_BYTES))
        assert self._map is not None
        spans = []
        off = 0
        for item in items:
            self._map[off : off + len(item)] = item
            spans.append((off, len(item)))
            off += len(item)
        return spans

    def _resize(self, size: int) -> None:
        if self._map is not None:
            self._map.close()
        os.ftruncate(self.fd, size)
        self._map = mmap.mmap(self.fd, size)
        self._size = size

    def close(self) -> None:
        if self._map is not None:
            self._map.close()
            self._map = None
        os.close(self.fd)


class SharedPagesReader:
    """Child side: read-only views of the items the parent wrote."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._view: memoryview | None = None

    def view(self, span: Span) -> memoryview:
        """The item at ``span`` (valid until the parent writes the next batch)."""
        off, n = span
        if self._view is None or off + n > len(self._view):
            size = os.fstat(self.fd).st_size
            # the old mapping is unmapped once no view of it is left
            self._view = memoryview(mmap.mmap(self.fd, size, access=mmap.ACCESS_READ))
        return self._view[off : off + n]
