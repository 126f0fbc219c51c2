"""A folder the Rust core reads and writes by local path (dedup intermediates, token shards),
wherever it really lives.

Local or shared folder: used in place, every method a plain file operation. Remote folder
(a URL): the core works in a private local scratch folder (under ``FWK_STAGING_DIR``, removed
by :meth:`WorkFolder.close`); :meth:`WorkFolder.fetch` and :meth:`WorkFolder.fetch_all`
download whole objects (one ``GET`` each, many at once; never small range reads, which made
datatrove's MinHash merge 40x slower on S3), :meth:`WorkFolder.publish` uploads a finished file
with the atomic protocol of :func:`~fineweb_kit.io.storage.commit`. :func:`staged_files` gives
the core local copies of input files that may be URLs (ShardMerge's input shards).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from fineweb_kit.io import storage
from fineweb_kit.io.storage import AnyPath, PathArg


class WorkFolder:
    """``root`` for the Rust core: :attr:`local` is the folder itself, or a scratch mirror."""

    def __init__(self, root: PathArg) -> None:
        self.root: AnyPath = storage.as_path(root)
        self.remote = storage.is_remote(self.root)
        if self.remote:
            self.local = _scratch()
        else:
            self.local = storage.local_path(self.root)

    def __enter__(self) -> WorkFolder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Removes the scratch folder of a remote root (a local root is left alone)."""
        if self.remote:
            shutil.rmtree(self.local, ignore_errors=True)

    def _key(self, rel: str) -> tuple[Any, str]:
        fs, root = storage.filesystem(self.root)
        return fs, f"{root.rstrip('/')}/{rel}"

    def fetch(self, rel: str) -> Path | None:
        """The local path of ``root/rel`` (downloaded when remote), or None if it is absent."""
        target = self.local / rel
        if not self.remote:
            return target if target.is_file() else None
        fs, key = self._key(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            fs.get_file(key, str(target))
        except FileNotFoundError:
            target.unlink(missing_ok=True)
            return None
        return target

    def fetch_all(self, rel_dir: str, suffix: str) -> list[Path]:
        """Local paths of the files of ``root/rel_dir`` named ``*<suffix>`` (not hidden),
        sorted; a remote folder is listed once (paged) and its files downloaded concurrently."""
        folder = self.local / rel_dir
        keys = [k for k in self.list_names(rel_dir) if k.endswith(suffix)]
        targets = [folder / k for k in keys]
        if self.remote and keys:
            fs, prefix = self._key(rel_dir)
            folder.mkdir(parents=True, exist_ok=True)
            _download(fs, [f"{prefix}/{k}" for k in keys], targets)
        return targets

    def list_names(self, rel_dir: str, prefix: str = "") -> list[str]:
        """Names of the files in ``root/rel_dir`` starting with ``prefix`` (hidden ones and
        temporary keys excluded), sorted; remote: one listing of that key prefix."""
        if not self.remote:
            folder = self.local / rel_dir
            return sorted(
                p.name
                for p in folder.glob(f"{prefix}*")
                if p.is_file() and not p.name.startswith(".")
            )
        fs, key = self._key(rel_dir)
        fs.invalidate_cache(key)
        try:
            if prefix and "prefix" in _find_params(fs):  # s3fs: lists only keys with it
                found = fs.find(key, prefix=prefix)
            else:
                found = fs.find(key, maxdepth=1)
        except FileNotFoundError:
            return []
        names = (k[len(key) + 1 :] for k in found if k.startswith(f"{key}/"))
        return sorted(
            n for n in names if "/" not in n and n.startswith(prefix) and not n.startswith(".")
        )

    def publish(self, local: Path) -> None:
        """Puts the finished file ``local`` (under :attr:`local`) in place in a remote root
        (temporary key, server-side copy, delete); nothing to do for a local root."""
        if not self.remote:
            return
        rel = local.relative_to(self.local).as_posix()
        storage.commit(local, storage.as_path(f"{str(self.root).rstrip('/')}/{rel}"))

    def remove(self, rel: str) -> None:
        """Deletes ``root/rel`` if it exists."""
        if not self.remote:
            (self.local / rel).unlink(missing_ok=True)
            return
        fs, key = self._key(rel)
        with suppress(FileNotFoundError):
            fs.rm_file(key)

    def remove_others(self, rel_dir: str, keep: set[str], prefix: str = "") -> int:
        """Deletes the files of ``root/rel_dir`` starting with ``prefix`` whose names are not
        in ``keep`` (what an earlier attempt left); returns how many."""
        stale = [n for n in self.list_names(rel_dir, prefix) if n not in keep]
        for name in stale:
            self.remove(f"{rel_dir}/{name}")
        return len(stale)


@contextmanager
def staged_files(paths: list[str]) -> Iterator[list[Path]]:
    """Local paths of ``paths``, in order: a local file as it is, a URL downloaded whole
    (concurrently per file system) into a scratch folder that is removed on exit."""
    if not any(storage.is_remote(p) for p in paths):
        yield [storage.local_path(p) for p in paths]
        return
    scratch = _scratch()
    try:
        local: list[Path] = []
        groups: dict[int, tuple[Any, list[str], list[Path]]] = {}
        for i, path in enumerate(paths):
            if not storage.is_remote(path):
                local.append(storage.local_path(path))
                continue
            fs, key = storage.filesystem(path)
            target = scratch / f"{i:06d}-{key.rsplit('/', 1)[-1]}"  # same names in two folders
            group = groups.setdefault(id(fs), (fs, [], []))
            group[1].append(key)
            group[2].append(target)
            local.append(target)
        for fs, keys, targets in groups.values():
            _download(fs, keys, targets)
        yield local
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="work-", dir=storage.staging_dir()))


def _download(fs: Any, keys: list[str], targets: list[Path]) -> None:
    """Whole-object downloads of ``keys`` to ``targets``, many at once (one ``GET`` each)."""
    fs.get(keys, [str(t) for t in targets])


def _find_params(fs: Any) -> set[str]:
    import inspect

    try:
        return set(inspect.signature(fs._find).parameters)  # async filesystems
    except (AttributeError, TypeError, ValueError):
        return set()
