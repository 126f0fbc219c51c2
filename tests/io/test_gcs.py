"""``gs://`` end to end against a local GCS emulator (``gcp-storage-emulator``, in memory, on
127.0.0.1) through gcsfs, configured only by environment variables (``STORAGE_EMULATOR_HOST``,
fsspec's ``FSSPEC_GS_*``): the sample pipeline reads its WARCs from a bucket and writes its
outputs and run folder to a bucket, with the local run's documents."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import suppress

import pytest

from fineweb_kit.tools.local_s3 import free_port
from tests.conftest import REPO
from tests.pipeline.helpers import cli, multiset, read_jsonl_folder, write_pipeline

pytestmark = pytest.mark.slow  # a full pipeline run against the emulator

GCS_ENV = {
    "FSSPEC_GS_TOKEN": "anon",  # the emulator checks no credentials
    "FSSPEC_GS_PROJECT": "test",
    # gcsfs >= 2025.x probes each bucket over gRPC (hierarchical namespace), which the
    # emulator does not serve: a 60 s timeout per bucket without this
    "GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT": "false",
}


@pytest.fixture(scope="module")
def gcs():
    """The emulator in its own process (in this one, a gcsfs client of it hangs)."""
    port = free_port()
    cmd = [sys.executable, "-m", "gcp_storage_emulator", "start", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--in-memory", "--default-bucket", "gs-bucket", "--quiet"]
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as s, suppress(OSError):
                s.connect(("127.0.0.1", port))
                break
            time.sleep(0.2)
        yield {**GCS_ENV, "STORAGE_EMULATOR_HOST": f"http://127.0.0.1:{port}"}
    finally:
        server.terminate()
        server.wait(timeout=30)


_UPLOAD = """
import sys, gcsfs, pathlib
fs = gcsfs.GCSFileSystem()
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.warc.gz")):
    fs.pipe_file(f"gs-bucket/crawl/{path.name}", path.read_bytes())
"""


def test_sample_from_gcs_bucket_to_gcs_bucket_matches_local(gcs, local_sample_run, tmp_path):
    # every gcsfs client runs in a child process (one in the pytest process hangs)
    env = {**os.environ, **gcs, "FWK_STAGING_DIR": str(tmp_path / "staging")}
    sample = REPO / "pipelines" / "sample-data"
    subprocess.run([sys.executable, "-c", _UPLOAD, str(sample)], env=env, check=True, timeout=120)
    cli(
        "run", "pipelines/sample.yaml", "--input", "gs://gs-bucket/crawl/*.warc.gz",
        "--output", "gs://gs-bucket/run", "--tasks", "3", check=True, env=env, timeout=300,
    )  # fmt: skip
    status = cli("status", "gs://gs-bucket/run", check=True, env=env, timeout=120).stdout
    assert "3/3 input files done, complete" in status, status
    # read the parts back from the bucket with a second pipeline, into a local folder
    copy = write_pipeline(
        tmp_path / "copy.yaml",
        {
            "name": "copy-back",
            "executor": {"type": "local", "tasks": 1, "workers": 1},
            "stages": [{"name": "copy", "steps": [
                {"type": "JsonlReader", "paths": "gs://gs-bucket/run/output/*.jsonl.gz"},
                {"type": "JsonlWriter", "output_folder": "back"},
            ]}],
        },
    )  # fmt: skip
    cli("run", str(copy), "--output", str(tmp_path / "copy"), check=True, env=env, timeout=300)
    back = read_jsonl_folder(tmp_path / "copy" / "back")
    assert back and multiset(back) == multiset(read_jsonl_folder(local_sample_run / "output"))
