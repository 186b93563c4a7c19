"""``StoryStore``: the story tables (stories, their members, each article's event features),
used by ``wiretrace.storying``."""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from wiretrace.errors import NotFound

if TYPE_CHECKING:
    from wiretrace.archive.core import Archive


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
