"""The manifest every saved classifier carries: what it is, which format version, how made.

A fastText model ``model.bin`` stays a plain fastText file (so the ``fasttext`` package and
DCLM's tooling load it) with the manifest beside it as ``model.bin.manifest.json``. An embedding
head is a folder holding ``manifest.json`` and ``head.npz``.

Loading checks ``kind`` and ``format_version`` first: a model of another kind, or written by a
newer fineweb-kit, is refused with a :class:`~fineweb_kit.exceptions.FormatError` naming the file.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from fineweb_kit.exceptions import FormatError
from fineweb_kit.io.files import atomic_write

FORMAT_VERSION = 1
KINDS = ("fasttext-quality", "embedding-head")


def check_model_path(path: Path, folder: bool, what: str, expected: str, other: str) -> None:
    """Refuses ``path`` unless it is a folder (``folder``) or a file, as the model needs: a
    fastText model is a file, an embedding head a folder, so the wrong kind names ``other``."""
    if path.is_file() if folder else path.is_dir():
        kind = "file" if folder else "folder"
        raise FormatError(f"{path}: is a {kind} ({other}?); expected {expected}")
    if not (path.is_dir() if folder else path.is_file()):
        raise FormatError(f"{path}: {what} not found")


def manifest_path(model_path: str | Path) -> Path:
    """Where the manifest of a model lives: ``DIR/manifest.json`` or ``FILE.manifest.json``."""
    p = Path(model_path)
    return p / "manifest.json" if p.is_dir() else p.with_name(p.name + ".manifest.json")


def write_manifest(model_path: str | Path, kind: str, **fields: Any) -> dict[str, Any]:
    """Writes the manifest of ``model_path`` atomically and returns it."""
    assert kind in KINDS, kind
    data = {
        "kind": kind,
        "format_version": FORMAT_VERSION,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **fields,
    }
    with atomic_write(manifest_path(model_path)) as f:
        json.dump(data, f, indent=2, sort_keys=True)
    return data


def read_manifest(model_path: str | Path, kind: str, required: bool = True) -> dict[str, Any]:
    """Reads and checks a model's manifest; ``{}`` if absent and not ``required``."""
    path = manifest_path(model_path)
    if not path.is_file():
        if required:
            raise FormatError(f"{path}: no manifest; {model_path} is not a saved {kind} model")
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise FormatError(f"{path}: unreadable manifest: {e}") from None
    if not isinstance(data, dict):
        raise FormatError(f"{path}: manifest is not a JSON object")
    if data.get("kind") != kind:
        raise FormatError(
            f"{path}: model kind is {data.get('kind')!r}, expected {kind!r} "
            f"(is this the right model file for this step?)"
        )
    version = data.get("format_version")
    if not isinstance(version, int) or not 1 <= version <= FORMAT_VERSION:
        raise FormatError(
            f"{path}: format_version {version!r} is not supported (this fineweb-kit reads "
            f"versions 1..{FORMAT_VERSION}); upgrade fineweb-kit or retrain the model"
        )
    return data
