"""`wiretrace diff A B` on a terminal: the alignment side by side, in the original scripts.

Colours: kept (passage the same in both) green, changed (aligned but edited)
yellow, dropped (only in a) red, added (only in b) blue. Piped output gets the
same layout without colour, with a one-word label on each row instead.
"""

from __future__ import annotations

from difflib import SequenceMatcher

import numpy as np
from rich.console import Console
from rich.table import Table
from rich.text import Text

from wiretrace.model import Article

# A passage at or above this similarity is shown as kept rather than changed:
# the aligner reports 1.0 for identical text after script and width folding.
KEPT = 0.98

STYLES = {"kept": "green", "changed": "yellow", "dropped": "red", "added": "blue"}


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


def inline(body: str, norm, span, other_body: str, other_norm, other_span) -> tuple[Text, Text]:
    """Both sides of a passage, character by character: kept green, changed
    yellow, dropped red, added blue. Compared through the matching forms, so a
    traditional and a simplified rendering of one sentence show as kept."""
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
    return _text(body[span[0]:span[1]], left), _text(other_body[other_span[0]:other_span[1]], right)


def _matching_span(norm, span):
    """The matching-form span behind a body span, and each of its characters' body offsets."""
    offsets = np.asarray(norm.offsets[:-1])
    lo, hi = np.searchsorted(offsets, span[0], "left"), np.searchsorted(offsets, span[1], "left")
    return (int(lo), int(hi)), offsets[lo:hi]


def _paint(styles: list[str], positions, start: int, label: str) -> None:
    for p in positions:
        if 0 <= p - start < len(styles):
            styles[p - start] = label


def _text(s: str, labels: list[str]) -> Text:
    text = Text()
    for ch, label in zip(s, labels):
        text.append(ch, style=STYLES[label])
    return text


def render(result: dict, a: Article, b: Article, a_norm=None, b_norm=None, console: Console | None = None) -> None:
    console = console or Console()
    table = Table(show_lines=True, expand=True)
    table.add_column("", width=7, no_wrap=True)
    table.add_column(f"a {a.id} {a.outlet or ''} {a.published or ''}", ratio=1, overflow="fold")
    table.add_column(f"b {b.id} {b.outlet or ''} {b.published or ''}", ratio=1, overflow="fold")
    for label, left, right, a_span, b_span in rows(result, a, b):
        style = STYLES[label]
        if label == "changed" and a_norm is not None and b_norm is not None:
            left_text, right_text = inline(a.body, a_norm, a_span, b.body, b_norm, b_span)
        else:
            left_text, right_text = Text(left, style=style), Text(right, style=style)
        table.add_row(Text(label, style=style), left_text, right_text)
    console.print(" ".join(f"[{style}]{label}[/]" for label, style in STYLES.items()))
    console.print(table)
    console.print(
        f"{result['a_in_b']:.0%} of a is found in b, {result['b_in_a']:.0%} of b in a; "
        f"{len(result['passages'])} passages, {len(result['only_a'])} only in a, {len(result['only_b'])} only in b"
    )
