"""The ``executor: {type: ray, ...}`` block: its keys and their checks (at validation, before
any cluster is contacted; a bad value exits 2)."""

from __future__ import annotations

from typing import Any

from fineweb_kit.exceptions import ConfigError

RAY_KEYS = (
    "type",
    "address",
    "tasks",
    "cpus_per_task",
    "memory_per_task_gb",
    "max_concurrent",
    "retries",
    "runtime_env",
)
DEFAULTS: dict[str, Any] = {
    "address": "auto",
    "cpus_per_task": 1,
    "memory_per_task_gb": None,
    "max_concurrent": None,
    "retries": 2,
    "runtime_env": None,
}


def check_ray_executor(ex: dict[str, Any], source: str) -> None:
    """Checks the values of a ray executor block; raises ConfigError naming the key."""

    def bad(key: str, want: str) -> ConfigError:
        return ConfigError(f"{source}: executor.{key}: expected {want}, got {ex[key]!r}")

    address = ex.get("address", "auto")
    if not isinstance(address, str) or not address:
        raise bad("address", "`auto`, `ray://HOST:PORT` or `HOST:PORT`")
    for key in ("cpus_per_task", "memory_per_task_gb"):
        value = ex.get(key)
        if value is not None and (
            not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0
        ):
            raise bad(key, "a number > 0")
    for key, low in (("max_concurrent", 1), ("retries", 0)):
        value = ex.get(key)
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or value < low
        ):
            raise bad(key, f"an integer >= {low}")
    if ex.get("runtime_env") is not None and not isinstance(ex["runtime_env"], dict):
        raise bad("runtime_env", "a mapping (Ray's runtime_env: env_vars, working_dir, pip...)")


def ray_option(ex: dict[str, Any], key: str) -> Any:
    """The executor's value for ``key``, else its default."""
    value = ex.get(key)
    return DEFAULTS[key] if value is None else value
