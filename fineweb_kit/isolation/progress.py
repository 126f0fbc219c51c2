"""Which item the child process is working on, and since when, in 16 bytes of shared memory.

The child writes ``(item number, start time)`` before each item (plain memory writes, no
system call, no wake-up of the parent); the parent reads it only when an answer is late or the
child died, to know which item is to blame and how long it has run. Answers themselves travel
in groups (:mod:`.child`), so finished items are not reported one by one. Writes follow a
sequence lock: the number is set to ``BUSY`` while the time changes, and a read retries until
it sees the same number before and after the time. Times are ``time.monotonic()``, one clock
for all processes of the machine.
"""

from __future__ import annotations

import mmap
import os
import struct

from fineweb_kit.isolation.shared_pages import anonymous_file

BUSY = -1
_SEQ, _TIME = struct.Struct("<q"), struct.Struct("<d")
SIZE = 16


class Progress:
    """One progress cell. The parent creates it (``fd`` goes to each child); the child opens
    the same cell with ``Progress(fd)``."""

    def __init__(self, fd: int | None = None) -> None:
        self.owner = fd is None
        self.fd = anonymous_file() if fd is None else fd
        if self.owner:
            os.ftruncate(self.fd, SIZE)
        self._map = mmap.mmap(self.fd, SIZE)

    def reset(self) -> None:
        """Nothing started yet (parent, before a child starts)."""
        _SEQ.pack_into(self._map, 0, 0)

    def start(self, number: int, now: float) -> None:
        """Item ``number`` (0, 1, ...) starts at ``now`` (child)."""
        _SEQ.pack_into(self._map, 0, BUSY)
        _TIME.pack_into(self._map, 8, now)
        _SEQ.pack_into(self._map, 0, number + 1)

    def read(self) -> tuple[int, float]:
        """``(item number, start time)`` of the item being worked on; ``(-1, 0.0)`` before the
        first."""
        while True:
            (before,) = _SEQ.unpack_from(self._map, 0)
            (started,) = _TIME.unpack_from(self._map, 8)
            (after,) = _SEQ.unpack_from(self._map, 0)
            if before == after != BUSY:
                return before - 1, started if before else 0.0

    def close(self) -> None:
        self._map.close()
        if self.owner:
            os.close(self.fd)
