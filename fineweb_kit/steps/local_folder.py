"""Folders the Rust core reads or writes directly with no remote support yet (ShardMerge's and
PackConversations' shards): these must be on a local or shared file system, never a URL. Dedup
folders and Tokenize's shards may be URLs (:mod:`fineweb_kit.io.work_folder`)."""

from __future__ import annotations

from pathlib import Path

from fineweb_kit.exceptions import ConfigError
from fineweb_kit.io import storage
from fineweb_kit.steps.base import TaskContext


def local_folder(ctx: TaskContext, folder: str, what: str, key: str = "folder") -> Path:
    """``folder`` resolved against the output root; a URL (given, or from a remote output
    folder) raises ConfigError saying to give an absolute local or shared path."""
    root = ctx.resolve(folder)
    if storage.is_remote(root):
        raise ConfigError(
            f"{ctx.stage}: {key} {root}: {what} are written by the Rust core to a local or "
            f"shared file system, not to a URL; set `{key}:` to an absolute path such as "
            "/mnt/shared/..."
        )
    return storage.local_path(root)
