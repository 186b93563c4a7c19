"""Stories: reprint clusters and single articles joined into same-event groups.

Place in the flow: link.clusters + stories.similarity -> **stories.grouping** -> provenance.

Units are reprint clusters (all members always share one story) and articles in no cluster.
Two units are linked by the best event score between their members. Links are taken best
first; two stories merge only when the AVERAGE link between their units reaches LINK_MIN too
(average-link guard): a chain of pairwise-similar items (day-1 arrests -> reactions -> bail ->
charges) does not pull a whole week of a crisis into one story, because the far ends of the
chain are not similar to each other.

Ids are 's' + 12 hex digits of sha256(smallest member id): the same members give the same id
whatever the input order (edges are sorted by score then ids; scores are rounded).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from .similarity import EventIndex, StoryDoc, event_score, when

# -- knobs (bench/stories.py; docs/stories.md) ---------------------------------------------
THRESHOLD = 0.5  # a link this strong joins two units: the logistic score's own decision point;
#   0.4-0.6 gave the same grouping F1 on the labeled set (bench/stories.py grid)
LINK_MIN = 0.4  # the average link between two stories must reach this to merge them. Without
#   the guard one chain held 2,187 of the 2,687 articles (F1 0.77); 0.2 -> 0.83, 0.3 -> 0.86,
#   0.4 -> 0.88, 0.5 -> 0.86, 0.7 -> 0.84 (precision up, recall down)
NEIGHBOURS = 30  # candidate links per article (top by event score)
SAME_OUTLET_HOURS = 12.0  # a reprint-type relation between two texts of ONE outlet published
#   further apart than this does not make them one unit: it is a re-filled template or a daily
#   notice (RTHK cold-shelter notices, a jury "retires" / "nears the end"), not one event. They
#   may still join through their event score. Three of the ten worst errors of bench/stories.py
#   were such pairs. Grouping F1 by hours: no split 0.884, 6 0.916, 12 0.916, 18 0.905,
#   24 0.905, 36 0.889 (bench/stories.py); 12, the end of the plateau nearest a day.


def story_units(relations: Iterable[tuple[str, str, str]], docs: Sequence[StoryDoc]) -> list[list[str]]:
    """Reprint clusters as stories use them: components of the reprint-type relations, minus the
    same-outlet relations across more than SAME_OUTLET_HOURS. Only ids in ``docs`` count."""
    from wiretrace.link import REPRINT_TYPES

    by_id = {d.id: d for d in docs}
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b, rel in relations:
        if rel not in REPRINT_TYPES or a not in by_id or b not in by_id:
            continue
        da, db = by_id[a], by_id[b]
        if da.outlet is not None and da.outlet == db.outlet:
            ta, tb = when(da.published), when(db.published)
            if ta is None or tb is None or abs((ta - tb).total_seconds()) > SAME_OUTLET_HOURS * 3600:
                continue
        ra, rb = sorted((find(a), find(b)))
        parent[rb] = ra
    groups: dict[str, list[str]] = {}
    for x in list(parent):
        groups.setdefault(find(x), []).append(x)
    return sorted(sorted(g) for g in groups.values() if len(g) > 1)


def story_id(members: Iterable[str]) -> str:
    """Deterministic id of a story: 's' + 12 hex digits of sha256(smallest member id)."""
    return "s" + hashlib.sha256(min(members).encode()).hexdigest()[:12]


class _Stories:
    def __init__(self, units: dict[str, list[str]]):
        self.parent = {u: u for u in units}
        self.members = {u: [u] for u in units}  # story root -> its units

    def find(self, u: str) -> str:
        while self.parent[u] != u:
            self.parent[u] = self.parent[self.parent[u]]
            u = self.parent[u]
        return u

    def union(self, a: str, b: str) -> None:
        ra, rb = sorted((self.find(a), self.find(b)))
        self.parent[rb] = ra
        self.members[ra] = self.members[ra] + self.members.pop(rb)


def group_stories(
    docs: Sequence[StoryDoc],
    clusters: Sequence[Sequence[str]] = (),
    index: EventIndex | None = None,
    *,
    threshold: float = THRESHOLD,
    link_min: float = LINK_MIN,
) -> list[dict]:
    """``[{"id", "articles": [sorted ids]}]`` sorted by id, every doc in exactly one story.

    ``clusters`` are reprint clusters (lists of ids; ids not in ``docs`` are ignored).
    ``index`` may be passed when already built over ``docs``.
    """
    index = index or EventIndex(docs)
    ids = sorted(index.docs)
    unit_of: dict[str, str] = {}
    units: dict[str, list[str]] = {}
    for c in sorted(sorted(set(c) & index.docs.keys()) for c in clusters):
        c = [i for i in c if i not in unit_of]
        if c:
            units[c[0]] = c
            for i in c:
                unit_of[i] = c[0]
    for i in ids:
        if i not in unit_of:
            units[i] = [i]
            unit_of[i] = i

    link: dict[tuple[str, str], float] = {}
    for i in ids:
        for j, s in index.similar(i, NEIGHBOURS):
            u, v = sorted((unit_of[i], unit_of[j]))
            if u != v and s > link.get((u, v), 0.0):
                link[(u, v)] = s

    def unit_link(u: str, v: str) -> float:
        key = (u, v) if u < v else (v, u)
        if key not in link:
            link[key] = max(event_score(index.docs[a], index.docs[b], index)
                            for a in units[u] for b in units[v])
        return link[key]

    stories = _Stories(units)
    for (u, v), s in sorted(link.items(), key=lambda t: (-t[1], t[0])):
        if s < threshold:
            break
        ru, rv = stories.find(u), stories.find(v)
        if ru == rv:
            continue
        mu, mv = stories.members[ru], stories.members[rv]
        if len(mu) > 1 or len(mv) > 1:
            mean = sum(unit_link(x, y) for x in mu for y in mv) / (len(mu) * len(mv))
            if mean < link_min:
                continue
        stories.union(ru, rv)

    out = []
    for root, us in stories.members.items():
        arts = sorted(a for u in us for a in units[u])
        out.append({"id": story_id(arts), "articles": arts})
    return sorted(out, key=lambda s: s["id"])
