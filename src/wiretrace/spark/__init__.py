"""The Spark engine: wiretrace's stages on PySpark, with the local engine's results.

Not a second implementation: the executors call the same stage functions
(``readers``, ``extract``, ``normalize``, ``link``) that a local ingest calls;
Spark only distributes them and does the joins (candidate pairs, clusters).
See docs/spark.md.

    from wiretrace.spark import ingest_job, link_job, import_output
    ingest_job(["captures/"], "out/", master="local[2]")   # a folder of Parquet tables
    import_output(Archive("news.db"), "out/")              # into the SQLite archive

``Archive.ingest(paths, engine="spark")`` and ``Archive.link(engine="spark")`` do
both steps. pyspark is imported only when a job runs (``pip install
'wiretrace[spark]'``); ``import_output`` needs pyarrow alone.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ImportSummary", "import_output", "ingest_archive", "ingest_job", "link_archive", "link_job",
           "session", "write_link_input"]


def __getattr__(name: str) -> Any:
    if name in ("ingest_job", "link_job", "ingest_archive", "link_archive", "write_link_input"):
        from wiretrace.spark import jobs

        return getattr(jobs, name)
    if name in ("import_output", "ImportSummary"):
        from wiretrace.spark import importer

        return getattr(importer, name)
    if name == "session":
        from wiretrace.spark.session import session

        return session
    raise AttributeError(f"module 'wiretrace.spark' has no attribute {name!r}")
