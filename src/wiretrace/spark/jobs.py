"""The Spark jobs as whole steps: ingest (captures -> output folder), link (articles ->
output folder), and their use from an archive (export, run, import).

    ingest_job(paths, out)          read, extract, normalize (and link): an output folder
    link_job(input, out)            link the articles of a folder or an exported Parquet
    ingest_archive(archive, paths)  ingest_job + import (+ linking what the job could not)
    link_archive(archive)           the archive's articles -> link_job -> import

pyspark is imported only when a job runs; the import itself needs pyarrow alone.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Any

from wiretrace.ingest import DEFAULT_MAX_BYTES
from wiretrace.link.lsh import MAX_POSTINGS
from wiretrace.spark import layout


def ingest_job(
    paths: Iterable[str], out: str, *, spark=None, master: str | None = None, link: bool = True,
    max_bytes: int = DEFAULT_MAX_BYTES, partitions: int | None = None, exclude: Iterable[str] = (),
    max_postings: int = MAX_POSTINGS,
) -> dict[str, Any]:
    """Read, extract and normalize the captures of ``paths`` on Spark (and link them
    unless ``link`` is false) into the folder ``out``; returns its manifest."""
    from wiretrace.spark import ingest as ingest_stage
    from wiretrace.spark import link as link_stage
    from wiretrace.spark.session import running

    out = _absolute(out)
    inputs = ingest_stage.list_inputs(paths, exclude)
    with running(spark, master) as s:
        layout.remove_manifest(out, s)
        counts = ingest_stage.run(s, inputs, out, max_bytes=max_bytes, partitions=partitions)
        costs = _costs(counts)
        extra: dict[str, Any] = {}
        if link:
            articles = s.read.parquet(f"{out}/articles")
            got = link_stage.run(s, articles, out, max_postings=max_postings)
            extra = _link_extra(got)
            for key, value in _costs(got).items():
                costs.setdefault(key, {}).update(value)
            counts.update({t: got[t] for t in ("linked", "relations", "clusters")})
        manifest = layout.manifest("ingest", counts, master=s.sparkContext.master, **costs, **extra)
        layout.write_manifest(out, manifest, s)
    return manifest


def link_job(
    source: str, out: str, *, spark=None, master: str | None = None,
    max_postings: int = MAX_POSTINGS,
) -> dict[str, Any]:
    """Link the articles of ``source`` on Spark into the folder ``out``; returns its manifest.

    ``source`` is a Spark output folder (its articles), the folder
    ``link_archive`` exports an archive to (articles, with which are linked
    already, and the relations stored before), or a ``wiretrace export --what
    articles --format parquet`` file (matching forms computed from the bodies)."""
    from wiretrace.spark import link as link_stage
    from wiretrace.spark.session import running

    source, out = _absolute(source), _absolute(out)
    with running(spark, master) as s:
        layout.remove_manifest(out, s)
        edges = None
        if _exists(s, f"{source}/articles"):
            articles = s.read.parquet(f"{source}/articles")
            if _exists(s, f"{source}/relations"):
                edges = s.read.parquet(f"{source}/relations").select("a", "b", "relation")
        else:
            articles = s.read.parquet(source)
        got = link_stage.run(s, articles, out, edges=edges, max_postings=max_postings)
        counts = {t: got[t] for t in ("linked", "relations", "clusters")}
        manifest = layout.manifest("link", counts, master=s.sparkContext.master, **_costs(got), **_link_extra(got))
        layout.write_manifest(out, manifest, s)
    return manifest


def _costs(counts: dict[str, Any]) -> dict[str, dict]:
    """Take the per-step costs out of a stage's counts."""
    return {k: counts.pop(k) for k in ("seconds", "task_seconds", "shuffle_bytes") if k in counts}


def _link_extra(got: dict[str, int]) -> dict[str, Any]:
    return {"link": {"linked": got["new"], "candidates": got["candidates"], "relations": got["relations"],
                     "clusters": got["cluster_ids"]}}


def _absolute(path: str) -> str:
    path = str(path).rstrip("/") or "/"
    return os.path.abspath(path) if layout.is_local(path) and not path.startswith("file:") else path


def _exists(spark, path: str) -> bool:
    if layout.is_local(path):
        return layout.local_path(path).exists()
    jvm = spark.sparkContext._jvm
    target = jvm.org.apache.hadoop.fs.Path(path)
    return target.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()).exists(target)


# -- from and to an archive -------------------------------------------------------------------


