"""Search: the trigram index finds exactly the articles holding every word, in either
script, and stays exact when articles are re-extracted or an older archive is upgraded."""

from __future__ import annotations

import dataclasses
import random
import sqlite3

import opencc
import pytest

from wiretrace import Archive
from wiretrace.archive import MIGRATIONS
from wiretrace.archive import core as archive_core
from wiretrace.errors import ArchiveError, SearchUnavailable
from wiretrace.archive import pack_offsets
from wiretrace.normalize import matching_form, title_form

from conftest import EXAMPLES


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    archive = Archive(tmp_path_factory.mktemp("search") / "a.db")
    archive.ingest([str(EXAMPLES)], link=False)
    return archive


def _holders(archive: Archive, terms: list[str]) -> set[str]:
    """What search must answer, by reading every article (no index)."""
    rows = archive.db.execute("SELECT id, title, normalized FROM article").fetchall()
    return {r["id"] for r in rows
            if all(t in title_form(r["title"]) or t in r["normalized"] for t in terms)}


def _split_trigrams(text: str, rng: random.Random) -> list[str]:
    """Four-character strings whose two trigrams both occur in ``text`` but which do not:
    an index of trigrams without positions takes them for a match."""
    grams = {text[i:i + 3] for i in range(len(text) - 2)}
    by_head: dict[str, list[str]] = {}
    for g in sorted(grams):  # not set order, which changes with the process's string hashing
        by_head.setdefault(g[:2], []).append(g)
    out = []
    for g in sorted(grams):
        for h in by_head.get(g[1:], ()):
            word = g + h[2]
            if word not in text and not any(ch.isspace() for ch in word):
                out.append(word)
    rng.shuffle(out)
    return out


def _automerge(archive: Archive) -> int:
    """How many segments the index merges at a time (FTS5 keeps only non-default settings)."""
    row = archive.db.execute("SELECT v FROM search_config WHERE k = 'automerge'").fetchone()
    return 4 if row is None else int(row[0])


def test_index_merges_sixteen_segments_at_a_time(examples):
    # schema 6: inserting into the index is most of ingest's writer time at scale, and
    # merging is its part that grows
    assert _automerge(examples) == 16


def _index_is_exact(archive: Archive) -> None:
    # FTS5 compares its index with the texts it reads (search_text); raises if they differ
    archive.db.execute("INSERT INTO search (search, rank) VALUES ('integrity-check', 1)")


def test_search_answers_what_reading_every_article_answers(examples):
    rng = random.Random(5)
    # ordered by text, not id: ids hash the captures' paths, so an id order would draw other
    # queries in every checkout
    rows = examples.db.execute("SELECT id, title, normalized FROM article ORDER BY normalized, title").fetchall()
    assert len(rows) >= 20
    to_trad = opencc.OpenCC("s2t")
    queries: list[list[str]] = []
    for _ in range(150):
        row = rng.choice(rows)
        text = rng.choice([row["normalized"], title_form(row["title"]) or row["normalized"]])
        n = rng.choice([2, 3, 4, 6, 9])
        start = rng.randrange(max(1, len(text) - n))
        queries.append([w for w in text[start:start + n].split() if w])
        if rng.random() < 0.3:  # two words from two articles: usually nothing holds both
            other = rng.choice(rows)["normalized"]
            s = rng.randrange(max(1, len(other) - 4))
            queries[-1] += [w for w in other[s:s + 4].split() if w]
    # from every text search reads, titles too: a word absent from the bodies may sit in a title
    searched = [r["normalized"] for r in rows] + [title_form(r["title"]) for r in rows]
    tricky = _split_trigrams("\n".join(searched), rng)[:40]
    assert len(tricky) >= 20
    queries += [[w] for w in tricky]
    nonempty = 0
    for terms in filter(None, queries):
        expected = _holders(examples, terms)
        # the user's query in the other script gives the same answer
        for query in (" ".join(terms), to_trad.convert(" ".join(terms))):
            found = examples.search(query, limit=10_000)
            assert len(found) == len(set(found))
            assert set(found) == expected, (query, terms)
        nonempty += bool(expected)
    assert nonempty >= 100
    # every index-only candidate is rejected: none of the tricky words is found
    assert all(not examples.search(w, limit=10) for w in tricky)


