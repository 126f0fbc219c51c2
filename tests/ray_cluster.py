"""A real local Ray cluster for the tests: ``ray start --head`` with 2 CPUs and a small object
store on a free loopback port, in its own temp folder, stopped at the end (also on failure)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.s3_server import free_port


def _ray_bin() -> str:
    return str(Path(sys.executable).with_name("ray"))


@contextmanager
def local_ray_cluster(repo: Path) -> Iterator[str]:
    """Starts a head node; yields its address (``127.0.0.1:PORT``)."""
    port = free_port()
    temp = tempfile.mkdtemp(prefix="fwkray", dir="/tmp")  # short: Ray's socket paths
    env = {**os.environ, "PYTHONPATH": str(repo), "RAY_USAGE_STATS_ENABLED": "0"}
    cmd = [
        _ray_bin(), "start", "--head", "--num-cpus", "2", "--port", str(port),
        "--node-ip-address", "127.0.0.1", "--object-store-memory", "200000000",
        "--include-dashboard", "false", "--temp-dir", temp, "--disable-usage-stats",
    ]  # fmt: skip
    try:
        subprocess.run(cmd, env=env, check=True, capture_output=True, text=True, timeout=180)
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run(
            [_ray_bin(), "stop", "--force"], env=env, capture_output=True, timeout=120
        )
        shutil.rmtree(temp, ignore_errors=True)
