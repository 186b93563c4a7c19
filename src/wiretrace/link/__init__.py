"""link: find which articles share text and say how (the heart of wiretrace).

    matching form ──minhash.signature──▶ lsh.keys ──lsh.candidates──▶ pairs
    pair ──align.align──▶ Alignment ──relations.classify──▶ relation ──clusters.clusters──▶ ids

Pure, storage-free functions; signatures and keys serialise to bytes for the archive.
"""

from __future__ import annotations

from typing import Any

from wiretrace.model import Relation

from .align import Alignment, align, split_sentences
from .clusters import cluster_id, clusters
from .errors import LinkError
from .lsh import (
    band_keys,
    candidates,
    keys,
    signature_and_keys,
)
from .minhash import jaccard_estimate, signature, signature_from_bytes, signature_to_bytes
from .relations import REPRINT_TYPES, by_shares, classify, orient

__all__ = [
    "Alignment", "LinkError", "REPRINT_TYPES", "align", "band_keys", "by_shares",
    "candidates", "classify", "cluster_id", "clusters", "jaccard_estimate", "keys",
    "orient", "relate", "signature", "signature_and_keys",
    "signature_from_bytes", "signature_to_bytes", "split_sentences",
]


def relate(a: Any, a_norm: Any, b: Any, b_norm: Any) -> Relation | None:
    """Align two Articles (earlier first, see ``orient``) and return their Relation, or None.

    ``a``/``b`` are Articles or ArticleTexts (``id``, ``title``, ``body``, ``outlet``, ``url``, ``published``); the
    ``*_norm`` are their ``Normalized`` matching forms. The caller decides the order; use
    ``orient(a, b)`` to learn whether to swap first.
    """
    al = align(a.body, a_norm, b.body, b_norm)
    rel = classify(al, a, b)
    if rel is None:
        return None
    return Relation(
        a=a.id, b=b.id, relation=rel, a_in_b=round(al.a_in_b, 4), b_in_a=round(al.b_in_a, 4),
        passages=al.passages, only_a=al.only_a, only_b=al.only_b,
    )
