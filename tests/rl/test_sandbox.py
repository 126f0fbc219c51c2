"""The sandbox scores hostile code as a failure and leaves the machine untouched.

The fork bomb runs with a budget of 8 processes; as root the sandbox drops to uid nobody so
that the kernel enforces it (checked below before the bomb is started)."""

from __future__ import annotations

import os
import socket
import subprocess
import time

from fineweb_kit.rl.sandbox import SandboxLimits, extract_code, run_unit_tests, unit_test_checker

TESTS = """
import unittest
from solution import double

class T(unittest.TestCase):
    def test_double(self):
        self.assertEqual(double(21), 42)
"""
ROOT = os.geteuid() == 0


def _os_allows(*flags: str) -> bool:
    """Whether this machine lets us create these namespaces (``unshare`` of util-linux)."""
    args = ["unshare", *([] if ROOT else ["-U"]), *flags, "true"]
    try:
        return subprocess.run(args, capture_output=True, check=False).returncode == 0
    except OSError:
        return False


NETNS, MOUNTNS = _os_allows("-n"), _os_allows("-m")
TIGHT = SandboxLimits(cpu_seconds=2, wall_seconds=2.5, max_processes=8, memory_bytes=256 << 20)


def _run(body: str):
    return run_unit_tests(body + "\ndef double(x):\n    return 2 * x\n", TESTS, TIGHT)


def test_correct_and_wrong_solutions_are_scored():
    ok = run_unit_tests("def double(x):\n    return 2 * x\n", TESTS, TIGHT)
    assert ok.passed and ok.returncode == 0, ok.stderr
    bad = run_unit_tests("def double(x):\n    return x + 1\n", TESTS, TIGHT)
    assert not bad.passed and "AssertionError" in bad.stderr
    assert unit_test_checker("```python\ndef double(x):\n    return x * 2\n```", TESTS) == 1.0
    assert unit_test_checker("no code at all ``` ((", TESTS) == 0.0
    assert extract_code("text\n```py\nA\n```\n```python\nB\n```") == "B\n"
    # every layer the OS grants here is used (on this project's machines: all of them)
    assert ok.isolation["net_namespace"] == NETNS
    assert ok.isolation["mount_namespace"] == (MOUNTNS and NETNS)
    assert ok.isolation["dropped_root"] == ROOT


def test_infinite_loop_is_killed_on_time():
    t0 = time.monotonic()
    r = _run("while True:\n    pass\n")
    assert not r.passed and (r.timed_out or r.returncode != 0)
    assert time.monotonic() - t0 < TIGHT.wall_seconds + 6


def test_sleeping_loop_hits_wall_time():
    r = _run("import time\nwhile True:\n    time.sleep(1)\n")
    assert not r.passed and r.timed_out


def test_ten_gigabyte_allocation_fails():
    r = _run("x = bytearray(10 * 1024**3)\n")
    assert not r.passed and "MemoryError" in r.stderr


def test_fork_bomb_is_contained():
    if ROOT:
        probe = _run("")
        assert probe.isolation.get("dropped_root"), "as root the bomb needs the uid drop"
    bomb = (
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    )
    r = _run(bomb)
    assert not r.passed
    time.sleep(0.5)
    # nothing of the bomb survives the sandbox
    alive = [
        d
        for d in os.listdir("/proc")
        if d.isdigit() and _cmd(d).startswith(b"/usr/bin/python3\x00-I\x00-S\x00-B\x00runner.py")
    ]
    assert alive == []


def _cmd(pid: str) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""


def test_socket_connection_fails():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    try:
        r = _run(f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2)\n")
        assert not r.passed and "Error" in r.stderr
        # also below Python's audit hook: libc connect from ctypes
        raw = (
            "import ctypes, socket, struct\n"
            "libc = ctypes.CDLL(None, use_errno=True)\n"
            "fd = libc.socket(2, 1, 0)\n"
            f"addr = struct.pack('<HH4s8x', 2, socket.htons({port}), bytes([127, 0, 0, 1]))\n"
            "assert libc.connect(fd, addr, len(addr)) == 0, 'connect failed'\n"
        )
        r = _run(raw)
        if NETNS:
            assert not r.passed and "connect failed" in r.stderr, r.stderr
    finally:
        server.close()


def test_file_write_outside_the_sandbox_fails(tmp_path):
    target = tmp_path / "escaped.txt"
    r = _run(f"open({str(target)!r}, 'w').write('x')\n")
    assert not r.passed and not target.exists()
    # below the audit hook: libc creat() in this (root-owned) folder is refused by the OS ...
    native = "import ctypes\nfd = ctypes.CDLL(None).creat({!r}, 0o644)\nassert fd >= 0, 'refused'\n"
    r = _run(native.format(str(target).encode()))
    assert not target.exists()
    if ROOT:
        assert not r.passed and "refused" in r.stderr, r.stderr
    # ... and /tmp is a private tmpfs that vanishes with the sandbox
    escape = "/tmp/fwk-sandbox-escape.txt"
    r = _run(native.format(escape.encode()))
    assert not os.path.exists(escape)
    # writes inside its own working folder are fine, and the folder is removed afterwards
    ok = _run("open('scratch.txt', 'w').write('x')\n")
    assert ok.passed, ok.stderr
