"""``Archive``: one SQLite file, opened, migrated and queried; the Python API the CLI is a thin
layer over. The linking and story tables have stores of their own (``links``, ``stories``)."""

from __future__ import annotations

import json
import os
import sqlite3
from contextlib import contextmanager
from collections.abc import Container, Iterable, Iterator
from pathlib import Path
from typing import Any

from wiretrace.archive.links import LinkStore
from wiretrace.archive.rows import (
    CaptureRow, StoredCapture, article_of, capture_row, is_packed, normalized_of, now_iso, stored_document,
)
from wiretrace.archive.schema import MIGRATION_FILLS, MIGRATIONS
from wiretrace.archive.stories import StoryStore
from wiretrace.compression import decompress
from wiretrace.errors import ArchiveError, NotFound, SearchUnavailable
from wiretrace.model import Article, ArticleText, RawDocument, Reject
from wiretrace.progress import Progress, Quiet

DEFAULT_DB = "wiretrace.db"


def resolve_db(path: str | os.PathLike | None) -> Path:
    """--db, else $WIRETRACE_DB, else ./wiretrace.db (CLI.md)."""
    if path:
        return Path(path)
    env = os.environ.get("WIRETRACE_DB")
    return Path(env) if env else Path(DEFAULT_DB)



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
    def transaction(self, *, check_references: bool = True) -> Iterator[None]:
        """One write transaction; rolled back whole if anything fails inside.

        ``check_references=False``: foreign keys are not checked inside. SQLite checks each
        reference with a lookup in the referenced table's index, a third of the cost of storing
        a relation (12 -> 8 us a row, 96k rows into a 300k archive's relations); a writer whose
        references are ids it read from this archive in the same run may skip that, since an
        article, once stored, is only ever replaced in place, never deleted."""
        if not check_references:
            self.db.execute("PRAGMA foreign_keys=OFF")  # a no-op inside a transaction: set first
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")
        finally:
            if not check_references:
                self.db.execute("PRAGMA foreign_keys=ON")

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
            yield article_of(row)

    def article_records(self, *, all_versions: bool = False) -> Iterator[dict[str, Any]]:
        """Articles with their capture's provenance and reprint cluster, for export."""
        where = "" if all_versions else "WHERE c.current = 1"
        rows = self.db.execute(
            "SELECT a.*, c.source, c.sha256, c.format, c.encoding, c.previous, c.current, "
            "m.cluster FROM article a JOIN capture c ON c.id = a.id "
            f"LEFT JOIN cluster_member m ON m.article = a.id {where} ORDER BY c.source, c.id"
        )
        for row in rows:
            record = article_of(row).to_dict()
            record.update(
                sha256=row["sha256"], format=row["format"], encoding=row["encoding"],
                previous=row["previous"], current=bool(row["current"]), cluster=row["cluster"],
            )
            yield record

    def article(self, article_id: str) -> Article:
        return article_of(self._article_row(article_id))

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
        return normalized_of(self._article_row(article_id))

    def matching_text(self, article_id: str) -> str:
        """The matching form's text of a whole id, alone (linking's keys)."""
        return self._exact_row("normalized", article_id)[0]

    def article_text(self, article_id: str):
        """``(ArticleText, normalized)`` of a whole id: linking reads both for every pair, and
        the whole row with its capture's path (``article``) took three times as long."""
        row = self._exact_row("id, title, body, published, outlet, url, normalized, offsets", article_id)
        text = ArticleText(row["id"], row["title"], row["body"], row["published"], row["outlet"], row["url"])
        return text, normalized_of(row)

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

    def document(self, capture_id: str, raw_for: Container[str] | None = None) -> RawDocument:
        """Rebuild the RawDocument of a stored capture (for re-extraction). ``raw_for``: the
        formats whose raw bytes are wanted (None: every format); a capture of another format
        comes back with ``data`` empty. Extraction reads only a front-matter file's bytes, and
        reading and inflating the others' was ~40 % of reading a capture for it (41 of 105 us)."""
        row = self.db.execute(
            "SELECT source, sha256, format, encoding, content, content_type, meta, warnings "
            "FROM capture WHERE id = ?", (capture_id,)).fetchone()
        if row is None:
            raise NotFound(f"no capture with id {capture_id!r}")
        data = self.raw_bytes(row["sha256"]) if raw_for is None or row["format"] in raw_for else b""
        doc = stored_document(
            row["source"], data, row["format"], row["encoding"],
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
        if not is_packed(offsets):  # the entries themselves (older callers) would read back as garbage
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
ENGINES = ("local", "spark")


def _engine(engine: str) -> None:
    from wiretrace.errors import UsageError

    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)}")
