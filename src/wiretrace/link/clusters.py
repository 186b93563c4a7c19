"""Reprint clusters: articles joined by reprint-type relations (everything but ``partial``).

Place in the flow: relations -> **clusters** -> stories (which group clusters by event).

Union-find over the relation edges. A cluster's id is derived from its content only — the
hash of its smallest member id — so the same articles get the same cluster ids whatever the
ingest order or engine (local or Spark).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from wiretrace.model import Relation

from .relations import REPRINT_TYPES


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:  # path compression
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, x: str, y: str) -> None:
        rx, ry = self.find(x), self.find(y)
        if rx != ry:
            # the smaller id becomes the root: roots (and so ids) do not depend on edge order
            if ry < rx:
                rx, ry = ry, rx
            self.parent[ry] = rx


def cluster_id(members: Iterable[str]) -> str:
    """Deterministic id of a cluster: 'c' + 12 hex digits of sha256(smallest member id)."""
    return "c" + hashlib.sha256(min(members).encode()).hexdigest()[:12]


def clusters(
    relations: Iterable[Relation | tuple[str, str, str]], articles: Iterable[str] = ()
) -> list[dict]:
    """``[{"id", "articles": [sorted ids]}]`` sorted by id; ``partial`` edges are ignored.

    ``relations`` are Relation records or ``(a, b, relation)`` tuples. Articles given in
    ``articles`` but joined to nothing come out as one-member clusters; clusters of one are
    otherwise not listed.
    """
    uf = _UnionFind()
    for a in articles:
        uf.find(a)
    for r in relations:
        a, b, rel = (r.a, r.b, r.relation) if isinstance(r, Relation) else r
        if rel in REPRINT_TYPES:
            uf.union(a, b)
    groups: dict[str, list[str]] = {}
    for x in list(uf.parent):
        groups.setdefault(uf.find(x), []).append(x)
    out = [{"id": cluster_id(m), "articles": sorted(m)} for m in groups.values()]
    return sorted(out, key=lambda c: c["id"])
