"""Runs a per-item function in a long-lived child process that is killed when an item overruns.

:class:`IsolatedMap` keeps one child per caller (per worker process). Items go to it
over a pipe, one message each, written by a feeder thread so that the next items wait in the
pipe while the child works; results come back one message per item, in order, as each
finishes, so the parent always knows which item is running. ``bytes`` items (pages) travel
through shared memory instead (:mod:`.shared_pages`, one copy) and reach the function as
read-only memoryviews, valid during the call. Per item:

- the child cuts Python-level work at ``timeout`` itself (a ``SIGALRM`` timer, no restart);
- if no answer arrives within ``timeout + KILL_GRACE_S`` (the item is stuck in C/Rust code,
  where no signal handler runs), the parent kills the child: the item is ``timeout`` (killed);
- if the child dies (segfault, abort, out of memory), the item is ``crashed``;
- then a fresh child is started and the items after the bad one are sent again: nothing else
  of the batch is lost.

The child is a fresh interpreter (``sys.executable``, never ``fork``: the Rust core may run
threads), so the function and its setup must be picklable (a module-level function, or a bound
method of a picklable object). A start costs an interpreter plus the setup's imports (0.3-2 s),
paid once, and again after each kill or crash; the child's start is not part of any item's time.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import pickle
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from fineweb_kit.exceptions import FinewebKitError
from fineweb_kit.isolation.progress import Progress
from fineweb_kit.isolation.shared_pages import SharedPages, Span

KILL_GRACE_S = 0.5
"""How long after ``timeout`` an item stuck in native code is given before the child is killed."""
START_TIMEOUT_S = 120.0
PIPE_BYTES = 1 << 20  # larger pipe buffers: fewer wake-ups per batch of pages
_F_SETPIPE_SZ = 1031
_CHILD = "import sys; from fineweb_kit.isolation.child import main; main(*map(int, sys.argv[1:]))"
_log = logging.getLogger("fineweb_kit")


class IsolationError(FinewebKitError):
    """The child process could not be started or set up (not a per-item failure)."""


@dataclass(frozen=True)
class Outcome:
    """What happened to one item: ``status`` is ``ok`` (``value`` is the result), ``error``
    (``detail`` is the exception), ``timeout`` (``killed``: cut in native code by killing the
    child) or ``crashed`` (``detail`` says how the child died)."""

    status: str
    value: Any = None
    detail: str = ""
    killed: bool = False


class _Child:
    """One running child process and its two pipe ends."""

    def __init__(self, job: bytes, start_timeout: float, shared_fds: tuple[int, int]) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        for fd in (to_child_w, from_child_w):
            # not Linux, or over the system's limit: the default size works too
            with contextlib.suppress(OSError):
                fcntl.fcntl(fd, _F_SETPIPE_SZ, PIPE_BYTES)
        package_root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", _CHILD, *map(str, (to_child_r, from_child_w, *shared_fds))],
                pass_fds=(to_child_r, from_child_w, *shared_fds),
                stdin=subprocess.DEVNULL,
                env=env,
            )
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self.feeder: threading.Thread | None = None
        self.sent = 0  # items sent so far: the child numbers them 0, 1, ...
        self.outbox = Connection(to_child_w, readable=False)
        self.inbox = Connection(from_child_r, writable=False)
        try:
            self.outbox.send(list(sys.path))
            self.outbox.send_bytes(job)
            if not self.inbox.poll(start_timeout):
                raise IsolationError(f"the child process did not start within {start_timeout:g} s")
            status, detail = self.inbox.recv()
        except (EOFError, OSError) as e:
            code = self.stop(kill=True)
            raise IsolationError(f"the child process died while starting ({code}): {e}") from e
        except IsolationError:
            self.stop(kill=True)
            raise
        if status != "ready":
            self.stop(kill=True)
            raise IsolationError(f"the child process's setup failed: {detail}")

    def feed_spans(self, spans: list[Span]) -> None:
        """Sends the spans of byte items already in the shared region: one small message."""
        self.sent += len(spans)
        with contextlib.suppress(OSError):  # a dead child shows as end of file to map()
            self.outbox.send(("spans", spans))

    def feed(self, items: Sequence[Any]) -> None:
        """Starts sending ``items`` from a thread, one message each, so the child finds the
        next page waiting in the pipe while the parent waits for answers."""
        self.sent += len(items)
        self.feeder = threading.Thread(target=self._send_all, args=(items,), daemon=True)
        self.feeder.start()

    def _send_all(self, items: Sequence[Any]) -> None:
        for item in items:
            try:
                data = pickle.dumps(("item", item))
            except Exception as e:
                data = pickle.dumps(("bad", f"item cannot be sent: {type(e).__name__}: {e}"))
            try:
                self.outbox.send_bytes(data)
            except OSError:
                return  # the child died or was killed: map() restarts from the right item

    def stop(self, kill: bool = False) -> str:
        """Ends the child (politely unless ``kill``); returns how it ended, in words."""
        if kill:
            self.proc.kill()
        else:
            try:
                self.outbox.send(None)
            except OSError:
                self.proc.kill()
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        if self.feeder is not None:
            self.feeder.join()  # a blocked write fails (broken pipe) once the child is gone
        for conn in (self.outbox, self.inbox):
            conn.close()
        return describe_exit(code)


def _outcome(status: str, value: Any) -> Outcome:
    if status == "ok":
        return Outcome("ok", value)
    if status == "timeout":
        return Outcome("timeout", detail=f"over {value:g} s")
    return Outcome("error", detail=str(value))


def _defined_in_main(fn: object) -> bool:
    owner = getattr(fn, "__self__", fn)
    module = getattr(owner, "__module__", None) or getattr(type(owner), "__module__", None)
    return fn is not None and module == "__main__"


def describe_exit(code: int) -> str:
    """``-11`` -> ``'killed by signal 11 (SIGSEGV)'``; ``3`` -> ``'exit status 3'``."""
    if code < 0:
        import signal

        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = "?"
        return f"killed by signal {-code} ({name})"
    return f"exit status {code}"


class IsolatedMap:
    """``fn(item)`` for each item in a child process, with a hard per-item time limit.

    ``timeout``: seconds per item (<= 0: no limit; crashes are still contained). ``setup``:
    called once in each child before its first item (imports, model loading), outside any
    item's time. Use :meth:`map` per batch and :meth:`close` at the end (or ``with``).
    """

    def __init__(
        self,
        fn: Callable[[Any], Any],
        timeout: float,
        setup: Callable[[], None] | None = None,
        start_timeout: float = START_TIMEOUT_S,
    ) -> None:
        if _defined_in_main(fn) or _defined_in_main(setup):
            raise IsolationError(
                f"{fn!r} is defined in __main__, which a child process cannot import: move it "
                "into a module"
            )
        try:
            self._job = pickle.dumps((fn, setup, float(timeout)))
        except Exception as e:
            raise IsolationError(
                f"{fn!r} cannot be sent to a child process ({type(e).__name__}: {e}); use a "
                "module-level function or a picklable object, or run it in-process"
            ) from e
        self.timeout = float(timeout)
        self.start_timeout = start_timeout
        self.starts = 0
        self._child: _Child | None = None
        self._finalizer: weakref.finalize | None = None
        self._pages: SharedPages | None = None
        self._progress: Progress | None = None
        self._limit = self.timeout + KILL_GRACE_S if self.timeout > 0 else None

    def _shared_pages(self) -> SharedPages:
        if self._pages is None:
            self._pages = SharedPages()
        return self._pages

    def _progress_cell(self) -> Progress:
        if self._progress is None:
            self._progress = Progress()
        return self._progress

    def _ensure_child(self) -> _Child:
        if self._child is None:
            progress = self._progress_cell()
            progress.reset()
            fds = (self._shared_pages().fd, progress.fd)
            self._child = _Child(self._job, self.start_timeout, fds)
            self.starts += 1
            # a forgotten map (no close) still ends its child when collected or at exit
            self._finalizer = weakref.finalize(self, self._child.stop, True)
        return self._child

    def _take_child(self) -> _Child | None:
        child, self._child = self._child, None
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        return child

    def _discard_child(self) -> str:
        child = self._take_child()
        return child.stop(kill=True) if child is not None else ""

    def map(self, items: Sequence[Any]) -> list[Outcome]:
        """One :class:`Outcome` per item, in order. Raises :class:`IsolationError` only if a
        child cannot be started at all."""
        results: list[Outcome | None] = [None] * len(items)
        spans = None
        if items and all(isinstance(x, bytes) for x in items):
            spans = self._shared_pages().write(items)
        todo = list(range(len(items)))
        while todo:
            child = self._ensure_child()
            first = child.sent  # the child's number for todo[0]
            if spans is not None:
                child.feed_spans([spans[i] for i in todo])
            else:
                child.feed([items[i] for i in todo])
            done, failure = self._collect(child, first, todo, results)
            if failure is None:
                if child.feeder is not None:
                    child.feeder.join()
                break
            # the item being worked on is to blame; finished but unsent answers are redone
            running, _ = self._progress_cell().read()
            blamed = running - first if done <= running - first < len(todo) else done
            detail = self._discard_child()
            if failure == "timeout":
                assert self._limit is not None
                results[todo[blamed]] = Outcome(
                    "timeout", detail=f"over {self._limit:g} s", killed=True
                )
            else:
                results[todo[blamed]] = Outcome("crashed", detail=detail)
            todo = [i for k, i in enumerate(todo) if k >= done and k != blamed]
        return [r if r is not None else Outcome("error", detail="lost") for r in results]

    def _collect(
        self, child: _Child, first: int, todo: list[int], results: list[Outcome | None]
    ) -> tuple[int, str | None]:
        """Receives answers for ``todo`` until all are in (``(n, None)``), an item overruns
        (``(done, "timeout")``) or the child dies (``(done, "crashed")``)."""
        done = 0
        while done < len(todo):
            wait = self._time_left(first + done)
            if child.inbox.poll(wait):
                try:
                    answers = child.inbox.recv()
                except (EOFError, OSError):
                    return done, "crashed"
                for status, value in answers:
                    results[todo[done]] = _outcome(status, value)
                    done += 1
            elif wait is not None and self._time_left(first + done) == 0.0:
                return done, "timeout"
        return done, None

    def _time_left(self, unanswered: int) -> float | None:
        """Seconds until the item now running overruns (None: no limit). While the child has
        not yet started an unanswered item, a full limit (checked again then)."""
        if self._limit is None:
            return None
        running, started = self._progress_cell().read()
        if running < unanswered:
            return self._limit
        return max(0.0, started + self._limit - time.monotonic())

    def close(self) -> None:
        """Stops the child (it also stops by itself when this process ends)."""
        child = self._take_child()
        if child is not None:
            child.stop()
        for shared in (self._pages, self._progress):
            if shared is not None:
                shared.close()
        self._pages = self._progress = None

    def __enter__(self) -> IsolatedMap:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
