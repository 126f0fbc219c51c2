"""A real S3-compatible server on 127.0.0.1 for the tests: moto's standalone server, reached
through the same ``s3fs`` client users use, configured only by the standard ``AWS_*``
environment variables (what a user sets for MinIO, Ceph or R2)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def free_port() -> int:
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


@contextmanager
def patched_env(env: dict[str, str]) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
