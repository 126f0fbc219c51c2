"""Where files live: local paths as ``pathlib.Path``, any fsspec URL (``s3://``, ``gs://``,
``hf://``, ...) as a ``UPath`` with the same methods, so callers write one code path.

Credentials and endpoints come only from each library's own mechanisms (``AWS_*`` environment
variables and profiles for ``s3://``, ``GOOGLE_APPLICATION_CREDENTIALS`` for ``gs://``,
``HF_TOKEN`` for ``hf://``; fsspec's ``FSSPEC_<PROTOCOL>_<OPTION>`` variables), never from a
pipeline file. ``file://`` URLs are plain local paths.

Object stores have no rename: :func:`commit` uploads a finished local file to a temporary key
(``.<name>.tmp``) beside its final key, then copies it to the final key and deletes the
temporary one, so a reader listing the folder never sees a half-written part (only a whole
one or none). Reads go through large blocks (:data:`READ_BLOCK`, read-ahead cache), so
streaming a file costs one request per block, not one per ``read()`` call.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any, Union

from fineweb_kit.exceptions import InputError, StorageError

try:  # the `remote` extra; local paths never need it
    from upath import UPath
except ImportError:  # pragma: no cover - exercised only without the extra
    UPath = None  # type: ignore[assignment,misc]

AnyPath = Union[Path, "UPath"]
"""A storage location as :func:`as_path` returns it: ``Path`` when local, ``UPath`` when remote."""
PathArg = Union[str, "os.PathLike[str]", "UPath"]
"""What the functions here accept: a path or URL string, a ``Path`` or a ``UPath``."""
READ_BLOCK = 16 * 1024 * 1024
"""Bytes fetched per request when reading a remote file."""
_LOCAL_PROTOCOLS = ("file://", "local://")


def is_remote(path: PathArg) -> bool:
    """True for a URL other than ``file://`` (``s3://bucket/key``, ``gs://...``, ``hf://...``)."""
    if UPath is not None and isinstance(path, UPath):
        return path.protocol not in ("", "file", "local")
    text = str(path)
    return "://" in text and not text.startswith(_LOCAL_PROTOCOLS)


def as_path(path: PathArg) -> AnyPath:
    """``Path`` for a local path or ``file://`` URL, ``UPath`` for a remote URL."""
    if isinstance(path, Path):
        return path
    if not is_remote(path):
        text = str(path)
        for prefix in _LOCAL_PROTOCOLS:
            if text.startswith(prefix):
                text = text[len(prefix) :]
        return Path(text)
    if UPath is None:
        raise InputError(
            f"{path}: remote paths need the `remote` extra: pip install 'fineweb-kit[remote]'"
        )
    return path if isinstance(path, UPath) else UPath(str(path))


def local_path(path: PathArg) -> Path:
    """``path`` as a local ``Path``, for code that works only on local files or has already
    checked ``not is_remote(path)``; a URL raises :class:`StorageError`."""
    p = as_path(path)
    if not isinstance(p, Path):
        raise StorageError(f"{path}: expected a local path here, not a URL")
    return p


def canonical(path: str) -> str:
    """A stable name for an input: a URL as given, a local path resolved (``realpath``)."""
    return path if is_remote(path) else os.path.realpath(path)


def join(root: PathArg, folder: PathArg) -> AnyPath:
    """``folder`` if it is absolute or a URL, else ``root / folder``."""
    if is_remote(folder) or Path(str(folder)).is_absolute():
        return as_path(folder)
    return as_path(root) / str(folder)


def filesystem(path: PathArg) -> tuple[Any, str]:
    """The fsspec filesystem of a remote ``path`` and the path as that filesystem names it."""
    p = as_path(path)
    if not is_remote(p):
        import fsspec

        return fsspec.filesystem("file"), str(p)
    return p.fs, p.path  # type: ignore[union-attr]


def _url(fs: Any, path: str) -> str:
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return f"{protocol}://{path}"


def glob_files(pattern: str) -> list[str]:
    """Files (not folders) matching a remote glob, as full URLs, sorted.

    fsspec lists a prefix with paged ``ListObjectsV2`` calls (1000 keys a page on S3) and
    matches the pattern on the listing, so a prefix of many thousands of files costs a few
    requests, not one per file.
    """
    fs, path = filesystem(pattern)
    matches = fs.glob(path, detail=True)
    return sorted(_url(fs, p) for p, info in matches.items() if info.get("type") == "file")


def open_read(path: PathArg, block_size: int = READ_BLOCK) -> IO[bytes]:
    """Opens a local file, or a remote one buffered in ``block_size`` blocks with read-ahead."""
    if not is_remote(path):
        return open(local_path(path), "rb")
    fs, p = filesystem(path)
    try:
        f = fs.open(p, "rb", block_size=block_size, cache_type="readahead")
    except FileNotFoundError:
        raise InputError(f"{path}: no such remote file") from None
    except Exception as e:
        raise StorageError(f"{path}: cannot open: {type(e).__name__}: {e}") from e
    return _RemoteReader(f, str(path))  # type: ignore[return-value]


