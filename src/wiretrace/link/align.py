"""Alignment of two articles: which passages they share, what only one of them has.

Place in the flow: lsh candidates -> **align** -> relations.classify.

Works on the matching forms (same script, folded punctuation) and reports every span in the
ORIGINAL bodies through ``Normalized.to_original``. Steps:
  1. split each matching form into sentences (on 。！？；!?; and newlines, and '.' unless it sits
     between two digits), keeping spans;
  2. score every sentence pair by shared content-character trigrams (an inverted index, so only
     pairs that share something are scored) and pick pairs greedily, best first, letting a
     sentence take at most MAX_PARTNERS partners so a sentence split or merged by an editor
     (1-2, 2-1) still aligns; order is NOT assumed, so moved paragraphs align too;
  3. inside each picked pair, align characters (difflib's longest-block matching on content
     characters, compiled: ``matcher``; the loops of steps 3-4 are compiled too: ``pairing``)
     and keep matching blocks of at least MIN_BLOCK characters: these are the kept characters;
  4. consecutive picked pairs (next sentence in a with same or next sentence in b) form one
     passage; unmatched content characters, grouped across punctuation and spaces, are the
     only-in-a / only-in-b spans;
  5. in edited aligned sentences, count numbers kept and numbers replaced by other numbers
     (relations.py tells a re-filled template from a reprint with them).
Shares (``a_in_b``/``b_in_a``) count content characters (letters, digits, CJK), not
whitespace or punctuation.

Knobs (bench/link.py "accuracy" re-checks them; the seeds and the moved-paragraph test pin them):
  GRAM = 3            trigrams: bigrams made every pair of Chinese sentences share something
                      (的, 中国), 4-grams lost sentences with one changed char every 3 chars.
  MIN_PAIR_GRAMS = 2, MIN_PAIR_OVERLAP = 0.3
                      a sentence pair is considered when it shares >= 2 trigrams and >= 0.3 of
                      the shorter sentence's trigrams: the seeds' rewritten sentences (他指出，
                      维护… vs 他指出,应以交流合作…) share 0.4-0.6.
  MIN_PAIR_MATCH = 0.3 after character alignment, a pair is kept only if it matches characters
                      not matched by a better pair, >= 0.3 of the shorter sentence, on one side
                      (drops stock-phrase pairs; keeps a sentence repeated in one text).
  MIN_BLOCK = 2       a single matching character inside different text is chance (的, 在).
  MAX_PARTNERS = 3    1-2 / 2-1 merges and one more: the seeds' 001 merges three sentences of 000
                      into one (据新华社报道，张军…说，各国应…).
  NEIGHBOUR_BLOCK = 3 leftovers next to an aligned pair match if they share >= 3 chars in a row.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

import numpy as np

from wiretrace.model import Passage

from . import pairing
from .minhash import codepoints, content_table

GRAM = 3
MIN_PAIR_GRAMS = 2
MIN_PAIR_OVERLAP = 0.3
MIN_PAIR_MATCH = 0.3
MIN_BLOCK = 2
MAX_PARTNERS = 3
NEIGHBOUR_BLOCK = 3

_SENT_END = re.compile(r"[。！？；!?;\n｡]|(?<!\d)[.．]|[.．](?!\d)")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


class NormalizedLike(Protocol):
    """What align needs from ``wiretrace.normalize.Normalized``."""

    text: str

    def to_original(self, start: int, end: int) -> tuple[int, int]: ...


@dataclass
class Alignment:
    """The evidence for a relation. Spans index the ORIGINAL bodies; shares count content chars."""

    passages: list[Passage] = field(default_factory=list)
    only_a: list[tuple[int, int]] = field(default_factory=list)
    only_b: list[tuple[int, int]] = field(default_factory=list)
    a_in_b: float = 0.0
    b_in_a: float = 0.0
    a_chars: int = 0  # content characters of a
    b_chars: int = 0
    # numbers (digit runs) of a's edited aligned sentences that b keeps, and that b replaces by
    # other numbers: a template re-filled with new figures (daily rate fixings, market closes)
    # keeps the words, not the numbers
    numbers_kept: int = 0
    numbers_changed: int = 0
    longest_passage: int = 0  # content characters of a in the longest passage


@dataclass
class _Side:
    text: str
    sents: list[tuple[int, int]]  # normalized spans of the sentences holding content
    codes: np.ndarray  # content characters as code points (int64), sentence after sentence
    bounds: np.ndarray  # sentence k holds codes[bounds[k]:bounds[k + 1]]
    lengths: np.ndarray  # content characters per sentence (np.diff(bounds))
    positions: np.ndarray  # normalized position of each content character, ascending
    n_grams: np.ndarray  # per sentence: how many distinct trigrams it holds
    gram_codes: np.ndarray  # (trigram code, sentence) pairs, each once, sorted by code
    gram_sents: np.ndarray
    numbers: list[list[str]]  # per sentence: its numbers (digit runs), as written


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans of a matching form (terminator included), empty ones dropped."""
    spans, start = [], 0
    for m in _SENT_END.finditer(text):
        end = m.end()
        if text[start:end].strip():
            spans.append((start, end))
        start = end
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans


