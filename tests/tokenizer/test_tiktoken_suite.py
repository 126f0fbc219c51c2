"""tiktoken's own public test suite, run against ``tiktoken_compat``.

The tests come from the source distribution of the installed tiktoken version, which pip
fetches from the package registry into ``.cache/`` (tiktoken's code is never committed). A
stand-in ``tiktoken`` package that re-exports ``fineweb_kit.tokenizer.tiktoken_compat`` is put
first on the path of a pytest subprocess, so ``import tiktoken`` in those tests gets ours.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.conftest import REPO

SHIM = "from fineweb_kit.tokenizer.tiktoken_compat import *  # noqa: F403\n"


def fetch_suite(dest: Path) -> Path:
    """``tests/`` of tiktoken's sdist for the installed version (downloaded once)."""
    tiktoken_version = version("tiktoken")
    folder = dest / f"tiktoken-{tiktoken_version}"
    if (folder / "tests").is_dir():
        return folder / "tests"
    dest.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
    cmd += ["-q", "-d", str(dest), f"tiktoken=={tiktoken_version}"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    sdist = dest / f"tiktoken-{tiktoken_version}.tar.gz"
    if not sdist.is_file():
        pytest.fail(f"could not fetch tiktoken's sdist with {' '.join(cmd)}:\n{done.stderr}")
    with tarfile.open(sdist) as tar:
        members = [m for m in tar.getmembers() if "/tests/" in m.name and m.isfile()]
        tar.extractall(dest, members=members, filter="data")
    return folder / "tests"


@pytest.mark.slow
def test_tiktoken_public_suite_passes(tmp_path: Path, shared_data: Path) -> None:
    suite = fetch_suite(REPO / ".cache" / "tiktoken-sdist")
    shim = tmp_path / "shim" / "tiktoken"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text(SHIM)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(shim.parent), str(REPO), env.get("PYTHONPATH", "")])
    env["FINEWEB_KIT_TIKTOKEN_DIR"] = str(shared_data / "tokenizer-ref")
    env["TIKTOKEN_CACHE_DIR"] = str(tmp_path / "empty-cache")  # only the shared folder counts
    ini = tmp_path / "pytest.ini"
    ini.write_text("[pytest]\n")
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", str(ini)]
    cmd += ["--rootdir", str(suite.parent), str(suite)]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path)
    tail = done.stdout[-3000:] + done.stderr[-2000:]
    assert done.returncode == 0, tail
    counts = dict((k, int(n)) for n, k in re.findall(r"(\d+) (passed|failed|skipped|error)", tail))
    assert counts.get("passed", 0) >= 30 and not counts.get("failed") and not counts.get("skipped")
