"""A real local Ray cluster for the tests: ``ray start --head --block`` with 2 CPUs, a small
object store and a Ray Client server (``ray://``) on free loopback ports, in its own temp
folder, stopped at the end (also on failure) by ending its own processes only (never
``ray stop``, which would end every Ray cluster of the machine)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import psutil

from fineweb_kit.tools.local_s3 import free_port


@dataclass(frozen=True)
class RayCluster:
    address: str  # 127.0.0.1:PORT (the GCS)
    client: str  # ray://127.0.0.1:PORT (the Ray Client server)


@contextmanager
def local_ray_cluster(repo: Path, extra_env: dict[str, str] | None = None) -> Iterator[RayCluster]:
    """Starts a head node whose workers see ``extra_env``."""
    port, client_port = free_port(), free_port()
    temp = tempfile.mkdtemp(prefix="fwkray", dir="/tmp")  # short: Ray's socket paths
    env = {**os.environ, **(extra_env or {})}
    env.update(PYTHONPATH=str(repo), RAY_USAGE_STATS_ENABLED="0")
    cmd = [
        str(Path(sys.executable).with_name("ray")), "start", "--head", "--block",
        "--num-cpus", "2", "--port", str(port), "--node-ip-address", "127.0.0.1",
        "--object-store-memory", "200000000", "--include-dashboard", "false",
        "--temp-dir", temp, "--disable-usage-stats",
        "--ray-client-server-port", str(client_port),
    ]  # fmt: skip
    head = subprocess.Popen(
        cmd, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        _wait_for_port(port, head)
        _wait_for_port(client_port, head)
        yield RayCluster(f"127.0.0.1:{port}", f"ray://127.0.0.1:{client_port}")
    finally:
        _stop(head, temp)
        shutil.rmtree(temp, ignore_errors=True)


def _wait_for_port(port: int, head: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if head.poll() is not None:
            raise RuntimeError(f"ray start exited {head.returncode}: {head.stderr.read()!r}")
        with socket.socket() as s, suppress(OSError):
            s.connect(("127.0.0.1", port))
            time.sleep(3)  # the GCS answers before the raylet has registered
            return
        time.sleep(0.5)
    raise RuntimeError(f"ray head not listening on {port} after {timeout}s")


def _stop(head: subprocess.Popen, temp: str) -> None:
    """Ends the head's process group, then any process of this cluster left (by its session
    folder in the command line, which only this cluster's processes have)."""
    with suppress(ProcessLookupError):
        os.killpg(head.pid, signal.SIGTERM)
    with suppress(subprocess.TimeoutExpired):
        head.wait(timeout=30)
    mine = [
        p for p in psutil.process_iter(["cmdline"]) if temp in " ".join(p.info["cmdline"] or [])
    ]
    for p in mine:
        with suppress(psutil.Error):
            p.kill()
    with suppress(ProcessLookupError):
        os.killpg(head.pid, signal.SIGKILL)
    head.wait(timeout=30)
