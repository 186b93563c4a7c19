"""An article's sentences and their trigrams, and the sentence pairs two articles' trigrams
join: the per-article and per-pair set-up of ``align``, compiled.

Place in the flow: ``align`` builds a side per article (``side_arrays``) and scores the
sentence pairs of two sides (``scored_pairs``), then ``pairing`` aligns their characters.
Linking builds a side for almost every article of every candidate pair (an article's
partners are spread over the archive), so in numpy, with some forty small-array calls a
side, this set-up cost as much as the alignment itself. The rules are align's (see its
docstring); this module runs them over code-point arrays:

  sentences   a sentence ends after 。！？；!?;｡ or a newline, and after '.' or '．' unless
              the dot sits between two decimal digits (3.5);
  content     the characters ``minhash.content_table`` flags (letters, digits, CJK);
  trigrams    three consecutive content characters of one sentence as one integer (21 bits
              each); a sentence of one or two content characters is one shorter gram,
              padded with PAD, which no code point reaches.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from wiretrace.compiled import jit

PAD = 0x1FFFFF
_ENDS = "。！？；!?;\n｡"
_DOTS = ".．"

# what a code point is to the splitter: 1 ends a sentence, 2 is a dot, 3 a decimal digit
_END, _DOT, _DIGIT = 1, 2, 3


@lru_cache(maxsize=1)
def char_kinds() -> np.ndarray:
    """The splitter's class of every code point (0: none of the three), built once."""
    kinds = np.zeros(0x110000, np.uint8)
    for cp in range(0x110000):
        if not 0xD800 <= cp <= 0xDFFF and chr(cp).isdecimal():  # what re's \d matches in str
            kinds[cp] = _DIGIT
    for ch in _ENDS:
        kinds[ord(ch)] = _END
    for ch in _DOTS:
        kinds[ord(ch)] = _DOT
    return kinds


@jit
def sentence_ends(cps, kinds):  # pragma: no cover - compiled
    """Positions just past each sentence terminator, ascending."""
    n = len(cps)
    out = np.empty(n, np.int64)
    k = 0
    for p in range(n):
        kind = kinds[cps[p]]
        if kind == _END:
            out[k] = p + 1
            k += 1
        elif kind == _DOT:
            between_digits = (p > 0 and kinds[cps[p - 1]] == _DIGIT
                              and p + 1 < n and kinds[cps[p + 1]] == _DIGIT)
            if not between_digits:
                out[k] = p + 1
                k += 1
    return out[:k]


@jit
def side_arrays(cps, kinds, content):  # pragma: no cover - compiled
    """One article's arrays for ``align._Side``, from its matching form's code points.

    Returns (codes, bounds, positions, sent_start, sent_end, gram_codes, gram_sents,
    n_grams): the content characters (int64) sentence after sentence; sentence k (counting
    only sentences holding content) holds ``codes[bounds[k]:bounds[k + 1]]`` and spans
    ``[sent_start[k], sent_end[k])`` of the matching form; ``positions``: the matching-form
    position of each content character; the distinct (trigram, sentence) pairs sorted by
    trigram then sentence, and each sentence's number of distinct trigrams."""
    n = len(cps)
    ends = sentence_ends(cps, kinds)
    positions = np.empty(n, np.int64)
    codes = np.empty(n, np.int64)
    bounds = np.empty(n + 1, np.int64)
    sent_start = np.empty(n, np.int64)
    sent_end = np.empty(n, np.int64)
    n_c = 0
    n_s = 0
    seg = 0  # the terminator-delimited segment p lies in
    seg_start = 0
    held = -1  # the last segment found holding content
    for p in range(n):
        while seg < len(ends) and ends[seg] <= p:
            seg_start = ends[seg]
            seg += 1
        if content[cps[p]]:
            if seg != held:
                bounds[n_s] = n_c
                sent_start[n_s] = seg_start
                sent_end[n_s] = ends[seg] if seg < len(ends) else n
                n_s += 1
                held = seg
            positions[n_c] = p
            codes[n_c] = cps[p]
            n_c += 1
    bounds[n_s] = n_c

    # trigrams sentence after sentence, so a stable sort by code orders them by sentence too
    grams = np.empty(max(n_c, 1), np.int64)
    owner = np.empty(max(n_c, 1), np.int64)
    g = 0
    for k in range(n_s):
        lo, hi = bounds[k], bounds[k + 1]
        if hi - lo < 3:
            second = codes[lo + 1] if hi - lo == 2 else PAD
            grams[g] = (codes[lo] << 42) | (second << 21) | PAD
            owner[g] = k
            g += 1
        else:
            for t in range(lo, hi - 2):
                grams[g] = (codes[t] << 42) | (codes[t + 1] << 21) | codes[t + 2]
                owner[g] = k
                g += 1
    order = np.argsort(grams[:g], kind="mergesort")
    gram_codes = np.empty(g, np.int64)
    gram_sents = np.empty(g, np.int64)
    n_grams = np.zeros(n_s, np.int64)
    d = 0
    for u in range(g):
        code, k = grams[order[u]], owner[order[u]]
        if d and gram_codes[d - 1] == code and gram_sents[d - 1] == k:
            continue
        gram_codes[d] = code
        gram_sents[d] = k
        n_grams[k] += 1
        d += 1
    return (codes[:n_c], bounds[:n_s + 1], positions[:n_c], sent_start[:n_s], sent_end[:n_s],
            gram_codes[:d], gram_sents[:d], n_grams)


