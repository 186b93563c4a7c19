"""The archive: one SQLite file holding every capture, its article and the links.

This is the only module that writes SQL. Stages (readers, extract, normalize,
link) are plain functions; the pipelines in ``ingest`` and ``linking`` call the
storage methods below, and ``Archive`` is the Python API the CLI is a thin
layer over.

Layout (see ``SCHEMA`` for the columns):
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
"""

from __future__ import annotations

import itertools
import json
import os
import sqlite3
import zlib
from contextlib import contextmanager
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from wiretrace.compression import compress, decompress
from wiretrace.errors import ArchiveError, NotFound, SearchUnavailable
from wiretrace.model import Article, ArticleText, RawDocument, Reject
from wiretrace.progress import Progress, Quiet

if TYPE_CHECKING:
    from wiretrace.link.postings import Postings

DEFAULT_DB = "wiretrace.db"

# Each entry moves the schema from version i to i+1. Never edit a shipped
# entry: add a new one, so archives made by older versions upgrade in place.
MIGRATIONS: list[str] = [
    # 0 -> 1: captures, articles, rejects, templates
    """
    CREATE TABLE blob (
        sha256 TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        data BLOB NOT NULL                 -- zlib-compressed raw bytes
    );
    CREATE TABLE capture (
        id TEXT PRIMARY KEY,               -- model.article_id(source, sha256)
        source TEXT NOT NULL,
        sha256 TEXT NOT NULL REFERENCES blob(sha256),
        format TEXT NOT NULL,
        encoding TEXT NOT NULL,
        content_type TEXT NOT NULL,
        content BLOB NOT NULL,             -- zlib-compressed decoded payload the extractor reads
        meta TEXT NOT NULL,                -- JSON
        warnings TEXT NOT NULL,            -- JSON list
        outlet_key TEXT,
        ingested_at TEXT NOT NULL,
        previous TEXT REFERENCES capture(id),
        current INTEGER NOT NULL DEFAULT 1,
        UNIQUE (source, sha256)
    );
    CREATE INDEX capture_source ON capture(source);
    CREATE INDEX capture_outlet ON capture(outlet_key, id);
    CREATE TABLE article (
        id TEXT PRIMARY KEY REFERENCES capture(id),
        title TEXT,
        body TEXT NOT NULL,
        published TEXT,
        outlet TEXT,
        url TEXT,
        authors TEXT NOT NULL,             -- JSON list
        wire TEXT NOT NULL,                -- JSON list
        script TEXT,
        language TEXT,
        normalized TEXT NOT NULL,          -- the matching form
        offsets BLOB NOT NULL,             -- offset map into body (``pack_offsets``)
        template TEXT                      -- hash of the outlet template used, or NULL
    );
    CREATE TABLE reject (
        source TEXT NOT NULL,
        reason TEXT NOT NULL,
        seen_at TEXT NOT NULL,
        PRIMARY KEY (source, reason)
    );
    CREATE TABLE template (
        outlet_key TEXT PRIMARY KEY,
        hash TEXT NOT NULL,
        sample TEXT NOT NULL,              -- hash of the capture ids it was learnt from
        body TEXT NOT NULL                 -- Template.to_json()
    );
    """,
    # 1 -> 2: linking. Signatures and the inverted index live here so linking is
    # incremental: a new article is looked up against the stored keys.
    """
    CREATE TABLE linked (
        article TEXT PRIMARY KEY REFERENCES article(id),
        signature BLOB NOT NULL            -- MinHash signature, uint32 little-endian
    );
    CREATE TABLE link_key (
        key INTEGER NOT NULL,              -- band or anchor key (wiretrace.link.lsh)
        article TEXT NOT NULL REFERENCES article(id)
    );
    CREATE INDEX link_key_key ON link_key(key);
    CREATE INDEX link_key_article ON link_key(article);
    CREATE TABLE relation (
        a TEXT NOT NULL REFERENCES article(id),   -- the earlier article
        b TEXT NOT NULL REFERENCES article(id),
        relation TEXT NOT NULL,
        a_in_b REAL NOT NULL,
        b_in_a REAL NOT NULL,
        evidence TEXT NOT NULL,            -- JSON: passages, only_a, only_b
        PRIMARY KEY (a, b)
    );
    CREATE INDEX relation_b ON relation(b);
    CREATE TABLE cluster_member (
        article TEXT PRIMARY KEY REFERENCES article(id),
        cluster TEXT NOT NULL
    );
    CREATE INDEX cluster_member_cluster ON cluster_member(cluster);
    """,
    # 2 -> 3: stories. Event features are the costly part (jieba), computed once
    # per article; stories and their provenance summary are recomputed from them.
    """
    CREATE TABLE story_features (
        article TEXT PRIMARY KEY REFERENCES article(id),
        features TEXT NOT NULL             -- JSON: words (title x3 + body), entities, figures
    );
    CREATE TABLE story (
        id TEXT PRIMARY KEY,               -- stories.story_id: 's' + sha256(smallest member)
        members TEXT NOT NULL,             -- hash of the sorted member ids (provenance is redone when it changes)
        title TEXT,
        source TEXT,                       -- credited wire agency (simplified script) or NULL
        fullest TEXT NOT NULL,
        earliest TEXT NOT NULL,
        first_published TEXT,              -- as written by the member
        last_published TEXT,
        first_utc TEXT,                    -- the same instants in UTC, for sorting and filters
        last_utc TEXT,
        size INTEGER NOT NULL,
        outlets TEXT NOT NULL,             -- JSON list of member outlets, sorted
        record BLOB NOT NULL               -- zlib JSON: the whole `wiretrace story` record
    );
    CREATE INDEX story_last ON story(last_utc);
    CREATE TABLE story_member (
        article TEXT PRIMARY KEY REFERENCES article(id),
        story TEXT NOT NULL REFERENCES story(id)
    );
    CREATE INDEX story_member_story ON story_member(story);
    -- search: the matching form of title and body (one script, folded), so a
    -- simplified query finds traditional text; trigram tokens suit Chinese,
    -- which has no spaces. search.rowid = search_doc.rowid.
    CREATE TABLE search_doc (
        rowid INTEGER PRIMARY KEY,
        article TEXT UNIQUE NOT NULL REFERENCES article(id)
    );
    CREATE VIRTUAL TABLE search USING fts5(title, body, tokenize='trigram');
    """,
    # 3 -> 4: the LSH index as sorted segments (wiretrace.link.postings) instead of a row
    # per (key, article): rows cost a write and an index entry each and a query per key, the
    # wall of linking a large archive. Linked articles get an integer handle, never reused
    # (AUTOINCREMENT), so a posting is two integers and a stale one is recognisable.
    """
    ALTER TABLE linked RENAME TO linked_v3;
    CREATE TABLE linked (
        handle INTEGER PRIMARY KEY AUTOINCREMENT,
        article TEXT UNIQUE NOT NULL REFERENCES article(id),
        signature BLOB NOT NULL,           -- MinHash signature, uint32 little-endian
        anchors INTEGER NOT NULL           -- how many of its keys are anchor keys
    );
    CREATE TABLE link_segment (
        id INTEGER PRIMARY KEY,
        size INTEGER NOT NULL,             -- postings held
        keys BLOB NOT NULL,                -- int64 little-endian, ascending
        holders BLOB NOT NULL              -- int64 little-endian linked.handle, parallel to keys
    );
    INSERT INTO linked (article, signature, anchors)
        SELECT l.article, l.signature,
               (SELECT count(*) FROM link_key k WHERE k.article = l.article AND (k.key & 1) = 1)
        FROM linked_v3 l ORDER BY l.article;
    """,
    # 4 -> 5: the search index keeps no copy of the texts and no positions. Its own copy of
    # every matching form and the trigram positions were 8.7 KB an article, 40 % of an
    # archive; the body's matching form is already in `article`, the title's now sits in
    # search_doc, and the index reads both through search_text. Without positions FTS5 has
    # no phrase queries: a word is found as all of its trigrams, then checked with instr.
    """
    DROP TABLE search;
    ALTER TABLE search_doc ADD COLUMN title TEXT NOT NULL DEFAULT '';  -- the title's matching form
    CREATE VIEW search_text AS
        SELECT d.rowid AS rowid, d.title AS title, a.normalized AS body
        FROM search_doc d JOIN article a ON a.id = d.article;
    CREATE VIRTUAL TABLE search USING fts5(
        title, body, tokenize='trigram', detail=none, content='search_text', content_rowid='rowid'
    );
    """,
    # 5 -> 6: the search index merges its segments 16 at a time, not 4 (FTS5 'automerge').
    # Merging is the part of inserting that grows with the index, and inserting is most of
    # the writer's time in ingest: a 100k extraction pass took 94.9-96.7 s against
    # 104.4-109.1 s (three runs each); 150 words of 3-5 characters answered the same, at a
    # median 0.55-0.69 ms against 0.46-0.53 ms (more segments to read).
    """
    INSERT INTO search (search, rank) VALUES ('automerge', 16);
    """,
    # 6 -> 7: an article's MinHash signature and LSH keys are made where it is extracted (the
    # workers have its matching form in hand and time to spare: the writer is the limit of
    # that pass) and wait here until it is linked. Linking had to read every new article again
    # and hash it: 255 s of a 1M link, whose 15.9 GB archive the page cache held ~6-7 GB of.
    """
    CREATE TABLE link_keys (
        article TEXT PRIMARY KEY REFERENCES article(id),
        signature BLOB NOT NULL,           -- as linked.signature
        keys BLOB NOT NULL                 -- int64 little-endian, ascending: band and anchor keys
    );
    """,
    # 7 -> 8: the search index may be built after ingest (`ingest --no-search`, then
    # `wiretrace index`): inserting into it was most of the writer's time in ingest's
    # extraction pass, which a corpus builder who never searches need not pay. The articles
    # waiting to be indexed are listed here (their search_doc rows exist, their index entries
    # do not); searching refuses while any wait, rather than answer from part of the archive.
    """
    CREATE TABLE search_pending (
        rowid INTEGER PRIMARY KEY          -- search_doc.rowid
    );
    """,
    # 8 -> 9: a capture's raw bytes and content are compressed with zstd, not zlib
    # (``wiretrace.compression``: ~4x faster to write, two thirds of a store worker's time was
    # zlib). No table changes and zlib columns still read; the version moves so that an older
    # wiretrace, which reads zlib only, refuses the archive instead of failing on a capture.
    "",
]

