"""The ``executor: {type: slurm, ...}`` block: its keys, their checks, and ``sbatch_args``.

Checked with the rest of the config, before anything is submitted (a bad value exits 2).
"""

from __future__ import annotations

import re
from typing import Any

from fineweb_kit.exceptions import ConfigError

SLURM_KEYS = (
    "type",
    "tasks",
    "partition",
    "time",
    "cpus_per_task",
    "mem_per_cpu_gb",
    "max_array_size",
    "max_concurrent",
    "job_name",
    "sbatch_args",
    "setup",
)
# sbatch options the executor sets itself; everything else can go in sbatch_args
RESERVED_SBATCH = {
    "array": "the executor builds the array from the tasks",
    "a": "the executor builds the array from the tasks",
    "dependency": "stages depend on each other automatically",
    "d": "stages depend on each other automatically",
    "output": "logs go to OUTPUT/logs/<stage>/",
    "o": "logs go to OUTPUT/logs/<stage>/",
    "error": "logs go to OUTPUT/logs/<stage>/",
    "e": "logs go to OUTPUT/logs/<stage>/",
    "parsable": "used by the executor",
    "wait": "use `fineweb-kit run --wait`",
    "hold": "used by the executor",
    "kill-on-invalid-dep": "always yes",
    "partition": "use executor.partition",
    "p": "use executor.partition",
    "time": "use executor.time",
    "t": "use executor.time",
    "cpus-per-task": "use executor.cpus_per_task",
    "c": "use executor.cpus_per_task",
    "mem-per-cpu": "use executor.mem_per_cpu_gb",
    "job-name": "use executor.job_name",
    "J": "use executor.job_name",
}
_TIME = re.compile(r"^(\d+(:\d{1,2}){0,2}|\d+-\d+(:\d{1,2}){0,2}|UNLIMITED|INFINITE)$")
DEFAULT_MAX_ARRAY = 1001


def check_slurm_executor(ex: dict[str, Any], path: str) -> None:
    """Checks the values of a slurm executor block (keys were checked by the caller)."""
    where = f"{path}: executor"
    for key in ("cpus_per_task", "max_array_size", "max_concurrent"):
        if key in ex and not _is_int(ex[key], 1):
            raise ConfigError(f"{where}.{key}: expected an integer >= 1, got {ex[key]!r}")
    mem = ex.get("mem_per_cpu_gb")
    if mem is not None and (isinstance(mem, bool) or not isinstance(mem, int | float) or mem <= 0):
        raise ConfigError(f"{where}.mem_per_cpu_gb: expected a number > 0, got {mem!r}")
    t = ex.get("time")
    if t is not None and not (_is_int(t, 1) or (isinstance(t, str) and _TIME.match(t))):
        raise ConfigError(
            f"{where}.time: expected a Slurm time limit (minutes, MM:SS, HH:MM:SS, D-HH, "
            f"D-HH:MM:SS), got {t!r}"
        )
    for key in ("partition", "job_name"):
        if key in ex and not (isinstance(ex[key], str) and ex[key].strip()):
            raise ConfigError(f"{where}.{key}: expected a non-empty string, got {ex[key]!r}")
    setup = ex.get("setup", [])
    if not (isinstance(setup, list) and all(isinstance(s, str) for s in setup)):
        raise ConfigError(
            f"{where}.setup: expected a list of shell lines (e.g. module load ...), got {setup!r}"
        )
    sbatch_options(ex.get("sbatch_args") or {}, where)


def _is_int(value: Any, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def sbatch_options(args: Any, where: str = "executor") -> list[str]:
    """``sbatch_args`` -> ``["--account=x", "--exclusive", ...]`` (true: bare flag; false/null:
    left out). Options the executor manages are refused with the key to use instead."""
    if not isinstance(args, dict):
        raise ConfigError(f"{where}.sbatch_args: expected a mapping option -> value")
    out = []
    for key, value in args.items():
        name = str(key).lstrip("-").replace("_", "-")
        if name in RESERVED_SBATCH:
            raise ConfigError(f"{where}.sbatch_args.{key}: not allowed: {RESERVED_SBATCH[name]}")
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]*", name):
            raise ConfigError(f"{where}.sbatch_args.{key}: not an sbatch option name")
        if isinstance(value, bool) or value is None:
            if value:
                out.append(f"--{name}")
        elif isinstance(value, str | int | float) and "\n" not in str(value):
            out.append(f"--{name}={value}")
        else:
            raise ConfigError(
                f"{where}.sbatch_args.{key}: expected a string, number or true, got {value!r}"
            )
    return out