def test_search_puts_titles_first_and_pages(examples):
    rows = examples.db.execute("SELECT id, title, normalized FROM article").fetchall()
    # a word in some titles and in other articles' bodies only
    titled = {}
    for r in rows:
        t = title_form(r["title"])
        for i in range(len(t) - 1):
            w = t[i:i + 2]
            if not any(ch.isspace() for ch in w):
                titled.setdefault(w, set()).add(r["id"])
    def spread(w):
        holders = _holders(examples, [w])
        return min(len(titled[w]), len(holders - titled[w]))
    word = max(sorted(titled), key=spread)
    assert spread(word) >= 2
    found = examples.search(word, limit=10_000)
    assert set(found) == _holders(examples, [word])
    in_title = [i in titled[word] for i in found]
    assert in_title == sorted(in_title, reverse=True)
    assert examples.search(word, limit=2, offset=1) == found[1:3]
    assert examples.search(opencc.OpenCC("s2t").convert(word), limit=10_000) == found


def test_reextracted_article_is_searched_by_its_new_text(tmp_path):
    archive = Archive(tmp_path / "a.db")
    archive.ingest([str(EXAMPLES)], link=False)
    art = max(archive.articles(), key=lambda a: len(a.body))
    old_only = matching_form(art.body[-40:]).text.split()[-1][-6:]
    assert len(old_only) >= 4 and art.id in archive.search(old_only, limit=10_000)
    new_body = art.body[: len(art.body) // 2] + "\n\n编者按：本文只保留前半部分。"
    form = matching_form(new_body)
    with archive.transaction():
        archive.put_article(dataclasses.replace(art, body=new_body), form.text, pack_offsets(form.offsets),
                            None, title_form(art.title))
    _index_is_exact(archive)
    assert art.id in archive.search("只保留前半部分")
    assert art.id not in archive.search(old_only, limit=10_000)
    # the same text again (a template re-applied) leaves the index as exact
    with archive.transaction():
        archive.put_article(dataclasses.replace(art, body=new_body), form.text, pack_offsets(form.offsets),
                            None, title_form(art.title))
    _index_is_exact(archive)
    assert archive.search("只保留前半部分").count(art.id) == 1


def test_archive_of_schema_4_gets_the_new_index(tmp_path):
    """An archive whose search index held its own copies, with positions (version 4), is
    upgraded in place: the same articles answer the same words."""
    db = tmp_path / "a.db"
    archive = Archive(db)
    archive.ingest([str(EXAMPLES)], link=False)
    words = ["新华社", "伊朗", "疫情", "香港", "美国 总统"]
    before = {w: set(archive.search(w, limit=10_000)) for w in words}
    assert sum(map(bool, before.values())) >= 3
    archive.close()

    con = sqlite3.connect(db)
    con.executescript("""
        DROP TABLE search; DROP VIEW search_text;
        ALTER TABLE search_doc DROP COLUMN title;
        CREATE VIRTUAL TABLE search USING fts5(title, body, tokenize='trigram');
        DELETE FROM search_doc WHERE rowid % 3 = 0;  -- some articles not yet in it
        DROP TABLE link_keys;  -- version 7's
        DROP TABLE search_pending;  -- version 8's
        PRAGMA user_version = 4;
    """)
    con.close()

    # a reader (the web UI) cannot upgrade: it says so and leaves the archive as it was
    with pytest.raises(ArchiveError, match=r"a.db needs a schema upgrade; open it read-write once"):
        Archive(db, readonly=True)
    assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0] == 4

    upgraded = Archive(db)
    assert upgraded.schema_version == len(MIGRATIONS)
    assert _automerge(upgraded) == 16
    _index_is_exact(upgraded)
    n = upgraded.db.execute("SELECT count(*) FROM article").fetchone()[0]
    assert upgraded.db.execute("SELECT count(*) FROM search_doc WHERE title != ''").fetchone()[0] == n
    assert {w: set(upgraded.search(w, limit=10_000)) for w in words} == before


