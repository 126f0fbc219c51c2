"""The child side of :class:`fineweb_kit.isolation.pool.IsolatedMap`: a loop over items.

Started as ``python -c "...main(read_fd, write_fd)"``. The first messages are the parent's
``sys.path``, then the job (the per-item function, its setup, the soft time limit); the child
runs the setup, answers ``("ready", pid)``, then reads items (``("item", x)``, one message
each; ``("bad", why)`` for one the parent could not send) and answers each with one
``(status, value)``, in order, as soon as it is done: ``("ok", result)``,
``("error", "Type: message")`` or ``("timeout", seconds)`` (the soft limit, a ``SIGALRM``
timer, cut Python code). ``None`` or end of input ends it. A page that is stuck in C code or
crashes the process is the parent's business: it sees no answer, or end of file.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
from multiprocessing.connection import Connection
from typing import Any

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Linux: the kernel kills this process if the parent dies (best effort elsewhere)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _run_one(fn: Any, item: Any, timeout: float) -> tuple[str, Any]:
    from fineweb_kit.exceptions import StepTimeout
    from fineweb_kit.steps.extractors.timeout import call_with_timeout

    try:
        return ("ok", call_with_timeout(lambda: fn(item), timeout))
    except StepTimeout:
        return ("timeout", timeout)
    except Exception as e:  # one item's failure is reported, the loop goes on
        return ("error", f"{type(e).__name__}: {e}")


def serve(inbox: Connection, outbox: Connection) -> None:
    """Receives the job, then answers items until told to stop."""
    sys.path[:] = inbox.recv()  # first, so that the job's functions can be imported
    try:
        fn, setup, timeout = inbox.recv()
        if setup is not None:
            setup()
    except Exception as e:
        outbox.send(("setup_error", f"{type(e).__name__}: {e}"))
        return
    outbox.send(("ready", os.getpid()))
    while True:
        try:
            message = inbox.recv()
        except EOFError:
            return
        if message is None:
            return
        kind, item = message
        status, value = _run_one(fn, item, timeout) if kind == "item" else ("error", item)
        try:
            outbox.send((status, value))
        except OSError:
            raise
        except Exception as e:  # an unpicklable result (pickling happens before writing)
            outbox.send(("error", f"result cannot be sent back: {type(e).__name__}: {e}"))


def main(read_fd: int, write_fd: int) -> None:
    """Entry point of the child process."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the parent, which closes us
    with contextlib.suppress(BrokenPipeError, EOFError):  # the parent went away
        serve(Connection(read_fd, writable=False), Connection(write_fd, readable=False))
