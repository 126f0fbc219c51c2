"""Runs a per-item function in a long-lived child process that is killed when an item overruns.

:class:`IsolatedMap` keeps one child per caller (per worker process). Batches of items go to it
over a pipe, written by a sender thread so that the parent never blocks on a write; results come
back in order, in groups. ``bytes`` items (pages) travel through shared memory instead
(:mod:`.shared_pages`, one copy) and reach the function as read-only memoryviews, valid during
the call. Batches are pipelined: :meth:`IsolatedMap.submit` hands a batch over and returns at
once, :meth:`IsolatedMap.collect` waits for its outcomes. While the child works on one batch the
parent can prepare the next (two shared regions: double buffering) and use the outcomes of the
previous one. Per item:

- the child cuts Python-level work at ``timeout`` itself (a ``SIGALRM`` timer, no restart);
- if no answer arrives within ``timeout + KILL_GRACE_S`` (the item is stuck in C/Rust code,
  where no signal handler runs), the parent kills the child: the item is ``timeout`` (killed);
- if the child dies (segfault, abort, out of memory), the item is ``crashed``;
- then a fresh child is started and every item sent and not answered, except the bad one, is
  sent again (the rest of its batch and the batch behind it): nothing else is lost.

The child is a fresh interpreter (``sys.executable``, never ``fork``: the Rust core may run
threads), so the function and its setup must be picklable (a module-level function, or a bound
method of a picklable object). A start costs an interpreter plus the setup's imports (0.3-2 s),
paid once, and again after each kill or crash; the child's start is not part of any item's time.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import logging
import os
import pickle
import queue
import subprocess
import sys
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from fineweb_kit.exceptions import FinewebKitError
from fineweb_kit.isolation.progress import Progress
from fineweb_kit.isolation.shared_pages import SharedPages, Span

KILL_GRACE_S = 0.5
"""How long after ``timeout`` an item stuck in native code is given before the child is killed."""
START_TIMEOUT_S = 120.0
REGIONS = 2
"""Shared regions, hence byte batches in the child's hands at once (double buffering)."""
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


@dataclass(eq=False)
class _Batch:
    """One submitted batch: its items (or their spans in shared region ``region``) and the
    outcomes received so far."""

    items: Sequence[Any]
    spans: list[Span] | None = None
    region: int | None = None
    results: list[Outcome | None] = field(default_factory=list)
    left: int = 0

    def message(self, indices: list[int]) -> Iterable[Any]:
        """What the child is sent for these items: one message for spans, one per item else."""
        if self.spans is not None:
            return [("spans", self.region, [self.spans[i] for i in indices])]
        return (("item", self.items[i]) for i in indices)


def _encode(message: Any) -> bytes:
    try:
        return pickle.dumps(message)
    except Exception as e:  # an item that cannot be pickled is answered as an error
        return pickle.dumps(("bad", f"item cannot be sent: {type(e).__name__}: {e}"))