class _RemoteReader:
    """A remote file whose read failures (after the client's retries) raise
    :class:`StorageError` naming the URL and offset, so no reader mistakes them for the end of
    the file or for damaged data."""

    def __init__(self, f: Any, url: str) -> None:
        self._f, self.url = f, url
        self.requests = 0

    def read(self, size: int = -1) -> bytes:
        offset = self._f.tell()
        try:
            return self._f.read(size)
        except Exception as e:
            raise StorageError(
                f"{self.url}: read failed at offset {offset}: {type(e).__name__}: {e}; "
                "rerun to redo this file"
            ) from e

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._f, name)

    def __enter__(self) -> _RemoteReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self._f.close()

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._f)


def staging_dir() -> Path:
    """Local folder for files on their way to or from remote storage (``FWK_STAGING_DIR``)."""
    root = os.environ.get("FWK_STAGING_DIR") or os.path.join(tempfile.gettempdir(), "fwk-staging")
    Path(root).mkdir(parents=True, exist_ok=True)
    return Path(root)


def local_temp_for(final: AnyPath) -> Path:
    """Where to write ``final`` before it is complete: beside it (local) or in the staging
    folder (remote; :func:`commit` uploads it)."""
    if not is_remote(final):
        return local_path(final).with_name(f".{final.name}.tmp")
    return staging_dir() / f"{uuid.uuid4().hex}_{final.name}"


def commit(tmp: Path, final: AnyPath) -> None:
    """Puts the finished ``tmp`` (from :func:`local_temp_for`) in place as ``final``.

    Local: a rename. Remote: upload to ``.<name>.tmp`` beside ``final``, then copy it to
    ``final`` and delete the temporary key; ``tmp`` is removed in every case.
    """
    if not is_remote(final):
        tmp.replace(local_path(final))
        return
    fs, final_key = filesystem(final)
    parent, name = final_key.rsplit("/", 1)
    tmp_key = f"{parent}/.{name}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        fs.put_file(str(tmp), tmp_key)
        fs.cp_file(tmp_key, final_key)  # server-side copy: the final key appears whole
    finally:
        tmp.unlink(missing_ok=True)
        with suppress(FileNotFoundError):
            fs.rm_file(tmp_key)


def remove_stale_temps(root: AnyPath) -> int:
    """Deletes the temporary keys (``.<name>.<id>.tmp``) a killed writer left under a remote
    ``root``; returns how many. Call it only while no task of the run is writing."""
    if not is_remote(root):
        return 0
    fs, prefix = filesystem(root)
    if not fs.exists(prefix):
        return 0
    stale = [
        k for k in fs.find(prefix) if k.rsplit("/", 1)[-1].startswith(".") and k.endswith(".tmp")
    ]
    for key in stale:
        with suppress(FileNotFoundError):
            fs.rm_file(key)
    return len(stale)


def discard(tmp: Path) -> None:
    """Removes an unfinished temporary file from :func:`local_temp_for`."""
    tmp.unlink(missing_ok=True)


def make_parent(final: AnyPath) -> None:
    """Creates ``final``'s folder (local only: object stores have no folders)."""
    if not is_remote(final):
        final.parent.mkdir(parents=True, exist_ok=True)


@contextmanager
def atomic_write(path: PathArg, mode: str = "w") -> Iterator[IO[Any]]:
    """Writes to a temporary file and puts it in place as ``path`` only on success."""
    final = as_path(path)
    make_parent(final)
    tmp = local_temp_for(final)
    if not is_remote(final):  # several tasks may write the same file (a shared config) at once
        tmp = tmp.with_name(f"{tmp.name[:-4]}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        commit(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


def upload(local: Path, final: AnyPath) -> None:
    """Copies a local file to ``final`` atomically (the temporary file is kept)."""
    tmp = local_temp_for(final)
    make_parent(final)
    shutil.copyfile(local, tmp)
    commit(tmp, final)


def stage_local(path: PathArg) -> Path:
    """A local copy of a remote file or folder (cached in the staging folder under a name
    derived from the URL, reused while the remote size is unchanged); a local path as is.

    For what must be a local file: tokenizer and model files, shard folders for training.
    """
    if not is_remote(path):
        return local_path(path)
    fs, p = filesystem(path)
    target = staging_dir() / "cache" / _url(fs, p).replace("://", "/")
    if fs.isdir(p):
        for key in fs.find(p):
            rel = key[len(p.rstrip("/")) + 1 :]
            _fetch(fs, key, target / rel)
        return target
    _fetch(fs, p, target)
    return target


def _fetch(fs: Any, key: str, target: Path) -> None:
    size = fs.size(key)
    if target.is_file() and target.stat().st_size == size:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        fs.get_file(key, str(tmp))
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
