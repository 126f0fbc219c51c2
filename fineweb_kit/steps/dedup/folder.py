"""Where a dedup step keeps its intermediate files: a local or shared file system folder."""

from __future__ import annotations

from pathlib import Path

from fineweb_kit.exceptions import ConfigError
from fineweb_kit.io import storage
from fineweb_kit.steps.base import TaskContext


def dedup_folder(ctx: TaskContext, folder: str) -> Path:
    """``folder`` resolved against the output root; refuses a URL (the Rust core reads and
    writes these files directly): with a remote output, give an absolute local or shared path."""
    root = ctx.resolve(folder)
    if storage.is_remote(root):
        raise ConfigError(
            f"{ctx.stage}: dedup folder {root}: intermediate dedup files must be on a local or "
            "shared file system (the output folder is remote); set `folder:` to an absolute "
            "path such as /mnt/shared/minhash"
        )
    return root  # type: ignore[return-value]
