"""The child side of :class:`fineweb_kit.isolation.pool.IsolatedMap`: a loop over items.

Started as ``python -c "...main(read_fd, write_fd, *pages_fds, progress_fd)"``. The first
messages are the parent's ``sys.path``, then the job (the per-item function, its setup, the
soft time limit); the child runs the setup and answers ``("ready", pid)``. Then it reads
items: ``("item", x)`` (one message each), ``("bad", why)`` (one the parent could not send),
``("spans", region, [(offset, length), ...])`` (a batch of byte items in shared region number
``region``, :mod:`.shared_pages`).
Before each item it records the item's number and start time in the shared
:class:`.progress.Progress` cell. Answers go back in order, in groups (lists) of
``(status, value)``: ``("ok", result)``, ``("error", "Type: message")`` or
``("timeout", seconds)`` (the soft limit, a ``SIGALRM`` timer, cut Python code). ``None`` or
end of input ends it. An item stuck in C code, or one that crashes the process, is the
parent's business: it sees no answer in time, or end of file.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import signal
import sys
import time
from multiprocessing.connection import Connection
from typing import Any

from fineweb_kit.isolation.progress import Progress
from fineweb_kit.isolation.shared_pages import SharedPagesReader

PR_SET_PDEATHSIG = 1
FLUSH_S = 0.1
"""Answers are sent in groups: at the end of each batch of spans, when the input runs dry, or
this long after the last group.
Fewer messages mean fewer wake-ups of the parent, each of which can cost the child its turn on
a busy CPU (measured: 30 % more time with one message per page on a loaded 2-core machine)."""


def _die_with_parent() -> None:
    """Linux: the kernel kills this process if the parent dies (best effort elsewhere)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _run_one(fn: Any, item: Any, timeout: float) -> tuple[str, Any]:
    from fineweb_kit.exceptions import StepTimeout
    from fineweb_kit.isolation.alarm import call_with_timeout

    try:
        return ("ok", call_with_timeout(lambda: fn(item), timeout))
    except StepTimeout:
        return ("timeout", timeout)
    except Exception as e:  # one item's failure is reported, the loop goes on
        return ("error", f"{type(e).__name__}: {e}")


def _send_answers(outbox: Connection, answers: list[tuple[str, Any]]) -> None:
    try:
        outbox.send(answers)
    except OSError:
        raise
    except Exception:  # an unpicklable result (pickling happens before writing): name it
        outbox.send([_sendable(a) for a in answers])


def _sendable(answer: tuple[str, Any]) -> tuple[str, Any]:
    try:
        pickle.dumps(answer)
    except Exception as e:
        return ("error", f"result cannot be sent back: {type(e).__name__}: {e}")
    return answer


def serve(
    inbox: Connection, outbox: Connection, pages: list[SharedPagesReader], progress: Progress
) -> None:
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
    number = 0
    answers: list[tuple[str, Any]] = []
    flushed = time.monotonic()
    while True:
        try:
            message = inbox.recv()
        except EOFError:
            return
        if message is None:
            return
        kind, *payload = message
        if kind == "spans":
            region, spans = payload
            items: list[Any] = [pages[region].view(s) for s in spans]
        else:
            items = payload
        for i, item in enumerate(items):
            progress.start(number, time.monotonic())
            number += 1
            answers.append(_run_one(fn, item, timeout) if kind != "bad" else ("error", item))
            now = time.monotonic()
            last = i == len(items) - 1
            # a batch's answers go as soon as it is done, so the parent can hand them on
            if now - flushed >= FLUSH_S or (last and (kind == "spans" or not inbox.poll())):
                _send_answers(outbox, answers)
                answers, flushed = [], now


def main(read_fd: int, write_fd: int, *shared_fds: int) -> None:
    """Entry point of the child process: ``shared_fds`` are the shared regions' and, last, the
    progress cell's."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the parent, which closes us
    with contextlib.suppress(BrokenPipeError, EOFError):  # the parent went away
        inbox, outbox = Connection(read_fd, writable=False), Connection(write_fd, readable=False)
        regions = [SharedPagesReader(fd) for fd in shared_fds[:-1]]
        serve(inbox, outbox, regions, Progress(shared_fds[-1]))