# -- the index built after ingest (`ingest --no-search`, then `wiretrace index`) ---------------

WORDS = ["新华社", "伊朗", "疫情", "香港", "美国 总统", "網絡空間"]


def _answers(archive: Archive) -> dict[str, list[str]]:
    return {w: archive.search(w, limit=10_000) for w in WORDS}


def test_archive_ingested_without_search_refuses_to_search_until_indexed(examples, tmp_path):
    archive = Archive(tmp_path / "a.db")
    archive.ingest([str(EXAMPLES)], link=False, search=False)
    n = archive.db.execute("SELECT count(*) FROM article").fetchone()[0]
    assert archive.search_pending() == n > 20
    # part of an archive would answer wrongly without saying so: it refuses, naming the fix
    with pytest.raises(SearchUnavailable, match=rf"a\.db: the search index lacks {n} article.*wiretrace index"):
        archive.search("新华社")
    assert archive.build_search() == n
    assert archive.search_pending() == 0
    _index_is_exact(archive)
    expected = _answers(examples)
    assert sum(map(bool, expected.values())) >= 4
    assert _answers(archive) == expected  # the same articles, in the same order
    assert archive.build_search() == 0  # nothing left to do


def test_an_ingest_with_search_indexes_what_one_without_left_out(examples, tmp_path):
    files = sorted(str(p) for p in EXAMPLES.iterdir())
    archive = Archive(tmp_path / "a.db")
    archive.ingest(files[::2], link=False, search=False)
    assert archive.search_pending() > 0
    archive.ingest(files[1::2], link=False)
    assert archive.search_pending() == 0
    _index_is_exact(archive)
    assert _answers(archive) == _answers(examples)


def test_articles_reextracted_before_or_after_indexing_are_indexed_once(tmp_path):
    """An article waiting for the index was never given to it, so re-extracting it must not
    tell the index to forget it (an external-content FTS5 index would be corrupted), and an
    indexed article stored again without search leaves the index until it is built."""
    archive = Archive(tmp_path / "a.db")
    archive.ingest([str(EXAMPLES)], link=False, search=False)
    waiting, indexed = sorted(archive.articles(), key=lambda a: len(a.body))[-2:]
    with archive.transaction():  # indexed now: given to the index, then stored again without
        _rewrite(archive, indexed, "编者按：此稿已更新。", search=True)
    with archive.transaction():
        _rewrite(archive, waiting, "编者按：本文只保留前半部分。", search=False)
        _rewrite(archive, indexed, "编者按：本文再次更新。", search=False)
    archive.build_search()
    _index_is_exact(archive)
    assert archive.search("只保留前半部分") == [waiting.id]
    assert archive.search("本文再次更新") == [indexed.id]
    assert archive.search("此稿已更新") == []


def _rewrite(archive: Archive, art, note: str, *, search: bool) -> None:
    body = art.body[: len(art.body) // 2] + "\n\n" + note
    form = matching_form(body)
    archive.put_article(dataclasses.replace(art, body=body), form.text, pack_offsets(form.offsets), None,
                        title_form(art.title), search=search)


class _Killed(Exception):
    pass


class _KillAfterFirstBatch:
    def start(self, label, total):
        pass

    def advance(self, n=1):
        raise _Killed  # after the batch's transaction committed

    def stop(self):
        pass


def test_indexing_killed_midway_keeps_its_batches_and_resumes(examples, tmp_path, monkeypatch):
    monkeypatch.setattr(archive_core, "SEARCH_BATCH", 7)
    archive = Archive(tmp_path / "a.db")
    archive.ingest([str(EXAMPLES)], link=False, search=False)
    n = archive.search_pending()
    with pytest.raises(_Killed):
        archive.build_search(_KillAfterFirstBatch())
    assert archive.search_pending() == n - 7
    with pytest.raises(SearchUnavailable):
        archive.search("新华社")
    assert archive.build_search() == n - 7
    _index_is_exact(archive)
    assert _answers(archive) == _answers(examples)
