"""Tests for wiretrace.stories: the seeds' provenance, same-event grouping on real corpus posts,
a same-topic different-event pair kept apart, deterministic ids, reprint clusters kept whole."""

from __future__ import annotations

import hashlib
import random
from functools import lru_cache
from pathlib import Path

import pytest

from wiretrace.extract import extract
from wiretrace.model import Article, RawDocument
from wiretrace.normalize import matching_form
from wiretrace.stories import (
    EventIndex, StoriesError, StoryDoc, event_score, group_stories, provenance, story_id,
)
from wiretrace.stories.grouping import THRESHOLD

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "link"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "agora-news-sample"

ARRESTS_RTHK = "2021-01-06-RTHK-53人發起或參與民主派初選-涉顛覆國家政權罪被捕.md"
ARRESTS_DW = "2021-01-06-DW-港警拘捕53民主人士-国安法后最大规模.html"
GEORGIA_BBC = "2021-01-04-BBC-美国大选-特朗普被指向佐治亚州务卿施压重新计票.html"
GEORGIA_RTHK = "2021-01-04-RTHK-美媒稱特朗普曾向佐治亞州官員施壓要求扭轉選舉結果.md"
RMB_0104 = "2021-01-04-REUTERS-路透测算的人民币中间价料贬至6.5444元附近-上日美指反弹.html"
RMB_0105 = "2021-01-05-REUTERS-路透测算的人民币中间价料升至6.4978元附近-美指反弹限制升幅.html"
NAMED = [ARRESTS_RTHK, ARRESTS_DW, GEORGIA_BBC, GEORGIA_RTHK, RMB_0104, RMB_0105]


# ---------------------------------------------------------------- seeds: provenance
def seed_articles() -> tuple[Article, Article]:
    a = Article(
        id="000_e6308b167f0f33d2", path="seeds/000_e6308b167f0f33d2.txt", title=None,
        body=(FIXTURES / "seed_000_body.txt").read_text(encoding="utf-8"),
        published="2021-07-01", outlet="中國產業經濟信息網", wire=["新華社"],
    )
    b = Article(
        id="001_d7cc57b77e33e5f1", path="seeds/001_d7cc57b77e33e5f1.txt", title=None,
        body=(FIXTURES / "seed_001_body.txt").read_text(encoding="utf-8"),
        published="2021-06-30T03:41:54.677+00:00", outlet="联合早报", wire=["新华社"],
    )
    return a, b


def test_seed_provenance():
    a, b = seed_articles()
    for order in ([a, b], [b, a]):
        p = provenance(order)
        assert p["source"] == "新华社"  # 新華社 and 新华社 count as one agency, in simplified
        assert p["fullest"] == a.id  # 000 holds the full Xinhua text
        assert p["earliest"] == b.id  # 001 was published a day earlier, yet abridged
        assert [m["id"] for m in p["members"]] == [b.id, a.id]  # by publication time


def test_seed_member_edits_point_into_the_right_bodies():
    a, b = seed_articles()
    p = provenance([a, b])
    full, short = (m for m in sorted(p["members"], key=lambda m: m["id"]))
    assert full["relation"] == "fullest"
    assert short["relation"] == "abridged"
    assert short["outlet"] == "联合早报" and short["published"] == "2021-06-30T03:41:54.677+00:00"
    assert short["dropped"] and short["added"] and short["kept"] + short["changed"]
    for key, body in (("kept", b.body), ("changed", b.body), ("added", b.body), ("dropped", a.body)):
        for item in short[key]:
            s, e = item["span"]
            assert body[s:e] == item["text"]
    # 001's own attribution is an addition; 000's dateline clause is dropped by 001
    assert any("据新华社报道" in x["text"] for x in short["added"])
    kept_chars = sum(len(x["text"]) for x in short["kept"] + short["changed"])
    assert kept_chars > sum(len(x["text"]) for x in short["added"])


def test_source_is_none_without_credits_and_empty_input_is_an_error():
    a, b = seed_articles()
    a.wire, b.wire = [], []
    p = provenance([a, b])
    assert p["source"] is None
    assert p["fullest"] == a.id  # without a source, the longest member
    with pytest.raises(StoriesError):
        provenance([])


# ---------------------------------------------------------------- corpus: grouping
def need_corpus() -> None:
    if not CORPUS.exists():
        pytest.skip(f"the shared corpus is not at {CORPUS}")


def _load(path: Path) -> Article:
    from wiretrace.readers import read_path

    doc = next(d for d in read_path(str(path)) if isinstance(d, RawDocument))
    art = extract(doc)
    art.id = path.name  # readable ids; ids only need to be unique
    return art


def _doc(art: Article) -> StoryDoc:
    return StoryDoc(
        id=art.id, text=matching_form(art.body).text, published=art.published,
        title=matching_form(art.title or "").text, outlet=art.outlet,
    )


@lru_cache(maxsize=1)
def corpus_docs() -> tuple[StoryDoc, ...]:
    """The named posts plus a seeded sample of 120 posts of the same days as background, so
    idf has something to weigh against (4 documents alone make every word distinctive)."""
    names = sorted(p.name for p in CORPUS.glob("2021-01-0[4-7]-*"))
    background = random.Random(3).sample([n for n in names if n not in NAMED], 120)
    return tuple(_doc(_load(CORPUS / n)) for n in sorted(set(NAMED + background)))


def story_of(stories: list[dict], article: str) -> str:
    return next(s["id"] for s in stories if article in s["articles"])


