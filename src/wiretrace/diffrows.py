"""A diff laid out for reading: rows side by side and each changed passage painted
character by character. Shared by the terminal view (``diffview``) and the HTML pages.

Labels: kept (passage the same in both), changed (aligned but edited), dropped (only in a),
added (only in b).
"""

from __future__ import annotations

from difflib import SequenceMatcher

import numpy as np

from wiretrace.model import Article

# A passage at or above this similarity is shown as kept rather than changed:
# the aligner reports 1.0 for identical text after script and width folding.
KEPT = 0.98


def rows(result: dict, a: Article, b: Article) -> list[tuple]:
    """(label, text in a, text in b, span in a, span in b), in a's order; added
    text follows the passage that precedes it in b."""
    items = []
    for p in result["passages"]:
        label = "kept" if p["similarity"] >= KEPT else "changed"
        items.append(((p["a"][0], 0), (label, a.body[p["a"][0]:p["a"][1]], b.body[p["b"][0]:p["b"][1]], p["a"], p["b"])))
    def inside(span, side):  # shown inline in its passage's row already
        return any(p[side][0] <= span[0] and span[1] <= p[side][1] for p in result["passages"])

    for o in result["only_a"]:
        if inside(o["span"], "a"):
            continue
        items.append(((o["span"][0], 0), ("dropped", o["text"], "", o["span"], None)))
    by_b = sorted(result["passages"], key=lambda p: p["b"][0])
    for o in result["only_b"]:
        if inside(o["span"], "b"):
            continue
        before = [p for p in by_b if p["b"][1] <= o["span"][0]]
        anchor = before[-1]["a"][1] if before else -1
        items.append(((anchor, 1), ("added", "", o["text"], None, o["span"])))
    items.sort(key=lambda item: item[0])
    return [row for _, row in items]


def inline(norm, span, other_norm, other_span) -> tuple[list[str], list[str]]:
    """A label for every character of both sides of a passage. Compared through
    the matching forms, so a traditional and a simplified rendering of one
    sentence show as kept."""
    ma, ra = _matching_span(norm, span)
    mb, rb = _matching_span(other_norm, other_span)
    left = ["kept"] * (span[1] - span[0])
    right = ["kept"] * (other_span[1] - other_span[0])
    ops = SequenceMatcher(None, norm.text[ma[0]:ma[1]], other_norm.text[mb[0]:mb[1]], autojunk=False)
    for op, i1, i2, j1, j2 in ops.get_opcodes():
        if op == "equal":
            continue
        _paint(left, ra[i1:i2], span[0], "changed" if op == "replace" else "dropped")
        _paint(right, rb[j1:j2], other_span[0], "changed" if op == "replace" else "added")
    return left, right


def _matching_span(norm, span):
    """The matching-form span behind a body span, and each of its characters' body offsets."""
    offsets = np.asarray(norm.offsets[:-1])
    lo, hi = np.searchsorted(offsets, span[0], "left"), np.searchsorted(offsets, span[1], "left")
    return (int(lo), int(hi)), offsets[lo:hi]


def _paint(styles: list[str], positions, start: int, label: str) -> None:
    for p in positions:
        if 0 <= p - start < len(styles):
            styles[p - start] = label


def runs(text: str, labels: list[str]) -> list[tuple[str, str]]:
    """(piece, label) runs of equal labels: what a renderer colours."""
    out: list[tuple[str, str]] = []
    for ch, label in zip(text, labels):
        if out and out[-1][1] == label:
            out[-1] = (out[-1][0] + ch, label)
        else:
            out.append((ch, label))
    return out


def painted(result: dict, a: Article, b: Article, a_norm=None, b_norm=None) -> list[dict]:
    """The rows of ``rows`` with each side as runs: ``{"label", "a": [(text, label)], "b": [...]}``.
    Changed passages are painted character by character when the matching forms are given."""
    out = []
    for label, left, right, a_span, b_span in rows(result, a, b):
        if label == "changed" and a_norm is not None and b_norm is not None:
            la, lb = inline(a_norm, a_span, b_norm, b_span)
            out.append({"label": label, "a": runs(left, la), "b": runs(right, lb)})
        else:
            out.append({"label": label, "a": [(left, label)] if left else [], "b": [(right, label)] if right else []})
    return out