# A trigram as one integer: three code points (< 2**21 each). A sentence of one or two content
# characters is one shorter "gram", padded with 0x1FFFFF, which no code point reaches.
_PAD = 0x1FFFFF


def _short_gram(c: list[int]) -> int:
    g = [*c, *[_PAD] * (GRAM - len(c))]
    return (g[0] << 42) | (g[1] << 21) | g[2]


@lru_cache(maxsize=1024)  # one article meets many candidates in a row: split it once
def _side(text: str) -> _Side:
    cps = codepoints(text)
    spans = split_sentences(text)
    # content characters (str.isalnum, as MinHash shingles them); each lies in one sentence
    pos = np.flatnonzero(content_table()[cps])
    sent = np.searchsorted(np.array([e for _, e in spans], dtype=np.int64), pos, side="right")
    has, sent = np.unique(sent, return_inverse=True)  # sentences holding content, renumbered
    bounds = np.concatenate(([0], np.flatnonzero(np.diff(sent)) + 1, [len(pos)])) if len(pos) else np.zeros(1, np.int64)
    c = cps[pos].astype(np.int64)

    codes = (c[:-2] << 42) | (c[1:-1] << 21) | c[2:] if len(c) >= GRAM else np.zeros(0, np.int64)
    owner = sent[: len(codes)]
    inside = owner == sent[GRAM - 1:]  # the trigram does not cross into the next sentence
    codes, owner = codes[inside], owner[inside]
    bounds = bounds.astype(np.int64)
    lengths = np.diff(bounds)
    short = np.flatnonzero(lengths < GRAM)  # sentences of one or two characters
    if len(short):
        codes = np.concatenate([codes, np.array([_short_gram(c[bounds[k]:bounds[k + 1]].tolist()) for k in short], np.int64)])
        owner = np.concatenate([owner, short.astype(owner.dtype)])
    order = np.lexsort((owner, codes))
    codes, owner = codes[order], owner[order].astype(np.int64)
    first = np.r_[True, (codes[1:] != codes[:-1]) | (owner[1:] != owner[:-1])] if len(codes) else np.zeros(0, bool)
    codes, owner = codes[first], owner[first]
    n_grams = np.bincount(owner, minlength=len(bounds) - 1).astype(np.int64)
    sents = [spans[k] for k in has.tolist()]
    numbers = [_NUMBER.findall(text, s, e) for s, e in sents]
    return _Side(text, sents, c, bounds, lengths, pos.astype(np.int64), n_grams, codes, owner, numbers)


def _scored_pairs(a: _Side, b: _Side) -> tuple[np.ndarray, np.ndarray]:
    """Sentence pairs worth a character alignment, best (most shared trigrams) first.

    A join of the two sides' (trigram, sentence) lists on the trigram, in numpy: for each
    of a's entries, the run of b's entries with the same code."""
    lo = np.searchsorted(b.gram_codes, a.gram_codes, side="left")
    hi = np.searchsorted(b.gram_codes, a.gram_codes, side="right")
    n = hi - lo
    total = int(n.sum())
    if not total:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    ends = np.cumsum(n)
    idx = np.repeat(lo - (ends - n), n) + np.arange(total)
    nb = max(len(b.sents), 1)
    pair, shared = np.unique(np.repeat(a.gram_sents, n) * nb + b.gram_sents[idx], return_counts=True)
    i, j = pair // nb, pair % nb
    smaller = np.minimum(a.n_grams[i], b.n_grams[j])
    # a sentence of one trigram ("（美联社）") may pair on that one trigram
    ok = (shared >= np.minimum(MIN_PAIR_GRAMS, smaller)) & (shared >= MIN_PAIR_OVERLAP * smaller)
    i, j, shared, smaller = i[ok], j[ok], shared[ok], smaller[ok]
    order = np.lexsort((j, i, -(shared / smaller), -shared))
    return i[order], j[order]


