"""Records to and from the rows the archive stores, without SQL: pure, so ingest's workers
and the Spark engine make rows that the writer only inserts, and every reader decodes
them one way."""

from __future__ import annotations

import json
import sqlite3
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, NamedTuple

import numpy as np

from wiretrace.compression import compress
from wiretrace.model import Article, RawDocument


@dataclass(frozen=True)
class StoredCapture:
    """A capture row as the pipelines need it."""

    id: str
    source: str
    sha256: str
    outlet_key: str | None


# (second, its ISO form) of ``now_iso``'s last call, replaced whole so threads see one or the other
_now: tuple[int, str] = (-1, "")


def now_iso() -> str:
    """The current UTC time to the second (a capture's ``ingested_at``, a reject's ``seen_at``).
    The text is made once a second: ``isoformat`` took 3.6 us a call, and the store pass's
    writer, the busiest process of that pass, called it for every capture."""
    global _now
    second = int(time.time())  # floored, as ``datetime.now`` truncated to the second is
    if second != _now[0]:
        _now = (second, datetime.fromtimestamp(second, timezone.utc).isoformat(timespec="seconds"))
    return _now[1]


def meta_json(meta: dict[str, Any]) -> str:
    """A capture's ``meta`` as the archive stores it (and as extraction reads it back)."""
    return json.dumps(meta, ensure_ascii=False, default=str, sort_keys=True)


def warnings_json(warnings: Iterable[str]) -> str:
    return json.dumps(list(warnings), ensure_ascii=False)


class CaptureRow(NamedTuple):
    """A capture as the archive stores it: raw bytes and content compressed, meta as JSON."""

    id: str
    source: str
    sha256: str
    size: int  # of the raw bytes
    data: bytes  # the raw bytes, compressed (wiretrace.compression)
    format: str
    encoding: str
    content_type: str
    content: bytes  # the decoded content, UTF-8 and compressed
    meta: str
    warnings: str
    outlet_key: str | None


def capture_row(doc: RawDocument, capture_id: str, outlet_key: str | None) -> CaptureRow:
    """A capture made ready to store: pure, so ingest's workers make it (the two
    compressions are most of storing a capture) and the archive only inserts it."""
    return CaptureRow(
        capture_id, doc.source, doc.sha256, len(doc.data), compress(doc.data), doc.format,
        doc.encoding, doc.content_type, compress(doc.content.encode("utf-8")),
        meta_json(doc.meta), warnings_json(doc.warnings), outlet_key,
    )


def stored_document(
    source: str, data: bytes, format: str, encoding: str, content: str, content_type: str,
    meta: str, warnings: str,
) -> RawDocument:
    """The RawDocument of a stored capture: its JSON columns decoded. Extraction
    always reads this form (a re-extraction reads it from the archive), so an
    engine that extracts elsewhere (Spark) goes through it too and sees the same
    ``meta`` values."""
    return RawDocument(
        source=source, data=data, format=format, encoding=encoding, content=content,
        content_type=content_type, meta=json.loads(meta), warnings=tuple(json.loads(warnings)),
    )


def evidence_json(evidence: dict) -> str:
    """A relation's evidence as the archive stores it."""
    return json.dumps(evidence, separators=(",", ":"))


def normalized_of(row: sqlite3.Row):
    from wiretrace.normalize import Normalized

    return Normalized(row["normalized"], unpack_offsets(row["offsets"]))


# An offset map is stored as its steps (each entry less the one before it), compressed: a body
# maps mostly one char to one, so the steps are nearly all 1. On the synthetic corpus that is 58
# bytes an article against 917 for the entries compressed, and a third of the time to compress
# in the writer. Archives written before 2026-11-25 hold the entries compressed; a zlib stream
# never begins with _STEPS (the low four bits of its first byte are 8, "deflate"), so both read.
_STEPS = b"D"


def pack_offsets(offsets) -> bytes:
    """An offset map (int32 LE bytes, or its entries) as the archive stores it, and as
    ``put_article`` takes it: made where the article is extracted (ingest's workers), so the
    writer neither compresses it nor receives the ~6 KB of entries of an article."""
    entries = np.frombuffer(offsets, "<i4") if isinstance(offsets, bytes) else np.asarray(offsets, "<i4")
    steps = entries.copy()  # np.diff(prepend=0) broadcast its prepend: half of this function
    steps[1:] -= entries[:-1]
    return _STEPS + zlib.compress(steps.tobytes(), 1)


def is_packed(offsets: bytes) -> bool:
    """Whether an offset map is in the form ``pack_offsets`` makes (what ``put_article`` takes)."""
    return offsets[:1] == _STEPS


def unpack_offsets(blob: bytes) -> np.ndarray:
    """A stored offset map as a read-only int32 array (either form, see ``_STEPS``)."""
    if blob[:1] != _STEPS:
        return np.frombuffer(zlib.decompress(blob), "<i4")
    entries = np.cumsum(np.frombuffer(zlib.decompress(blob[1:]), "<i4"), dtype="<i4")
    entries.flags.writeable = False
    return entries


def article_of(row: sqlite3.Row) -> Article:
    return Article(
        id=row["id"],
        path=row["source"],
        title=row["title"],
        body=row["body"],
        published=row["published"],
        outlet=row["outlet"],
        url=row["url"],
        authors=json.loads(row["authors"]),
        wire=json.loads(row["wire"]),
        script=row["script"],
        language=row["language"],
    )
