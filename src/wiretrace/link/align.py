"""Alignment of two articles: which passages they share, what only one of them has.

Place in the flow: lsh candidates -> **align** -> relations.classify.

Works on the matching forms (same script, folded punctuation) and reports every span in the
ORIGINAL bodies through the offset map (``Normalized.offsets``). Steps:
  1. split each matching form into sentences (on 。！？；!?; and newlines, and '.' unless it sits
     between two digits), keeping spans;
  2. score every sentence pair by shared content-character trigrams (an inverted index, so only
     pairs that share something are scored) and pick pairs greedily, best first, letting a
     sentence take at most MAX_PARTNERS partners so a sentence split or merged by an editor
     (1-2, 2-1) still aligns; order is NOT assumed, so moved paragraphs align too;
  3. inside each picked pair, align characters (difflib's longest-block matching on content
     characters, compiled: ``matcher``; steps 1-2 are compiled in ``trigrams``, the loops of
     steps 3-4 in ``pairing``)
     and keep matching blocks of at least MIN_BLOCK characters: these are the kept characters;
  4. consecutive picked pairs (next sentence in a with same or next sentence in b) form one
     passage; unmatched content characters, grouped across punctuation and spaces, are the
     only-in-a / only-in-b spans;
  5. in edited aligned sentences, count numbers kept and numbers replaced by other numbers
     (relations.py tells a re-filled template from a reprint with them).
Shares (``a_in_b``/``b_in_a``) count content characters (letters, digits, CJK), not
whitespace or punctuation.

Knobs (bench/link.py "accuracy" re-checks them; the seeds and the moved-paragraph test pin them):
  trigrams            (link/trigrams.py) bigrams made every pair of Chinese sentences share something
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

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Protocol

import numpy as np

from wiretrace.model import Passage
from wiretrace.normalize import SpanError, codepoints

from . import pairing, trigrams
from .minhash import content_table

MIN_PAIR_GRAMS = 2
MIN_PAIR_OVERLAP = 0.3
MIN_PAIR_MATCH = 0.3
MIN_BLOCK = 2
MAX_PARTNERS = 3
NEIGHBOUR_BLOCK = 3


class NormalizedLike(Protocol):
    """What align needs from ``wiretrace.normalize.Normalized``: the matching form and its
    offset map (``len(text) + 1`` body indices, see ``Normalized``)."""

    text: str
    offsets: np.ndarray


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
    sent_start: np.ndarray  # normalized spans of the sentences holding content
    sent_end: np.ndarray
    codes: np.ndarray  # content characters as code points (int64), sentence after sentence
    bounds: np.ndarray  # sentence k holds codes[bounds[k]:bounds[k + 1]]
    positions: np.ndarray  # normalized position of each content character, ascending
    n_grams: np.ndarray  # per sentence: how many distinct trigrams it holds
    gram_codes: np.ndarray  # (trigram code, sentence) pairs, each once, sorted by code
    gram_sents: np.ndarray

    @cached_property
    def numbers(self) -> tuple[np.ndarray, np.ndarray]:
        """Its numbers (digit runs) as integers equal when their texts are, sentence after
        sentence, and where each sentence's begin: sentence k holds ``ids[at[k]:at[k + 1]]``
        (``trigrams.number_ids``). Found only when a pair has edited sentences. A number never
        spans two sentences (a dot between digits ends none), and its digits make its sentence
        one holding content."""
        return trigrams.number_ids(codepoints(self.text), trigrams.char_kinds(), self.sent_start)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans of a matching form (terminator included), blank ones dropped."""
    ends = trigrams.sentence_ends(codepoints(text), trigrams.char_kinds()).tolist()
    spans = zip([0, *ends], [*ends, len(text)])
    return [(s, e) for s, e in spans if text[s:e].strip()]


@lru_cache(maxsize=1024)  # one article meets many candidates in a row: build its side once
def _side(text: str) -> _Side:
    codes, bounds, positions, sent_start, sent_end, gram_codes, gram_sents, n_grams = trigrams.side_arrays(
        codepoints(text), trigrams.char_kinds(), content_table())
    return _Side(text, sent_start, sent_end, codes, bounds, positions, n_grams, gram_codes, gram_sents)


def _scored_pairs(a: _Side, b: _Side) -> tuple[np.ndarray, np.ndarray]:
    """Sentence pairs worth a character alignment, best (most shared trigrams) first."""
    return trigrams.scored_pairs(a.gram_codes, a.gram_sents, a.n_grams, b.gram_codes, b.gram_sents,
                                 b.n_grams, MIN_PAIR_GRAMS, MIN_PAIR_OVERLAP, trigrams.DENSE_MAX)


