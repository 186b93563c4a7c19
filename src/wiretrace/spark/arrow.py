"""Rows in and out of the Python stage functions as Arrow record batches.

A job's Python step is a ``mapInArrow`` function: it gets record batches of
its partition and yields record batches of the output schema. ``Schema``
keeps one description of each output (Spark DDL and the pyarrow schema agree);
``Rows`` collects output rows and cuts a batch every so many rows or bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

_TYPES = {
    "string": "string", "long": "int64", "int": "int32", "double": "float64", "boolean": "bool",
    "binary": "binary", "array<string>": "list<string>", "array<long>": "list<int64>",
}


class Schema:
    def __init__(self, fields: list[tuple[str, str]]):
        for _, kind in fields:
            if kind not in _TYPES:
                raise ValueError(f"unknown column type {kind!r}")
        self.fields = fields
        self.names = [name for name, _ in fields]

    @property
    def ddl(self) -> str:
        return ", ".join(f"`{name}` {kind}" for name, kind in self.fields)

    def arrow(self):
        import pyarrow as pa

        conv = {
            "string": pa.string(), "long": pa.int64(), "int": pa.int32(), "double": pa.float64(),
            "boolean": pa.bool_(), "binary": pa.binary(), "array<string>": pa.list_(pa.string()),
            "array<long>": pa.list_(pa.int64()),
        }
        return pa.schema([(name, conv[kind]) for name, kind in self.fields])


class Rows:
    """Output rows of one partition, flushed as record batches."""

    def __init__(self, schema: Schema, max_rows: int = 512, max_bytes: int = 32 << 20):
        self.schema = schema
        self._arrow = schema.arrow()
        self.max_rows, self.max_bytes = max_rows, max_bytes
        self._cols: dict[str, list[Any]] = {n: [] for n in schema.names}
        self._n = 0
        self._bytes = 0

    def add(self, **row: Any) -> None:
        for name in self.schema.names:
            value = row.get(name)
            self._cols[name].append(value)
            if isinstance(value, (bytes, str)):
                self._bytes += len(value)
        self._n += 1

    def full(self) -> bool:
        return self._n >= self.max_rows or self._bytes >= self.max_bytes

    def __len__(self) -> int:
        return self._n

    def flush(self):
        import pyarrow as pa

        batch = pa.RecordBatch.from_pydict(self._cols, schema=self._arrow)
        self._cols = {n: [] for n in self.schema.names}
        self._n = self._bytes = 0
        return batch

    def drain(self) -> Iterator[Any]:
        if self._n:
            yield self.flush()


def pylist(batch, name: str) -> list[Any]:
    return batch.column(batch.schema.get_field_index(name)).to_pylist()


def rows(batch, names: list[str]) -> Iterator[dict[str, Any]]:
    """The rows of a record batch as dicts of the named columns."""
    cols = [pylist(batch, n) for n in names]
    for values in zip(*cols):
        yield dict(zip(names, values))
