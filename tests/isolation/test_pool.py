"""IsolatedMap: items run in a child process that is killed or replaced when one misbehaves;
every other item's answer comes back, in order."""

from __future__ import annotations

import threading
import time

import pytest

from fineweb_kit.isolation.pool import IsolatedMap, IsolationError
from fineweb_kit.isolation.progress import Progress
from tests.isolation.workers import behave, failing_setup


def statuses(outcomes):
    return [o.status if o.status != "ok" else o.value for o in outcomes]


def test_every_kind_of_failure_costs_only_its_item():
    items = ["a", "abort", "b", "segfault", "c", "stuck-in-c", "d", "python-loop", "e"]
    items += ["raise", "f", "exit", "g", "unpicklable-result", "h"]
    with IsolatedMap(behave, timeout=0.3) as pool:
        t0 = time.monotonic()
        out = pool.map(items)
        elapsed = time.monotonic() - t0
        starts = pool.starts
    assert statuses(out) == [
        "A", "crashed", "B", "crashed", "C", "timeout", "D", "timeout", "E",
        "error", "F", "crashed", "G", "error", "H",
    ]  # fmt: skip
    assert "SIGABRT" in out[1].detail and "SIGSEGV" in out[3].detail
    assert out[11].detail == "exit status 3"
    assert out[5].killed and not out[7].killed  # C code: killed; Python code: cut in the child
    assert "ValueError: bad item" in out[9].detail and "cannot be sent back" in out[13].detail
    assert starts == 1 + 4  # the first child, and one after each of 3 crashes and 1 kill
    assert elapsed < 20, elapsed


def test_bytes_items_arrive_through_shared_memory_and_batches_can_grow():
    with IsolatedMap(behave, timeout=1.0) as pool:
        assert [o.value for o in pool.map([b"ab", b"c"])] == [("view", b"AB"), ("view", b"C")]
        big = [bytes([97 + i]) * 300_000 for i in range(8)]  # 2.4 MB: the region grows
        assert [o.value for o in pool.map(big)] == [("view", b.upper()) for b in big]
        assert pool.map([]) == []


def test_no_timeout_still_contains_crashes():
    with IsolatedMap(behave, timeout=0) as pool:
        assert statuses(pool.map(["a", "abort", "b"])) == ["A", "crashed", "B"]


def test_setup_failure_and_functions_a_child_cannot_import_are_errors():
    with pytest.raises(IsolationError, match="model file missing"):
        IsolatedMap(behave, 1.0, setup=failing_setup).map(["a"])
    with pytest.raises(IsolationError, match="cannot be sent"):
        IsolatedMap(lambda x: x, 1.0)
    lock = threading.Lock()
    with IsolatedMap(behave, 1.0) as pool:
        assert statuses(pool.map([lock, "a"])) == ["error", "A"]  # an item that cannot be sent


def test_close_ends_the_child():
    pool = IsolatedMap(behave, 1.0)
    pool.map(["a"])
    proc = pool._child.proc
    pool.close()
    assert proc.poll() is not None and pool._child is None


def test_progress_cell_is_read_consistently_across_processes():
    parent = Progress()
    parent.reset()
    assert parent.read() == (-1, 0.0)
    child = Progress(parent.fd)  # as the child opens it
    child.start(41, 123.5)
    assert parent.read() == (41, 123.5)
    child.close()
    parent.close()


def views(*words):
    return [("view", w.upper()) for w in words]


def test_pipelined_byte_batches_lose_only_the_bad_items():
    """Three batches handed over before any is collected (two shared regions: the third waits
    for the first); a kill and a crash in the first, a crash in the second: each costs only its
    item, the rest of its batch and the batches behind it come back complete, in order."""
    with IsolatedMap(behave, timeout=0.3) as pool:
        first = pool.submit([b"a", b"stuck-in-c", b"b", b"segfault", b"c"])
        second = pool.submit([b"d", b"abort", b"e"])
        third = pool.submit([b"f", b"g"])
        out1, out2, out3 = pool.collect(first), pool.collect(second), pool.collect(third)
        starts = pool.starts
    assert statuses(out1) == [*views(b"a"), "timeout", *views(b"b"), "crashed", *views(b"c")]
    assert out1[1].killed and "SIGSEGV" in out1[3].detail
    assert statuses(out2) == [*views(b"d"), "crashed", *views(b"e")]
    assert statuses(out3) == views(b"f", b"g")
    assert starts == 1 + 3


def test_a_crash_in_the_next_batch_redoes_answers_not_yet_received():
    """Pickled items: the child sends answers once its input runs dry, so the first batch's
    answers may still be unsent when an item of the second batch kills it; they are redone."""
    with IsolatedMap(behave, timeout=1.0) as pool:
        first = pool.submit(["a", "b"])
        second = pool.submit(["exit", "c"])
        third = pool.submit(["d"])
        time.sleep(1.0)  # the child has run into the exit by now
        assert statuses(pool.collect(second)) == ["crashed", "C"]  # out of order: fine
        assert statuses(pool.collect(first)) == ["A", "B"]
        assert statuses(pool.collect(third)) == ["D"]
        assert pool.map([b"x"]) == pool.map([b"x"])  # the regions are free again


def test_close_with_batches_in_flight_kills_the_child_at_once():
    pool = IsolatedMap(behave, timeout=30)
    pool.submit(["a", "stuck-in-c", "b"])
    pool.submit([b"c"])
    time.sleep(0.5)
    proc = pool._child.proc
    t0 = time.monotonic()
    pool.close()
    assert proc.poll() is not None and time.monotonic() - t0 < 5