def _content_runs(side: _Side, matched: np.ndarray) -> list[tuple[int, int]]:
    """Group the unmatched content characters into spans that only punctuation/space
    interrupts: maximal runs of unmatched content indices, as normalized [first, last + 1)."""
    pos = side.positions
    return [(int(pos[s]), int(pos[e - 1]) + 1) for s, e in pairing.unmatched_runs(matched).tolist()]


def align(a_body: str, a_norm: NormalizedLike, b_body: str, b_norm: NormalizedLike) -> Alignment:
    """Align two articles; spans in the result index ``a_body`` and ``b_body``.

    ``a_body``/``b_body`` are the original bodies the ``Normalized`` maps point into; they are
    taken so callers can check spans, and are not otherwise read.
    """
    a, b = _side(a_norm.text), _side(b_norm.text)
    order_i, order_j = _scored_pairs(a, b)
    matched_a, matched_b, kept_i, kept_j, starts, ma, mb = pairing.pick(
        a.codes, a.bounds, b.codes, b.bounds, order_i, order_j,
        MIN_BLOCK, MIN_PAIR_MATCH, MAX_PARTNERS, NEIGHBOUR_BLOCK)
    al = Alignment()
    al.numbers_kept, al.numbers_changed = _figures(a, b, kept_i, kept_j, starts[1:] - starts[:-1])
    al.a_chars, al.b_chars = len(a.codes), len(b.codes)
    al.a_in_b = int(matched_a.sum()) / al.a_chars if al.a_chars else 0.0
    al.b_in_a = int(matched_b.sum()) / al.b_chars if al.b_chars else 0.0

    if len(kept_i):
        runs = pairing.passages(kept_i, kept_j, starts, ma, mb, a.bounds, b.bounds)
        for a_first, a_last, b_first, b_last, a_matched, len_a, len_b in runs.tolist():
            sim = 2 * a_matched / (len_a + len_b)
            sa = a_norm.to_original(int(a.positions[a_first]), int(a.positions[a_last]) + 1)
            sb = b_norm.to_original(int(b.positions[b_first]), int(b.positions[b_last]) + 1)
            al.passages.append(Passage(a=tuple(sa), b=tuple(sb), similarity=round(min(sim, 1.0), 4)))
            al.longest_passage = max(al.longest_passage, a_matched)
        al.passages.sort(key=lambda p: (p.a, p.b))

    al.only_a = [tuple(a_norm.to_original(s, e)) for s, e in _content_runs(a, matched_a)]
    al.only_b = [tuple(b_norm.to_original(s, e)) for s, e in _content_runs(b, matched_b)]
    return al


def _figures(a: _Side, b: _Side, kept_i: np.ndarray, kept_j: np.ndarray, matched: np.ndarray) -> tuple[int, int]:
    """Numbers kept and numbers changed: per edited a sentence, its numbers against those of
    all its partners. A number replaced by another (6.5444 -> 6.4978) marks a re-filled
    template; a number merely dropped (a dateline 1月7日 cut by the reprint) does not.
    ``matched[t]``: a characters pair t matched."""
    # an unchanged sentence (all its partners match it whole) says nothing about figures
    whole = (matched == a.lengths[kept_i]) & (matched == b.lengths[kept_j])
    kept = changed = 0
    for i in np.unique(kept_i[~whole]).tolist():
        if not a.numbers[i]:
            continue  # nothing to keep or change
        na = Counter(a.numbers[i])
        nb: Counter[str] = Counter()
        for j in kept_j[kept_i == i].tolist():
            nb.update(b.numbers[j])
        kept += sum((na & nb).values())
        changed += min(sum((na - nb).values()), sum((nb - na).values()))
    return kept, changed
