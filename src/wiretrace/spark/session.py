"""The Spark session the jobs run in: local mode by default, any master URL otherwise.

Local mode (``local[N]``) binds to 127.0.0.1, has no web UI and runs the Python
workers with this interpreter (so they import this wiretrace); on a cluster the
master, memory and partitions come from the caller or spark-submit.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from contextlib import contextmanager
from collections.abc import Iterator
from typing import Any

from wiretrace.errors import UsageError

DEFAULT_MASTER = "local[2]"
# Rows per Arrow batch handed to the Python stage functions: a batch of
# captures holds their raw bytes, so keep it to a few MB.
ARROW_BATCH = 256


def is_local_master(master: str) -> bool:
    return master == "local" or master.startswith("local[") or master.startswith("local-cluster[")


def local_cores(master: str) -> int:
    """Cores of a local master: local[2] -> 2, local[*] -> every core."""
    if master.startswith("local[") and master.endswith("]"):
        n = master[len("local["):-1].split(",")[0]
        return os.cpu_count() or 1 if n == "*" else max(1, int(n))
    return 1


def require_pyspark() -> None:
    # find_spec, not an import: asking whether it is there need not load it (nor leave an
    # unused name that linters flag)
    if importlib.util.find_spec("pyspark") is None:
        raise UsageError("the Spark engine needs PySpark: pip install 'wiretrace[spark]' (and Java 17 or later)")


def builder_conf(master: str, *, shuffle_partitions: int | None = None,
                 driver_memory: str | None = "4g", conf: dict[str, Any] | None = None) -> dict[str, str]:
    """The settings a session is built with (the caller's ``conf`` wins)."""
    settings: dict[str, str] = {
        "spark.app.name": "wiretrace",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.execution.arrow.maxRecordsPerBatch": str(ARROW_BATCH),
        "spark.sql.session.timeZone": "UTC",
    }
    if is_local_master(master):
        cores = local_cores(master)
        settings.update({
            "spark.driver.host": "127.0.0.1",
            "spark.driver.bindAddress": "127.0.0.1",
            "spark.ui.enabled": "false",
            # small data: few shuffle partitions (adaptive execution merges them further)
            "spark.sql.shuffle.partitions": str(shuffle_partitions or 4 * cores),
            "spark.default.parallelism": str(2 * cores),
            "spark.pyspark.python": sys.executable,
            "spark.pyspark.driver.python": sys.executable,
        })
        if driver_memory:
            settings["spark.driver.memory"] = driver_memory
    elif shuffle_partitions:
        settings["spark.sql.shuffle.partitions"] = str(shuffle_partitions)
    settings.update({k: str(v) for k, v in (conf or {}).items()})
    return settings


def session(master: str | None = None, *, shuffle_partitions: int | None = None,
            driver_memory: str | None = "4g", conf: dict[str, Any] | None = None):
    """A SparkSession on ``master`` (default local[2]); an active one is reused."""
    require_pyspark()
    from pyspark.sql import SparkSession

    if master is None and os.environ.get("PYSPARK_GATEWAY_PORT"):
        # launched by spark-submit: the master, memory and the rest are its settings
        builder = SparkSession.builder.config("spark.ui.showConsoleProgress", "false")
        if shuffle_partitions:
            builder = builder.config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        for key, value in (conf or {}).items():
            builder = builder.config(key, str(value))
        return builder.getOrCreate()
    master = master or os.environ.get("WIRETRACE_SPARK_MASTER") or DEFAULT_MASTER
    settings = builder_conf(master, shuffle_partitions=shuffle_partitions, driver_memory=driver_memory, conf=conf)
    if is_local_master(master):
        # Python workers must import this wiretrace: run them with this interpreter.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
        # every socket on the loopback: no network, and no "resolves to a loopback address" guess
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = SparkSession.builder.master(master)
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


@contextmanager
def running(spark=None, master: str | None = None, **options: Any) -> Iterator[Any]:
    """``spark`` if given, else the active session (both left running), else a
    new session stopped at the end."""
    if spark is None:
        require_pyspark()
        from pyspark.sql import SparkSession

        spark = SparkSession.getActiveSession()
    if spark is not None:
        yield spark
        return
    own = session(master, **options)
    try:
        yield own
    finally:
        own.stop()
