"""Per-item functions for the IsolatedMap tests (module level: the child process imports them)."""

from __future__ import annotations

import ctypes
import os
import signal
import threading
import time

ACTS = {"abort", "segfault", "exit", "stuck-in-c", "python-loop", "raise", "unpicklable-result"}


def behave(item):
    """Acts out ``item``: a word says what to do, anything else is echoed in upper case."""
    if isinstance(item, memoryview):  # a byte item: a word acts, other bytes are echoed
        word = str(item, "utf-8")
        if word not in ACTS:
            return ("view", bytes(item).upper())
        item = word
    if item == "abort":
        os.abort()
    if item == "segfault":
        ctypes.string_at(0)
    if item == "exit":
        os._exit(3)
    if item == "stuck-in-c":  # no timer signal is handled while it runs
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        time.sleep(3600)
    if item == "python-loop":
        while True:
            pass
    if item == "raise":
        raise ValueError("bad item")
    if item == "unpicklable-result":
        return threading.Lock()
    return item.upper()


def failing_setup():
    raise RuntimeError("model file missing")
