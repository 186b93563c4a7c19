"""Spark link: articles -> the linked, relations and clusters tables.

The same stages as ``wiretrace.linking``, on executors, with the same result:

1. keys: ``link.signature_and_keys`` per article (Arrow batches).
2. stop-keys: a key held by more than ``MAX_POSTINGS`` articles in all (linked
   before and new) is ignored, as the local engine ignores it (``linking._Pending``
   counts the holders of the whole run, so batches do not change the result).
   One count over the postings grouped by key.
3. candidates: postings self-joined on the key; a pair is a candidate with one
   shared band key, or ``MIN_SHARED_ANCHORS`` shared anchors, or one when either
   side has at most ``SHORT_ANCHORS`` anchors (``lsh.candidates``'s rule). Pairs of
   two already linked articles were linked before and are left out.
4. verification: each pair joined with both articles and passed to
   ``linking.relate_pair`` (``link.orient`` + ``link.relate``); the evidence JSON
   is ``linking.evidence_text``, as the archive stores it.
5. clusters: connected components of the reprint-type edges
   (``wiretrace.spark.components``), ids by ``link.cluster_id``.
"""

from __future__ import annotations

from typing import Any

from wiretrace.link.lsh import MAX_POSTINGS, MIN_SHARED_ANCHORS, SHORT_ANCHORS
from wiretrace.spark.arrow import Rows, Schema, rows

KEYS = Schema([("id", "string"), ("signature", "binary"), ("keys", "array<long>"), ("anchors", "int")])
RELATIONS = Schema([
    ("a", "string"), ("b", "string"), ("relation", "string"), ("a_in_b", "double"), ("b_in_a", "double"),
    ("evidence", "string"),
])
CLUSTERS = Schema([("article", "string"), ("cluster", "string")])
# What verification reads of each article.
ARTICLE = ["id", "title", "body", "published", "outlet", "url", "normalized", "offsets"]


# -- executor functions ---------------------------------------------------------------------


def compute_keys(batches):
    """mapInArrow: (id, normalized) -> KEYS rows."""
    import numpy as np

    from wiretrace import link

    out = Rows(KEYS, max_rows=4096)
    for batch in batches:
        for row in rows(batch, ["id", "normalized"]):
            sig, keys = link.signature_and_keys(row["normalized"])
            out.add(id=row["id"], signature=link.signature_to_bytes(sig), keys=keys.tolist(),
                    anchors=int(np.count_nonzero(keys & 1)))
            if out.full():
                yield out.flush()
    yield from out.drain()


def verify_pairs(batches):
    """mapInArrow: a candidate pair with both articles (x_*, y_* columns) -> RELATIONS rows."""
    import numpy as np

    from wiretrace.linking import relate_pair, relation_row
    from wiretrace.model import ArticleText
    from wiretrace.normalize import Normalized

    names = [f"{side}_{c}" for side in "xy" for c in ARTICLE]
    out = Rows(RELATIONS)
    for batch in batches:
        for row in rows(batch, names):
            loaded = {}
            for side in "xy":
                v = {c: row[f"{side}_{c}"] for c in ARTICLE}
                article = ArticleText(v["id"], v["title"], v["body"], v["published"], v["outlet"], v["url"])
                loaded[v["id"]] = (article, Normalized(v["normalized"], np.frombuffer(v["offsets"], dtype="<i4")))
            stored = relation_row(relate_pair(None, row["x_id"], row["y_id"], loaded.__getitem__))
            if stored is None:
                continue
            out.add(**dict(zip(RELATIONS.names, stored)))
            if out.full():
                yield out.flush()
    yield from out.drain()


def name_clusters(batches):
    """mapInArrow: (article, root) -> CLUSTERS rows; the root is the smallest member,
    so ``cluster_id([root])`` is the id of the whole cluster."""
    from wiretrace.link import cluster_id

    out = Rows(CLUSTERS, max_rows=8192)
    for batch in batches:
        for row in rows(batch, ["article", "root"]):
            out.add(article=row["article"], cluster=cluster_id([row["root"]]))
            if out.full():
                yield out.flush()
    yield from out.drain()


