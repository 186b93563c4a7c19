"""The stories pipeline: articles + reprint clusters -> same-event stories -> provenance.

As ``linking.py`` is to ``wiretrace.link``, this module feeds ``wiretrace.stories`` (pure
functions) from the archive and stores what they return.

Incremental where it costs: an article's event features (jieba words, entities, figures;
~10 ms an article, most of the stage) are computed once and stored. Grouping is then redone
over every current article from the stored features, as clusters are: it is cheap next to
the features, it lets idf and the neighbours of old articles see the new ones, and story ids
are deterministic (hash of the smallest member), so a story that only gained members keeps
its id. Provenance (source, fullest, earliest) is recomputed only for stories whose member
set changed. A run killed at any moment leaves the previous stories in place: features are
committed in batches, the stories table is replaced in one transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from typing import Any

from wiretrace import link
from wiretrace.archive import Archive, LinkStore, StoryStore
from wiretrace.errors import NotFound
from wiretrace.normalize import matching_form, title_form
from wiretrace.pool import Workers
from wiretrace.progress import Progress, Quiet
from wiretrace.stories import EventIndex, Features, StoryDoc, features, group_stories, provenance, story_units
from wiretrace.stories.similarity import when

# Articles whose features are committed together: a killed run loses at most one batch.
BATCH = 500
TITLE_CHARS = 60  # a story without any member title is named by the start of its fullest body


@dataclass
class StorySummary:
    scored: int = 0  # articles whose features were computed in this run
    stories: int = 0
    changed: int = 0  # stories whose members changed (provenance recomputed)

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def update_stories(
    archive: Archive, *, rebuild: bool = False, progress: Progress | None = None, jobs: int | None = None,
) -> StorySummary:
    """Score the articles not scored yet (in ``jobs`` processes, default every core), regroup
    every current article, store the stories."""
    progress = progress or Quiet()
    store = StoryStore(archive)
    summary = StorySummary()
    if rebuild:
        with archive.transaction():
            store.reset()
    # Texts are read only for the articles to score: held for every article of an archive of
    #   millions they would be gigabytes, and grouping reads the stored features alone.
    docs, feats = [], {}
    for r in store.current_articles():
        docs.append(StoryDoc(id=r["id"], text="", published=r["published"], title=title_form(r["title"]),
                             outlet=r["outlet"]))
        f = Features.from_json(r["features"], r["published"]) if r["features"] else None
        if f is not None:  # None: stored by an older feature definition, computed again
            feats[r["id"]] = f
    # Reprint units: what a story always keeps together (see stories.story_units).
    units = story_units(LinkStore(archive).edges(), docs)
    unit_of = {i: u[0] for u in units for i in u}
    docs = [replace(d, cluster=unit_of.get(d.id)) for d in docs]
    todo = [d for d in docs if d.id not in feats]
    progress.start("stories", len(todo))
    with Workers(jobs, len(todo)) as workers:
        for start in range(0, len(todo), BATCH):
            window = [replace(d, text=archive.matching_text(d.id)) for d in todo[start:start + BATCH]]
            computed = workers.map(features, window)
            with archive.transaction():
                for d, f in zip(window, computed):
                    stored = f.to_json()
                    store.put_features(d.id, stored)
                    # held as a later run reads it back: the same values, interned (from_json)
                    feats[d.id] = Features.from_json(stored, d.published)
            progress.advance(len(window))
    summary.scored = len(todo)

    groups = group_stories(docs, units, EventIndex(docs, feats)) if docs else []

    known = store.members_hashes()
    keep, new = set(), []
    for g in groups:
        h = _members_hash(g["articles"])
        if known.get(g["id"]) == h:
            keep.add(g["id"])
        else:
            new.append(_summary_row(archive, g["id"], g["articles"], h))
    with archive.transaction():
        store.replace(keep, new)
    summary.stories, summary.changed = len(groups), len(new)
    return summary


def _members_hash(ids: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()[:16]


def _aligner(archive: Archive):
    forms: dict[str, Any] = {}

    def form(article_id: str):
        if article_id not in forms:
            forms[article_id] = archive.normalized(article_id)
        return forms[article_id]

    return lambda a, b: link.align(a.body, form(a.id), b.body, form(b.id))


def _summary_row(archive: Archive, story: str, ids: list[str], members_hash: str) -> dict[str, Any]:
    """The stored row of a story: its listing fields and its whole ``story`` record, so the
    story page and ``wiretrace story`` read it instead of aligning members again."""
    record = _record(archive, {"id": story, "kind": "story"}, ids)
    stamps = sorted((when(m["published"]), m["published"]) for m in record["timeline"] if when(m["published"]))
    return {
        "id": story, "members": members_hash, "articles": ids, "record": record,
        "title": record["title"], "source": record["source"], "fullest": record["fullest"],
        "earliest": record["earliest"],
        "first_published": stamps[0][1] if stamps else None,
        "last_published": stamps[-1][1] if stamps else None,
        "first_utc": _utc(stamps[0][0]) if stamps else None,
        "last_utc": _utc(stamps[-1][0]) if stamps else None,
        "size": len(ids), "outlets": record["outlets"],
    }


def _record(archive: Archive, head: dict[str, Any], members: list[str]) -> dict[str, Any]:
    """A story's (or cluster's) timeline, relations, provenance and per-member edits."""
    arts = {i: archive.article(i) for i in members}
    p = provenance(list(arts.values()), _aligner(archive))
    cluster_of = LinkStore(archive).clusters_of(members)
    fullest, earliest = arts[p["fullest"]], arts[p["earliest"]]
    timeline = [
        {"id": m["id"], "published": m["published"], "outlet": m["outlet"], "title": arts[m["id"]].title,
         "url": arts[m["id"]].url, "cluster": cluster_of.get(m["id"]), "relation": m["relation"]}
        for m in p["members"]
    ]
    relations = [
        {k: r[k] for k in ("a", "b", "relation", "a_in_b", "b_in_a")}
        for r in LinkStore(archive).relations_among(members)
    ]
    return {
        **head, "title": _title(fullest, earliest, list(arts.values())), "source": p["source"],
        "fullest": p["fullest"], "earliest": p["earliest"], "articles": sorted(members),
        "outlets": sorted({a.outlet for a in arts.values() if a.outlet}),
        "timeline": timeline, "relations": relations, "members": p["members"],
    }


def _utc(t: datetime) -> str:
    return t.astimezone(timezone.utc).isoformat(timespec="seconds")


def _title(fullest, earliest, arts) -> str:
    for a in (fullest, earliest, *arts):
        if a.title:
            return a.title
    return " ".join(fullest.body.split())[:TITLE_CHARS]


# -- reading ----------------------------------------------------------------------------------


def stories(
    archive: Archive, *, since: str | None = None, until: str | None = None, outlet: str | None = None,
    query: str | None = None, limit: int | None = None, offset: int = 0,
) -> list[dict[str, Any]]:
    """Stories newest first, as CLI.md's ``stories --json`` objects (plus ``published``,
    ``outlets`` and ``size``). ``query`` keeps the stories with a member whose title or body
    holds every word of it, in either script."""
    ids = None
    if query:
        ids = sorted(StoryStore(archive).stories_of(search(archive, query, limit=100_000)))
    rows = StoryStore(archive).stories(since=since, until=until, outlet=outlet, ids=ids, limit=limit, offset=offset)
    return [_listing(r) for r in rows]


def _listing(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": r["id"], "title": r["title"], "source": r["source"], "fullest": r["fullest"],
        "earliest": r["earliest"], "articles": r["articles"], "size": r["size"], "outlets": r["outlets"],
        "published": [r["first_published"], r["last_published"]],
    }


def search_terms(query: str) -> list[str]:
    """A query in the matching form, split into words (either script matches either)."""
    return [t for t in matching_form(query).text.split() if t]


def search(archive: Archive, query: str, limit: int = 50, offset: int = 0) -> list[str]:
    terms = search_terms(query)
    return archive.match_terms(terms, limit=limit, offset=offset) if terms else []


def story(archive: Archive, story_id: str) -> dict[str, Any]:
    """One story (``s…``) or reprint cluster (``c…``) with its timeline, relations among its
    members and, per member, what it kept, dropped, added and changed against the fullest.
    A story's record is stored by ``update_stories``; a cluster's is computed here."""
    if story_id.startswith("c"):
        found = [c for c in archive.clusters() if c["id"].startswith(story_id)]
        if len(found) != 1 or len(story_id) < 2:
            why = "is ambiguous: give more characters" if len(found) > 1 else "names no reprint cluster"
            raise NotFound(f"cluster id {story_id!r} {why}")
        return _record(archive, {"id": found[0]["id"], "kind": "cluster"}, found[0]["articles"])
    store = StoryStore(archive)
    return store.record(store.resolve(story_id))
