"""The archive: one SQLite file holding every capture, its article and the links.

This package is the only place that writes SQL. Stages (readers, extract, normalize,
link) are plain functions; the pipelines in ``ingest`` and ``linking`` call the
storage methods of its modules, and ``Archive`` is the Python API the CLI is a thin
layer over.

Layout (see ``schema.MIGRATIONS`` for the columns):
- ``blob``: raw capture bytes, compressed (``wiretrace.compression``), once per sha256.
- ``capture``: one row per version of a source (path, member or record), with
  its sha256, sniffed format and encoding, reader metadata and warnings;
  ``previous`` links a changed file to its earlier version, ``current`` marks
  the newest one.
- ``article``: the clean article extracted from a capture, and its matching
  form with the offset map.
- ``reject``: inputs that could not be used, with a reason a person understands.
- ``template``: each outlet's learnt chrome, and which sample it was learnt from.
- ``search``: a trigram index of the matching forms of titles and bodies; it stores no
  text of its own (``search_doc`` holds the titles' forms, ``article`` the bodies').

The database runs in WAL mode so readers (the web UI) work while an ingest writes.

Modules: ``core`` (``Archive``: opening, the public API, captures, articles, search),
``schema`` (the migrations), ``links`` (``LinkStore``: the linking tables), ``stories``
(``StoryStore``: the story tables) and ``rows`` (records to and from their stored form,
without SQL, so that workers and the Spark engine make rows the writer only inserts).
"""

from wiretrace.archive.core import DEFAULT_DB, ENGINES, Archive, resolve_db
from wiretrace.archive.links import LinkStore
from wiretrace.archive.rows import (
    CaptureRow, StoredCapture, capture_row, evidence_json, meta_json, pack_offsets, stored_document,
    unpack_offsets, warnings_json,
)
from wiretrace.archive.schema import MIGRATIONS
from wiretrace.archive.stories import StoryStore

__all__ = [
    "DEFAULT_DB", "ENGINES", "MIGRATIONS", "Archive", "CaptureRow", "LinkStore", "StoredCapture", "StoryStore",
    "capture_row", "evidence_json", "meta_json", "pack_offsets", "resolve_db", "stored_document",
    "unpack_offsets", "warnings_json",
]