# -- the job ----------------------------------------------------------------------------------


def with_normalized(articles):
    """Articles with their matching form: as stored when the input has it, else
    ``normalize.matching_form`` of the body (an ``wiretrace export`` Parquet)."""
    if {"normalized", "offsets"} <= set(articles.columns):
        return articles
    return articles.mapInArrow(_normalize, _normalized_schema(articles))


def _normalized_schema(articles):
    from pyspark.sql.types import BinaryType, StringType, StructField, StructType

    return StructType([*articles.schema.fields, StructField("normalized", StringType()),
                       StructField("offsets", BinaryType())])


def _normalize(batches):
    import pyarrow as pa

    from wiretrace.ingest import offsets_bytes
    from wiretrace.normalize import matching_form

    for batch in batches:
        forms = [matching_form(b or "") for b in batch.column(batch.schema.get_field_index("body")).to_pylist()]
        yield pa.RecordBatch.from_arrays(
            [*batch.columns, pa.array([f.text for f in forms], pa.string()),
             pa.array([offsets_bytes(f.offsets) for f in forms], pa.binary())],
            names=[*batch.schema.names, "normalized", "offsets"],
        )


def index(spark, frame, order):
    """``frame`` with ``idx``: its rank 0..n-1 in ``order``, computed without moving
    every row to one partition (a sort, then each partition's offset)."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    ranked = (frame.orderBy(*order)
              .withColumn("_p", F.spark_partition_id())
              .withColumn("_m", F.monotonically_increasing_id())
              .persist(StorageLevel.MEMORY_AND_DISK))
    counts = sorted((r["_p"], r["count"]) for r in ranked.groupBy("_p").count().collect())
    offsets, total = [], 0
    for p, c in counts:
        offsets.append((p, total))
        total += c
    starts = spark.createDataFrame(offsets, "_p int, _start long")
    # monotonically_increasing_id is (partition << 33) + row number in the partition
    out = (ranked.join(F.broadcast(starts), "_p")
           .withColumn("idx", F.col("_m") - F.shiftleft(F.col("_p").cast("long"), 33) + F.col("_start"))
           .drop("_p", "_m", "_start"))
    return out, ranked


def candidates(spark, docs, *, max_postings: int = MAX_POSTINGS,
               min_anchors: int = MIN_SHARED_ANCHORS, short_anchors: int = SHORT_ANCHORS):
    """Candidate pairs (x, y: idx, x < y) of ``docs`` (idx, linked, keys, anchors)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    post = docs.select(F.explode("keys").alias("key"), "idx", "linked")
    held = Window.partitionBy("key")
    post = (post.withColumn("_n", F.count(F.lit(1)).over(held))
                .where((F.col("_n") >= 2) & (F.col("_n") <= max_postings))
                .select("key", "idx", "linked"))
    anchor = F.col("key").bitwiseAND(F.lit(1))  # lsh: anchor keys are odd, band keys even
    x = post.select("key", F.col("idx").alias("x"), F.col("linked").alias("xl"))
    y = post.select("key", F.col("idx").alias("y"), F.col("linked").alias("yl"))
    shared = (x.join(y, "key").where((F.col("x") < F.col("y")) & ~(F.col("xl") & F.col("yl")))
               .groupBy("x", "y")
               .agg(F.sum(F.lit(1) - anchor).alias("bands"), F.sum(anchor).alias("anchors")))
    counts = docs.select("idx", "anchors")
    shared = (shared.join(counts.select(F.col("idx").alias("x"), F.col("anchors").alias("ax")), "x")
                    .join(counts.select(F.col("idx").alias("y"), F.col("anchors").alias("ay")), "y"))
    short = F.least("ax", "ay") <= short_anchors
    keep = (F.col("bands") >= 1) | (F.col("anchors") >= min_anchors) | ((F.col("anchors") >= 1) & short)
    return shared.where(keep).select("x", "y")


