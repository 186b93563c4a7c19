"""The archive: one SQLite file holding every capture, its article and the links.

This is the only module that writes SQL. Stages (readers, extract, normalize,
link) are plain functions; the pipelines in ``ingest`` and ``linking`` call the
storage methods below, and ``Archive`` is the Python API the CLI is a thin
layer over.

Layout (see ``SCHEMA`` for the columns):
- ``blob``: raw capture bytes, zlib-compressed, once per sha256.
- ``capture``: one row per version of a source (path, member or record), with
  its sha256, sniffed format and encoding, reader metadata and warnings;
  ``previous`` links a changed file to its earlier version, ``current`` marks
  the newest one.
- ``article``: the clean article extracted from a capture, and its matching
  form with the offset map.
- ``reject``: inputs that could not be used, with a reason a person understands.
- ``template``: each outlet's learnt chrome, and which sample it was learnt from.

The database runs in WAL mode so readers (the web UI) work while an ingest writes.
"""

from __future__ import annotations

import json
import os
import sqlite3
import zlib
from contextlib import contextmanager
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from wiretrace.errors import ArchiveError, NotFound
from wiretrace.model import Article, RawDocument, Reject

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
        offsets BLOB NOT NULL,             -- int32 little-endian offset map into body
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
]


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
            self.db.executescript(
                "BEGIN IMMEDIATE;" + MIGRATIONS[step] + f"; PRAGMA user_version={step + 1}; COMMIT;"
            )

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

        return link_archive(self, rebuild=rebuild, progress=progress)

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
        from wiretrace.normalize import Normalized
        import numpy as np

        row = self._article_row(article_id)
        offsets = np.frombuffer(zlib.decompress(row["offsets"]), dtype="<i4")
        return Normalized(row["normalized"], offsets)

    def _article_row(self, article_id: str) -> sqlite3.Row:
        """The row of an id, or of the one id a prefix names. A range on the
        primary key, not LIKE: LIKE cannot use the index, and linking looks
        articles up tens of thousands of times."""
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
        sha = doc.sha256
        status = self.known(doc.source, sha)
        if status == "unchanged":
            return status
        previous = None
        if status == "updated":
            prev = self.db.execute(
                "SELECT id FROM capture WHERE source = ? AND current = 1", (doc.source,)
            ).fetchone()
            previous = prev["id"] if prev else None
            self.db.execute("UPDATE capture SET current = 0 WHERE source = ?", (doc.source,))
        self.db.execute(
            "INSERT OR IGNORE INTO blob (sha256, size, data) VALUES (?, ?, ?)",
            (sha, len(doc.data), zlib.compress(doc.data, 6)),
        )
        self.db.execute(
            "INSERT INTO capture (id, source, sha256, format, encoding, content_type, content, "
            "meta, warnings, outlet_key, ingested_at, previous, current) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
            (
                capture_id, doc.source, sha, doc.format, doc.encoding, doc.content_type,
                zlib.compress(doc.content.encode("utf-8"), 6),
                meta_json(doc.meta), warnings_json(doc.warnings),
                outlet_key, now_iso(), previous,
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
        return zlib.decompress(row["data"])

    def document(self, capture_id: str) -> RawDocument:
        """Rebuild the RawDocument of a stored capture (for re-extraction)."""
        row = self.db.execute("SELECT * FROM capture WHERE id = ?", (capture_id,)).fetchone()
        if row is None:
            raise NotFound(f"no capture with id {capture_id!r}")
        return stored_document(
            row["source"], self.raw_bytes(row["sha256"]), row["format"], row["encoding"],
            zlib.decompress(row["content"]).decode("utf-8"), row["content_type"],
            row["meta"], row["warnings"],
        )

    def outlet_sample(self, outlet_key: str, limit: int) -> list[str]:
        """Capture ids a template is learnt from: the ``limit`` smallest ids of the
        outlet's current captures, so the sample does not depend on ingest order."""
        rows = self.db.execute(
            "SELECT id FROM capture WHERE outlet_key = ? AND current = 1 ORDER BY id LIMIT ?",
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
        *, replace: bool = True,
    ) -> bool:
        """Store an article (re-extraction replaces it). With ``replace=False`` an
        article already stored is kept as it is (``wiretrace import``). Returns
        whether a row was written."""
        conflict = (
            "DO UPDATE SET title=excluded.title, body=excluded.body, "
            "published=excluded.published, outlet=excluded.outlet, url=excluded.url, "
            "authors=excluded.authors, wire=excluded.wire, script=excluded.script, "
            "language=excluded.language, normalized=excluded.normalized, offsets=excluded.offsets, "
            "template=excluded.template" if replace else "DO NOTHING"
        )
        cur = self.db.execute(
            "INSERT INTO article (id, title, body, published, outlet, url, authors, wire, script, "
            "language, normalized, offsets, template) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            f"ON CONFLICT (id) {conflict}",
            (
                article.id, article.title, article.body, article.published, article.outlet,
                article.url, json.dumps(article.authors, ensure_ascii=False),
                json.dumps(article.wire, ensure_ascii=False), article.script, article.language,
                normalized, zlib.compress(offsets, 1), template_hash,
            ),
        )
        return cur.rowcount > 0


class LinkStore:
    """The linking tables, used by ``wiretrace.linking`` (kept here: SQL lives in this module)."""

    def __init__(self, archive: Archive):
        self.db = archive.db

    def unlinked(self) -> list[str]:
        """Articles (every version: a changed capture links to its earlier one) not yet linked."""
        rows = self.db.execute(
            "SELECT a.id FROM article a LEFT JOIN linked l ON l.article = a.id "
            "WHERE l.article IS NULL ORDER BY a.id"
        )
        return [r[0] for r in rows]

    def reset(self) -> None:
        for table in ("cluster_member", "relation", "link_key", "linked"):
            self.db.execute(f"DELETE FROM {table}")

    def add_keys(self, article_id: str, signature: bytes, keys: Iterable[int]) -> None:
        self.db.execute("INSERT INTO linked (article, signature) VALUES (?, ?)", (article_id, signature))
        self.db.executemany(
            "INSERT INTO link_key (key, article) VALUES (?, ?)", ((int(k), article_id) for k in keys)
        )

    def posting(self, key: int, limit: int) -> list[str]:
        rows = self.db.execute("SELECT article FROM link_key WHERE key = ? LIMIT ?", (key, limit))
        return [r[0] for r in rows]

    def anchor_count(self, article_id: str) -> int:
        """How many anchor keys (odd keys, see wiretrace.link.lsh) a linked article has."""
        row = self.db.execute(
            "SELECT count(*) FROM link_key WHERE article = ? AND (key & 1) = 1", (article_id,)
        ).fetchone()
        return row[0]

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
                "normalized": r["normalized"], "offsets": zlib.decompress(r["offsets"]),
                "linked": bool(r["linked"]),
            }

    def relations(self) -> Iterator[sqlite3.Row]:
        return self.db.execute("SELECT * FROM relation ORDER BY a, b")

    def relation(self, a: str, b: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM relation WHERE a = ? AND b = ?", (a, b)).fetchone()

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


ENGINES = ("local", "spark")


def _engine(engine: str) -> None:
    from wiretrace.errors import UsageError

    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)}")


def evidence_json(evidence: dict) -> str:
    """A relation's evidence as the archive stores it."""
    return json.dumps(evidence, separators=(",", ":"))


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
