"""A hard per-call time limit inside the worker process: no process per page, no hang.

In the main thread (where the pipeline runs) a ``SIGALRM`` interval timer interrupts the call;
in any other thread a watchdog timer injects the exception into the worker thread with
``PyThreadState_SetAsyncExc``. Both strike between Python bytecodes, which covers
trafilatura/lxml's Python-level loops; one long C call (parsing a huge page) finishes first,
which is why extractors also cap the page size they accept.

The exception raised inside the call is :class:`_Deadline`, a ``BaseException``: library code
that catches ``Exception`` (trafilatura does, around its fallbacks) cannot swallow it, and the
alarm keeps firing every ``REARM_S`` until the call has unwound (one raised inside a ``__del__``
or callback is lost, the next one is not). It surfaces as
:class:`fineweb_kit.exceptions.StepTimeout`; once the call is over the handler is inert, so a
late signal never raises anywhere else.
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


class _State:
    """Whether a call is running under the alarm. The handler raises only while it is: a
    late signal (after the call ended) is a no-op, so no exception ever escapes the wrapper.
    Flags are set with plain stores, where CPython never runs signal handlers."""

    active = False


_STATE = _State()


def _on_alarm(signum: int, frame: object) -> None:
    if _STATE.active:
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
    timed_out = False
    try:
        _STATE.active = True
        signal.setitimer(signal.ITIMER_REAL, seconds, REARM_S)
        try:
            result = fn()
        finally:
            _STATE.active = False
    except _Deadline:
        timed_out = True
    finally:
        _STATE.active = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    if timed_out:
        raise StepTimeout(f"took longer than {seconds:g} s")
    return result


def _with_watchdog(fn: Callable[[], T], seconds: float) -> T:
    """Off the main thread: one exception injected by a timer thread (best effort: library code
    that swallows it keeps running; the pipeline itself runs in the main thread)."""
    target = threading.get_ident()
    lock = threading.Lock()
    state = {"active": True, "injected": False}

    def fire() -> None:
        with lock:
            if state["active"]:
                state["injected"] = True
                _set_async_exc(target, _Deadline)

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timed_out = False
    try:
        timer.start()
        result = fn()
        with lock:
            state["active"] = False
        timer.cancel()
        if state["injected"]:  # injected but not raised yet: drop it
            _set_async_exc(target, None)
    except _Deadline:
        timed_out = True
    with lock:
        state["active"] = False
    timer.cancel()
    if timed_out:
        raise StepTimeout(f"took longer than {seconds:g} s")
    return result


def _set_async_exc(thread_id: int, exc: type[BaseException] | None) -> None:
    obj = ctypes.py_object(exc) if exc is not None else None
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), obj)