@contextmanager
def _folder(out: str | None, archive, prefix: str):
    """``out`` if given (kept), else a temporary folder beside the archive (removed)."""
    if out:
        yield _absolute(out)
        return
    tmp = tempfile.mkdtemp(prefix=prefix, dir=os.path.dirname(os.path.abspath(archive.path)) or None)
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_link_input(archive, folder: str, *, rebuild: bool = False) -> dict[str, int]:
    """The archive's articles (every version, matching forms, which are linked) and
    its relations, as the Parquet folder ``link_job`` reads. With ``rebuild`` no
    article counts as linked and no relation is kept."""
    import pyarrow as pa

    from wiretrace.archive import LinkStore

    store = LinkStore(archive)
    schema = pa.schema([
        ("id", pa.string()), ("path", pa.string()), ("title", pa.string()), ("body", pa.string()),
        ("published", pa.string()), ("outlet", pa.string()), ("url", pa.string()),
        ("normalized", pa.string()), ("offsets", pa.binary()), ("linked", pa.bool_()),
    ])
    relation_schema = pa.schema([
        ("a", pa.string()), ("b", pa.string()), ("relation", pa.string()), ("a_in_b", pa.float64()),
        ("b_in_a", pa.float64()), ("evidence", pa.string()),
    ])
    root = Path(folder)
    counts = {
        "articles": _write(root / "articles", schema,
                           ({**r, "linked": r["linked"] and not rebuild} for r in store.link_inputs())),
        "relations": _write(root / "relations", relation_schema,
                            () if rebuild else ({k: r[k] for k in relation_schema.names} for r in store.relations())),
    }
    layout.write_manifest(str(root), layout.manifest("link-input", counts))
    return counts


def _write(folder: Path, schema, rows, chunk: int = 5_000) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    n = 0
    rows = iter(rows)
    with pq.ParquetWriter(folder / "part-00000.parquet", schema, compression="zstd") as writer:
        while batch := list(islice(rows, chunk)):
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            n += len(batch)
    return n


def ingest_archive(
    archive, paths: Iterable[str], *, master: str | None = None, out: str | None = None,
    partitions: int | None = None, link: bool = True, stories: bool = True, search: bool = True,
    max_bytes: int = DEFAULT_MAX_BYTES,
    spark=None, **_ignored: Any,
):
    """``Archive.ingest(engine="spark")``: the ingest job, imported into ``archive``.
    Returns an IngestSummary like the local engine's; ``stories=False`` and ``search=False``
    as there."""
    from wiretrace.ingest import IngestSummary
    from wiretrace.linking import LinkSummary
    from wiretrace.model import Reject
    from wiretrace.spark.importer import _batches, import_output

    own = [str(archive.path) + s for s in ("", "-wal", "-shm", "-journal")]
    with _folder(out, archive, ".wiretrace-spark-") as folder:
        manifest = ingest_job(paths, folder, spark=spark, master=master, link=link, max_bytes=max_bytes,
                              partitions=partitions, exclude=own)
        imported = import_output(archive, folder, search=search)
        rejects = [Reject(r["source"], r["reason"]) for rows in _batches(folder, "rejects") for r in rows]
    summary = IngestSummary(ingested=imported.ingested, unchanged=imported.unchanged, updated=imported.updated,
                            rejected=imported.rejected, extracted=imported.articles, rejects=rejects)
    if search:  # what an earlier ingest without search left out, as the local engine does
        archive.build_search()
    if link:
        if imported.link_skipped:
            # the archive held linked articles the job did not see: link against them
            summary.link = link_archive(archive, master=master, spark=spark)
        else:
            summary.link = LinkSummary(linked=imported.linked, candidates=manifest["link"]["candidates"],
                                       relations=imported.relations, clusters=imported.clusters)
        # Stories run locally on what Spark linked (grouping needs the whole archive's idf):
        # the same stage as the local engine's ingest, so the CLI and web UI see stories.
        if stories:
            summary.stories = archive.update_stories()
    return summary


def link_archive(archive, *, rebuild: bool = False, master: str | None = None, out: str | None = None,
                 spark=None, **_ignored: Any):
    """``Archive.link(engine="spark")``: export the archive's articles, link them on
    Spark (batches and stop-keys as the local engine), import the result."""
    from wiretrace.archive import LinkStore
    from wiretrace.linking import LinkSummary
    from wiretrace.spark.importer import import_output

    if not rebuild and not LinkStore(archive).unlinked():
        from wiretrace.linking import link_archive as local

        return local(archive)  # nothing to link: only the clusters are recomputed
    with _folder(None, archive, ".wiretrace-link-input-") as source, \
         _folder(out, archive, ".wiretrace-spark-") as folder:
        write_link_input(archive, source, rebuild=rebuild)
        manifest = link_job(source, folder, spark=spark, master=master)
        imported = import_output(archive, folder, replace_links=rebuild)
    return LinkSummary(linked=imported.linked, candidates=manifest["link"]["candidates"],
                       relations=imported.relations, clusters=imported.clusters)
