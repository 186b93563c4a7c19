"""The verdict on an aligned pair: duplicate, reprint, abridged, expanded, updated, partial or None.

Place in the flow: align -> **relations.classify** -> clusters (and the archive's relations table).

Direction: ``classify(al, a_meta, b_meta)`` reads "b is <relation> of a", with
``a_in_b`` = share of a's content characters found in b (CLI.md) and ``b_in_a`` the reverse:
  duplicate  both shares >= DUPLICATE: the same text (chrome and punctuation aside)
  reprint    both shares >= REPRINT: the same text with small edits
  abridged   b keeps a part of a: b_in_a >= CONTAINED (b is mostly inside a), a_in_b lower
  expanded   b adds to a: a_in_b >= CONTAINED, b_in_a lower
  updated    same outlet (or same URL), b published later, and the shares would make it
             duplicate/reprint/abridged/expanded: the outlet revised its own story
  partial    they share a passage of >= PARTIAL_CHARS content characters (a quoted statement, a
             re-used background paragraph) but are different articles; also a template re-filled
             with new figures: more numbers of the edited aligned sentences replaced than kept
             (NUMBERS_CHANGED_MIN), whatever the shares
  None       nothing meaningful in common
The pipeline aligns each pair with a = the earlier article (``orient``), so "updated" and
"abridged" read forward in time.

Thresholds: chosen together on the agora sample with bench/link.py section "accuracy"
(reference = every pair within three days sharing an 8-char shingle, aligned exhaustively;
the histogram of max(a_in_b, b_in_a) has a valley between 0.45 and 0.6: same-topic items share
stock sentences up to ~0.4, real reprints and desk rewrites sit above 0.6; the CNA/RFI OPEC
abridgement has b_in_a ~0.7). Re-check there when changing align.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from .align import Alignment

DUPLICATE = 0.97  # both ways; 0.97 not 0.98: the char aligner drops 1-char islands (MIN_BLOCK)
REPRINT = 0.8  # both ways
CONTAINED = 0.6  # one way: the short text's share found in the long one
PARTIAL_CHARS = 30  # a shared passage this long (content chars) is worth recording
NUMBERS_CHANGED_MIN = 2  # a template re-filled with new figures: at least 2 numbers of the
#   edited aligned sentences replaced by others, and more replaced than kept. RTHK daily market
#   items (日股初段…) replace 2-3 of 3, Reuters RMB fixings 15 of 19; Kyodo 快讯 -> 详讯 and
#   reprints keep theirs (a dateline's numbers cut by a reprint are dropped, not replaced)
SMALLER_SHARE_MIN = 0.04  # abridged/expanded: the long text's share found in the short one must
#   reach this; below it the short item is one entry of a digest (CNA 全球最新情報: 0.007-0.014),
#   while Kyodo 快讯 -> 详讯 expansions measured 0.043-0.12

# Same outlet, later, reprint-like by shares: an update only when the texts are
# mostly one (the larger share >= UPDATED_SHARE) or the headlines tell the same
# story (character-bigram Jaccard of the titles >= UPDATED_TITLE); otherwise
# it is another story of that outlet re-using a background paragraph: partial.
# Chosen by reading the 28 same-outlet "updated" pairs of bench/link.py's random
# sample (2026-11-23): 8 were different stories (RTHK 三大電訊商股價 vs 港股競價,
# 日本新增4909人 vs 白鵬翔確診; larger share 0.61-0.80, titles 0.00-0.21), while
# Kyodo 快讯 -> 详讯 (0.62-1.00, titles 0.21-0.89), DW's double posts (0.93) and
# RTHK follow-ups (周梓樂 jury, 0.70, titles 0.54) stay updates; one RTHK
# follow-up (南韓外交部, 0.76, titles 0.17) becomes partial.
UPDATED_SHARE = 0.85
UPDATED_TITLE = 0.3

REPRINT_TYPES = frozenset({"duplicate", "reprint", "abridged", "expanded", "updated"})


def _get(meta: Any, key: str) -> Any:
    if meta is None:
        return None
    if isinstance(meta, Mapping):
        return meta.get(key)
    return getattr(meta, key, None)


def _when(value: Any) -> datetime | None:
    """A comparable instant from an ISO 8601 string (a date alone counts as midnight UTC)."""
    if not value:
        return None
    try:
        d = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return d if d.tzinfo else d.replace(tzinfo=timezone.utc)


def later(a_meta: Any, b_meta: Any) -> bool | None:
    """True if b was published after a, False if before, None when either date is
    unknown or both are the same instant."""
    ta, tb = _when(_get(a_meta, "published")), _when(_get(b_meta, "published"))
    if ta is None or tb is None or ta == tb:
        return None
    return tb > ta


def orient(a_meta: Any, b_meta: Any) -> bool:
    """True if the pair should be swapped so that a is the earlier article.

    Ties (same instant, or a date missing) go by body text, then id: alignment is not
    symmetric, and an id depends on where a capture was read from, so ordering by id made
    one corpus at two paths give different shares and verdicts.
    """
    ta, tb = _when(_get(a_meta, "published")), _when(_get(b_meta, "published"))
    if ta is not None and tb is not None and ta != tb:
        return tb < ta
    ka = (str(_get(a_meta, "body") or ""), str(_get(a_meta, "id") or ""))
    kb = (str(_get(b_meta, "body") or ""), str(_get(b_meta, "id") or ""))
    return kb < ka


def _same_source(a_meta: Any, b_meta: Any) -> bool:
    ua, ub = _get(a_meta, "url"), _get(b_meta, "url")
    if ua and ub and ua == ub:
        return True
    oa, ob = _get(a_meta, "outlet"), _get(b_meta, "outlet")
    return bool(oa and ob and str(oa).casefold() == str(ob).casefold())


def by_shares(a_in_b: float, b_in_a: float) -> str | None:
    """The text-only verdict, ignoring outlets and dates."""
    if a_in_b >= DUPLICATE and b_in_a >= DUPLICATE:
        return "duplicate"
    if a_in_b >= REPRINT and b_in_a >= REPRINT:
        return "reprint"
    if b_in_a >= CONTAINED and b_in_a >= a_in_b and a_in_b >= SMALLER_SHARE_MIN:
        return "abridged"
    if a_in_b >= CONTAINED and b_in_a >= SMALLER_SHARE_MIN:
        return "expanded"
    return None


def title_similarity(a_meta: Any, b_meta: Any) -> float:
    """Jaccard of the character bigrams of two titles' matching forms (0 when either is missing)."""
    from wiretrace.normalize import title_form

    def bigrams(title: Any) -> set[str]:
        text = "".join(ch for ch in title_form(str(title or "")) if ch.isalnum())
        return {text[i:i + 2] for i in range(len(text) - 1)}

    ga, gb = bigrams(_get(a_meta, "title")), bigrams(_get(b_meta, "title"))
    return len(ga & gb) / len(ga | gb) if ga and gb else 0.0


def classify(al: Alignment, a_meta: Any = None, b_meta: Any = None) -> str | None:
    """Relation name for "b is <relation> of a", or None. Metas are Articles or mappings."""
    verdict = by_shares(al.a_in_b, al.b_in_a)
    templated = al.numbers_changed >= NUMBERS_CHANGED_MIN and al.numbers_changed > al.numbers_kept
    if verdict is not None and not templated:
        # b is never earlier than a (the pipeline orients pairs), so a same-outlet
        # pair with equal or date-only stamps is an update too: reading found
        # CNA and RTHK re-issues with one timestamp called abridged/expanded
        if verdict != "duplicate" and _same_source(a_meta, b_meta) and later(a_meta, b_meta) is not False:
            if max(al.a_in_b, al.b_in_a) >= UPDATED_SHARE or verdict == "reprint" or (
                title_similarity(a_meta, b_meta) >= UPDATED_TITLE
            ):
                return "updated"
            return "partial"
        return verdict
    if al.longest_passage >= PARTIAL_CHARS:
        return "partial"
    return None
