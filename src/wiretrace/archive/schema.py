"""The archive's schema: each migration moves an archive one version on, in place."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from wiretrace.archive.core import Archive

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
    from wiretrace.archive.links import LinkStore

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
