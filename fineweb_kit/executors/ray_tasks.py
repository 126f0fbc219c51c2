"""``OUTPUT/ray/tasks.json``: the Ray executor's record of its task states, read by
``fineweb-kit status``."""

from __future__ import annotations

import json
import time
from typing import Any

from fineweb_kit.executors.state import RunFolder
from fineweb_kit.io.storage import atomic_write

TASKS_FILE = "ray/tasks.json"


class TaskStates:
    """``OUTPUT/ray/tasks.json``: each Ray task's state, written as it changes (at most every
    half second, and at the end of a stage)."""

    def __init__(self, folder: RunFolder) -> None:
        self.path = folder.root / TASKS_FILE
        self.states: dict[str, dict[str, dict[str, Any]]] = {}
        self._written = 0.0

    def set(self, stage: str, rank: int, state: str, attempt: int, error: str = "") -> None:
        entry = {"state": state, "attempt": attempt, "time": time.time()}
        if error:
            entry["error"] = error
        self.states.setdefault(stage, {})[str(rank)] = entry
        if time.monotonic() - self._written > 0.5 or state in ("failed", "retrying"):
            self.flush()

    def flush(self) -> None:
        with atomic_write(self.path) as f:
            json.dump(self.states, f, indent=1)
        self._written = time.monotonic()


def read_task_states(output: Any) -> dict[str, dict[str, dict[str, Any]]]:
    """The last recorded Ray task states of a run folder ({} when it never ran on Ray)."""
    path = RunFolder(output).root / TASKS_FILE
    return json.loads(path.read_text()) if path.is_file() else {}