def test_independent_reports_of_one_event_join_one_story():
    need_corpus()
    docs = corpus_docs()
    index = EventIndex(docs)
    by_id = {d.id: d for d in docs}
    # different outlets, different scripts, their own words: no reprint cluster joins them
    assert event_score(by_id[ARRESTS_RTHK], by_id[ARRESTS_DW], index) >= THRESHOLD
    assert event_score(by_id[GEORGIA_BBC], by_id[GEORGIA_RTHK], index) >= THRESHOLD
    stories = group_stories(docs, [], index)
    assert story_of(stories, ARRESTS_RTHK) == story_of(stories, ARRESTS_DW)
    assert story_of(stories, GEORGIA_BBC) == story_of(stories, GEORGIA_RTHK)
    assert story_of(stories, ARRESTS_RTHK) != story_of(stories, GEORGIA_BBC)


def test_same_template_on_two_days_stays_apart():
    need_corpus()
    docs = corpus_docs()
    index = EventIndex(docs)
    by_id = {d.id: d for d in docs}
    assert event_score(by_id[RMB_0104], by_id[RMB_0105], index) < THRESHOLD
    stories = group_stories(docs, [], index)
    assert story_of(stories, RMB_0104) != story_of(stories, RMB_0105)


def test_story_ids_do_not_depend_on_input_order():
    need_corpus()
    docs = list(corpus_docs())
    clusters = [[RMB_0104, RMB_0105], [GEORGIA_BBC, docs[7].id]]
    first = group_stories(docs, clusters)
    for seed in (1, 2):
        shuffled = docs[:]
        random.Random(seed).shuffle(shuffled)
        again = group_stories(shuffled, [list(reversed(c)) for c in reversed(clusters)])
        assert again == first
    for s in first:
        expected = "s" + hashlib.sha256(min(s["articles"]).encode()).hexdigest()[:12]
        assert s["id"] == story_id(s["articles"]) == expected


# Entity overlaps of synthetic features (no jieba): 40 entities of varied document frequency,
# so their idf weights are sums whose rounding depends on the order they are added in.
_OVERLAPS = """
import random
from wiretrace.stories import EventIndex, StoryDoc
from wiretrace.stories.similarity import Features
rng = random.Random(5)
pool = [f"实体{k}" for k in range(40)]
docs = [StoryDoc(id=f"d{i:02d}", text="") for i in range(30)]
feats = {d.id: Features(entities=set(rng.sample(pool, 9))) for d in docs}
index = EventIndex(docs, feats)
print([index.entity_overlap(a.id, b.id).hex() for a in docs for b in docs])
"""


def test_entity_overlap_does_not_depend_on_the_hash_seed():
    """Sets iterate in string-hash order: a score summed over one must be the same number in
    every process, or stories may differ between two runs of one archive."""
    import os
    import subprocess
    import sys

    outputs = {
        subprocess.run([sys.executable, "-c", _OVERLAPS], env={**os.environ, "PYTHONHASHSEED": str(seed)},
                       capture_output=True, text=True, check=True).stdout
        for seed in range(4)
    }
    assert len(outputs) == 1 and outputs.pop().count("0x") == 900


def test_reprint_cluster_members_are_always_in_one_story():
    need_corpus()
    docs = list(corpus_docs())
    # a cluster joining texts the event score keeps apart must still hold together
    clusters = [[RMB_0104, RMB_0105, ARRESTS_DW]]
    stories = group_stories(docs, clusters)
    assert story_of(stories, RMB_0104) == story_of(stories, RMB_0105) == story_of(stories, ARRESTS_DW)
    seen = [a for s in stories for a in s["articles"]]
    assert sorted(seen) == sorted(d.id for d in docs)  # every article in exactly one story


def test_neighbours_read_within_the_window_are_those_of_scoring_every_pair():
    """``similar`` reads only postings within the event window (and undated ones); its answer
    must be what scoring the document against every other one gives."""
    need_corpus()
    from dataclasses import replace
    from datetime import timedelta

    from wiretrace.stories.similarity import WINDOW_HOURS, when

    docs = list(corpus_docs())

    def moved(d: StoryDoc, hours: float | None, tag: str) -> StoryDoc:
        stamp = None if hours is None else (when(d.published) + timedelta(hours=hours)).isoformat()
        return replace(d, id=f"{d.id}~{tag}", published=stamp)

    # copies just inside and just outside the window, and undated ones: the edges of the lookup
    extra = [moved(d, WINDOW_HOURS - 1, "in") for d in docs[:25]]
    extra += [moved(d, WINDOW_HOURS + 1, "out") for d in docs[25:50]]
    extra += [moved(d, None, "undated") for d in docs[50:56]]
    docs += extra
    index = EventIndex(docs)
    for a in docs[:60] + extra:
        found = index.similar(a.id, k=len(docs))
        every = sorted(((b.id, s) for b in docs if b.id != a.id
                        for s in [event_score(a, b, index)] if s > 0), key=lambda t: (-t[1], t[0]))
        assert [j for j, _ in found] == [j for j, _ in every], a.id
        assert [s for _, s in found] == pytest.approx([s for _, s in every], abs=1e-6)
    # and the edges are exercised: an "in" copy is a neighbour of its original, an "out" one is not
    ids = {j for j, _ in index.similar(docs[0].id, k=len(docs))}
    assert f"{docs[0].id}~in" in ids
    assert all(f"{d.id}~out" not in {j for j, _ in index.similar(d.id, k=len(docs))} for d in docs[25:50])
