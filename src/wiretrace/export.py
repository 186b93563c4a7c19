"""Export the archive as JSON Lines, Parquet or CSV (schema: docs/export.md).

Records stream from the archive in batches, so an export of millions of
articles holds one batch in memory. The same field names as the CLI's JSON.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from wiretrace.archive import Archive
from wiretrace.errors import UsageError

WHAT = ("articles", "relations", "stories")
FORMATS = ("jsonl", "parquet", "csv")

# Rows per Parquet row group / write batch: large enough for columnar
# compression to pay, small enough to keep memory flat on big archives.
BATCH = 10_000


def _schemas():
    import pyarrow as pa

    span = pa.list_(pa.int64())
    return {
        "articles": pa.schema([
            ("id", pa.string()), ("path", pa.string()), ("outlet", pa.string()), ("title", pa.string()),
            ("published", pa.string()), ("url", pa.string()), ("authors", pa.list_(pa.string())),
            ("wire", pa.list_(pa.string())), ("script", pa.string()), ("language", pa.string()),
            ("body", pa.string()), ("sha256", pa.string()), ("format", pa.string()),
            ("encoding", pa.string()), ("previous", pa.string()), ("current", pa.bool_()),
            ("cluster", pa.string()),
        ]),
        "relations": pa.schema([
            ("a", pa.string()), ("b", pa.string()), ("relation", pa.string()),
            ("a_in_b", pa.float64()), ("b_in_a", pa.float64()),
            ("passages", pa.list_(pa.struct([("a", span), ("b", span), ("similarity", pa.float64())]))),
            ("only_a", pa.list_(span)), ("only_b", pa.list_(span)),
        ]),
        "stories": pa.schema([
            ("id", pa.string()), ("title", pa.string()), ("source", pa.string()),
            ("fullest", pa.string()), ("earliest", pa.string()), ("articles", pa.list_(pa.string())),
            ("outlets", pa.list_(pa.string())), ("size", pa.int64()),
            ("first_published", pa.string()), ("last_published", pa.string()),
        ]),
    }


def records(archive: Archive, what: str) -> Iterator[dict[str, Any]]:
    if what == "articles":
        yield from archive.article_records()
    elif what == "relations":
        for r in archive.relations():
            ev = r.pop("evidence")
            r["passages"] = [{"a": p[0], "b": p[1], "similarity": p[2]} for p in ev["passages"]]
            r["only_a"], r["only_b"] = ev["only_a"], ev["only_b"]
            yield r
    elif what == "stories":
        for st in archive.stories():
            first, last = st.pop("published")
            yield {**st, "first_published": first, "last_published": last}
    else:
        raise UsageError(f"cannot export {what!r}: choose one of {', '.join(WHAT)}")


def export(archive: Archive, what: str, fmt: str, out: str | os.PathLike) -> int:
    """Write every record of ``what`` to ``out``; returns how many were written.
    The file is written beside ``out`` and renamed at the end, so a failed
    export never leaves a truncated file under the name asked for."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown export format {fmt!r}: choose one of {', '.join(FORMATS)}")
    rows = records(archive, what)
    tmp = f"{out}.partial"
    try:
        n = {"jsonl": _jsonl, "parquet": _parquet, "csv": _csv}[fmt](rows, tmp, what)
        os.replace(tmp, out)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return n


def _jsonl(rows: Iterable[dict], path: str, what: str) -> int:
    n = 0
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    return n


def _parquet(rows: Iterable[dict], path: str, what: str) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = _schemas()[what]
    n = 0
    rows = iter(rows)
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        while batch := list(islice(rows, BATCH)):
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            n += len(batch)
    return n


def _csv(rows: Iterable[dict], path: str, what: str) -> int:
    """Lists and nested values as JSON text in their cell: CSV has no lists."""
    fields = [f.name for f in _schemas()[what]]
    n = 0
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        for row in rows:
            writer.writerow({
                k: json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v
                for k, v in row.items()
            })
            n += 1
    return n
