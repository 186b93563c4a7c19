"""Search hits shown in the original text: where each query word matched, in the title and
body as the outlet wrote them (the index holds matching forms; the offset maps lead back)."""

from __future__ import annotations

from typing import Any

from wiretrace.archive import Archive
from wiretrace.normalize import Normalized, matching_form
from wiretrace.storying import search_terms

SNIPPET = 60  # characters of body shown on each side of the first match


def find_spans(norm: Normalized, terms: list[str]) -> list[tuple[int, int]]:
    """Every occurrence of every term in the matching form, as sorted, merged spans of the
    ORIGINAL text."""
    spans = []
    for term in terms:
        start = norm.text.find(term)
        while start >= 0:
            spans.append(norm.to_original(start, start + len(term)))
            start = norm.text.find(term, start + 1)
    merged: list[list[int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [(s, e) for s, e in merged]


def pieces(text: str, spans: list[tuple[int, int]], lo: int = 0, hi: int | None = None) -> list[tuple[str, bool]]:
    """``text[lo:hi]`` cut into (piece, is_match) runs for a template to mark."""
    hi = len(text) if hi is None else hi
    out, at = [], lo
    for s, e in spans:
        s, e = max(s, lo), min(e, hi)
        if s >= e:
            continue
        if s > at:
            out.append((text[at:s], False))
        out.append((text[s:e], True))
        at = e
    if at < hi:
        out.append((text[at:hi], False))
    return out


def hits_view(archive: Archive, query: str, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
    """Hits of ``query``, best first: the article, its story, the matches (spans and texts in the
    original script) and title / snippet pieces to mark."""
    terms = search_terms(query)
    out = []
    for article_id in archive.search(query, limit=limit, offset=offset):
        article = archive.article(article_id)
        title = article.title or ""
        title_spans = find_spans(matching_form(title), terms) if title else []
        body_spans = find_spans(archive.normalized(article_id), terms)
        if body_spans:
            lo = max(0, body_spans[0][0] - SNIPPET)
            hi = min(len(article.body), body_spans[0][1] + SNIPPET)
        else:
            lo, hi = 0, min(len(article.body), 2 * SNIPPET)
        out.append({
            "id": article_id, "article": article, "story": archive.story_of(article_id),
            "matches": [{"field": "title", "span": [s, e], "text": title[s:e]} for s, e in title_spans]
            + [{"field": "body", "span": [s, e], "text": article.body[s:e]} for s, e in body_spans],
            "title_pieces": pieces(title, title_spans) if title else [("(untitled)", False)],
            "snippet": pieces(article.body, body_spans, lo, hi), "cut": (lo > 0, hi < len(article.body)),
        })
    return out