# Steps that need Python after their SQL (in the same transaction): filling
# what an older archive's rows imply.
def _fill_search(archive: "Archive") -> None:
    """Every article in search_doc with its title's matching form, then the index built
    from them (version 3's own copies were dropped with its table)."""
    from wiretrace.normalize import title_form

    db = archive.db
    db.execute("INSERT OR IGNORE INTO search_doc (article) SELECT id FROM article ORDER BY id")
    rows = db.execute("SELECT d.rowid, a.title FROM search_doc d JOIN article a ON a.id = d.article").fetchall()
    db.executemany("UPDATE search_doc SET title = ? WHERE rowid = ?", [(title_form(t), r) for r, t in rows])
    db.execute("INSERT INTO search (search) VALUES ('rebuild')")


def _fill_segments(archive: "Archive") -> None:
    """Version 3's link_key rows as segments of version 4, then the old tables dropped.
    Read article by article (its index) and written a segment at a time, so a large
    archive is converted without holding all its keys as Python objects."""
    from wiretrace.link import postings

    per_segment = postings.MAX_SEGMENT // 200  # articles: ~117 keys each, with room
    handle = dict(archive.db.execute("SELECT article, handle FROM linked"))
    store = LinkStore(archive)
    rows = archive.db.execute("SELECT article, key FROM link_key ORDER BY article")
    # each group read as it is reached: groupby's groups end when it moves on
    by_article = ((article, np.array([key for _, key in group], np.int64))
                  for article, group in itertools.groupby(rows, key=lambda row: row[0]))
    while chunk := list(itertools.islice(by_article, per_segment)):
        store._write(postings.segment([keys for _, keys in chunk], [handle[article] for article, _ in chunk]))
    archive.db.execute("DROP TABLE link_key")
    archive.db.execute("DROP TABLE linked_v3")


# Version 3 made the search tables empty; version 5 fills them whatever the archive held.
MIGRATION_FILLS = {4: _fill_segments, 5: _fill_search}


@dataclass(frozen=True)
class StoredCapture:
    """A capture row as the pipelines need it."""

    id: str
    source: str
    sha256: str
    outlet_key: str | None


def resolve_db(path: str | os.PathLike | None) -> Path:
    """--db, else $WIRETRACE_DB, else ./wiretrace.db (CLI.md)."""
    if path:
        return Path(path)
    env = os.environ.get("WIRETRACE_DB")
    return Path(env) if env else Path(DEFAULT_DB)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


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


WRITE_CACHE_KB = 256 * 1024  # page cache of a connection that writes (see ``Archive``)
# WAL pages written before SQLite copies them into the database (its default: 1,000). A copy
# syncs both files and blocks the writer; with ingest's batches of a few MB, the default made
# every commit one. 64 MB: a 300k store pass took 28.2 s against 35.4 (the rest unchanged).
WAL_CHECKPOINT_PAGES = 16384
SEARCH_BATCH = 5_000  # articles indexed a transaction by ``build_search``


