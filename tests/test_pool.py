"""Worker pools: results in order, and a pool whose workers die falls back to this process
(as when a script runs wiretrace without an `if __name__ == "__main__":` guard)."""

from __future__ import annotations

import multiprocessing
import os

import pytest

from wiretrace.pool import PARALLEL_MIN, WORKER_NICENESS, Workers


def square(x: int) -> int:
    return x * x


def die_in_a_worker(x: int) -> int:
    if multiprocessing.parent_process() is not None:  # a worker process, not the test's
        os._exit(1)
    return x + 1


def test_workers_map_in_order():
    items = list(range(PARALLEL_MIN))
    with Workers(2, len(items)) as workers:
        assert workers.pool is not None
        assert workers.map(square, items) == [x * x for x in items]


def test_small_work_stays_in_this_process():
    with Workers(2, 3) as workers:
        assert workers.pool is None
        assert workers.map(square, [1, 2, 3]) == [1, 4, 9]


def test_dead_workers_fall_back_with_a_warning():
    items = list(range(PARALLEL_MIN))
    with Workers(2, len(items)) as workers:
        with pytest.warns(RuntimeWarning, match="worker processes died"):
            assert workers.map(die_in_a_worker, items) == [x + 1 for x in items]
        assert workers.pool is None  # the rest of the run stays in one process
        assert workers.map(die_in_a_worker, items[:5]) == [1, 2, 3, 4, 5]


def test_work_started_ahead_is_collected_in_order_even_when_the_workers_die():
    items = list(range(PARALLEL_MIN))
    with Workers(2, len(items)) as workers:
        first = workers.start(square, items)
        second = workers.start(square, items[::-1])  # queued behind the first
        assert first.results() == [x * x for x in items]
        assert second.results() == [x * x for x in items[::-1]]
        dying = workers.start(die_in_a_worker, items)
        queued = workers.start(die_in_a_worker, items[:50])  # cancelled when the pool breaks
        with pytest.warns(RuntimeWarning, match="worker processes died"):
            assert dying.results() == [x + 1 for x in items]
        assert queued.results() == [x + 1 for x in items[:50]]
        assert workers.pool is None


def own_niceness(_: int) -> int:
    return os.nice(0)


def test_workers_run_nicer_than_the_process_that_feeds_them():
    items = list(range(PARALLEL_MIN))
    with Workers(2, len(items)) as workers:
        assert workers.pool is not None
        seen = set(workers.map(own_niceness, items))
    assert seen == {min(os.nice(0) + WORKER_NICENESS, 19)}
