"""Checkpoints: written atomically, found again on restart, refused for another model.

Layout: ``OUT/checkpoints/step-0000500/{state.pt,config.json}`` and ``OUT/checkpoints/LATEST``
(the name of the newest complete one). A checkpoint is written under a temporary folder name,
renamed into place, and only then named in ``LATEST`` (itself replaced with ``os.replace``),
so a crash at any moment leaves the previous checkpoint usable. The two newest are kept.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import torch

from fineweb_kit.exceptions import ConfigError

KEEP = 2


def checkpoint_root(out_dir: str | Path) -> Path:
    return Path(out_dir) / "checkpoints"


def latest(out_dir: str | Path) -> Path | None:
    """The newest complete checkpoint folder of a run (or a checkpoint folder given directly)."""
    p = Path(out_dir)
    if (p / "state.pt").is_file():
        return p
    marker = checkpoint_root(p) / "LATEST"
    if not marker.is_file():
        return None
    path = checkpoint_root(p) / marker.read_text().strip()
    return path if (path / "state.pt").is_file() else None


def save(out_dir: str | Path, step: int, state: dict[str, Any], config: dict[str, Any]) -> Path:
    root = checkpoint_root(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    name = f"step-{step:07d}"
    tmp = root / f".{name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    torch.save(state, tmp / "state.pt")
    (tmp / "config.json").write_text(json.dumps(config, indent=1))
    final = root / name
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    marker_tmp = root / ".LATEST.tmp"
    marker_tmp.write_text(name)
    os.replace(marker_tmp, root / "LATEST")
    for old in sorted(root.glob("step-*"))[:-KEEP]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def load(path: Path) -> dict[str, Any]:
    # weights_only=False: our own files hold RNG states and plain dicts, written by save().
    return torch.load(path / "state.pt", map_location="cpu", weights_only=False)


def check_model_config(path: Path, saved: dict[str, Any], current: dict[str, Any]) -> None:
    """Refuses to resume (or sample) a checkpoint of another model shape."""
    diff = {k: (saved.get(k), v) for k, v in current.items() if saved.get(k) != v}
    if diff:
        detail = ", ".join(f"{k}: checkpoint {a!r}, config {b!r}" for k, (a, b) in diff.items())
        raise ConfigError(
            f"{path}: checkpoint is from another model config ({detail}); "
            "use another out_dir or the checkpoint's config"
        )
