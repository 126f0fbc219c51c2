"""Code tasks: a completion's code run against unit tests in a sandboxed subprocess.

Layers, outermost first (each one that the OS refuses is recorded in ``SandboxResult.isolation``
instead of failing the run, except the process-count limit, which is never skipped):

1. its own session and process group (``start_new_session``); on wall-time expiry the whole
   group is killed with SIGKILL;
2. rlimits: CPU seconds (SIGKILL at the hard limit), address space (a 10 GB allocation raises
   ``MemoryError``), process count, file size, open files, no core dumps;
3. a fresh network namespace (``unshare(CLONE_NEWNET)``: only a downed loopback, so every
   connection fails) and a private mount namespace with empty tmpfs over ``/tmp``,
   ``/var/tmp`` and ``/dev/shm`` (the code's working directory stays reachable as its cwd);
   as root both come directly, otherwise through an unprivileged user namespace where the
   kernel allows one; where neither works the run goes on without them;
4. as root the code runs as ``nobody`` (65534): Linux does not enforce ``RLIMIT_NPROC`` for
   uid 0, so without this a fork bomb would be unbounded; ``nobody`` also cannot write
   anywhere but its working directory. The interpreter must be one that ``nobody`` may run
   (``/usr/bin/python3`` is used when ``sys.executable`` is not reachable); if none is, the
   run is refused with ``SandboxError``;
5. inside Python, an audit hook refuses sockets and files opened for writing outside the
   working directory (a second guard for Python-level code; native code is held by 1-4).

The working directory is a fresh temporary folder, removed afterwards; stdout/stderr go to
files outside it, capped by the file-size limit. A run passes when the test module imported (its
top-level asserts held), none of its ``unittest`` cases failed, and the process exited 0
within its limits.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

NOBODY = 65534


class SandboxError(RuntimeError):
    """The sandbox cannot be set up safely on this machine (nothing was run)."""


@dataclass(frozen=True)
class SandboxLimits:
    cpu_seconds: int = 5
    wall_seconds: float = 10.0
    memory_bytes: int = 512 << 20
    max_processes: int = 16
    max_file_bytes: int = 1 << 20
    max_open_files: int = 64


@dataclass
class SandboxResult:
    passed: bool
    returncode: int | None
    timed_out: bool
    stdout: str
    stderr: str
    isolation: dict[str, bool] = field(default_factory=dict)


# Runs as the launching user: limits, namespaces, then (as root) becomes nobody and execs the
# target interpreter. argv: json config. Written for Python >= 3.9 (no os.unshare in 3.11).
_LAUNCHER = r"""
import ctypes, json, os, resource, sys
cfg = json.loads(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
NEWNS, NEWNET, NEWUSER = 0x00020000, 0x40000000, 0x10000000
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
iso = {"net_namespace": False, "mount_namespace": False, "dropped_root": False}
root = os.geteuid() == 0
flags = NEWNS | NEWNET if root else NEWUSER | NEWNS | NEWNET
if libc.unshare(flags) == 0:
    iso["net_namespace"] = True
    if libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None) == 0:
        # hide the shared temp folders; bind the working folder back at its own path
        work = os.getcwd()
        keep = os.open(work, os.O_PATH)
        ok = True
        for d in ("/tmp", "/var/tmp", "/dev/shm"):
            if os.path.isdir(d):
                opts = b"size=16m,mode=1777"
                ok = ok and libc.mount(b"tmpfs", d.encode(), b"tmpfs", 0, opts) == 0
        if ok:
            os.makedirs(work, exist_ok=True)
            src = ("/proc/self/fd/" + str(keep)).encode()
            ok = libc.mount(src, work.encode(), None, MS_BIND, None) == 0
        os.chdir(work)
        os.close(keep)
        iso["mount_namespace"] = ok
for name, value in cfg["rlimits"].items():
    resource.setrlimit(getattr(resource, name), (value, value))
if root:
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)
    iso["dropped_root"] = os.getuid() == NOBODY
os.write(cfg["report_fd"], json.dumps(iso).encode())
os.close(cfg["report_fd"])
os.execv(cfg["python"], [cfg["python"], "-I", "-S", "-B", "runner.py"])
""".replace("NOBODY", str(NOBODY))

# Runs inside the sandbox: audit hook, then the tests (unittest cases, or bare asserts).
_RUNNER = r"""
import os, sys, unittest
HERE = os.path.realpath(os.getcwd())
def _hook(event, args):
    if event in ("socket.connect", "socket.bind", "socket.sendto", "socket.getaddrinfo"):
        raise PermissionError("sandbox: no network")
    if event == "open" and len(args) >= 3:
        path, mode, flags = args[0], args[1], args[2] or 0
        writing = (mode is not None and any(c in str(mode) for c in "wax+")) or (
            flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND))
        if writing and isinstance(path, (str, bytes)):
            p = os.path.realpath(os.fsdecode(path))
            if p != HERE and not p.startswith(HERE + os.sep):
                raise PermissionError("sandbox: no writes outside the working directory")
