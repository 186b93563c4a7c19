"""Stories in the archive: the seeds' story and provenance, same-event grouping on corpus posts
through ingest, incremental scoring, filters, the `stories`/`story`/`report` commands, the
stories export and hostile captures in the HTML report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from wiretrace import Archive
from wiretrace.export import export

from conftest import EXAMPLES

SEED_FULL, SEED_SHORT = "000_e6308b167f0f33d2.txt", "001_d7cc57b77e33e5f1.txt"
ARRESTS_RTHK = "2021-01-06-RTHK-53人發起或參與民主派初選-涉顛覆國家政權罪被捕.md"
ARRESTS_DW = "2021-01-06-DW-港警拘捕53民主人士-国安法后最大规模.html"
RMB_0104 = "2021-01-04-REUTERS-路透测算的人民币中间价料贬至6.5444元附近-上日美指反弹.html"
RMB_0105 = "2021-01-05-REUTERS-路透测算的人民币中间价料升至6.4978元附近-美指反弹限制升幅.html"


def run(*args: str, db: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "wiretrace", *args, "--db", str(db)], capture_output=True, text=True
    )


def id_of(archive: Archive, name: str) -> str:
    return next(a.id for a in archive.articles() if Path(a.path).name == name)


@pytest.fixture(scope="module")
def seeds_db(tmp_path_factory, seeds):
    db = tmp_path_factory.mktemp("seeds") / "seeds.db"
    with Archive(db) as archive:
        archive.ingest([str(seeds / SEED_FULL), str(seeds / SEED_SHORT)])
    return db


def test_seeds_story_and_provenance_through_the_cli(seeds_db):
    out = run("stories", "--json", db=seeds_db)
    assert out.returncode == 0, out.stderr
    (listed,) = [json.loads(x) for x in out.stdout.splitlines()]
    with Archive(seeds_db, readonly=True) as archive:
        full, short = id_of(archive, SEED_FULL), id_of(archive, SEED_SHORT)
    assert set(listed) >= {"id", "articles", "source", "fullest", "earliest", "title"}
    assert listed["articles"] == sorted([full, short])
    assert (listed["source"], listed["fullest"], listed["earliest"]) == ("新华社", full, short)

    out = run("story", listed["id"][:6], "--json", db=seeds_db)  # a unique prefix is enough
    assert out.returncode == 0, out.stderr
    story = json.loads(out.stdout)
    assert story["id"] == listed["id"] and story["kind"] == "story"
    assert [m["id"] for m in story["timeline"]] == [short, full]  # by publication time
    assert [m["relation"] for m in story["timeline"]] == ["abridged", "fullest"]
    assert [(r["a"], r["b"]) for r in story["relations"]] == [(short, full)]
    edits = {m["id"]: m for m in story["members"]}[short]
    with Archive(seeds_db, readonly=True) as archive:
        bodies = {full: archive.article(full).body, short: archive.article(short).body}
    # dropped sentences index the fullest body, the others the member's own body
    for key, owner in (("kept", short), ("changed", short), ("added", short), ("dropped", full)):
        for item in edits[key]:
            s, e = item["span"]
            assert bodies[owner][s:e] == item["text"]
    assert edits["dropped"] and edits["added"]


def test_unknown_story_is_a_clear_error(seeds_db):
    out = run("story", "s000000000000", db=seeds_db)
    assert out.returncode == 1
    assert "no story with id 's000000000000'" in out.stderr
    out = run("story", "c", db=seeds_db)
    assert out.returncode == 1 and "cluster id 'c'" in out.stderr


def test_an_ingest_may_leave_stories_for_later(seeds_db, seeds, tmp_path):
    """`stories=False` links but does not regroup; regrouping later gives the stories an
    ingest that regroups gives."""
    with Archive(tmp_path / "later.db") as archive:
        summary = archive.ingest([str(seeds / SEED_FULL), str(seeds / SEED_SHORT)], stories=False)
        assert summary.stories is None and "stories" not in summary.to_dict()
        assert summary.link.relations == 1 and len(archive.clusters()) == 1
        assert archive.stories() == []
        assert archive.update_stories().scored == 2
        later = archive.stories()
    with Archive(seeds_db, readonly=True) as archive:
        assert later == archive.stories() and len(later) == 1


def test_report_is_self_contained_and_written_whole(seeds_db, tmp_path):
    with Archive(seeds_db, readonly=True) as archive:
        story_id = archive.stories()[0]["id"]
    out = tmp_path / "story.html"
    done = run("report", story_id, "--html", str(out), db=seeds_db)
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    assert "新华社" in page and "联合早报" in page and "中國產業經濟信息網" in page
    assert 'class="dropped"' in page and 'class="added"' in page  # the side-by-side diff
    for outside in ("http://", "https://", "src=", "<script", "<link"):  # no network, no script
        assert outside not in page.replace("https://www.zaobao.com", "")  # a member's url is text
    bad = run("report", story_id, "--html", str(tmp_path / "no" / "such" / "dir.html"), db=seeds_db)
    assert bad.returncode == 1 and "no/such/dir.html" in bad.stderr
    assert not list((tmp_path).glob("**/*.partial"))


HOSTILE = """<html><head><title>&lt;img src=x onerror=alert(1)&gt; 攻擊標題</title></head><body>
<article><h1>&lt;img src=x onerror=alert(1)&gt; 攻擊標題</h1>
<p>第一段：&lt;script&gt;alert("xss")&lt;/script&gt; 這是一篇測試報道，內容足夠長以便抽取器把它當作正文。</p>
<p>第二段：&lt;a href="javascript:alert(2)"&gt;點我&lt;/a&gt; 記者在現場看到很多人排隊等候。</p>
<p>第三段：這段文字只是為了讓正文更長一些，好讓抽取器相信這是一篇真正的新聞報道。</p>
</article></body></html>"""


def test_hostile_capture_is_escaped_in_the_report(tmp_path):
    src = tmp_path / "hostile.html"
    src.write_text(HOSTILE, encoding="utf-8")
    db = tmp_path / "h.db"
    with Archive(db) as archive:
        archive.ingest([str(src)])
        art = next(archive.articles())
        assert "<script>" in art.body  # the captured text really holds markup
        story_id = archive.stories()[0]["id"]
    out = tmp_path / "h.html"
    assert run("report", story_id, "--html", str(out), db=db).returncode == 0
    page = out.read_text(encoding="utf-8")
    assert "&lt;script&gt;" in page and "<script" not in page
    assert "<img" not in page and "onerror=alert(1)&gt;" in page
    assert 'href="javascript' not in page


@pytest.fixture(scope="module")
def week(corpus, tmp_path_factory):
    """Every corpus post of 2021-01-04..06 (the named pairs' days): enough for idf."""
    files = sorted(p for p in corpus.glob("2021-01-0[456]-*"))
    db = tmp_path_factory.mktemp("week") / "week.db"
    with Archive(db) as archive:
        archive.ingest([str(p) for p in files])
    return db, files


def test_independent_reports_of_one_event_join_and_another_day_stays_apart(week):
    db, _ = week
    with Archive(db, readonly=True) as archive:
        story_of = {a: s["id"] for s in archive.stories() for a in s["articles"]}
        rthk, dw = id_of(archive, ARRESTS_RTHK), id_of(archive, ARRESTS_DW)
        assert archive.clusters() and not any({rthk, dw} <= set(c["articles"]) for c in archive.clusters())
        assert story_of[rthk] == story_of[dw]  # two outlets' own words, one event
        assert story_of[id_of(archive, RMB_0104)] != story_of[id_of(archive, RMB_0105)]  # two days' fixings


def test_incremental_stories_equal_one_pass(week, tmp_path):
    db, files = week
    half = len(files) // 2
    db2 = tmp_path / "two-runs.db"
    with Archive(db2) as archive:
        first = archive.ingest([str(p) for p in files[:half]])
        second = archive.ingest([str(p) for p in files[half:]])
        assert first.stories.scored == half
        assert second.stories.scored == len(files) - half  # old articles are not scored again
        two_runs = archive.stories()
    with Archive(db, readonly=True) as archive:
        assert two_runs == archive.stories()


def test_filters(week):
    db, _ = week
    with Archive(db, readonly=True) as archive:
        everything = archive.stories()
        assert [s["published"][1] for s in everything] == sorted(
            (s["published"][1] for s in everything), key=_instant, reverse=True)
        day = archive.stories(since="2021-01-05T00:00:00", until="2021-01-05")
        assert day and len(day) < len(everything)
        for s in day:
            assert _instant(s["published"][0]) <= _instant("2021-01-05T23:59:59+00:00")
            assert _instant(s["published"][1]) >= _instant("2021-01-05T00:00:00+00:00")
        dw = archive.stories(outlet="德国之声")
        assert dw and all("德国之声" in s["outlets"] for s in dw)
        # a simplified query finds the traditional RTHK report, and the reverse
        rthk = id_of(archive, ARRESTS_RTHK)
        for query in ("颠覆国家政权", "顛覆國家政權"):
            assert any(rthk in s["articles"] for s in archive.stories(query=query))
        assert archive.stories(query="这串字不会出现在任何报道里") == []
        assert archive.stories(limit=5, offset=5) == everything[5:10]


def _instant(stamp):
    from wiretrace.stories.similarity import when

    return when(stamp)


def test_stories_export_round_trips(week, tmp_path):
    db, _ = week
    with Archive(db, readonly=True) as archive:
        stories = archive.stories()
        for fmt in ("parquet", "jsonl"):
            out = tmp_path / f"stories.{fmt}"
            assert export(archive, "stories", fmt, out) == len(stories)
        rows = pq.read_table(tmp_path / "stories.parquet").to_pylist()
        lines = [json.loads(x) for x in (tmp_path / "stories.jsonl").read_text(encoding="utf-8").splitlines()]
    for got in (rows, lines):
        assert [r["id"] for r in got] == [s["id"] for s in stories]
        assert [r["articles"] for r in got] == [s["articles"] for s in stories]
        assert [(r["source"], r["fullest"], r["earliest"]) for r in got] == [
            (s["source"], s["fullest"], s["earliest"]) for s in stories]
        assert [[r["first_published"], r["last_published"]] for r in got] == [s["published"] for s in stories]


def test_reextracted_article_is_relinked_and_rescored(tmp_path):
    """A capture whose text changes under the same id (a re-learnt template) must not keep the
    links and features of its old text."""
    db = tmp_path / "r.db"
    with Archive(db) as archive:
        archive.ingest([str(EXAMPLES)])
        some = next(archive.articles())
        row = archive.db.execute("SELECT normalized, offsets FROM article WHERE id = ?", (some.id,)).fetchone()
        with archive.transaction():
            archive.put_article(some, row["normalized"] + " 新增的一句话。", row["offsets"], None)
        assert archive.db.execute("SELECT count(*) FROM linked WHERE article = ?", (some.id,)).fetchone()[0] == 0
        assert archive.db.execute(
            "SELECT count(*) FROM story_features WHERE article = ?", (some.id,)).fetchone()[0] == 0
        assert not archive.db.execute("SELECT 1 FROM relation WHERE a = ?1 OR b = ?1", (some.id,)).fetchall()