class Archive:
    """A wiretrace archive in one SQLite file.

    >>> archive = Archive("news.db")
    >>> summary = archive.ingest(["captures/"])
    >>> for article in archive.articles(): ...
    """

    def __init__(self, path: str | os.PathLike | None = None, *, readonly: bool = False):
        self.path = resolve_db(path)
        self.readonly = readonly
        if readonly:
            if not self.path.exists():
                raise NotFound(f"no archive at {self.path}")
            uri = f"file:{self.path.resolve()}?mode=ro"
            self.db = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
        else:
            try:
                # Autocommit mode: transactions are explicit (``transaction``), so
                # the batching of the pipelines is exactly what commits.
                self.db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            except sqlite3.Error as exc:
                raise ArchiveError(f"cannot open archive {self.path}: {exc}") from exc
        self.db.row_factory = sqlite3.Row
        try:
            if not readonly:
                self.db.execute("PRAGMA journal_mode=WAL")
                # NORMAL is durable across application crashes (SIGKILL) in WAL
                # mode; only an OS crash can lose the last transactions.
                self.db.execute("PRAGMA synchronous=NORMAL")
                # A batch writes to indexes keyed by hash ids (relation, search), so its
                # pages are spread over the file: in SQLite's default 2 MB cache they were
                # spilled and re-read within the transaction (linking 300k articles spent
                # 43 s storing relations with it, 13 s with this). Taken only as used.
                self.db.execute(f"PRAGMA cache_size=-{WRITE_CACHE_KB}")
                self.db.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.execute("PRAGMA busy_timeout=10000")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise ArchiveError(f"{self.path} is not a wiretrace archive: {exc}") from exc

    # -- schema -------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        version = self.schema_version
        if version > len(MIGRATIONS):
            raise ArchiveError(
                f"{self.path} has schema version {version}; this wiretrace knows up to "
                f"{len(MIGRATIONS)}: upgrade wiretrace"
            )
        if version == len(MIGRATIONS):
            return
        if self.readonly:
            raise ArchiveError(f"{self.path} needs a schema upgrade; open it read-write once")
        for step in range(version, len(MIGRATIONS)):
            self.db.executescript("BEGIN IMMEDIATE;" + MIGRATIONS[step])
            try:
                if step + 1 in MIGRATION_FILLS:
                    MIGRATION_FILLS[step + 1](self)
                self.db.execute(f"PRAGMA user_version={step + 1}")
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction; rolled back whole if anything fails inside."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def checkpoint(self) -> None:
        """Inside ``transaction``: commit the work so far and go on in a new one."""
        self.db.execute("COMMIT")
        self.db.execute("BEGIN IMMEDIATE")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- the public API (pipelines live in their own modules) ---------------

    def ingest(self, paths: Iterable[str], *, engine: str = "local", **options: Any):
        """Read, extract, normalize and link captures; see ``wiretrace.ingest.ingest``.
        ``engine="spark"`` runs the stages on Spark (options ``master``, ``out``,
        ``partitions``; see ``wiretrace.spark.ingest_archive``) and imports the result."""
        if engine == "spark":
            from wiretrace.spark.jobs import ingest_archive

            return ingest_archive(self, paths, **options)
        _engine(engine)
        from wiretrace.ingest import ingest

        return ingest(self, paths, **options)

    def link(self, *, rebuild: bool = False, progress=None, engine: str = "local", **options: Any):
        """Find relations among articles not linked yet; see ``wiretrace.linking``.
        ``engine="spark"`` links on Spark with the same result (options ``master``,
        ``out``; see ``wiretrace.spark.link_archive``)."""
        if engine == "spark":
            from wiretrace.spark.jobs import link_archive as spark_link

            return spark_link(self, rebuild=rebuild, **options)
        _engine(engine)
        from wiretrace.linking import link_archive

        return link_archive(self, rebuild=rebuild, progress=progress, **options)

    def import_spark(self, path: str | os.PathLike):
        """Store a Spark job's output folder in this archive, in one transaction;
        importing it again adds nothing. See ``wiretrace.spark.importer``."""
        from wiretrace.spark.importer import import_output

        return import_output(self, path)

    def relations(self) -> Iterator[dict[str, Any]]:
        """Every relation, ``a`` the earlier article, with its evidence."""
        for row in LinkStore(self).relations():
            yield {
                "a": row["a"], "b": row["b"], "relation": row["relation"],
                "a_in_b": row["a_in_b"], "b_in_a": row["b_in_a"],
                "evidence": json.loads(row["evidence"]),
            }

    def clusters(self) -> list[dict[str, Any]]:
        """Reprint clusters: articles joined by any relation but ``partial``."""
        return LinkStore(self).clusters()

    def update_stories(self, *, rebuild: bool = False, progress=None, jobs: int | None = None):
        """Score new articles and regroup stories; see ``wiretrace.storying``."""
        from wiretrace.storying import update_stories

        return update_stories(self, rebuild=rebuild, progress=progress, jobs=jobs)

    def stories(self, **filters: Any) -> list[dict[str, Any]]:
        """Stories newest first (``since``, ``until``, ``outlet``, ``query``, ``limit``, ``offset``)."""
        from wiretrace.storying import stories

        return stories(self, **filters)

    def story(self, story_id: str) -> dict[str, Any]:
        """One story (or reprint cluster) with timeline, relations, provenance and edits."""
        from wiretrace.storying import story

        return story(self, story_id)

    def search(self, query: str, limit: int = 50, offset: int = 0) -> list[str]:
        """Ids of articles holding every word of ``query`` (either script), best first."""
        from wiretrace.storying import search

        return search(self, query, limit=limit, offset=offset)

    def story_of(self, article_id: str) -> str | None:
        """The id of the story an article is in (None before stories are grouped)."""
        found = StoryStore(self).stories_of([article_id])
        return next(iter(found)) if found else None

    def relations_of(self, article_id: str) -> list[dict[str, Any]]:
        """The relations an article takes part in, either side, without evidence."""
        rows = self.db.execute(
            "SELECT a, b, relation, a_in_b, b_in_a FROM relation WHERE a = ?1 OR b = ?1 ORDER BY a, b",
            (article_id,),
        )
        return [dict(r) for r in rows]

    def outlets(self) -> list[str]:
        """Every outlet named by a current article, sorted."""
        rows = self.db.execute(
            "SELECT DISTINCT a.outlet FROM article a JOIN capture c ON c.id = a.id "
            "WHERE c.current = 1 AND a.outlet IS NOT NULL ORDER BY a.outlet"
        )
        return [r[0] for r in rows]

    def diff(self, a: str, b: str) -> dict[str, Any]:
        """The alignment of two articles (CLI.md ``diff --json``)."""
        from wiretrace.linking import diff

        return diff(self, self.article(a).id, self.article(b).id)

    def articles(self, *, all_versions: bool = False) -> Iterator[Article]:
        where = "" if all_versions else "WHERE c.current = 1"
        rows = self.db.execute(
            f"SELECT a.*, c.source FROM article a JOIN capture c ON c.id = a.id {where} "
            "ORDER BY c.source, c.id"
        )
        for row in rows:
            yield _article(row)

    def article_records(self, *, all_versions: bool = False) -> Iterator[dict[str, Any]]:
        """Articles with their capture's provenance and reprint cluster, for export."""
        where = "" if all_versions else "WHERE c.current = 1"
        rows = self.db.execute(
            "SELECT a.*, c.source, c.sha256, c.format, c.encoding, c.previous, c.current, "
            "m.cluster FROM article a JOIN capture c ON c.id = a.id "
            f"LEFT JOIN cluster_member m ON m.article = a.id {where} ORDER BY c.source, c.id"
        )
        for row in rows:
            record = _article(row).to_dict()
            record.update(
                sha256=row["sha256"], format=row["format"], encoding=row["encoding"],
                previous=row["previous"], current=bool(row["current"]), cluster=row["cluster"],
            )
            yield record

    def article(self, article_id: str) -> Article:
        return _article(self._article_row(article_id))

    def capture(self, article_id: str) -> dict[str, Any]:
        """Where an article came from: the capture's format, encoding, bytes'
        sha256, reader warnings, ingest time and the earlier version it replaced."""
        row = self.db.execute(
            "SELECT source, sha256, format, encoding, warnings, ingested_at, previous, current "
            "FROM capture WHERE id = ?", (self._article_row(article_id)["id"],)
        ).fetchone()
        return {
            "source": row["source"], "sha256": row["sha256"], "format": row["format"],
            "encoding": row["encoding"], "warnings": json.loads(row["warnings"]),
            "ingested_at": row["ingested_at"], "previous": row["previous"], "current": bool(row["current"]),
        }

    def normalized(self, article_id: str):
        """The matching form of an article, with its offset map."""
        return _normalized(self._article_row(article_id))

    def matching_text(self, article_id: str) -> str:
        """The matching form's text of a whole id, alone (linking's keys)."""
        return self._exact_row("normalized", article_id)[0]

    def article_text(self, article_id: str):
        """``(ArticleText, normalized)`` of a whole id: linking reads both for every pair, and
        the whole row with its capture's path (``article``) took three times as long."""
        row = self._exact_row("id, title, body, published, outlet, url, normalized, offsets", article_id)
        text = ArticleText(row["id"], row["title"], row["body"], row["published"], row["outlet"], row["url"])
        return text, _normalized(row)

    def _exact_row(self, columns: str, article_id: str) -> sqlite3.Row:
        """``columns`` of the article with this whole id (no prefixes: linking's hot reads)."""
        row = self.db.execute(f"SELECT {columns} FROM article WHERE id = ?", (article_id,)).fetchone()
        if row is None:
            raise NotFound(f"no article with id {article_id!r}")
        return row

    def _article_row(self, article_id: str) -> sqlite3.Row:
        """The row of an id, or of the one id a prefix names. A range on the
        primary key, not LIKE: LIKE cannot use the index."""
        rows = self.db.execute(
            "SELECT a.*, c.source FROM article a JOIN capture c ON c.id = a.id "
            "WHERE a.id >= ? AND a.id < ? ORDER BY a.id LIMIT 2",
            (article_id, article_id + "\uffff"),
        ).fetchall()
        if rows and rows[0]["id"] == article_id:
            return rows[0]  # a whole id is never ambiguous
        if not rows or not article_id:
            raise NotFound(f"no article with id {article_id!r}")
        if len(rows) > 1:
            raise NotFound(f"article id {article_id!r} is ambiguous: give more characters")
        return rows[0]

    def rejects(self) -> Iterator[Reject]:
        for row in self.db.execute("SELECT source, reason FROM reject ORDER BY source, reason"):
            yield Reject(row["source"], row["reason"])

    def counts(self) -> dict[str, int]:
        q = self.db.execute
        return {
            "captures": q("SELECT count(*) FROM capture").fetchone()[0],
            "articles": q("SELECT count(*) FROM article a JOIN capture c ON c.id=a.id WHERE c.current=1").fetchone()[0],
            "rejects": q("SELECT count(*) FROM reject").fetchone()[0],
        }

    # -- storage used by the ingest pipeline --------------------------------

    def known(self, source: str, sha256: str) -> str | None:
        """'unchanged' when this exact capture is stored, 'updated' when an
        earlier version of the source is, else None."""
        row = self.db.execute(
            "SELECT sha256 = ? AS same FROM capture WHERE source = ? ORDER BY same DESC LIMIT 1",
            (sha256, source),
        ).fetchone()
        if row is None:
            return None
        return "unchanged" if row["same"] else "updated"

    def add_capture(self, doc: RawDocument, capture_id: str, outlet_key: str | None) -> str:
        """Store one capture (inside the caller's transaction). Returns what it was:
        'ingested' (a new source), 'updated' (a new version) or 'unchanged'."""
        status = self.known(doc.source, doc.sha256)
        if status == "unchanged":
            return status  # not compressed for nothing
        return self._insert_capture(capture_row(doc, capture_id, outlet_key), status)

    def put_capture(self, row: "CaptureRow") -> str:
        """``add_capture`` for a capture already made a row (``capture_row``, in a worker)."""
        status = self.known(row.source, row.sha256)
        if status == "unchanged":
            return status
        return self._insert_capture(row, status)

    def _insert_capture(self, row: "CaptureRow", status: str | None) -> str:
        previous = None
        if status == "updated":
            prev = self.db.execute(
                "SELECT id FROM capture WHERE source = ? AND current = 1", (row.source,)
            ).fetchone()
            previous = prev["id"] if prev else None
            self.db.execute("UPDATE capture SET current = 0 WHERE source = ?", (row.source,))
        self.db.execute(
            "INSERT OR IGNORE INTO blob (sha256, size, data) VALUES (?, ?, ?)",
            (row.sha256, row.size, row.data),
        )
        self.db.execute(
            "INSERT INTO capture (id, source, sha256, format, encoding, content_type, content, "
            "meta, warnings, outlet_key, ingested_at, previous, current) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
            (
                row.id, row.source, row.sha256, row.format, row.encoding, row.content_type,
                row.content, row.meta, row.warnings, row.outlet_key, now_iso(), previous,
            ),
        )
        return "ingested" if status is None else "updated"

    def add_reject(self, reject: Reject) -> None:
        self.db.execute(
            "INSERT INTO reject (source, reason, seen_at) VALUES (?, ?, ?) "
            "ON CONFLICT (source, reason) DO UPDATE SET seen_at = excluded.seen_at",
            (reject.source, reject.reason, now_iso()),
        )

    def clear_rejects(self, path: str, still_rejected: set[str]) -> None:
        """Forget earlier rejects of a file (and of its members and records) that
        now read, keeping those rejected again in this run."""
        rows = self.db.execute(
            "SELECT DISTINCT source FROM reject WHERE source = ? OR substr(source, 1, ?) IN (?, ?)",
            (path, len(path) + 1, path + "#", path + "!"),
        ).fetchall()
        gone = [(r[0],) for r in rows if r[0] not in still_rejected]
        self.db.executemany("DELETE FROM reject WHERE source = ?", gone)

    def raw_bytes(self, sha256: str) -> bytes:
        row = self.db.execute("SELECT data FROM blob WHERE sha256 = ?", (sha256,)).fetchone()
        if row is None:
            raise NotFound(f"no stored bytes for sha256 {sha256}")
        return decompress(row["data"])

    def document(self, capture_id: str) -> RawDocument:
        """Rebuild the RawDocument of a stored capture (for re-extraction): the capture and its
        bytes in one query, as extraction reads one for every article."""
        row = self.db.execute(
            "SELECT c.source, c.sha256, c.format, c.encoding, c.content, c.content_type, c.meta, c.warnings, "
            "b.data FROM capture c LEFT JOIN blob b ON b.sha256 = c.sha256 WHERE c.id = ?", (capture_id,)).fetchone()
        if row is None:
            raise NotFound(f"no capture with id {capture_id!r}")
        if row["data"] is None:
            raise NotFound(f"no stored bytes for sha256 {row['sha256']}")
        doc = stored_document(
            row["source"], decompress(row["data"]), row["format"], row["encoding"],
            decompress(row["content"]).decode("utf-8"), row["content_type"],
            row["meta"], row["warnings"],
        )
        doc.__dict__["sha256"] = row["sha256"]  # stored with the bytes: not hashed again (a cached_property)
        return doc

    def outlet_sample(self, outlet_key: str, limit: int) -> list[str]:
        """Capture ids a template is learnt from: the outlet's current captures with the
        ``limit`` smallest sha256 (then id), so the sample depends neither on ingest order
        nor on where the captures were read from (an id hashes the path)."""
        rows = self.db.execute(
            "SELECT id FROM capture WHERE outlet_key = ? AND current = 1 ORDER BY sha256, id LIMIT ?",
            (outlet_key, limit),
        )
        return [r["id"] for r in rows]

    def outlet_keys(self) -> list[str]:
        rows = self.db.execute(
            "SELECT DISTINCT outlet_key FROM capture WHERE outlet_key IS NOT NULL ORDER BY outlet_key"
        )
        return [r[0] for r in rows]

    def template(self, outlet_key: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM template WHERE outlet_key = ?", (outlet_key,)).fetchone()

    def put_template(self, outlet_key: str, hash_: str, sample: str, body: str, *, replace: bool = True) -> None:
        conflict = (
            "DO UPDATE SET hash=excluded.hash, sample=excluded.sample, body=excluded.body"
            if replace else "DO NOTHING"
        )
        self.db.execute(
            "INSERT INTO template (outlet_key, hash, sample, body) VALUES (?, ?, ?, ?) "
            f"ON CONFLICT (outlet_key) {conflict}",
            (outlet_key, hash_, sample, body),
        )

    def has_capture(self, capture_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM capture WHERE id = ?", (capture_id,)).fetchone() is not None

    def has_article(self, article_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM article WHERE id = ?", (article_id,)).fetchone() is not None

    def captures_to_extract(self, template_hashes: dict[str | None, str | None]) -> list[StoredCapture]:
        """Current captures with no article yet, or whose article was extracted
        with another template than their outlet's current one."""
        rows = self.db.execute(
            "SELECT c.id, c.source, c.sha256, c.outlet_key, a.id IS NULL AS missing, a.template "
            "FROM capture c LEFT JOIN article a ON a.id = c.id WHERE c.current = 1 ORDER BY c.id"
        )
        out = []
        for r in rows:
            wanted = template_hashes.get(r["outlet_key"])
            if r["missing"] or r["template"] != wanted:
                out.append(StoredCapture(r["id"], r["source"], r["sha256"], r["outlet_key"]))
        return out

    def put_article(
        self, article: Article, normalized: str, offsets: bytes, template_hash: str | None,
        title_form: str = "", *, replace: bool = True, link_keys: tuple[bytes, bytes] | None = None,
        search: bool = True,
    ) -> bool:
        """Store an article with its matching form and offset map (``pack_offsets``), and its
        title's matching form, for search; re-extraction replaces it. With ``replace=False``
        an article already stored is kept as it is (``wiretrace import``). ``link_keys``: its
        signature and LSH keys (``wiretrace.linking.keys_of``), kept until it is linked.
        ``search=False`` leaves it out of the search index until ``build_search``. Returns
        whether a row was written."""
        if offsets[:1] != _STEPS:  # the entries themselves (older callers) would read back as garbage
            raise ValueError(f"article {article.id}: offsets must be stored as pack_offsets makes them")
        before = self.db.execute("SELECT normalized FROM article WHERE id = ?", (article.id,)).fetchone()
        if before is not None and not replace:
            return False
        if before is not None:
            self._unindex_search(article.id, before[0])  # the article row still holds what was indexed
        if before is not None and before[0] != normalized:
            # Re-extracted (its outlet's template changed) with another text: what
            # linking and stories derived from the old text is dropped, so the next
            # run links and scores the article again instead of keeping stale results.
            for sql in (
                # its postings stay in the segments until compaction; its handle goes now
                "DELETE FROM linked WHERE article = ?",
                "DELETE FROM relation WHERE a = ?1 OR b = ?1", "DELETE FROM story_features WHERE article = ?",
                "DELETE FROM link_keys WHERE article = ?",  # the old text's; the new ones may be kept elsewhere
            ):
                self.db.execute(sql, (article.id,))
        self.db.execute(
            "INSERT INTO article (id, title, body, published, outlet, url, authors, wire, script, "
            "language, normalized, offsets, template) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET title=excluded.title, body=excluded.body, "
            "published=excluded.published, outlet=excluded.outlet, url=excluded.url, "
            "authors=excluded.authors, wire=excluded.wire, script=excluded.script, "
            "language=excluded.language, normalized=excluded.normalized, offsets=excluded.offsets, "
            "template=excluded.template",
            (
                article.id, article.title, article.body, article.published, article.outlet,
                article.url, json.dumps(article.authors, ensure_ascii=False),
                json.dumps(article.wire, ensure_ascii=False), article.script, article.language,
                normalized, offsets, template_hash,
            ),
        )
        self._index_search(article.id, title_form, normalized, now=search)
        if link_keys is not None and (before is None or before[0] != normalized or not self._linked(article.id)):
            self.db.execute("INSERT OR REPLACE INTO link_keys (article, signature, keys) VALUES (?, ?, ?)",
                            (article.id, *link_keys))
        return True

    def _linked(self, article_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM linked WHERE article = ?", (article_id,)).fetchone() is not None

    def _index_search(self, article_id: str, title_form: str, body_form: str, *, now: bool = True) -> None:
        """Index an article (``now``) or list it to be indexed by ``build_search``;
        ``body_form`` must be what its row's ``normalized`` holds."""
        rowid = self.db.execute(
            "INSERT INTO search_doc (article, title) VALUES (?, ?) "
            "ON CONFLICT (article) DO UPDATE SET title = excluded.title RETURNING rowid",
            (article_id, title_form),
        ).fetchone()[0]
        if now:
            self.db.execute("INSERT INTO search (rowid, title, body) VALUES (?, ?, ?)", (rowid, title_form, body_form))
        else:
            self.db.execute("INSERT INTO search_pending (rowid) VALUES (?)", (rowid,))

    def _unindex_search(self, article_id: str, body_form: str) -> None:
        """Take a stored article out of the index, or off the list of those waiting for it,
        before its row changes (``put_article`` then indexes it again). An external-content
        FTS5 table forgets a row only when told the exact texts it was given, and must never
        be told to forget one it was not given (a waiting article): that corrupts it."""
        row = self.db.execute(
            "SELECT d.rowid, d.title, EXISTS (SELECT 1 FROM search_pending p WHERE p.rowid = d.rowid) AS waiting "
            "FROM search_doc d WHERE d.article = ?", (article_id,),
        ).fetchone()
        if row is None:
            return
        if row["waiting"]:
            self.db.execute("DELETE FROM search_pending WHERE rowid = ?", (row["rowid"],))
        else:
            self.db.execute(
                "INSERT INTO search (search, rowid, title, body) VALUES ('delete', ?, ?, ?)",
                (row["rowid"], row["title"], body_form),
            )

    def search_pending(self) -> int:
        """How many articles wait to be indexed for search (stored by ``ingest --no-search``)."""
        return self.db.execute("SELECT count(*) FROM search_pending").fetchone()[0]

    def build_search(self, progress: Progress | None = None) -> int:
        """Index the articles stored without search (``put_article(search=False)``), a
        batch a transaction: a run killed midway keeps what it indexed and the next one
        goes on. Returns how many were indexed."""
        total = self.search_pending()
        if not total:
            return 0
        progress = progress or Quiet()
        progress.start("indexing", total)
        done = 0
        while True:
            with self.transaction():
                last, n = self.db.execute(
                    "SELECT max(rowid), count(*) FROM (SELECT rowid FROM search_pending ORDER BY rowid LIMIT ?)",
                    (SEARCH_BATCH,)).fetchone()
                if not n:
                    break
                self.db.execute("INSERT INTO search (rowid, title, body) SELECT t.rowid, t.title, t.body "
                                "FROM search_pending p JOIN search_text t ON t.rowid = p.rowid "
                                "WHERE p.rowid <= ? ORDER BY p.rowid", (last,))
                self.db.execute("DELETE FROM search_pending WHERE rowid <= ?", (last,))
            done += n
            progress.advance(n)
        return done

    def match_terms(self, terms: list[str], limit: int = 50, offset: int = 0) -> list[str]:
        """Ids of current articles whose title or body (matching forms) hold every term,
        best first: those whose title holds more of the terms, then by the index's bm25,
        then by id. ``terms`` must already be in the matching form.

        The index (trigrams, no positions) narrows the rows to those holding every trigram
        of the terms of three or more characters; ``instr`` then checks each term, long or
        short (two-character words are common in Chinese: 伊朗, 油价), over those rows (or
        all rows). Without positions the index neither counts occurrences nor knows the
        column, so its bm25 weighs only how rare the trigrams are and how long the article
        is; the title is checked here."""
        if not terms:
            return []
        waiting = self.search_pending()
        if waiting:
            raise SearchUnavailable(
                f"{self.path}: the search index lacks {waiting} article(s) stored with `ingest --no-search`; "
                "run `wiretrace index` to build it"
            )
        names = [f"t{k}" for k in range(len(terms))]
        params: dict[str, Any] = dict(zip(names, terms), limit=limit, offset=offset)
        trigrams = dict.fromkeys(t[i:i + 3] for t in terms for i in range(len(t) - 2))
        sql = "SELECT d.article FROM " + ("search JOIN search_doc d ON d.rowid = search.rowid" if trigrams else "search_doc d")
        sql += " JOIN article a ON a.id = d.article JOIN capture c ON c.id = d.article WHERE c.current = 1"
        if trigrams:
            sql += " AND search MATCH :match"
            params["match"] = " AND ".join('"' + t.replace('"', '""') + '"' for t in trigrams)
        sql += "".join(f" AND (instr(d.title, :{k}) > 0 OR instr(a.normalized, :{k}) > 0)" for k in names)
        in_title = " + ".join(f"(instr(d.title, :{k}) > 0)" for k in names)
        sql += f" ORDER BY {in_title} DESC, " + ("search.rank, " if trigrams else "") + "d.article LIMIT :limit OFFSET :offset"
        return [r[0] for r in self.db.execute(sql, params)]


class LinkStore:
    """The linking tables, used by ``wiretrace.linking`` (kept here: SQL lives in this module)."""

    def __init__(self, archive: Archive):
        self.db = archive.db
        # The in-memory index follows this store's writes: after a rolled-back
        # transaction, make a new LinkStore.
        self._postings = None

    def unlinked(self) -> list[str]:
        """Articles (every version: a changed capture links to its earlier one) not yet linked."""
        rows = self.db.execute(
            "SELECT a.id FROM article a LEFT JOIN linked l ON l.article = a.id "
            "WHERE l.article IS NULL ORDER BY a.id"
        )
        return [r[0] for r in rows]

    def reset(self) -> None:
        for table in ("cluster_member", "relation", "link_segment", "linked"):
            self.db.execute(f"DELETE FROM {table}")
        self._postings = None

    def postings(self) -> "Postings":
        """The LSH index in memory (loaded once; ``add_keys`` keeps it current). Postings
        of articles unlinked since they were indexed are dropped first, on disk too; more
        than ``MAX_ROWS`` segments on disk (one a batch of earlier runs) are gathered into
        the merged ones (``wiretrace.link.postings``)."""
        from wiretrace.link.postings import MAX_ROWS, Postings, Segment

        if self._postings is None:
            segments = [
                Segment(np.frombuffer(r[1], "<i8").copy(), np.frombuffer(r[2], "<i8").copy(), r[0])
                for r in self.db.execute("SELECT id, keys, holders FROM link_segment ORDER BY id")
            ]
            rows = self.db.execute("SELECT handle, article, anchors FROM linked ORDER BY handle").fetchall()
            index = Postings(segments, np.array([r[0] for r in rows], np.int64), [r[1] for r in rows],
                             np.array([r[2] for r in rows], np.int64))
            compacted = index.compact()
            index.settle()
            # gathered only inside a transaction: a kill between the delete and the writes
            # must not leave the archive without its index
            if len(segments) > MAX_ROWS and self.db.in_transaction:
                self.db.execute("DELETE FROM link_segment")
                for seg in index.segments:
                    seg.row = None
                    self._write(seg)
            else:
                for seg in compacted:  # their own rows, rewritten without the dropped postings
                    self._write(seg)
            self._postings = index
        return self._postings

    def add_keys(self, rows: Iterable[tuple[str, bytes, np.ndarray]]) -> None:
        """Index linked articles: (article id, signature bytes, LSH keys) each. One call
        stores one segment (merged with its elders in memory, ``Postings.add``): pass a batch."""
        index = self.postings()  # loaded before the new rows exist
        names, signatures, anchors, keys = [], [], [], []
        for article_id, signature, article_keys in rows:
            article_keys = np.asarray(article_keys, np.int64)
            names.append(article_id)
            signatures.append(signature)
            anchors.append(int(np.count_nonzero(article_keys & 1)))
            keys.append(article_keys)
        if not names:
            return
        # One statement for the batch, the handles read back after: AUTOINCREMENT gives new
        # rows handles above every handle ever used, in the order inserted.
        before = self._sequence()
        self.db.executemany("INSERT INTO linked (article, signature, anchors) VALUES (?, ?, ?)",
                            zip(names, signatures, anchors))
        handles = [r[0] for r in self.db.execute("SELECT handle FROM linked WHERE handle > ? ORDER BY handle", (before,))]
        self.db.executemany("DELETE FROM link_keys WHERE article = ?", ((name,) for name in names))  # used now
        self._write(index.add(handles, names, anchors, keys))  # its own row, never rewritten in this run

    def waiting_keys(self, ids: Iterable[str]) -> dict[str, tuple[bytes, bytes]]:
        """The signature and keys made at extraction (``put_article``) of those of ``ids``
        not linked yet, in one pass over the table (a row of ~2 KB an article)."""
        wanted = set(ids)
        rows = self.db.execute("SELECT article, signature, keys FROM link_keys")
        return {r[0]: (r[1], r[2]) for r in rows if r[0] in wanted}

    def _sequence(self) -> int:
        """The largest handle ever given (AUTOINCREMENT's counter), 0 before the first."""
        row = self.db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'linked'").fetchone()
        return row[0] if row else 0

    def _write(self, seg) -> None:
        """Store a segment: a new row, or its own row rewritten."""
        values = (len(seg), seg.keys.astype("<i8").tobytes(), seg.holders.astype("<i8").tobytes())
        if seg.row is None:
            seg.row = self.db.execute("INSERT INTO link_segment (size, keys, holders) VALUES (?, ?, ?)", values).lastrowid
        else:
            self.db.execute("UPDATE link_segment SET size = ?, keys = ?, holders = ? WHERE id = ?", (*values, seg.row))

    def put_relations(self, rows: list[tuple[str, str, str, float, float, str]]) -> None:
        """Store relations, each (a, b, relation, a_in_b, b_in_a, evidence JSON), replacing
        those stored for the same pairs."""
        self.db.executemany(
            "INSERT OR REPLACE INTO relation (a, b, relation, a_in_b, b_in_a, evidence) VALUES (?, ?, ?, ?, ?, ?)",
            rows)

    def put_relation(
        self, a: str, b: str, relation: str, a_in_b: float, b_in_a: float, evidence: dict | str,
        *, replace: bool = True,
    ) -> bool:
        """Store a relation; ``evidence`` as a dict or its JSON (``evidence_json``).
        With ``replace=False`` a relation already stored is kept. Returns whether
        a row was written."""
        if not isinstance(evidence, str):
            evidence = evidence_json(evidence)
        cur = self.db.execute(
            f"INSERT OR {'REPLACE' if replace else 'IGNORE'} INTO relation "
            "(a, b, relation, a_in_b, b_in_a, evidence) VALUES (?, ?, ?, ?, ?, ?)",
            (a, b, relation, a_in_b, b_in_a, evidence),
        )
        return cur.rowcount > 0

    def linked_ids(self) -> set[str]:
        """Every article linked so far."""
        return {r[0] for r in self.db.execute("SELECT article FROM linked")}

    def link_inputs(self) -> Iterator[dict[str, Any]]:
        """Every article (all versions, as ``unlinked`` sees them) with what linking
        reads: metadata, body, matching form, offset map (int32 LE bytes) and
        whether it is linked already. For an engine that links elsewhere (Spark)."""
        rows = self.db.execute(
            "SELECT a.id, c.source, a.title, a.body, a.published, a.outlet, a.url, a.normalized, "
            "a.offsets, l.article IS NOT NULL AS linked FROM article a JOIN capture c ON c.id = a.id "
            "LEFT JOIN linked l ON l.article = a.id ORDER BY a.id"
        )
        for r in rows:
            yield {
                "id": r["id"], "path": r["source"], "title": r["title"], "body": r["body"],
                "published": r["published"], "outlet": r["outlet"], "url": r["url"],
                "normalized": r["normalized"], "offsets": _unpack_offsets(r["offsets"]).tobytes(),
                "linked": bool(r["linked"]),
            }

    def relations(self) -> Iterator[sqlite3.Row]:
        return self.db.execute("SELECT * FROM relation ORDER BY a, b")

    def relation(self, a: str, b: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM relation WHERE a = ? AND b = ?", (a, b)).fetchone()

    def edges(self) -> list[tuple[str, str, str]]:
        """Every relation as ``(a, b, relation)``, without its evidence."""
        return [tuple(r) for r in self.db.execute("SELECT a, b, relation FROM relation ORDER BY a, b")]

    def clusters_of(self, ids: Iterable[str]) -> dict[str, str]:
        """article id -> its reprint cluster, for those of ``ids`` in one."""
        rows = self.db.execute(
            "SELECT article, cluster FROM cluster_member WHERE article IN (SELECT value FROM json_each(?))",
            (json.dumps(list(ids)),),
        )
        return {r[0]: r[1] for r in rows}

    def relations_among(self, ids: Iterable[str]) -> list[sqlite3.Row]:
        """Relations whose two articles are both in ``ids``."""
        ids = sorted(set(ids))
        out: list[sqlite3.Row] = []
        for i in range(0, len(ids), 400):
            chunk = ids[i:i + 400]
            marks = ",".join("?" * len(chunk))
            out.extend(self.db.execute(
                f"SELECT * FROM relation WHERE a IN ({marks}) AND b IN (SELECT value FROM json_each(?))",
                (*chunk, json.dumps(ids)),
            ))
        return sorted(out, key=lambda r: (r["a"], r["b"]))

    def put_clusters(self, clusters: list[dict]) -> None:
        self.db.execute("DELETE FROM cluster_member")
        self.db.executemany(
            "INSERT INTO cluster_member (article, cluster) VALUES (?, ?)",
            ((a, c["id"]) for c in clusters for a in c["articles"]),
        )

    def clusters(self) -> list[dict]:
        groups: dict[str, list[str]] = {}
        for row in self.db.execute("SELECT cluster, article FROM cluster_member ORDER BY cluster, article"):
            groups.setdefault(row[0], []).append(row[1])
        return [{"id": k, "articles": v} for k, v in groups.items()]


class StoryStore:
    """The story tables, used by ``wiretrace.storying`` (kept here: SQL lives in this module)."""

    def __init__(self, archive: Archive):
        self.db = archive.db

    def current_articles(self) -> Iterator[sqlite3.Row]:
        """What grouping needs of every current article, by id (not its text: see storying),
        streamed: an archive of millions would otherwise hold every row's features at once."""
        return self.db.execute(
            "SELECT a.id, a.title, a.published, a.outlet, f.features "
            "FROM article a JOIN capture c ON c.id = a.id "
            "LEFT JOIN story_features f ON f.article = a.id WHERE c.current = 1 ORDER BY a.id"
        )

    def put_features(self, article_id: str, features_json: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO story_features (article, features) VALUES (?, ?)", (article_id, features_json)
        )

    def members_hashes(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT id, members FROM story").fetchall())

    def replace(self, keep: set[str], new: list[dict]) -> None:
        """Drop every story not in ``keep``, then add ``new`` (rows with their ``articles``)."""
        old = [r[0] for r in self.db.execute("SELECT id FROM story") if r[0] not in keep]
        self.db.executemany("DELETE FROM story_member WHERE story = ?", ((i,) for i in old))
        self.db.executemany("DELETE FROM story WHERE id = ?", ((i,) for i in old))
        self.db.executemany(
            "INSERT INTO story (id, members, title, source, fullest, earliest, first_published, "
            "last_published, first_utc, last_utc, size, outlets, record) VALUES (:id, :members, :title, "
            ":source, :fullest, :earliest, :first_published, :last_published, :first_utc, :last_utc, :size, "
            ":outlets, :record)",
            [{**s, "outlets": json.dumps(s["outlets"], ensure_ascii=False),
              "record": zlib.compress(json.dumps(s["record"], ensure_ascii=False).encode(), 6)} for s in new],
        )
        self.db.executemany(
            "INSERT OR REPLACE INTO story_member (article, story) VALUES (?, ?)",
            ((a, s["id"]) for s in new for a in s["articles"]),
        )

    def stories(
        self, *, since: str | None = None, until: str | None = None, outlet: str | None = None,
        ids: Iterable[str] | None = None, limit: int | None = None, offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Stories newest first (by their last member's publication), with their member ids.

        ``since``/``until`` are ISO 8601 in UTC (a date alone in ``until`` covers that whole
        day): a story is listed when its span of publication times meets [since, until].
        """
        where, params = [], []
        if since:
            where.append("s.last_utc >= ?")
            params.append(since)
        if until:
            where.append("s.first_utc <= ?")
            params.append(until + "\uffff" if len(until) <= 10 else until)
        if outlet:
            where.append("EXISTS (SELECT 1 FROM json_each(s.outlets) WHERE json_each.value = ?)")
            params.append(outlet)
        if ids is not None:
            ids = list(ids)
            where.append(f"s.id IN ({','.join('?' * len(ids))})")
            params.extend(ids)
        sql = ("SELECT s.id, s.title, s.source, s.fullest, s.earliest, s.first_published, s.last_published, "
               "s.size, s.outlets FROM story s")
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY s.last_utc IS NULL, s.last_utc DESC, s.id"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params.extend([limit, offset])
        rows = self.db.execute(sql, params).fetchall()
        members: dict[str, list[str]] = {r["id"]: [] for r in rows}
        for i in range(0, len(rows), 500):
            chunk = [r["id"] for r in rows[i:i + 500]]
            for m in self.db.execute(
                f"SELECT story, article FROM story_member WHERE story IN ({','.join('?' * len(chunk))}) "
                "ORDER BY article", chunk,
            ):
                members[m[0]].append(m[1])
        return [
            {**{k: r[k] for k in r.keys()}, "outlets": json.loads(r["outlets"]),
             "articles": members[r["id"]]}
            for r in rows
        ]

    def resolve(self, prefix: str) -> str:
        """The story id a unique prefix names (as article ids allow)."""
        rows = self.db.execute(
            "SELECT id FROM story WHERE id >= ? AND id < ? ORDER BY id LIMIT 2", (prefix, prefix + "\uffff")
        ).fetchall()
        if rows and rows[0][0] == prefix:
            return prefix
        if not rows or not prefix:
            raise NotFound(f"no story with id {prefix!r}")
        if len(rows) > 1:
            raise NotFound(f"story id {prefix!r} is ambiguous: give more characters")
        return rows[0][0]

    def record(self, story_id: str) -> dict[str, Any]:
        row = self.db.execute("SELECT record FROM story WHERE id = ?", (story_id,)).fetchone()
        if row is None:
            raise NotFound(f"no story with id {story_id!r}")
        return json.loads(zlib.decompress(row[0]))

    def stories_of(self, article_ids: Iterable[str]) -> set[str]:
        """The stories holding any of ``article_ids``."""
        rows = self.db.execute(
            "SELECT DISTINCT story FROM story_member WHERE article IN (SELECT value FROM json_each(?))",
            (json.dumps(list(article_ids)),),
        )
        return {r[0] for r in rows}

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM story").fetchone()[0]

    def reset(self) -> None:
        for table in ("story_member", "story", "story_features"):
            self.db.execute(f"DELETE FROM {table}")


ENGINES = ("local", "spark")


def _engine(engine: str) -> None:
    from wiretrace.errors import UsageError

    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)}")


def evidence_json(evidence: dict) -> str:
    """A relation's evidence as the archive stores it."""
    return json.dumps(evidence, separators=(",", ":"))


def _normalized(row: sqlite3.Row):
    from wiretrace.normalize import Normalized

    return Normalized(row["normalized"], _unpack_offsets(row["offsets"]))


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


def _unpack_offsets(blob: bytes) -> np.ndarray:
    """A stored offset map as a read-only int32 array (either form, see ``_STEPS``)."""
    if blob[:1] != _STEPS:
        return np.frombuffer(zlib.decompress(blob), "<i4")
    entries = np.cumsum(np.frombuffer(zlib.decompress(blob[1:]), "<i4"), dtype="<i4")
    entries.flags.writeable = False
    return entries


def _article(row: sqlite3.Row) -> Article:
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
