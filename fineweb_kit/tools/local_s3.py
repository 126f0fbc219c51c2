"""A real S3-compatible server on 127.0.0.1 (moto's standalone server, from the ``dev``
extra), for trying remote storage offline, the tests and ``benchmarks/remote_bench.py``. It is
reached through the same ``s3fs`` client users use, configured only by the standard ``AWS_*``
environment variables (what a user sets for MinIO, Ceph or R2)::

    python -m fineweb_kit.tools.local_s3      # serves until Ctrl-C, prints the variables
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def s3_env(endpoint: str) -> dict[str, str]:
    """Environment for a client of ``endpoint`` (credentials are moto's dummies)."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_MAX_ATTEMPTS": "3",
    }


@contextmanager
def moto_s3() -> Iterator[str]:
    """Starts moto on a free loopback port, yields its URL, stops it."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per request
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def s3fs_client(endpoint: str) -> Any:
    """A fresh s3fs filesystem for ``endpoint`` (no listing cache shared with the code under
    test)."""
    import s3fs

    return s3fs.S3FileSystem(
        key="testing",
        secret="testing",
        endpoint_url=endpoint,
        skip_instance_cache=True,
        use_listings_cache=False,
    )


def upload_files(fs: Any, files: list[Path], prefix: str) -> None:
    """Creates ``prefix``'s bucket if needed and puts ``files`` under ``prefix/<name>``."""
    bucket = prefix.split("/", 1)[0]
    if not fs.exists(bucket):
        fs.mkdir(bucket)
    for path in sorted(files):
        fs.put_file(str(path), f"{prefix.rstrip('/')}/{path.name}")


def main() -> None:
    with moto_s3() as endpoint:
        print("export " + " ".join(f"{k}={v}" for k, v in s3_env(endpoint).items()), flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
