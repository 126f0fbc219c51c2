"""A hard per-call time limit inside the worker process: no process per page, no hang.

In the main thread (where the pipeline runs) a ``SIGALRM`` interval timer interrupts the call;
in any other thread a watchdog timer injects the exception into the worker thread with
``PyThreadState_SetAsyncExc``. Both strike between Python bytecodes, which covers
trafilatura/lxml's Python-level loops; one long C call (parsing a huge page) finishes first,
which is why extractors also cap the page size they accept.

The exception raised inside the call is :class:`_Deadline`, a ``BaseException``: library code
that catches ``Exception`` (trafilatura does, around its fallbacks) cannot swallow it, and the
timer keeps firing every ``REARM_S`` until the call has unwound. It surfaces as
:class:`fineweb_kit.exceptions.StepTimeout`.
"""

from __future__ import annotations

import ctypes
import signal
import threading
from collections.abc import Callable
from typing import TypeVar

from fineweb_kit.exceptions import StepTimeout

T = TypeVar("T")
REARM_S = 0.05


class _Deadline(BaseException):
    """Raised into the running call when its time is up."""


def _on_alarm(signum: int, frame: object) -> None:
    raise _Deadline


def call_with_timeout(fn: Callable[[], T], seconds: float) -> T:
    """Returns ``fn()``, or raises :class:`StepTimeout` after ``seconds`` (<= 0: no limit)."""
    if seconds <= 0:
        return fn()
    if threading.current_thread() is threading.main_thread():
        return _with_alarm(fn, seconds)
    return _with_watchdog(fn, seconds)


def _with_alarm(fn: Callable[[], T], seconds: float) -> T:
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds, REARM_S)
        try:
            return fn()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _Deadline:
        raise StepTimeout(f"took longer than {seconds:g} s") from None
    finally:
        signal.signal(signal.SIGALRM, previous)


def _with_watchdog(fn: Callable[[], T], seconds: float) -> T:
    target = threading.get_ident()
    done = threading.Event()

    def fire() -> None:
        while not done.is_set():
            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(target), ctypes.py_object(_Deadline)
            )
            done.wait(REARM_S)

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    try:
        try:
            return fn()
        finally:
            done.set()
            timer.cancel()
    except _Deadline:
        raise StepTimeout(f"took longer than {seconds:g} s") from None
