"""What a Spark job writes: one Parquet folder per table and a manifest, written last.

No pyspark here: ``wiretrace import`` reads an output with pyarrow alone.

    OUT/_wiretrace.json     the manifest: format, version, job, row counts per table
    OUT/captures/           one row per capture read (raw bytes included)
    OUT/rejects/            inputs that could not be used: source, reason
    OUT/templates/          each outlet's learnt template (as the archive keeps it)
    OUT/articles/           the clean articles, their matching form and offset map
    OUT/linked/             every article the link job considered: signature, keys, new
    OUT/relations/          the relations found, with their evidence JSON
    OUT/clusters/           reprint clusters: article, cluster id

The manifest is written after every table is complete, so a folder without
one is a job that failed or is still running, and ``wiretrace import`` refuses it.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from wiretrace.errors import FormatError

MANIFEST = "_wiretrace.json"
FORMAT = "wiretrace-spark-output"
VERSION = 1

# Columns each table must have (``wiretrace import`` checks them before writing anything).
COLUMNS: dict[str, tuple[str, ...]] = {
    "captures": ("id", "source", "sha256", "format", "encoding", "content_type", "content", "meta",
                 "warnings", "outlet_key", "data", "previous", "current", "file", "rec"),
    "rejects": ("source", "reason"),
    "templates": ("outlet_key", "hash", "sample", "body"),
    "articles": ("id", "path", "title", "body", "published", "outlet", "url", "authors", "wire",
                 "script", "language", "normalized", "offsets", "template"),
    "linked": ("article", "signature", "keys", "new"),
    "relations": ("a", "b", "relation", "a_in_b", "b_in_a", "evidence"),
    "clusters": ("article", "cluster"),
}

# What each job writes.
JOB_TABLES = {
    "ingest": ("captures", "rejects", "templates", "articles"),
    "link": ("linked", "relations", "clusters"),
    # the archive's articles exported for a Spark link job (``wiretrace link --engine spark``)
    "link-input": ("articles",),
}


def is_local(path: str | os.PathLike) -> bool:
    """A path on this machine (a plain path or a file: URI), not hdfs://, s3a://..."""
    scheme = urlparse(str(path)).scheme
    return scheme in ("", "file") or (len(scheme) == 1 and os.name == "nt")


def local_path(path: str | os.PathLike) -> Path:
    text = str(path)
    return Path(urlparse(text).path if text.startswith("file:") else text)


def manifest(job: str, counts: dict[str, int], **extra: Any) -> dict[str, Any]:
    from wiretrace import __version__

    return {
        "format": FORMAT, "version": VERSION, "job": job, "tables": counts,
        "wiretrace": __version__, "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        **extra,
    }


def read_manifest(out: str | os.PathLike) -> dict[str, Any]:
    """The manifest of a local output folder, or FormatError naming the folder and the reason."""
    if not is_local(out):
        raise FormatError(f"{out}: only a folder on this machine can be imported; copy it here first "
                          "(hdfs dfs -get, aws s3 cp --recursive)")
    root = local_path(out)
    if not root.is_dir():
        why = "no such folder" if not root.exists() else "not a folder"
        raise FormatError(f"{root} is not a wiretrace Spark output: {why}")
    path = root / MANIFEST
    if not path.is_file():
        raise FormatError(
            f"{root} is not a wiretrace Spark output: it has no {MANIFEST} (the job may have failed "
            "or still be running; the manifest is written last)"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"{root} is not a wiretrace Spark output: cannot read {MANIFEST}: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise FormatError(f"{root} is not a wiretrace Spark output: {MANIFEST} does not say format {FORMAT!r}")
    if not isinstance(data.get("version"), int) or data["version"] > VERSION:
        raise FormatError(
            f"{root}: written by a newer wiretrace (output version {data.get('version')!r}, this one reads "
            f"up to {VERSION}): upgrade wiretrace"
        )
    if data.get("job") not in JOB_TABLES or not isinstance(data.get("tables"), dict):
        raise FormatError(f"{root} is not a wiretrace Spark output: {MANIFEST} names no known job")
    for table in data["tables"]:
        if table not in COLUMNS:
            raise FormatError(f"{root}: {MANIFEST} lists an unknown table {table!r}")
    return data


def table_files(out: str | os.PathLike, table: str) -> list[Path]:
    """The Parquet files of one table, in name order (Spark's part files)."""
    folder = local_path(out) / table
    if not folder.is_dir():
        raise FormatError(f"{local_path(out)} is not a complete wiretrace Spark output: table {table!r} is missing")
    return sorted(p for p in folder.iterdir() if p.suffix == ".parquet" and not p.name.startswith((".", "_")))


def write_manifest(out: str, data: dict[str, Any], spark=None) -> None:
    """Write the manifest (last), on this machine or through Spark's Hadoop file system."""
    text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    if is_local(out):
        path = local_path(out) / MANIFEST
        tmp = path.with_suffix(".partial")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
        return
    if spark is None:
        raise FormatError(f"{out}: writing a manifest outside this machine needs a Spark session")
    jvm = spark.sparkContext._jvm
    target = jvm.org.apache.hadoop.fs.Path(out.rstrip("/") + "/" + MANIFEST)
    fs = target.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    stream = fs.create(target, True)
    try:
        stream.write(bytearray(text.encode("utf-8")))
    finally:
        stream.close()


def remove_manifest(out: str, spark=None) -> None:
    """Before a job writes into ``out``: a stale manifest must not bless half-written tables."""
    if is_local(out):
        path = local_path(out) / MANIFEST
        if path.exists():
            path.unlink()
        return
    if spark is not None:
        jvm = spark.sparkContext._jvm
        target = jvm.org.apache.hadoop.fs.Path(out.rstrip("/") + "/" + MANIFEST)
        fs = target.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
        if fs.exists(target):
            fs.delete(target, False)
