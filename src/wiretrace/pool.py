"""Worker processes for the CPU-bound stages (extraction, event features).

Workers start from a forkserver (not fork: the parent holds SQLite connections and threads),
and each watches the process that started it: a SIGKILLed ingest gives the pool no chance to
stop its workers, so they end themselves instead of lingering.
"""

from __future__ import annotations

import os
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from typing import Any

# Below this many items starting the workers (each imports its stage's libraries, about half
# a second to a second) costs more than it saves.
PARALLEL_MIN = 400

# Items a worker gets at a time. The pool keeps only a few tasks queued ahead of the workers,
# refilled by a thread of the calling process: for items of a few milliseconds, larger chunks
# (``start``'s ``chunk``) keep the workers from running dry while that process is busy.
CHUNK = 16

# Workers run this much nicer than the process that started them. In every pass one process
# feeds them and takes their results (the store and extraction passes' writer, the link's main
# process, which also finds the next batch's candidates); with two workers on two cores, three
# processes share the cores, and when all three are runnable the one the others wait on got
# two thirds of a core. Nicer workers leave it a core whenever it has work and take the rest.
# Six 300k ingests interleaved (bench ingest, jobs=2): 253-274 s with nicer workers against
# 278-327 s without, extraction 113-116 s against 125-142 and the link 97-122 s against 104-141.
# At 1M the link took as long with them (432 s against 425, one run each; docs/linking-log.md).
WORKER_NICENESS = 10


class Workers:
    """``jobs`` worker processes for a stage with ``n_items`` to do (none when it does not pay),
    falling back to this process when they die: a script that calls wiretrace without an
    ``if __name__ == "__main__":`` guard makes every worker re-run the script and crash, and
    that must cost speed, not the run."""

    def __init__(self, jobs: int | None, n_items: int | None, initializer: Callable | None = None,
                 initargs: tuple = ()):
        """``n_items`` None: the caller judged that workers pay (``jobs`` 1 says they do not)."""
        jobs = jobs or os.cpu_count() or 1
        worth = n_items is None or n_items >= PARALLEL_MIN
        self.pool = process_pool(jobs, initializer, initargs) if jobs > 1 and worth else None

    def map(self, fn: Callable, items: Sequence, inline: Callable | None = None) -> list[Any]:
        """``fn`` over ``items`` in the workers, in order; ``inline`` (default ``fn``) here."""
        return self.start(fn, items, inline).results()

    def start(self, fn: Callable, items: Sequence, inline: Callable | None = None, chunk: int = CHUNK) -> "Started":
        """Hand ``fn`` over ``items`` to the workers now, ``chunk`` items to a task, and return
        at once: the caller does its own work meanwhile and collects with ``results()``. Work
        started later queues behind this. Without workers, the items are done here when
        collected."""
        started = None
        if self.pool is not None:
            try:
                started = self.pool.map(fn, items, chunksize=chunk)  # submits every chunk now
            except BrokenProcessPool:
                self._broken()
        return Started(self, items, inline or fn, started)

    def _broken(self) -> None:
        if self.pool is None:
            return  # said when the pool broke under earlier work
        warnings.warn(
            "wiretrace: worker processes died (a script without an `if __name__ == \"__main__\":` "
            "guard?); going on in one process", RuntimeWarning, stacklevel=3,
        )
        self.close()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None

    def __enter__(self) -> "Workers":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class Started:
    """Work handed to the workers by ``Workers.start``."""

    def __init__(self, workers: Workers, items: Sequence, inline: Callable, started: Any):
        self.workers, self.items, self.inline, self.started = workers, items, inline, started

    def results(self) -> list[Any]:
        """The results in the order of the items, done here if the workers died."""
        if self.started is not None:
            try:
                return list(self.started)
            except BrokenProcessPool:
                self.workers._broken()
            except CancelledError:  # queued when the workers died doing earlier work
                pass
        return [self.inline(x) for x in self.items]


def process_pool(jobs: int, initializer: Callable | None = None, initargs: tuple = ()) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        jobs, mp_context=get_context("forkserver"), initializer=_start_worker,
        initargs=(os.getpid(), initializer, initargs),
    )


def _start_worker(main_pid: int, initializer: Callable | None, initargs: tuple) -> None:
    threading.Thread(target=_exit_with, args=(main_pid,), daemon=True).start()
    os.nice(WORKER_NICENESS)  # capped at the lowest priority by the system, never refused
    if initializer is not None:
        initializer(*initargs)


def _exit_with(main_pid: int) -> None:
    """End this worker when the process that started it is gone."""
    while True:
        time.sleep(1)
        try:
            os.kill(main_pid, 0)
        except ProcessLookupError:
            os._exit(1)