sys.addaudithook(_hook)
sys.path.insert(0, HERE)
import test_solution
suite = unittest.defaultTestLoader.loadTestsFromModule(test_solution)
result = unittest.TextTestRunner(verbosity=0).run(suite)
ok = result.wasSuccessful()
print("SANDBOX-OK" if ok else "SANDBOX-FAIL", result.testsRun, flush=True)
sys.exit(0 if ok else 1)
"""


def _reachable_by_others(path: str) -> bool:
    """Whether uid nobody can execute ``path`` (every parent folder searchable by others)."""
    p = Path(os.path.realpath(path))
    try:
        if not p.stat().st_mode & stat.S_IXOTH:
            return False
        return all(q.stat().st_mode & stat.S_IXOTH for q in p.parents)
    except OSError:
        return False


def sandbox_python() -> str:
    """The interpreter the sandboxed code runs with."""
    if os.geteuid() != 0 or _reachable_by_others(sys.executable):
        return sys.executable
    for cand in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if os.path.exists(cand) and _reachable_by_others(cand):
            return cand
    raise SandboxError(
        "running as root, the sandbox drops to uid nobody, but no Python interpreter is "
        f"executable by nobody ({sys.executable} is not); install /usr/bin/python3"
    )


def _user_processes(uid: int) -> int:
    n = 0
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if os.stat(f"/proc/{d}").st_uid == uid:
                    n += 1
            except OSError:
                pass
    return n


def _kill_group(pgid: int, grace: float = 5.0) -> None:
    """SIGKILLs process group ``pgid`` and waits (bounded) until none of it is left."""
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            return
        except PermissionError:
            return
        time.sleep(0.02)


def run_unit_tests(solution: str, tests: str, limits: SandboxLimits | None = None) -> SandboxResult:
    """Runs ``tests`` (a Python module: ``unittest.TestCase`` classes and/or top-level asserts,
    importing ``solution``) against ``solution`` (a module's source) in the sandbox."""
    lim = limits or SandboxLimits()
    python = sandbox_python()
    uid = NOBODY if os.geteuid() == 0 else os.getuid()
    # RLIMIT_NPROC counts every process of the uid: allow those that exist plus our budget.
    nproc = lim.max_processes + _user_processes(uid)
    rlimits = {
        "RLIMIT_CPU": lim.cpu_seconds,
        "RLIMIT_AS": lim.memory_bytes,
        "RLIMIT_NPROC": nproc,
        "RLIMIT_FSIZE": lim.max_file_bytes,
        "RLIMIT_NOFILE": lim.max_open_files,
        "RLIMIT_CORE": 0,
    }
    outer = Path(tempfile.mkdtemp(prefix="fwk-sandbox-"))
    work = outer / "work"
    work.mkdir()
    (work / "solution.py").write_text(solution)
    (work / "test_solution.py").write_text(tests)
    (work / "runner.py").write_text(_RUNNER)
    if os.geteuid() == 0:
        os.chown(work, NOBODY, NOBODY)
        os.chmod(outer, 0o711)
    read_fd, write_fd = os.pipe()
    cfg = {"rlimits": rlimits, "python": python, "report_fd": write_fd}
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(work)}
    timed_out = False
    try:
        with open(outer / "stdout", "wb") as out, open(outer / "stderr", "wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _LAUNCHER, json.dumps(cfg)],
                cwd=work,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
                pass_fds=(write_fd,),
            )
            os.close(write_fd)
            write_fd = -1
            try:
                rc: int | None = proc.wait(timeout=lim.wall_seconds)
            except subprocess.TimeoutExpired:
                timed_out, rc = True, None
            finally:
                proc.kill()
                proc.wait()
                _kill_group(proc.pid)  # the whole group, also after a pass
        report = os.read(read_fd, 4096)
        isolation = json.loads(report) if report else {}
        stdout = (outer / "stdout").read_bytes()[: lim.max_file_bytes].decode("utf-8", "replace")
        stderr = (outer / "stderr").read_bytes()[: lim.max_file_bytes].decode("utf-8", "replace")
    finally:
        if write_fd >= 0:
            os.close(write_fd)
        os.close(read_fd)
        shutil.rmtree(outer, ignore_errors=True)
    passed = not timed_out and rc == 0 and bool(re.search(r"^SANDBOX-OK \d+", stdout, re.M))
    return SandboxResult(passed, rc, timed_out, stdout, stderr, isolation)


_FENCE = re.compile(r"```(?:python|py)?\s*\n(.*?)```", re.S)


def extract_code(completion: str) -> str:
    """The code of a completion: its last fenced block when it has one, else all of it."""
    blocks = _FENCE.findall(completion)
    return blocks[-1] if blocks else completion


def unit_test_checker(completion: str, tests: str) -> float:
    """Checker for code tasks: 1.0 when the completion's code passes ``tests`` in the sandbox.
    Never raises on the completion (a ``SandboxError`` about the machine does propagate)."""
    try:
        code = extract_code(completion)
        if not isinstance(tests, str) or not tests.strip():
            return 0.0
    except Exception:
        return 0.0
    return 1.0 if run_unit_tests(code, tests).passed else 0.0
