"""A run folder: resolved config, fingerprint, per-input-file markers, logs, merged stats.

Layout of ``OUTPUT``::

    run.json                      pipeline name, config fingerprint, resolved config
    <writer folders>              outputs, one part per input file, named after the input
    _state/<stage>/inputs.json    the stage's input files, fixed at first listing
    _state/<stage>/files/N.json   marker of input file N: done, with its per-step stats
    _state/<stage>/tasks/R.json   marker of task R (stages with a whole-task step)
    _state/<stage>/errors/R.json  why task R failed last time (removed when it succeeds)
    logs/<stage>/task_R.log       task logs
    stats.json                    per stage, per step counters merged over all markers

A file's marker is written only after all its parts were renamed into place, so a rerun
redoes exactly the files without markers, overwriting their parts under the same names.

``OUTPUT`` may be a URL (``s3://bucket/run``): every file above is then an object, written
whole through ``io/storage.py`` (upload to a temporary key, then copy to its name), so the
markers keep their meaning: an object store's listing shows a marker only once its parts are
in place.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from pathlib import Path
from typing import Any

from fineweb_kit.exceptions import ConfigError
from fineweb_kit.io import storage
from fineweb_kit.io.storage import AnyPath, PathArg, atomic_write
from fineweb_kit.stats import StepStats

STATE = "_state"
_PART_PREFIX = re.compile(r"^\d{5}_")
_EXTENSIONS = (
    ".warc.wet.gz",
    ".warc.gz",
    ".arc.gz",
    ".wet.gz",
    ".jsonl.gz",
    ".jsonl.zst",
    ".jsonl",
    ".warc",
    ".arc",
    ".wet",
    ".parquet",
    ".json.gz",
    ".json",
    ".gz",
    ".zst",
)


def fingerprint(config: dict[str, Any]) -> str:
    """Hash of what determines the results (name and stages; not the executor's parallelism)."""
    relevant = {"name": config.get("name"), "stages": config.get("stages")}
    blob = json.dumps(relevant, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def part_name(index: int, path: str) -> str:
    """Output part name for input file ``index``: ``00042_<input stem>``, stable across reruns."""
    name = Path(path).name
    for ext in _EXTENSIONS:
        if name.endswith(ext):
            name = name[: -len(ext)]
            break
    name = _PART_PREFIX.sub("", name)
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:80]
    return f"{index:05d}_{name}"


class RunFolder:
    """Reads and writes the bookkeeping of one run's output folder."""

    def __init__(self, root: PathArg) -> None:
        self.root: AnyPath = storage.as_path(root)

    # --- run identity -------------------------------------------------------------------
    def claim(self, config: dict[str, Any], source: str) -> None:
        """Creates the folder for this config, or checks it belongs to the same config.

        Refuses (ConfigError) an existing folder holding another pipeline's results and a
        non-empty folder that is not a fineweb-kit run; checks the folder is writable.
        """
        run_file = self.root / "run.json"
        fp = fingerprint(config)
        if run_file.is_file():
            previous = json.loads(run_file.read_text())
            storage.remove_stale_temps(self.root)  # left by a killed run; none is writing now
            if previous.get("fingerprint") != fp:
                raise ConfigError(
                    f"{source}: output folder {self.root} holds results of another configuration "
                    f"(pipeline {previous.get('pipeline')!r}, fingerprint "
                    f"{previous.get('fingerprint')}, this one is {fp}); choose another --output "
                    "or delete that folder"
                )
            return
        if self.root.exists() and self.root.is_dir() and any(self.root.iterdir()):
            raise ConfigError(
                f"{source}: output folder {self.root} is not empty and is not a fineweb-kit run; "
                "choose another --output"
            )
        try:
            storage.make_parent(run_file)
            with atomic_write(run_file) as f:
                json.dump(
                    {"pipeline": config.get("name"), "fingerprint": fp, "config": config},
                    f,
                    indent=2,
                    ensure_ascii=False,
                    default=str,
                )
        except OSError as e:
            raise ConfigError(f"{source}: output folder {self.root} is not writable: {e}") from None

    def config(self) -> dict[str, Any]:
        run_file = self.root / "run.json"
        if not run_file.is_file():
            raise ConfigError(f"{self.root}: not a fineweb-kit run folder (no run.json)")
        return json.loads(run_file.read_text())["config"]

    # --- stage inputs --------------------------------------------------------------------
    def stage_dir(self, stage: str) -> AnyPath:
        return self.root / STATE / stage

    def stage_inputs(self, stage: str, list_files: Any) -> list[str]:
        """The stage's input files, listed once and then fixed (new files don't shift names)."""
        path = self.stage_dir(stage) / "inputs.json"
        if path.is_file():
            return json.loads(path.read_text())
        files = list(list_files())
        if storage.is_remote(path):  # no create-if-absent on object stores: same listing wins
            with atomic_write(path) as f:
                json.dump(files, f, indent=0)
            return files
        # Tasks of one stage may start together (Slurm arrays): the first listing written wins,
        # and every task uses it, so all agree on which file has which index.
        local = storage.local_path(path)
        local.parent.mkdir(parents=True, exist_ok=True)
        tmp = local.with_name(f".inputs.json.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            with open(tmp, "w") as f:
                json.dump(files, f, indent=0)
                f.flush()
                os.fsync(f.fileno())
            os.link(tmp, local)  # atomic create-if-absent
        except FileExistsError:
            files = json.loads(local.read_text())
        except OSError:  # a file system without hard links: last writer wins (same listing)
            os.replace(tmp, local)
        finally:
            tmp.unlink(missing_ok=True)
        return files

    # --- markers ------------------------------------------------------------------------
    def file_marker(self, stage: str, index: int) -> AnyPath:
        return self.stage_dir(stage) / "files" / f"{index:05d}.json"

    def task_marker(self, stage: str, rank: int) -> AnyPath:
        return self.stage_dir(stage) / "tasks" / f"{rank:05d}.json"

    def error_file(self, stage: str, rank: int) -> AnyPath:
        return self.stage_dir(stage) / "errors" / f"{rank:05d}.json"

    def log_file(self, stage: str, rank: int) -> AnyPath:
        return self.root / "logs" / stage / f"task_{rank:05d}.log"

    def write_marker(self, path: AnyPath, payload: dict[str, Any]) -> None:
        with atomic_write(path) as f:
            json.dump(payload, f, ensure_ascii=False, default=str)

    def done_files(self, stage: str) -> set[int]:
        folder = self.stage_dir(stage) / "files"
        return {int(p.stem) for p in folder.glob("*.json")} if folder.is_dir() else set()

    def done_tasks(self, stage: str) -> set[int]:
        folder = self.stage_dir(stage) / "tasks"
        return {int(p.stem) for p in folder.glob("*.json")} if folder.is_dir() else set()

    # --- stats --------------------------------------------------------------------------
    def stage_stats(self, stage: str) -> tuple[list[dict[str, Any]], int]:
        """Per-step stats of a stage merged over all markers, and how many markers."""
        merged: list[tuple[str, StepStats]] = []
        markers: list[AnyPath] = sorted((self.stage_dir(stage) / "files").glob("*.json"))
        markers += sorted((self.stage_dir(stage) / "tasks").glob("*.json"))
        for marker in markers:
            for i, step in enumerate(json.loads(marker.read_text()).get("steps", [])):
                if i == len(merged):
                    merged.append((step["name"], StepStats()))
                merged[i][1].merge(StepStats.from_json(step))
        return [{"name": n, **s.to_json()} for n, s in merged], len(markers)

    def write_stats(self, pipeline: str, stages: list[str]) -> dict[str, Any]:
        """Merges every stage's markers into ``stats.json`` and returns it."""
        out: dict[str, Any] = {"pipeline": pipeline, "stages": []}
        for stage in stages:
            steps, n = self.stage_stats(stage)
            out["stages"].append({"name": stage, "markers": n, "steps": steps})
        with atomic_write(self.root / "stats.json") as f:
            json.dump(out, f, indent=2, ensure_ascii=False)
        return out
