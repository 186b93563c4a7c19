"""Provenance of a story or reprint cluster: credited source, fullest version, earliest capture,
and what each member kept, dropped, added or changed relative to the fullest version.

Place in the flow: stories.grouping (or link.clusters) -> **provenance** -> archive / CLI.

Pure: it takes the members' Articles and an ``align_fn(a, b) -> link.Alignment`` (the archive
passes one that reads stored matching forms; ``default_align`` normalizes on the fly).
  source    the wire agency most often credited in members' ``wire`` lists, converted to
            simplified script (OpenCC t2s) so 新華社 and 新华社 count as one: ``新华社``.
            Ties go to the agency credited by the earliest member, then by name.
  fullest   among the members that hold the source text (members crediting the source, and
            members aligned to one of them as a reprint-type relation), the one with the most
            content characters (letters, digits, CJK); without a source, among all members.
  earliest  the member with the earliest ``published`` (date-only stamps read as noon UTC;
            unknown dates last), ties by id. Earliest is not the source: a day-earlier
            abridged reprint stays earliest.
  members   per member: its relation to the fullest (``link.classify``: "b is <relation> of
            the fullest"; ``independent`` when the texts share nothing worth a relation; the
            fullest itself is ``fullest``) and four lists of sentences ``{"span": [s, e],
            "text"}``: kept (aligned, similarity >= KEPT_SIMILARITY) and changed (aligned,
            lower) in the member's body, added (only in the member) in the member's body,
            dropped (only in the fullest) in the FULLEST's body.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

from wiretrace.errors import WiretraceError
from wiretrace.link import REPRINT_TYPES, align, classify
from wiretrace.link.align import Alignment
from wiretrace.model import Article
from wiretrace.normalize import matching_form, to_simplified

from .similarity import when

KEPT_SIMILARITY = 0.999  # an aligned passage below this was edited ("changed"); align reports
#   exact copies as 1.0, and one changed character in a 100-char passage gives ~0.99
_CONTENT = re.compile(r"[0-9A-Za-z\u3400-\u9fff\uf900-\ufaff]")
_SENT_END = re.compile(r"[。！？；!?;\n]")
_LATEST = datetime.max.replace(tzinfo=timezone.utc)

class StoriesError(WiretraceError):
    """A stories function was given input it cannot work with."""


AlignFn = Callable[[Article, Article], Alignment]


def default_align(a: Article, b: Article) -> Alignment:
    """Align two Articles, normalizing both bodies (the archive passes stored forms instead)."""
    return align(a.body, matching_form(a.body), b.body, matching_form(b.body))


def content_chars(text: str) -> int:
    return len(_CONTENT.findall(text))


def agency(name: str) -> str:
    """An agency name in one script: 新華社 -> 新华社 (what ``source`` reports)."""
    return to_simplified(name.strip())


def _sentences(body: str, span: tuple[int, int]) -> list[dict[str, Any]]:
    """Split one span of ``body`` at sentence ends; keep pieces that hold content."""
    s, e = span
    out, start = [], s
    for m in _SENT_END.finditer(body, s, e):
        out.append((start, m.end()))
        start = m.end()
    if start < e:
        out.append((start, e))
    pieces = []
    for a, b in out:
        while a < b and body[a].isspace():
            a += 1
        while b > a and body[b - 1].isspace():
            b -= 1
        if content_chars(body[a:b]):
            pieces.append({"span": [a, b], "text": body[a:b]})
    return pieces


def _stamp(a: Article) -> datetime:
    return when(a.published) or _LATEST


def _source(articles: Sequence[Article]) -> str | None:
    counts: Counter = Counter()
    first: dict[str, tuple[datetime, str]] = {}
    for a in articles:
        for w in {agency(w) for w in a.wire if w.strip()}:
            counts[w] += 1
            key = (_stamp(a), a.id)
            if w not in first or key < first[w]:
                first[w] = key
    if not counts:
        return None
    return min(counts, key=lambda w: (-counts[w], first[w], w))


def provenance(articles: Sequence[Article], align_fn: AlignFn = default_align) -> dict[str, Any]:
    """The provenance record of a story or cluster (see the module docstring)."""
    if not articles:
        raise StoriesError("provenance needs at least one article")
    arts = sorted(articles, key=lambda a: a.id)
    source = _source(arts)
    earliest = min(arts, key=lambda a: (_stamp(a), a.id))

    aligned: dict[tuple[str, str], Alignment] = {}

    def get(a: Article, b: Article) -> Alignment:
        if (a.id, b.id) not in aligned:
            aligned[(a.id, b.id)] = align_fn(a, b)
        return aligned[(a.id, b.id)]

    pool = arts
    if source is not None:
        crediting = [a for a in arts if source in {agency(w) for w in a.wire}]
        holders = {a.id for a in crediting}
        for m in arts:
            if m.id in holders:
                continue
            for c in crediting:
                if classify(get(c, m), c, m) in REPRINT_TYPES:
                    holders.add(m.id)
                    break
        pool = [a for a in arts if a.id in holders]
    fullest = max(pool, key=lambda a: (content_chars(a.body), -_stamp(a).timestamp(), _neg(a.id)))

    members = []
    for m in sorted(arts, key=lambda a: (_stamp(a), a.id)):
        rec: dict[str, Any] = {"id": m.id, "outlet": m.outlet, "published": m.published}
        if m.id == fullest.id:
            rec.update(relation="fullest", kept=[], dropped=[], added=[], changed=[])
        else:
            al = get(fullest, m)
            rel = classify(al, fullest, m)
            kept, changed = [], []
            for p in al.passages:
                (changed if p.similarity < KEPT_SIMILARITY else kept).extend(_sentences(m.body, p.b))
            rec.update(
                relation=rel or "independent",
                kept=kept,
                dropped=[x for s in al.only_a for x in _sentences(fullest.body, s)],
                added=[x for s in al.only_b for x in _sentences(m.body, s)],
                changed=changed,
            )
        members.append(rec)
    return {"source": source, "fullest": fullest.id, "earliest": earliest.id, "members": members}


def _neg(s: str) -> tuple[int, ...]:
    """Sort key that prefers the smaller id under ``max``."""
    return tuple(-ord(c) for c in s)