_COMMA = ord(",")
_STOP = ord(".")
_NUMBER_BASE = 1_000_003  # a prime above every code point: a number's digits as one integer


@jit
def number_ids(cps, kinds, sent_start):  # pragma: no cover - compiled
    r"""The numbers of a matching form as integers that are equal when their texts are,
    sentence after sentence, and where each sentence's begin: sentence k (``sent_start``,
    sentences holding content) holds ``ids[at[k]:at[k + 1]]``. A number is what the regular
    expression ``\d+(?:[.,]\d+)*`` finds: decimal digits, runs of them joined by one '.' or
    ',' (3.5, 1,234.56); tests/test_trigrams.py holds this function to it."""
    n = len(cps)
    ids = np.empty(n // 2 + 1, np.int64)
    sent = np.empty(n // 2 + 1, np.int64)
    k = 0
    p = 0
    while p < n:
        if kinds[cps[p]] != _DIGIT:
            p += 1
            continue
        start = p
        h = np.int64(0)
        # a digit, or a '.' or ',' with a digit after it (one before it is the run so far)
        while p < n and (kinds[cps[p]] == _DIGIT or (
                (cps[p] == _STOP or cps[p] == _COMMA) and p + 1 < n and kinds[cps[p + 1]] == _DIGIT)):
            h = h * _NUMBER_BASE + cps[p]
            p += 1
        ids[k] = h
        sent[k] = np.searchsorted(sent_start, start, side="right") - 1
        k += 1
    at = np.searchsorted(sent[:k], np.arange(len(sent_start) + 1))
    return ids[:k], at


# Up to this many sentence pairs, shared trigrams are counted in a dense table; above it (two
# very long articles) by sorting the pairs' codes.
DENSE_MAX = 1 << 20


@jit
def scored_pairs(codes_a, sents_a, n_grams_a, codes_b, sents_b, n_grams_b, min_grams, min_overlap, dense_max):  # pragma: no cover - compiled
    """Sentence pairs (i of a, j of b) worth a character alignment, best first: a join of the
    two sides' (trigram, sentence) lists on the trigram. A pair is kept when it shares at least
    ``min(min_grams, smaller)`` trigrams and ``min_overlap`` of the smaller sentence's
    (``smaller``: the fewer trigrams of the two); order: most shared trigrams, then the
    largest share of the smaller sentence, then i, then j."""
    n_a, n_b = len(n_grams_a), max(len(n_grams_b), 1)
    dense = n_a * n_b <= dense_max
    table = np.zeros(n_a * n_b if dense else 0, np.int64)
    pair_list = [0]
    pair_list.pop()
    u = 0
    v = 0
    while u < len(codes_a) and v < len(codes_b):
        if codes_a[u] < codes_b[v]:
            u += 1
        elif codes_a[u] > codes_b[v]:
            v += 1
        else:
            code = codes_a[u]
            v_end = v
            while v_end < len(codes_b) and codes_b[v_end] == code:
                v_end += 1
            while u < len(codes_a) and codes_a[u] == code:  # each meets b's whole run
                for w in range(v, v_end):
                    pc = sents_a[u] * n_b + sents_b[w]
                    if dense:
                        table[pc] += 1
                    else:
                        pair_list.append(pc)
                u += 1
            v = v_end
    if dense:
        present = np.flatnonzero(table)
        shared_all = table[present]
    else:
        sorted_pairs = np.sort(np.array(pair_list, np.int64))
        m = len(sorted_pairs)
        present = np.empty(m, np.int64)
        shared_all = np.empty(m, np.int64)
        q = 0
        for t in range(m):
            if q and present[q - 1] == sorted_pairs[t]:
                shared_all[q - 1] += 1
            else:
                present[q] = sorted_pairs[t]
                shared_all[q] = 1
                q += 1
        present, shared_all = present[:q], shared_all[:q]
    # present ascends, so (i, j) ascend: the last keys of the order
    i = present // n_b
    j = present % n_b
    smaller = np.minimum(n_grams_a[i], n_grams_b[j])
    ok = (shared_all >= np.minimum(min_grams, smaller)) & (shared_all >= min_overlap * smaller)
    i, j, shared, smaller = i[ok], j[ok], shared_all[ok], smaller[ok]
    by_share = np.argsort(-(shared / smaller), kind="mergesort")
    by_shared = by_share[np.argsort(-shared[by_share], kind="mergesort")]
    return i[by_shared], j[by_shared]
