"""Worker processes for the CPU-bound stages (extraction, event features).

Workers start from a forkserver (not fork: the parent holds SQLite connections and threads),
and each watches the process that started it: a SIGKILLed ingest gives the pool no chance to
stop its workers, so they end themselves instead of lingering.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

# Below this many items starting the workers (each imports its stage's libraries, about half
# a second to a second) costs more than it saves.
PARALLEL_MIN = 400


def process_pool(jobs: int, initializer: Callable | None = None, initargs: tuple = ()) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        jobs, mp_context=get_context("forkserver"), initializer=_start_worker,
        initargs=(os.getpid(), initializer, initargs),
    )


def _start_worker(main_pid: int, initializer: Callable | None, initargs: tuple) -> None:
    threading.Thread(target=_exit_with, args=(main_pid,), daemon=True).start()
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