@dataclass(frozen=True)
class _Match:
    """What an alignment is on the matching forms alone, before spans meet the bodies: pick's
    masks and kept pairs (see ``pairing.pick``) and the figures of the edited sentences."""

    matched_a: np.ndarray
    matched_b: np.ndarray
    kept_i: np.ndarray
    kept_j: np.ndarray
    starts: np.ndarray
    ma: np.ndarray
    mb: np.ndarray
    numbers_kept: int
    numbers_changed: int


# Articles whose matching forms are equal (a wire story reprinted word for word, in either
# script, under any chrome) meet the same partners again and again: every pair of them, and
# each of them with every other version of the story. Their pairs repeat the same two matching
# forms, whose match is the costly part of a pair (~60 %: sides, scores, pick). The 100k
# synthetic archive's link verifies 321,506 pairs over 68,336 distinct pairs of forms; replayed
# in its order on two workers, this cache answers 74 % of them (79 % at most) at any size from
# 256 entries to 65,536: a repeat comes soon after (the batches follow the signature).
@lru_cache(maxsize=512)
def _match(a_text: str, b_text: str) -> _Match:
    a, b = _side(a_text), _side(b_text)
    order_i, order_j = _scored_pairs(a, b)
    matched_a, matched_b, kept_i, kept_j, starts, ma, mb = pairing.pick(
        a.codes, a.bounds, b.codes, b.bounds, order_i, order_j,
        MIN_BLOCK, MIN_PAIR_MATCH, MAX_PARTNERS, NEIGHBOUR_BLOCK)
    numbers_kept = numbers_changed = 0
    # an unchanged sentence (all its partners match it whole) says nothing about figures
    whole, unchanged = pairing.unchanged(kept_i, kept_j, starts, a.bounds, b.bounds)
    if not unchanged:
        numbers_kept, numbers_changed = pairing.figures(kept_i, kept_j, whole, *a.numbers, *b.numbers)
    for array in (matched_a, matched_b, kept_i, kept_j, starts, ma, mb):
        array.flags.writeable = False  # shared by every pair of these two texts
    return _Match(matched_a, matched_b, kept_i, kept_j, starts, ma, mb, numbers_kept, numbers_changed)


def align(a_body: str, a_norm: NormalizedLike, b_body: str, b_norm: NormalizedLike) -> Alignment:
    """Align two articles; spans in the result index ``a_body`` and ``b_body``.

    ``a_body``/``b_body`` are the original bodies the ``Normalized`` maps point into; they are
    taken so callers can check spans, and are not otherwise read.
    """
    for norm in (a_norm, b_norm):  # the compiled mapping reads offsets unchecked
        if len(norm.offsets) != len(norm.text) + 1:
            raise SpanError(f"offset map of {len(norm.offsets)} entries for a matching form of {len(norm.text)}")
    a, b = _side(a_norm.text), _side(b_norm.text)
    m = _match(a_norm.text, b_norm.text)
    al = Alignment(numbers_kept=m.numbers_kept, numbers_changed=m.numbers_changed)
    only_a, matched_chars_a = pairing.leftovers(m.matched_a, a.positions, a_norm.offsets)
    only_b, matched_chars_b = pairing.leftovers(m.matched_b, b.positions, b_norm.offsets)
    al.a_chars, al.b_chars = len(a.codes), len(b.codes)
    al.a_in_b = matched_chars_a / al.a_chars if al.a_chars else 0.0
    al.b_in_a = matched_chars_b / al.b_chars if al.b_chars else 0.0
    al.only_a = list(map(tuple, only_a.tolist()))
    al.only_b = list(map(tuple, only_b.tolist()))
    if len(m.kept_i):
        runs = pairing.passages(m.kept_i, m.kept_j, m.starts, m.ma, m.mb, a.bounds, b.bounds,
                                a.positions, a_norm.offsets, b.positions, b_norm.offsets)
        rows = runs.tolist()
        al.passages = sorted(
            (Passage(a=(a0, a1), b=(b0, b1), similarity=round(min(2 * a_matched / (len_a + len_b), 1.0), 4))
             for a0, a1, b0, b1, a_matched, len_a, len_b in rows),
            key=lambda p: (p.a, p.b))
        al.longest_passage = max(row[4] for row in rows)
    return al
