"""The real one-node Slurm cluster for ``@pytest.mark.slurm`` tests.

``slurm_cluster`` (session scope) runs ``../shared/tools/slurm-local.sh start`` the first time a
test asks for it -- so nothing is started when no slurm test is selected -- and always runs
``stop`` at the end of the session, also when tests failed. It needs root (the script installs
Debian packages the first time and starts munged/slurmctld/slurmd). Without the script, or if
``start`` fails, the slurm tests fail (never skip).
"""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.conftest import SHARED_DATA

SCRIPT = SHARED_DATA.parent / "tools" / "slurm-local.sh"


def _script(action: str) -> subprocess.CompletedProcess:
    # 4 CPUs: up to 4 one-CPU array tasks at once (the test machine has fewer cores; the tasks
    # are short and mostly wait on Python start-up)
    env = {**os.environ, "SLURM_LOCAL_CPUS": os.environ.get("SLURM_LOCAL_CPUS", "4")}
    return subprocess.run(
        ["bash", str(SCRIPT), action], capture_output=True, text=True, env=env, timeout=900
    )


@pytest.fixture(scope="session")
def slurm_cluster(request: pytest.FixtureRequest) -> None:
    """A running local Slurm cluster (``sbatch``, ``squeue``, ``scontrol`` work)."""
    if not SCRIPT.is_file():
        pytest.fail(f"slurm tests need {SCRIPT} (the shared local-cluster script); not found")
    request.addfinalizer(lambda: _script("stop"))
    proc = _script("start")
    if proc.returncode != 0:
        pytest.fail(
            f"slurm-local.sh start failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        )
