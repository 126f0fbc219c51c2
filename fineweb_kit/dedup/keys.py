"""Exact and sentence dedup: 128-bit keys per input file, then one find pass over all keys.

Folder layout (``folder``, relative to the run's output folder)::

    config.json                   method and parameters, with their fingerprint
    signatures/bucket_000/*.sig   pass 1: sorted keys per input file (runs)
    signatures/docs/<part>.docs   pass 1: one text hash per document, in reading order
    clusters/NNNNNN.dups          pass 2: per input file NNNNNN, records [document index,
                                  sentence index, original's id, copies]; the original's own
                                  record has ORIGINAL (bit 63) set in the copies word
    clusters/summary.json         pass 2: written last; counts

Keys: ``exact`` hashes each document's normalised text (datatrove's ``simplify_text``),
``sentences`` each window of ``n_sentences`` consecutive sentences. Pass 2 merges all keys in
a bounded memory budget.
"""

from __future__ import annotations

import json
import shutil
from typing import Any

import xxhash

from fineweb_kit import _core
from fineweb_kit.dedup.publish import PublishedSink, publish_results
from fineweb_kit.exceptions import ConfigError
from fineweb_kit.io import storage
from fineweb_kit.io.files import atomic_write
from fineweb_kit.io.storage import AnyPath
from fineweb_kit.io.work_folder import WorkFolder


def key_fingerprint(method: str, n_sentences: int) -> int:
    """Fingerprint of a key configuration (format version 1)."""
    blob = json.dumps({"method": method, "n_sentences": n_sentences, "version": 1})
    return xxhash.xxh3_64_intdigest(blob.encode())


def check_key_folder(root: AnyPath, method: str, n_sentences: int, create: bool = False) -> int:
    """Records or checks ``config.json``; returns the fingerprint."""
    fp = key_fingerprint(method, n_sentences)
    path = root / "config.json"
    want = {"method": method, "n_sentences": n_sentences, "fingerprint": f"{fp:016x}"}
    if path.is_file():
        have = json.loads(path.read_text())
        if have != want:
            raise ConfigError(
                f"{root}: holds {have.get('method')} dedup files of another configuration "
                f"({have}); this stage is {want}: use the same parameters or a fresh folder"
            )
    elif create:
        with atomic_write(path) as f:
            json.dump(want, f)
    else:
        raise ConfigError(f"{root}: no {method} dedup keys here; run its signature stage first")
    return fp


def open_key_sink(
    root: AnyPath,
    method: str,
    n_sentences: int,
    fingerprint: int,
    part_name: str,
    file_index: int,
    input_path: str,
    budget: int,
) -> Any:
    """Pass 1: the sink of one input file's keys (``add(texts)``, ``commit()``/``abort()``;
    a remote root: uploaded on commit)."""
    work = WorkFolder(root)
    sink = _core.KeySink(
        method,
        n_sentences,
        work.local / "signatures",
        part_name,
        file_index,
        storage.canonical(input_path),
        fingerprint,
        budget,
    )
    return PublishedSink(sink, work, part_name, 1) if work.remote else sink


def find_duplicates(root: AnyPath, method: str, n_sentences: int, budget: int) -> dict[str, int]:
    """Pass 2: one merge over all keys; duplicates written per input file, then
    ``clusters/summary.json``; returns the counts. A remote folder: the keys are downloaded
    whole first (one request per file), the results uploaded."""
    fp = check_key_folder(root, method, n_sentences)
    with WorkFolder(root) as work:
        runs = [str(p) for p in work.fetch_all("signatures/bucket_000", ".sig")]
        tmp = work.local / "tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        counts = publish_results(
            work, ".dups", lambda out: _core.dedup_find_duplicates(runs, out, fp, budget, tmp)
        )
        shutil.rmtree(tmp, ignore_errors=True)
    with atomic_write(root / "clusters" / "summary.json") as f:
        json.dump({"fingerprint": f"{fp:016x}", **counts}, f, indent=2)
    return counts


def remove_sentences(items: list[tuple[str, list[int]]], n_sentences: int) -> list[tuple[str, int]]:
    """Sentence dedup's edit: per ``(text, window starts)``, the text without the sentences
    those windows of ``n_sentences`` cover, and how many sentences were removed."""
    return _core.dedup_remove_sentences(items, n_sentences)
