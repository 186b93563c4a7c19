"""Spark ingest: captures -> the captures, rejects, templates and articles tables.

The same stages as ``wiretrace.ingest``, on executors:

1. read: the driver lists the inputs (``readers.expand``: folders, globs, the
   same order and rejects as a local ingest); each partition of files runs
   ``readers.read_path`` and ``extract.template_key``. Files elsewhere
   (``hdfs://``, ``s3a://``) are read by Spark's ``binaryFile`` source and handed
   to ``readers.read_bytes``. Bad input is a reject row; the job goes on.
2. captures: one row per (source, sha256), the first read; when a source was
   read in several versions the last one read is current (as the archive's
   ``add_capture`` decides). A source's versions all come from one file, so
   this is settled in the read task, with no shuffle.
3. templates: per outlet key, the ``TEMPLATE_SAMPLE`` current captures with the
   smallest sha256, then id (a window by outlet key), learnt by ``ingest.learn`` in one task per
   outlet, collected and broadcast.
4. articles: every current capture through ``ingest.clean`` (extract +
   matching form) with its outlet's template, in Arrow batches.

Each table is written as Parquet and read back before the next step, so a
step never recomputes the one before it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from wiretrace.ingest import DEFAULT_MAX_BYTES, TEMPLATE_SAMPLE
from wiretrace.model import Reject
from wiretrace.spark.arrow import Rows, Schema, pylist, rows
from wiretrace.spark.layout import is_local

READ = Schema([
    ("file", "long"), ("rec", "long"), ("source", "string"), ("reason", "string"), ("id", "string"),
    ("sha256", "string"), ("format", "string"), ("encoding", "string"), ("content_type", "string"),
    ("content", "string"), ("meta", "string"), ("warnings", "string"), ("outlet_key", "string"),
    ("data", "binary"), ("previous", "string"), ("current", "boolean"),
])
TEMPLATES = Schema([("outlet_key", "string"), ("hash", "string"), ("sample", "string"), ("body", "string")])
EXTRACTED = Schema([
    ("id", "string"), ("path", "string"), ("title", "string"), ("body", "string"),
    ("published", "string"), ("outlet", "string"), ("url", "string"), ("authors", "array<string>"),
    ("wire", "array<string>"), ("script", "string"), ("language", "string"), ("normalized", "string"),
    ("offsets", "binary"), ("template", "string"), ("reason", "string"),
])
DOC_COLUMNS = ["source", "data", "format", "encoding", "content", "content_type", "meta", "warnings"]

# Files per read task, at least: a task costs ~10 ms of scheduling, a capture ~2 ms to read.
FILES_PER_PARTITION = 200


@dataclass
class Inputs:
    """What the driver found to read: local files (in ingest order), remote
    URIs, and the paths it could not use."""

    files: list[str] = field(default_factory=list)
    remote: list[str] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)


def list_inputs(paths: Iterable[str], exclude: Iterable[str] = ()) -> Inputs:
    from wiretrace.errors import UsageError
    from wiretrace.readers import expand

    found = Inputs()
    local = []
    for path in paths:
        if path == "-":
            raise UsageError("the Spark engine cannot read standard input: save it to a file first")
        (local if is_local(path) and not str(path).startswith("file:") else found.remote).append(str(path))
    skip = {os.path.abspath(p) for p in exclude}
    for item in expand(local):
        if isinstance(item, Reject):
            found.rejects.append(item)
        elif item not in skip:
            found.files.append(item)
    return found


# -- executor functions (module level: pickled by reference, run in the workers) ----------


def _file_rows(out: Rows, file: int, path: str, items) -> None:
    """The captures and rejects of one file as READ rows. Every version of a source
    comes from one file (a source is the file's path, ``!member`` or ``#key``), so
    the archive's rules are applied here, without a shuffle: a (source, sha256)
    read again is skipped, and a source read in several versions has the last one
    current, each pointing to the one before (``Archive.add_capture``)."""
    from wiretrace.archive import meta_json, warnings_json
    from wiretrace.extract import template_key
    from wiretrace.model import article_id

    got: list = []
    try:
        got.extend(items)
    except Exception as exc:  # a reader bug must not end the job: the file is a reject
        got.append(Reject(path, f"cannot read: {type(exc).__name__}: {exc}"))
    seen: set[str] = set()
    latest: dict[str, str] = {}  # source -> id of its version read last
    docs = []
    for rec, doc in enumerate(got):
        if isinstance(doc, Reject):
            out.add(file=file, rec=rec, source=doc.source, reason=doc.reason)
            continue
        capture_id = article_id(doc.source, doc.sha256)
        if capture_id in seen:
            continue
        seen.add(capture_id)
        docs.append((rec, capture_id, latest.get(doc.source), doc))
        latest[doc.source] = capture_id
    for rec, capture_id, previous, doc in docs:
        out.add(
            file=file, rec=rec, source=doc.source, id=capture_id, sha256=doc.sha256,
            format=doc.format, encoding=doc.encoding, content_type=doc.content_type, content=doc.content,
            meta=meta_json(doc.meta), warnings=warnings_json(doc.warnings), outlet_key=template_key(doc),
            data=doc.data, previous=previous, current=latest[doc.source] == capture_id,
        )


def read_files(max_bytes: int):
    """mapInArrow: (file, path) -> READ rows, one per capture or reject."""

    def run(batches):
        from wiretrace.readers import ReadOptions, read_path

        options = ReadOptions(max_bytes=max_bytes)
        out = Rows(READ)
        for batch in batches:
            for file, path in zip(pylist(batch, "file"), pylist(batch, "path")):
                _file_rows(out, file, os.path.abspath(path), read_path(path, options))
                if out.full():
                    yield out.flush()
        yield from out.drain()

    return run


def read_blobs(max_bytes: int):
    """mapInArrow over Spark's binaryFile rows: (file, path, length, content) -> READ rows."""

    def run(batches):
        from wiretrace.readers import ReadOptions, read_bytes
        from wiretrace.readers.base import over_limit_reason

        options = ReadOptions(max_bytes=max_bytes)
        out = Rows(READ)
        for batch in batches:
            for row in rows(batch, ["file", "path", "length", "content"]):
                path, file = row["path"], row["file"]
                if row["length"] > max_bytes:
                    items = [Reject(path, over_limit_reason(row["length"], max_bytes))]
                else:
                    name = path.rstrip("/").rsplit("/", 1)[-1]
                    items = read_bytes(path, row["content"], options, name=name)
                _file_rows(out, file, path, items)
                if out.full():
                    yield out.flush()
        yield from out.drain()

    return run


def learn_group(frame):
    """applyInPandas per outlet key: its sample (smallest sha256, then id) -> one TEMPLATES row."""
    import pandas as pd

    from wiretrace.archive import stored_document
    from wiretrace.ingest import learn, sample_hash

    frame = frame.sort_values(["sha256", "id"])  # archive.outlet_sample's order
    docs = [stored_document(*(row[c] for c in DOC_COLUMNS)) for row in frame.to_dict("records")]
    _, body, template_hash = learn(docs)
    ids = list(frame["id"])
    return pd.DataFrame([{
        "outlet_key": frame["outlet_key"].iloc[0], "hash": template_hash, "sample": sample_hash(ids), "body": body,
    }])


def extract_captures(templates):
    """mapInArrow: current captures -> EXTRACTED rows (``reason`` set when a capture
    could not be extracted: a reject, and the job goes on)."""

    def run(batches):
        from wiretrace.archive import stored_document
        from wiretrace.extract import Template
        from wiretrace.ingest import clean

        known = templates.value
        parsed = {key: (Template.from_json(body), h) for key, (body, h) in known.items()}
        out = Rows(EXTRACTED)
        for batch in batches:
            for row in rows(batch, ["id", "outlet_key", *DOC_COLUMNS]):
                template, template_hash = parsed.get(row["outlet_key"], (None, None))
                try:
                    doc = stored_document(*(row[c] for c in DOC_COLUMNS))
                    article, text, offsets = clean(template, doc)
                except Exception as exc:  # extract is total; this is a safety net, not a path
                    out.add(id=row["id"], path=row["source"], body="",
                            reason=f"cannot extract: {type(exc).__name__}: {exc}")
                    continue
                out.add(
                    id=article.id, path=article.path, title=article.title, body=article.body,
                    published=article.published, outlet=article.outlet, url=article.url,
                    authors=list(article.authors), wire=list(article.wire), script=article.script,
                    language=article.language, normalized=text, offsets=offsets, template=template_hash,
                )
                if out.full():
                    yield out.flush()
        yield from out.drain()

    return run


# -- the job ------------------------------------------------------------------------------


def read_df(spark, inputs: Inputs, *, max_bytes: int = DEFAULT_MAX_BYTES, partitions: int | None = None):
    """Every capture and reject of the inputs as one DataFrame of READ rows."""
    from pyspark.sql import functions as F

    parallel = spark.sparkContext.defaultParallelism
    frames = []
    if inputs.files:
        n = partitions or max(parallel, -(-len(inputs.files) // FILES_PER_PARTITION))
        n = max(1, min(n, len(inputs.files)))
        # parallelize slices the list into contiguous ranges: partition i holds files in ingest order
        files = spark.sparkContext.parallelize(list(enumerate(inputs.files)), n)
        frames.append(spark.createDataFrame(files, "file long, path string").mapInArrow(read_files(max_bytes), READ.ddl))
    if inputs.remote:
        blobs = (spark.read.format("binaryFile").option("recursiveFileLookup", "true").load(inputs.remote)
                 .select("path", "length", "content"))
        # ``file`` orders the records of one file and the versions of one source,
        # which never spans two files: a hash of the path is number enough.
        blobs = blobs.withColumn("file", F.xxhash64("path"))
        if partitions:
            blobs = blobs.repartition(partitions)
        frames.append(blobs.mapInArrow(read_blobs(max_bytes), READ.ddl))
    if not frames:
        return spark.createDataFrame([], READ.ddl)
    out = frames[0]
    for frame in frames[1:]:
        out = out.unionByName(frame)
    return out


def learn_templates(spark, captures, sample: int = TEMPLATE_SAMPLE) -> list[dict]:
    """Each outlet key's template, learnt from its current captures with the ``sample``
    smallest sha256 (then id), as ``archive.outlet_sample`` picks them."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    cur = captures.where("current AND outlet_key IS NOT NULL")
    ranked = cur.withColumn("_r", F.row_number().over(Window.partitionBy("outlet_key").orderBy("sha256", "id")))
    picked = ranked.where(F.col("_r") <= sample).select("id", "sha256", "outlet_key", *DOC_COLUMNS)
    learnt = picked.groupBy("outlet_key").applyInPandas(learn_group, TEMPLATES.ddl)
    return sorted((r.asDict() for r in learnt.collect()), key=lambda r: r["outlet_key"])


def run(spark, inputs: Inputs, out: str, *, max_bytes: int = DEFAULT_MAX_BYTES,
        partitions: int | None = None) -> dict[str, int]:
    """Write the captures, rejects, templates and articles tables of ``inputs`` into ``out``."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    from wiretrace.spark.metrics import Clock

    clock = Clock(spark)
    base = out.rstrip("/")
    read = read_df(spark, inputs, max_bytes=max_bytes, partitions=partitions).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        read.where(F.col("reason").isNull()).drop("reason").write.mode("overwrite").parquet(f"{base}/captures")
        read_rejects = read.where(F.col("reason").isNotNull()).select("source", "reason")
        read_rejects = read_rejects.localCheckpoint(eager=True)
    finally:
        read.unpersist()
    clock.lap("read")
    captures = spark.read.parquet(f"{base}/captures")

    templates = learn_templates(spark, captures)
    clock.lap("templates")
    spark.createDataFrame(templates, TEMPLATES.ddl).coalesce(1).write.mode("overwrite").parquet(f"{base}/templates")
    known = spark.sparkContext.broadcast({t["outlet_key"]: (t["body"], t["hash"]) for t in templates})

    current = captures.where("current").select("id", "outlet_key", *DOC_COLUMNS)
    extracted = current.mapInArrow(extract_captures(known), EXTRACTED.ddl).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        extracted.where(F.col("reason").isNull()).drop("reason").write.mode("overwrite").parquet(f"{base}/articles")
        failed = extracted.where(F.col("reason").isNotNull()).select(F.col("path").alias("source"), "reason")
        driver = spark.createDataFrame([(r.source, r.reason) for r in inputs.rejects], "source string, reason string")
        rejects = driver.unionByName(read_rejects).unionByName(failed).distinct()
        rejects.coalesce(1).write.mode("overwrite").parquet(f"{base}/rejects")
    finally:
        extracted.unpersist()
        known.unpersist()
    clock.lap("extract")
    counts: dict[str, Any] = {
        t: spark.read.parquet(f"{base}/{t}").count() for t in ("captures", "rejects", "templates", "articles")
    }
    counts.update(clock.report())
    return counts