def tables(spark, articles, *, max_postings: int = MAX_POSTINGS):
    """The linked and relations DataFrames of ``articles`` (ARTICLE columns,
    optionally ``linked``: already linked in the archive), lazily (candidate pairs
    and keyed articles are persisted: the caller unpersists ``_pairs`` and ``_docs``)."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    articles = with_normalized(articles)
    if "linked" not in articles.columns:
        articles = articles.withColumn("linked", F.lit(False))
    articles = articles.select(*ARTICLE, F.coalesce("linked", F.lit(False)).alias("linked"))

    # Integer ids for the self-join of the postings, computed on the ids alone (a slim sort).
    indexed, ranked = index(spark, articles.select("id", "linked"), [F.col("id")])
    keyed = articles.select("id", "normalized").mapInArrow(compute_keys, KEYS.ddl)
    docs = keyed.join(indexed, "id").persist(StorageLevel.MEMORY_AND_DISK)
    docs.count()
    ranked.unpersist()

    pairs = candidates(spark, docs, max_postings=max_postings).persist(StorageLevel.MEMORY_AND_DISK)
    ids = docs.select("idx", "id")
    body = articles.join(ids, "id")
    side = lambda s: body.select(*(F.col(c).alias(f"{s}_{c}") for c in ["idx", *ARTICLE]))  # noqa: E731
    joined = (pairs.join(side("x"), F.col("x") == F.col("x_idx"))
                   .join(side("y"), F.col("y") == F.col("y_idx")))
    relations = joined.select(*(f"{s}_{c}" for s in "xy" for c in ARTICLE)).mapInArrow(verify_pairs, RELATIONS.ddl)

    linked = docs.select(F.col("id").alias("article"), "signature", "keys", (~F.col("linked")).alias("new"))
    return {"linked": linked, "relations": relations, "_pairs": pairs, "_docs": docs}


def clusters(relations, edges=None):
    """CLUSTERS rows: the components of the reprint-type relations (and of the
    stored ``edges``), named by ``link.cluster_id``."""
    from pyspark.sql import functions as F

    from wiretrace.link import REPRINT_TYPES
    from wiretrace.spark.components import components

    reprints = relations.where(F.col("relation").isin(*sorted(REPRINT_TYPES))).select("a", "b")
    if edges is not None:
        reprints = reprints.unionByName(edges.where(F.col("relation").isin(*sorted(REPRINT_TYPES))).select("a", "b"))
    roots = components(reprints.select(F.col("a").alias("u"), F.col("b").alias("v")))
    return roots.select(F.col("node").alias("article"), "root").mapInArrow(name_clusters, CLUSTERS.ddl)


def run(spark, articles, out: str, *, edges=None, max_postings: int = MAX_POSTINGS) -> dict[str, Any]:
    """Write the linked, relations and clusters tables of ``articles`` into ``out``;
    returns row counts, ``candidates``, ``new`` (articles linked now),
    ``cluster_ids`` and the cost of each step (``seconds``, ``task_seconds``, ``shuffle_bytes``)."""
    from wiretrace.spark.metrics import Clock

    base = out.rstrip("/")
    clock = Clock(spark)
    made = tables(spark, articles, max_postings=max_postings)
    clock.lap("keys")
    try:
        counts: dict[str, Any] = {"candidates": made["_pairs"].count()}
        clock.lap("candidates")
        made["relations"].write.mode("overwrite").parquet(f"{base}/relations")
        clock.lap("verify")
        clusters(spark.read.parquet(f"{base}/relations"), edges).write.mode("overwrite").parquet(f"{base}/clusters")
        clock.lap("clusters")
        made["linked"].write.mode("overwrite").parquet(f"{base}/linked")
        clock.lap("write")
        counts.update({t: spark.read.parquet(f"{base}/{t}").count() for t in ("linked", "relations", "clusters")})
        counts["new"] = spark.read.parquet(f"{base}/linked").where("new").count()
        counts["cluster_ids"] = spark.read.parquet(f"{base}/clusters").select("cluster").distinct().count()
    finally:
        for name in ("_pairs", "_docs"):
            made[name].unpersist()
    counts.update(clock.report())
    return counts