class _Child:
    """One running child process, its two pipe ends and the thread that writes to it."""

    def __init__(self, job: bytes, start_timeout: float, shared_fds: tuple[int, ...]) -> None:
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
        self.answered = 0  # answers received: the child numbers items 0, 1, ... in send order
        self.outbox = Connection(to_child_w, readable=False)
        self.inbox = Connection(from_child_r, writable=False)
        self._jobs: queue.SimpleQueue[Iterable[Any] | None] = queue.SimpleQueue()
        self._sender: threading.Thread | None = None
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
        self._sender = threading.Thread(target=self._send_loop, daemon=True)
        self._sender.start()

    def post(self, messages: Iterable[Any]) -> None:
        """Queues ``messages`` for the sender thread, which writes them in order (a write that
        blocks on a busy child blocks only that thread)."""
        self._jobs.put(messages)

    def _send_loop(self) -> None:
        while (messages := self._jobs.get()) is not None:
            try:
                for message in messages:
                    self.outbox.send_bytes(_encode(message))
            except OSError:
                return  # the child died or was killed: IsolatedMap resends what is unanswered

    def stop(self, kill: bool = False) -> str:
        """Ends the child (politely unless ``kill``); returns how it ended, in words."""
        if kill:
            self.proc.kill()
        else:
            self.post([None])
        self._jobs.put(None)
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        if self._sender is not None:
            self._sender.join()  # a blocked write fails (broken pipe) once the child is gone
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
    item's time. Use :meth:`map` per batch, or :meth:`submit` / :meth:`collect` to keep the
    child busy while the caller works, and :meth:`close` at the end (or ``with``).
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
        self._regions: list[SharedPages] = []
        self._free_regions: list[int] = []
        self._progress: Progress | None = None
        self._limit = self.timeout + KILL_GRACE_S if self.timeout > 0 else None
        self._tickets = itertools.count()
        self._batches: dict[int, _Batch] = {}
        self._unanswered: deque[tuple[_Batch, int]] = deque()  # sent to the child, in order

    def _shared_regions(self) -> list[SharedPages]:
        if not self._regions:
            self._regions = [SharedPages() for _ in range(REGIONS)]
            self._free_regions = list(range(REGIONS))
        return self._regions

    def _region(self) -> int:
        """A shared region no batch in the child's hands uses (waits for the oldest one)."""
        self._shared_regions()
        while not self._free_regions:
            self._receive()
        return self._free_regions.pop()

    def _progress_cell(self) -> Progress:
        if self._progress is None:
            self._progress = Progress()
        return self._progress

    def _ensure_child(self) -> _Child:
        if self._child is None:
            progress = self._progress_cell()
            progress.reset()
            fds = (*(r.fd for r in self._shared_regions()), progress.fd)
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
        return self.collect(self.submit(items))

    def submit(self, items: Sequence[Any]) -> int:
        """Hands ``items`` to the child and returns a ticket for :meth:`collect` at once. A batch
        of ``bytes`` is copied into a free shared region first; with both regions in use this
        waits until the oldest batch there is answered."""
        batch = _Batch(items, results=[None] * len(items), left=len(items))
        if items and all(isinstance(x, bytes) for x in items):
            batch.region = self._region()
            batch.spans = self._regions[batch.region].write(items)
        ticket = next(self._tickets)
        self._batches[ticket] = batch
        if items:
            self._send(batch, list(range(len(items))))
        return ticket

    def collect(self, ticket: int) -> list[Outcome]:
        """The outcomes of a submitted batch, one per item, in order (waits for them)."""
        batch = self._batches[ticket]
        try:
            while batch.left:
                self._receive()
        finally:
            del self._batches[ticket]
        return [r if r is not None else Outcome("error", detail="lost") for r in batch.results]

    def _send(self, batch: _Batch, indices: list[int]) -> None:
        child = self._ensure_child()
        self._unanswered.extend((batch, i) for i in indices)
        child.post(batch.message(indices))

    def _settle(self, batch: _Batch, index: int, outcome: Outcome) -> None:
        batch.results[index] = outcome
        batch.left -= 1
        if batch.left == 0 and batch.region is not None:
            self._free_regions.append(batch.region)  # the child reads it no more
            batch.region = None

    def _receive(self) -> None:
        """Waits for the next group of answers, an overrun or the child's death."""
        child = self._child
        assert child is not None and self._unanswered
        wait = self._time_left(child.answered)
        if child.inbox.poll(wait):
            try:
                answers = child.inbox.recv()
            except (EOFError, OSError):
                self._recover("crashed")
                return
            for status, value in answers:
                batch, index = self._unanswered.popleft()
                child.answered += 1
                self._settle(batch, index, _outcome(status, value))
        elif wait is not None and self._time_left(child.answered) == 0.0:
            self._recover("timeout")

    def _recover(self, failure: str) -> None:
        """The child overran or died: the item it was working on is to blame; a fresh child
        gets every other unanswered item (those finished but not yet reported too)."""
        assert self._child is not None
        running, _ = self._progress_cell().read()
        blamed = running - self._child.answered
        if not 0 <= blamed < len(self._unanswered):
            blamed = 0
        detail = self._discard_child()
        batch, index = self._unanswered[blamed]
        if failure == "timeout":
            assert self._limit is not None
            outcome = Outcome("timeout", detail=f"over {self._limit:g} s", killed=True)
        else:
            outcome = Outcome("crashed", detail=detail)
        self._settle(batch, index, outcome)
        rest = [u for k, u in enumerate(self._unanswered) if k != blamed]
        self._unanswered.clear()
        for batch, group in itertools.groupby(rest, key=lambda u: u[0]):
            self._send(batch, [i for _, i in group])

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
        """Stops the child (it also stops by itself when this process ends). Batches submitted
        and not collected are dropped (their child is killed, not waited for)."""
        child = self._take_child()
        if child is not None:
            child.stop(kill=bool(self._unanswered))
        self._unanswered.clear()
        self._batches.clear()
        for shared in (*self._regions, self._progress):
            if shared is not None:
                shared.close()
        self._regions, self._free_regions, self._progress = [], [], None

    def __enter__(self) -> IsolatedMap:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
