"""Linking through the archive: the seeds end to end, incremental = all at once, rebuild."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wiretrace import Archive
from wiretrace.archive import MIGRATIONS

from conftest import EXAMPLES

SEED_000 = "000_e6308b167f0f33d2.txt"
SEED_001 = "001_d7cc57b77e33e5f1.txt"


def _seed_archive(tmp_path, seeds):
    archive = Archive(tmp_path / "seeds.db")
    archive.ingest([str(seeds / SEED_000), str(seeds / SEED_001)])
    ids = {a.path.rsplit("/", 1)[-1]: a.id for a in archive.articles()}
    return archive, ids[SEED_000], ids[SEED_001]


def test_seeds_one_relation_one_cluster(tmp_path, seeds):
    archive, x000, x001 = _seed_archive(tmp_path, seeds)
    (rel,) = list(archive.relations())
    # 001 was published a day before 000, so it is the earlier article `a`:
    # 000 expands it (equivalently, 001 is abridged from 000).
    assert (rel["a"], rel["b"], rel["relation"]) == (x001, x000, "expanded")
    assert rel["a_in_b"] >= 0.9  # at least 0.9 of 001's text is found in 000
    assert rel["evidence"]["passages"], "the relation keeps its evidence"
    assert archive.clusters() == [{"id": archive.clusters()[0]["id"], "articles": sorted([x000, x001])}]


def test_linking_reads_of_an_unknown_id_say_so(tmp_path, seeds):
    import pytest

    from wiretrace.errors import NotFound

    archive, x000, _ = _seed_archive(tmp_path, seeds)
    text, form = archive.article_text(x000)
    assert (text.id, text.body) == (x000, archive.article(x000).body)
    assert form.text == archive.matching_text(x000) == archive.normalized(x000).text
    for read in (archive.article_text, archive.matching_text):
        with pytest.raises(NotFound, match="no article with id 'x000'"):
            read("x000")  # whole ids only: a prefix is not looked up here
        with pytest.raises(NotFound):
            read(x000[:6])


def test_linking_reads_the_headlines_that_tell_an_update(tmp_path, corpus):
    """Kyodo's flash and its detailed story share under UPDATED_SHARE of their text: through
    the archive they are an update only because their headlines match, so the headline must
    reach the verdict along with the text (a leaner read for linking once dropped it)."""
    folder = tmp_path / "posts"
    folder.mkdir()
    for name in ("2021-01-05-KYODO-快讯-日政府拟继续在全国暂停go-to项目.html",
                 "2021-01-05-KYODO-详讯-日政府拟继续在全国暂停go-to项目.html"):
        shutil.copy(corpus / name, folder / name)
    archive = Archive(tmp_path / "a.db")
    archive.ingest([str(folder)])
    (rel,) = list(archive.relations())
    assert max(rel["a_in_b"], rel["b_in_a"]) < 0.85
    assert rel["relation"] == "updated"


def test_seeds_diff(tmp_path, seeds):
    archive, x000, x001 = _seed_archive(tmp_path, seeds)
    d = archive.diff(x000, x001)
    a_body, b_body = archive.article(x000).body, archive.article(x001).body
    only_a = "".join(o["text"] for o in d["only_a"])
    only_b = "".join(o["text"] for o in d["only_b"])
    closing = a_body[a_body.index("張軍強調"):a_body.index("美好的未來") + len("美好的未來")]
    assert closing in only_a, "the closing paragraph is only in 000"
    assert "据新华社报道" in only_b
    # every span indexes the original body and carries its text
    for o in d["only_a"]:
        assert a_body[o["span"][0]:o["span"][1]] == o["text"]
    for o in d["only_b"]:
        assert b_body[o["span"][0]:o["span"][1]] == o["text"]
    # shared passages are not listed as only in one side
    assert "中國常駐聯合國代表張軍29日表示" not in only_a
    assert "中国常驻联合国代表张军29日表示" not in only_b
    for p in d["passages"]:
        assert 0 <= p["a"][0] < p["a"][1] <= len(a_body)
        assert 0 <= p["b"][0] < p["b"][1] <= len(b_body)


def test_diff_cli_json_shape(tmp_path, seeds):
    archive, x000, x001 = _seed_archive(tmp_path, seeds)
    proc = subprocess.run(
        [sys.executable, "-m", "wiretrace", "diff", x000, x001, "--db", str(archive.path), "--json"],
        capture_output=True,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    d = json.loads(proc.stdout)
    assert set(d) >= {"a", "b", "passages", "only_a", "only_b"}
    assert set(d["passages"][0]) == {"a", "b", "similarity"}
    assert set(d["only_a"][0]) == {"span", "text"}
    # and the terminal view renders without error, labelling the rows
    proc = subprocess.run(
        [sys.executable, "-m", "wiretrace", "diff", x000, x001, "--db", str(archive.path)],
        capture_output=True, env={**os.environ, "COLUMNS": "160"},
    )
    out = proc.stdout.decode()
    assert proc.returncode == 0, proc.stderr.decode()
    labels = [line.split("│")[1].strip() for line in out.splitlines() if line.startswith("│") and line.split("│")[1].strip()]
    # 据新华社报道 is shown inside its changed passage; the closing paragraph
    # of 000 stands on a row of its own, dropped
    assert {"dropped", "changed"} <= set(labels)
    dropped_rows = [line for line in out.splitlines() if line.startswith("│ dropped")]
    assert any("張軍強調" in line for line in dropped_rows)
    assert "据新华社报道" in out


def _snapshot(archive):
    return (
        sorted((r["a"], r["b"], r["relation"], r["a_in_b"], r["b_in_a"]) for r in archive.relations()),
        archive.clusters(),
    )


def test_incremental_linking_equals_all_at_once(tmp_path, corpus):
    names = sorted(os.listdir(corpus))
    # two days of every outlet: enough reprints, updates and partials to compare
    chosen = [n for n in names if n.startswith(("2021-01-05", "2021-01-06"))][::2]
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(), second.mkdir()
    for i, name in enumerate(chosen):
        shutil.copy(corpus / name, (first if i % 2 else second) / name)

    # all at once, the pairs are verified in worker processes; each half, in this one
    from wiretrace.pool import PARALLEL_MIN

    assert len(chosen) >= PARALLEL_MIN > len(chosen) - len(chosen) // 2
    whole = Archive(tmp_path / "whole.db")
    whole.ingest([str(first), str(second)])
    halves = Archive(tmp_path / "halves.db")
    halves.ingest([str(first)])
    halves.ingest([str(second)])
    expected = _snapshot(whole)
    assert expected[0], "the sample should hold relations"
    assert _snapshot(halves) == expected

    summary = halves.link(rebuild=True)
    assert summary.linked == len(chosen)
    assert _snapshot(halves) == expected


def test_one_corpus_at_two_paths_links_and_groups_the_same(tmp_path, corpus, monkeypatch):
    """Ids hash the capture's path, so the same posts read from two folders get other
    ids, another batch order and other id tie-breaks; what is found must not change.
    (It did: the batch-by-batch stop-key count and the id tie-break of ``orient`` made
    one corpus link differently in CI's checkout than here.) A small batch and cap make
    the stop-key rule bite across batches on a few hundred posts, and a small template
    sample makes each outlet's template learnt from a subset of its posts: the same
    posts, whatever their path (the bodies do not show it here, the samples do)."""
    from wiretrace import ingest, linking

    monkeypatch.setattr(linking, "BATCH", 64)
    monkeypatch.setattr(linking, "MAX_POSTINGS", 20)
    monkeypatch.setattr(ingest, "TEMPLATE_SAMPLE", 6)
    chosen = [n for n in sorted(os.listdir(corpus)) if n.startswith(("2021-01-05", "2021-01-06"))][::2]
    results = []
    for where in ("here", "there/deeper"):
        folder = tmp_path / where / "posts"
        folder.mkdir(parents=True)
        for name in chosen:
            shutil.copy(corpus / name, folder / name)
        archive = Archive(tmp_path / where / "a.db")
        archive.ingest([str(folder)], jobs=1)
        name = {a.id: os.path.basename(a.path) for a in archive.articles()}
        sha = {r["id"]: r["sha256"] for r in archive.db.execute("SELECT id, sha256 FROM capture")}
        results.append((
            sorted(sorted(sha[i] for i in archive.outlet_sample(key, 6)) for key in archive.outlet_keys()),
            sorted((name[a.id], a.title, a.body) for a in archive.articles()),
            sorted((name[r["a"]], name[r["b"]], r["relation"], r["a_in_b"], r["b_in_a"]) for r in archive.relations()),
            sorted(sorted(name[i] for i in c["articles"]) for c in archive.clusters()),
            sorted(sorted(name[i] for i in s["articles"]) for s in archive.stories()),
        ))
        archive.close()
    assert results[0][2] and results[0][3], "the posts should hold relations and clusters"
    assert results[0] == results[1]


def test_batches_in_signature_order_link_as_batches_in_id_order(tmp_path, corpus, monkeypatch):
    """Linking takes new articles in the order of their signature's first value (a worker
    then meets a partner it has just read): only the speed may change with that, not one
    relation, evidence or cluster. Small batches and cap make batches and the stop-key rule
    matter on a few hundred posts."""
    from wiretrace import linking

    monkeypatch.setattr(linking, "BATCH", 64)
    monkeypatch.setattr(linking, "MAX_POSTINGS", 20)
    posts = tmp_path / "posts"
    posts.mkdir()
    for name in [n for n in sorted(os.listdir(corpus)) if n.startswith(("2021-01-05", "2021-01-06"))][::2]:
        shutil.copy(corpus / name, posts / name)
    seen = []
    by_signature = linking._batches

    def recorded(new_ids, keyed):
        batches = by_signature(new_ids, keyed)
        seen.append([keyed[i][0][:4] for batch in batches for i in batch])
        return batches

    results = []
    for name, batches in (("signature", recorded),
                          ("id", lambda new_ids, keyed: [sorted(new_ids)[k:k + linking.BATCH]
                                                         for k in range(0, len(new_ids), linking.BATCH)])):
        monkeypatch.setattr(linking, "_batches", batches)
        archive = Archive(tmp_path / f"{name}.db")
        archive.ingest([str(posts)], jobs=1, stories=False)
        evidence = sorted((r["a"], r["b"], r["evidence"]) for r in archive.db.execute("SELECT a, b, evidence FROM relation"))
        results.append((_snapshot(archive), evidence))
    assert results[0][0][0], "the posts should hold relations"
    assert results[0] == results[1]
    order = seen[0]
    assert order == sorted(order) and len(set(order)) < len(order), "equal first values, side by side"


def test_examples_find_the_readme_cases(tmp_path):
    archive = Archive(tmp_path / "ex.db")
    archive.ingest([str(EXAMPLES)])
    by_name = {a.path.rsplit("/", 1)[-1]: a.id for a in archive.articles()}
    rels = {frozenset((r["a"], r["b"])): r["relation"] for r in archive.relations()}

    def relation(x, y):
        return rels.get(frozenset((by_name[x], by_name[y])))

    # the same AFP text, traditional (CNA) and simplified (RFI)
    assert relation(
        "2021-01-05-CNA-伊朗再推進濃縮鈾工作-2015年核子協議逐步崩解.html",
        "2021-01-05-RFI-伊朗再推进浓缩铀工作-2015年核子协议瓦解-法国国际广播电台-rfi.html",
    ) in {"duplicate", "reprint", "abridged", "expanded"}
    # an abridged AFP reprint with a different lede (Jaccard 0.24)
    assert relation(
        "2021-01-06-CNA-opec+同意微增產量-國際油價大漲.html",
        "2021-01-06-RFI-沙乌地宣布减产-油价劲扬-法国国际广播电台-rfi.html",
    ) in {"abridged", "expanded", "reprint"}
    # templates that report different events are not reprints
    assert relation(
        "2021-01-04-REUTERS-路透测算的人民币中间价料贬至6.5444元附近-上日美指反弹.html",
        "2021-01-05-REUTERS-路透测算的人民币中间价料升至6.4978元附近-美指反弹限制升幅.html",
    ) in {None, "partial"}


def _posts(tmp_path, corpus, days, step=2):
    folder = tmp_path / "posts"
    folder.mkdir()
    for name in [n for n in sorted(os.listdir(corpus)) if n.startswith(days)][::step]:
        shutil.copy(corpus / name, folder / name)
    return folder


def _index_on_disk(archive) -> set[tuple[int, str]]:
    import numpy as np

    name = dict(archive.db.execute("SELECT handle, article FROM linked"))
    out: set[tuple[int, str]] = set()
    for keys, holders in archive.db.execute("SELECT keys, holders FROM link_segment"):
        for k, h in zip(np.frombuffer(keys, "<i8").tolist(), np.frombuffer(holders, "<i8").tolist()):
            assert h in name, "a posting of an article no longer linked"
            out.add((k, name[h]))
    return out


def test_the_index_writes_a_batch_once_and_gathers_many_rows_on_the_next_load(tmp_path, corpus, monkeypatch):
    """A run writes one segment row a batch and rewrites none; an archive holding more than
    MAX_ROWS of them gathers them when it next loads its index, keeping every posting."""
    from wiretrace import linking
    from wiretrace.archive import LinkStore
    from wiretrace.link import postings

    monkeypatch.setattr(linking, "BATCH", 16)
    archive = Archive(tmp_path / "a.db")
    archive.ingest([str(_posts(tmp_path, corpus, ("2021-01-05",), step=3))])
    linked = archive.db.execute("SELECT count(*) FROM linked").fetchone()[0]
    rows = archive.db.execute("SELECT count(*) FROM link_segment").fetchone()[0]
    assert rows == -(-linked // 16) > 4
    index, relations = _index_on_disk(archive), _snapshot(archive)

    monkeypatch.setattr(postings, "MAX_ROWS", 4)
    with archive.transaction():
        loaded = LinkStore(archive).postings()
    gathered = archive.db.execute("SELECT count(*) FROM link_segment").fetchone()[0]
    assert gathered == len(loaded.segments) < rows
    assert _index_on_disk(archive) == index
    assert archive.link(rebuild=False).linked == 0 and _snapshot(archive) == relations


def test_a_link_that_fails_mid_run_keeps_whole_commits_and_ends_as_one_never_stopped(tmp_path, corpus, monkeypatch):
    """Batches are committed ``COMMIT_BATCHES`` at a time: a link that fails in a later batch
    keeps the committed batches whole (keys, postings and relations) and nothing of the
    others, and linking again ends as a link never stopped."""
    from wiretrace import linking

    monkeypatch.setattr(linking, "BATCH", 16)
    monkeypatch.setattr(linking, "COMMIT_BATCHES", 2)
    folder = _posts(tmp_path, corpus, ("2021-01-05",), step=3)
    whole = Archive(tmp_path / "whole.db")
    whole.ingest([str(folder)])
    expected = _snapshot(whole), _index_on_disk(whole)
    assert expected[0][0], "the posts should hold relations"

    archive = Archive(tmp_path / "a.db")
    archive.ingest([str(folder)], link=False)
    real, calls = linking._store_relations, []

    def failing(store, rows, summary):
        calls.append(len(rows))
        if len(calls) == 4:
            raise RuntimeError("disk full")
        real(store, rows, summary)

    monkeypatch.setattr(linking, "_store_relations", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        archive.link()
    linked = {r[0] for r in archive.db.execute("SELECT article FROM linked")}
    # one commit of batches 1-2; the third was stored in the transaction the fourth's failure undid
    assert len(linked) == 2 * 16
    stored = archive.relations()
    assert stored and all(r["a"] in linked and r["b"] in linked for r in stored)
    assert {article for _, article in _index_on_disk(archive)} == linked

    monkeypatch.setattr(linking, "_store_relations", real)
    assert archive.link().linked == len(list(archive.articles())) - len(linked)
    assert (_snapshot(archive), _index_on_disk(archive)) == expected


def test_version_3_archive_upgrades_its_index(tmp_path, corpus, monkeypatch):
    """An archive written by the version with a row per (key, article) keeps its index:
    the same postings and anchor counts as segments (several: the conversion writes one per
    MAX_SEGMENT // 200 articles, made small here), and links new posts as before."""
    import sqlite3

    from wiretrace import link
    from wiretrace.archive import LinkStore

    folder = _posts(tmp_path, corpus, ("2021-01-05",), step=3)
    archive = Archive(tmp_path / "a.db")
    archive.ingest([str(folder)])
    before = _snapshot(archive)
    index = _index_on_disk(archive)
    anchors = dict(archive.db.execute("SELECT article, anchors FROM linked"))
    archive.close()
    assert index and before[0]

    # version 3's tables, filled from the same keys
    con = sqlite3.connect(tmp_path / "a.db")
    con.executescript("""
        CREATE TABLE linked_old (article TEXT PRIMARY KEY REFERENCES article(id), signature BLOB NOT NULL);
        INSERT INTO linked_old SELECT article, signature FROM linked;
        CREATE TABLE link_key (key INTEGER NOT NULL, article TEXT NOT NULL REFERENCES article(id));
        CREATE INDEX link_key_key ON link_key(key);
        CREATE INDEX link_key_article ON link_key(article);
    """)
    con.executemany("INSERT INTO link_key VALUES (?, ?)", sorted(index))
    con.executescript("""
        DROP TABLE linked; DROP TABLE link_segment; DELETE FROM sqlite_sequence WHERE name = 'linked';
        ALTER TABLE linked_old RENAME TO linked;
        -- and version 3's search index (version 5 replaced it)
        DROP TABLE search; DROP VIEW search_text; ALTER TABLE search_doc DROP COLUMN title;
        CREATE VIRTUAL TABLE search USING fts5(title, body, tokenize='trigram');
        DROP TABLE link_keys;  -- version 7's
        DROP TABLE search_pending;  -- version 8's
        PRAGMA user_version = 3;
    """)
    con.close()

    from wiretrace.link import postings

    monkeypatch.setattr(postings, "MAX_SEGMENT", 200 * 7)
    upgraded = Archive(tmp_path / "a.db")
    assert upgraded.schema_version == len(MIGRATIONS)
    n_linked = upgraded.db.execute("SELECT count(*) FROM linked").fetchone()[0]
    assert upgraded.db.execute("SELECT count(*) FROM link_segment").fetchone()[0] == -(-n_linked // 7)
    assert _index_on_disk(upgraded) == index
    assert dict(upgraded.db.execute("SELECT article, anchors FROM linked")) == anchors
    assert _snapshot(upgraded) == before
    # the upgraded index answers as the keys say: a new copy of a linked article meets it
    some = next(iter(upgraded.articles()))
    found = link.candidates({"new": link.keys(upgraded.normalized(some.id).text)}, LinkStore(upgraded).postings())
    assert ("new", some.id) in found or (some.id, "new") in found


def test_reextracted_article_leaves_no_stale_postings(tmp_path, corpus):
    """An article re-extracted with another text is unlinked (its handle dropped); the next
    link run drops its old postings from the index and indexes its new keys."""
    import dataclasses

    from wiretrace import link
    from wiretrace.archive import pack_offsets
    from wiretrace.normalize import matching_form

    folder = _posts(tmp_path, corpus, ("2021-01-05",), step=4)
    archive = Archive(tmp_path / "a.db")
    archive.ingest([str(folder)])
    art = next(iter(archive.articles()))
    old_keys = {int(k) for k in link.keys(archive.normalized(art.id).text)}
    with archive.transaction():
        # the same body cut in half: a new matching form, so linking forgets the article
        half = art.body[: len(art.body) // 2]
        form = matching_form(half)
        archive.put_article(dataclasses.replace(art, body=half), form.text, pack_offsets(form.offsets), None)
    summary = archive.link()
    assert summary.linked == 1
    index = _index_on_disk(archive)
    new_keys = {int(k) for k in link.keys(form.text)}
    assert {k for k, a in index if a == art.id} == new_keys
    assert old_keys - new_keys, "the test needs keys only the old text had"


def test_a_transaction_may_leave_references_unchecked_and_checks_them_again_after(tmp_path, seeds):
    """``check_references=False`` turns foreign keys off for its transaction only: on again
    after a commit and after a rollback."""
    import sqlite3

    archive = Archive(tmp_path / "a.db")
    archive.ingest([str(seeds / SEED_000)], link=False)
    insert = "INSERT INTO cluster_member (article, cluster) VALUES ('no such article', 'c')"
    with pytest.raises(sqlite3.IntegrityError), archive.transaction():
        archive.db.execute(insert)
    with pytest.raises(RuntimeError), archive.transaction(check_references=False):
        archive.db.execute(insert)  # accepted: unchecked
        raise RuntimeError("undone")
    assert archive.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    with archive.transaction(check_references=False):
        archive.db.execute(insert)
    assert archive.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert archive.db.execute("SELECT count(*) FROM cluster_member").fetchone()[0] == 1


def test_linking_with_nothing_new_does_not_load_the_index(tmp_path, seeds, monkeypatch):
    # at a million articles the index is GBs of blobs: a `wiretrace link` with nothing new
    # must recompute the clusters without reading it
    from wiretrace.archive import LinkStore
    from wiretrace.linking import link_archive

    archive, x000, x001 = _seed_archive(tmp_path, seeds)

    def no_index(self):
        raise AssertionError("the index was loaded")

    monkeypatch.setattr(LinkStore, "postings", no_index)
    summary = link_archive(archive)
    assert (summary.linked, summary.candidates, summary.clusters) == (0, 0, 1)


def test_keys_made_at_extraction_are_used_once_and_equal_linkings_own(tmp_path, corpus):
    """Extraction leaves each new article's signature and keys for linking, which takes them
    and clears them; an archive from before (schema 6, none left) links the same."""
    import sqlite3

    from wiretrace.archive import pack_offsets
    from wiretrace.linking import keys_of, link_archive

    folder = _posts(tmp_path, corpus, ("2021-01-05",), step=3)
    archive = Archive(tmp_path / "a.db")
    archive.ingest([str(folder)], link=False)
    waiting = {r[0]: (r[1], r[2]) for r in archive.db.execute("SELECT article, signature, keys FROM link_keys")}
    ids = [a.id for a in archive.articles()]
    assert sorted(waiting) == sorted(ids)
    assert all(waiting[i] == keys_of(archive.matching_text(i)) for i in ids)
    link_archive(archive, jobs=1)
    assert archive.db.execute("SELECT count(*) FROM link_keys").fetchone()[0] == 0
    linked = _snapshot(archive)
    assert linked[0], "the day's posts hold reprints"
    # extracted again: the same text keeps no keys (its own are in the index), another does
    article, norm = archive.article(ids[0]), archive.normalized(ids[0])
    for text, kept in ((norm.text, 0), (norm.text + "又", 1)):
        with archive.transaction():
            archive.put_article(article, text, pack_offsets(list(norm.offsets) + [len(article.body)]),
                                None, link_keys=keys_of(text))
        assert archive.db.execute("SELECT count(*) FROM link_keys").fetchone()[0] == kept
    # a third text whose keys go elsewhere (an ingest that links): the second text's row goes
    with archive.transaction():
        archive.put_article(article, norm.text + "又又", pack_offsets(list(norm.offsets) + [len(article.body)] * 2),
                            None)
    assert archive.db.execute("SELECT count(*) FROM link_keys").fetchone()[0] == 0

    old = Archive(tmp_path / "old.db")
    old.ingest([str(folder)], link=False)
    old.close()
    con = sqlite3.connect(tmp_path / "old.db")
    con.executescript("DROP TABLE link_keys; DROP TABLE search_pending; PRAGMA user_version = 6;")
    con.close()
    old = Archive(tmp_path / "old.db")
    assert old.db.execute("SELECT count(*) FROM link_keys").fetchone()[0] == 0
    link_archive(old, jobs=1)
    assert _snapshot(old) == linked


def test_an_ingest_that_links_hands_the_keys_over_without_storing_them(tmp_path, corpus, monkeypatch):
    """The CLI's ingest links at once: the keys made at extraction reach linking in memory,
    none stored and none made again, and the relations are those of ingesting, then linking."""
    import wiretrace.linking as linking

    folder = _posts(tmp_path, corpus, ("2021-01-05",), step=3)
    apart = Archive(tmp_path / "apart.db")
    apart.ingest([str(folder)], link=False)
    linking.link_archive(apart, jobs=1)

    handed_to_put = []
    put_article = Archive.put_article

    def spy(self, *args, **kwargs):
        handed_to_put.append(kwargs.get("link_keys"))
        return put_article(self, *args, **kwargs)

    def made_again(*args):
        raise AssertionError("linking made keys that extraction had made")

    monkeypatch.setattr(Archive, "put_article", spy)
    monkeypatch.setattr(linking, "_keys", made_again)
    at_once = Archive(tmp_path / "at_once.db")
    summary = at_once.ingest([str(folder)], jobs=1)
    assert summary.link.linked == len(handed_to_put) > 0
    assert all(keys is None for keys in handed_to_put)
    assert _snapshot(at_once) == _snapshot(apart)


_SPAN = st.tuples(st.integers(0, 10**6), st.integers(0, 10**6))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_SPAN, _SPAN, st.floats(0, 1))), st.lists(_SPAN), st.lists(_SPAN))
def test_evidence_text_is_the_json_of_the_evidence(passages, only_a, only_b):
    from wiretrace.archive import evidence_json
    from wiretrace.linking import evidence_text
    from wiretrace.model import Passage, Relation

    relation = Relation("a", "b", "reprint", 0.9, 0.9, [Passage(a, b, s) for a, b, s in passages], only_a, only_b)
    evidence = {"passages": [[list(a), list(b), round(s, 4)] for a, b, s in passages],
                "only_a": [list(s) for s in only_a], "only_b": [list(s) for s in only_b]}
    assert evidence_text(relation) == evidence_json(evidence)
    assert json.loads(evidence_text(relation)) == evidence


@pytest.mark.parametrize("n_keys", [50, 1_500_000])  # galloping, and through a directory
def test_pending_counts_follow_the_batches_removed(n_keys):
    """_Pending: how many articles not linked yet hold each key, batch after batch."""
    from collections import Counter

    from wiretrace.link.postings import DIRECTORY_MIN
    from wiretrace.linking import _Pending

    rng = np.random.default_rng(3)
    vocabulary = rng.integers(-2**62, 2**62, n_keys)
    articles = list(np.sort(rng.choice(vocabulary, (n_keys // 4, 8)), axis=1))
    pending, left = _Pending(articles), Counter(k for keys in articles for k in keys.tolist())
    assert (pending.directory is not None) == (len(pending.keys) >= DIRECTORY_MIN) == (n_keys > 50)
    for start in range(0, len(articles), len(articles) // 5):
        batch = articles[start:start + len(articles) // 5]
        pending.remove(batch)
        left.subtract(k for keys in batch for k in keys.tolist())
        asked = np.unique(np.concatenate(batch))
        assert pending(asked).tolist() == [left[k] for k in asked.tolist()]
        other = np.unique(rng.choice(pending.keys, 300))  # not the batch just removed
        assert pending(other).tolist() == [left[k] for k in other.tolist()]
