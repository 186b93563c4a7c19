"""What each step of a job cost: wall seconds, task seconds and shuffle bytes.

Task seconds are the sum of the run times of the step's tasks (one task holds
one core), so items / task seconds is the throughput of one partition on one
core: what sizes a cluster. They and the shuffle bytes come from Spark's status
store (an internal API: when it is not there, only wall seconds are kept).
"""

from __future__ import annotations

import time
from typing import Any


def totals(spark) -> tuple[float, int] | None:
    """(task seconds, shuffle bytes written) of every stage so far, or None."""
    if spark is None:
        return None
    try:
        sc = spark.sparkContext
        jvm = sc._jvm
        stages = sc._jsc.sc().statusStore().stageList(
            jvm.java.util.ArrayList(), False, False, sc._gateway.new_array(jvm.double, 0), jvm.java.util.ArrayList())
        run_ms, shuffled, it = 0, 0, stages.iterator()
        while it.hasNext():
            stage = it.next()
            run_ms += stage.executorRunTime()
            shuffled += stage.shuffleWriteBytes()
        return run_ms / 1000, shuffled
    except Exception:  # another Spark version: no status store of this shape
        return None


class Clock:
    """Seconds (and task seconds, shuffle bytes) per step of a job; each step
    ends with an action, so what it measures is its own."""

    def __init__(self, spark=None) -> None:
        self.spark = spark
        self.laps: dict[str, float] = {}
        self.tasks: dict[str, float] = {}
        self.shuffle: dict[str, int] = {}
        self._t = time.perf_counter()
        self._totals = totals(spark)

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(self.laps.get(name, 0.0) + now - self._t, 2)
        self._t = now
        current = totals(self.spark)
        # (a long session may drop old stages from the store: then the step is not counted)
        if current is not None and self._totals is not None and current[0] >= self._totals[0]:
            self.tasks[name] = round(self.tasks.get(name, 0.0) + current[0] - self._totals[0], 2)
            self.shuffle[name] = self.shuffle.get(name, 0) + current[1] - self._totals[1]
        self._totals = current

    def report(self) -> dict[str, Any]:
        out: dict[str, Any] = {"seconds": dict(self.laps)}
        if self.tasks:
            out["task_seconds"] = dict(self.tasks)
            out["shuffle_bytes"] = dict(self.shuffle)
        return out
