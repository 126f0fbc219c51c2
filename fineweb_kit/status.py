"""Where a run stands: per stage, input files done, tasks failed (with their logs), pending.

Read from the run folder's markers only (see ``executors/state.py``), so it works for local
runs and, with the job ids the Slurm executor records, for batch runs too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from fineweb_kit.executors.state import RunFolder


@dataclass
class StageStatus:
    name: str
    inputs: int | None
    files_done: int
    tasks_done: int
    failed: list[dict] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.inputs is not None and self.files_done >= self.inputs and not self.failed


def run_status(output: str | Path) -> list[StageStatus]:
    folder = RunFolder(output)
    config = folder.config()
    out = []
    for i, stage in enumerate(config["stages"]):
        name = str(stage.get("name", f"stage{i}"))
        inputs_file = folder.stage_dir(name) / "inputs.json"
        inputs = len(json.loads(inputs_file.read_text())) if inputs_file.is_file() else None
        failed = [
            json.loads(p.read_text())
            for p in sorted((folder.stage_dir(name) / "errors").glob("*.json"))
        ]
        done_tasks = folder.done_tasks(name)
        files_done = len(folder.done_files(name))
        if done_tasks and inputs is not None:  # whole-task stages count their tasks' inputs
            files_done = sum(
                len(json.loads(folder.task_marker(name, r).read_text())["inputs"])
                for r in done_tasks
            )
        out.append(StageStatus(name, inputs, files_done, len(done_tasks), failed))
    return out


def format_status(stages: list[StageStatus]) -> str:
    lines = []
    for st in stages:
        total = "?" if st.inputs is None else str(st.inputs)
        state = "complete" if st.complete else ("FAILED" if st.failed else "incomplete")
        lines.append(f"stage {st.name}: {st.files_done}/{total} input files done, {state}")
        for f in st.failed:
            for failure in f.get("failures", []):
                lines.append(
                    f"  task {f['rank']} failed: {failure['file'] or '(task)'}: {failure['error']}"
                )
            lines.append(f"    log: {f.get('log')}")
    return "\n".join(lines)
