"""Block lists of domains, URLs and words as the URL filter reads them (datatrove's formats).

A domain or URL list (one entry per line, ``#`` comments) becomes a sorted array of 64-bit xxh3
hashes (:func:`load_list_hashes`; 4.5 M domains: 36 MB, cached per process and on disk beside
the list as ``<name>.xxh3.npy``); a :class:`HashSet` answers membership for a whole batch with
one ``numpy.searchsorted``. Word lists are normalised like datatrove's ``parse_list``.
``fineweb-kit assets fetch`` (:mod:`fineweb_kit.assets`) builds the ``.xxh3.npy`` files with the
same functions ``URLFilter`` loads them with. Pure Python (no Rust core), so the assets can be
fetched before the extension is built.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import xxhash

WORD_SPLIT = re.compile(r"[^a-zA-Z0-9]+")
"""What separates the words of a URL (and what :func:`normalize` removes)."""
_CACHE: dict[tuple[str, int, float], np.ndarray] = {}
_CACHE_LOCK = threading.Lock()


def normalize(text: str) -> str:
    """Lower-cased, with every run of non-alphanumerics removed (datatrove's ``normalize``)."""
    return WORD_SPLIT.sub("", text).lower()


def hash_keys(keys: Iterable[str | bytes]) -> np.ndarray:
    """xxh3-64 hashes of ``keys`` (str as UTF-8), as uint64.

    ``str`` is encoded here: xxhash 4 hashes only bytes-like objects (3.x also took ``str``, as
    its UTF-8 bytes, so hashes and the pre-built arrays are the same under both)."""
    digest = xxhash.xxh3_64_intdigest
    hashes = (digest(k.encode("utf-8") if isinstance(k, str) else k) for k in keys)
    return np.fromiter(hashes, dtype=np.uint64, count=-1)


class HashSet:
    """A set of strings as a sorted array of their 64-bit hashes."""

    def __init__(self, parts: list[np.ndarray], keys: Iterable[str] = ()) -> None:
        extra = hash_keys(keys)
        if len(parts) == 1 and not len(extra):
            self.hashes = parts[0]  # already sorted and unique (load_list_hashes)
        else:
            self.hashes = np.unique(np.concatenate([np.zeros(0, np.uint64), *parts, extra]))

    def __len__(self) -> int:
        return len(self.hashes)

    def contains(self, keys: list[str]) -> np.ndarray:
        """One bool per key."""
        if not len(self.hashes) or not keys:
            return np.zeros(len(keys), dtype=bool)
        h = hash_keys(keys)
        idx = np.minimum(np.searchsorted(self.hashes, h), len(self.hashes) - 1)
        return self.hashes[idx] == h


def load_list_hashes(path: Path) -> np.ndarray:
    """Sorted unique hashes of a one-entry-per-line list (stripped, ``#`` comments skipped).

    Cached per process, and on disk beside the list as ``<name>.xxh3.npy`` when that folder is
    writable: hashing 4.5 M domains takes seconds, loading the 36 MB array milliseconds.
    """
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime)
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE[key] = _hashes_from_disk(path, st.st_mtime)
        return _CACHE[key]


def _hashes_from_disk(path: Path, mtime: float) -> np.ndarray:
    cached = path.with_name(path.name + ".xxh3.npy")
    if cached.is_file() and cached.stat().st_mtime >= mtime:
        return np.load(cached)
    lines = (ln.strip() for ln in path.read_bytes().split(b"\n"))
    hashes = np.unique(hash_keys(ln for ln in lines if ln and not ln.startswith(b"#")))
    tmp = cached.with_name(f".{cached.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            np.save(f, hashes)
        tmp.replace(cached)
    except OSError:  # read-only install: keep it in memory only
        tmp.unlink(missing_ok=True)
    return hashes


def load_words(path: Path) -> set[str]:
    """A word list, normalised like datatrove's ``parse_list``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return {normalize(ln) for ln in lines if ln and not ln.startswith("#")} - {""}
