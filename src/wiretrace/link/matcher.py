"""Matching blocks of two strings: difflib.SequenceMatcher's result, compiled.

Place in the flow: align's character step (``pairing``) runs this once per aligned sentence
pair, millions of times on a large archive, and difflib's pure-Python loop was half of
verification. This is the same algorithm (the longest common block, earliest on ties, then
recursively left and right of it; adjacent blocks merged; no junk heuristic, as with
``autojunk=False``) over code-point arrays, compiled by numba, so the blocks are identical
(tests/test_matcher.py checks that against difflib). Without numba the same code runs as
plain Python: slow, but the same blocks.
"""

from __future__ import annotations

import numpy as np

from wiretrace.compiled import jit
from wiretrace.normalize import codepoints


def matching_blocks(a: str, b: str) -> list[tuple[int, int, int]]:
    """``(i, j, size)`` blocks with ``a[i:i+size] == b[j:j+size]``, ascending, as
    ``SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()`` without its
    final ``(len(a), len(b), 0)``."""
    if not a or not b:
        return []
    out = blocks(codepoints(a).astype(np.int64), codepoints(b).astype(np.int64))
    return [(int(i), int(j), int(k)) for i, j, k in out]


@jit
def _longest(a, b, order, sorted_b, alo, ahi, blo, bhi, cur_len, cur_at, prev_len, prev_at):  # pragma: no cover - compiled
    """difflib's find_longest_match without junk: for each i, the length of the common
    block ending at (i, j) for every j where b[j] == a[i], from the one ending at
    (i-1, j-1). ``*_at`` say at which i a length was written (two alternating rows)."""
    besti, bestj, bestsize = alo, blo, 0
    for i in range(alo, ahi):
        lo = np.searchsorted(sorted_b, a[i], side="left")
        hi = np.searchsorted(sorted_b, a[i], side="right")
        for t in range(lo, hi):
            j = order[t]
            if j < blo:
                continue
            if j >= bhi:
                break
            k = 1
            if j > 0 and prev_at[j - 1] == i - 1:
                k = prev_len[j - 1] + 1
            cur_len[j] = k
            cur_at[j] = i
            if k > bestsize:
                besti, bestj, bestsize = i - k + 1, j - k + 1, k
        cur_len, prev_len = prev_len, cur_len
        cur_at, prev_at = prev_at, cur_at
    while besti > alo and bestj > blo and a[besti - 1] == b[bestj - 1]:
        besti, bestj, bestsize = besti - 1, bestj - 1, bestsize + 1
    while besti + bestsize < ahi and bestj + bestsize < bhi and a[besti + bestsize] == b[bestj + bestsize]:
        bestsize += 1
    return besti, bestj, bestsize


@jit
def _same(a, b):  # pragma: no cover - compiled
    for k in range(a.shape[0]):
        if a[k] != b[k]:
            return False
    return True


@jit
def blocks(a, b):  # pragma: no cover - compiled
    """Matching blocks of two int64 code-point arrays (both non-empty), as ``matching_blocks``."""
    la, lb = a.shape[0], b.shape[0]
    if la == lb and _same(a, b):
        # most sentence pairs of a reprint are the same sentence: the one block is the
        # whole of both, and the search below (argsort, four rows) cost ~2 us a pair
        return [(0, 0, la)]
    order = np.argsort(b, kind="mergesort")  # b's positions by character, ascending within one
    sorted_b = b[order]
    cur_len = np.zeros(lb, np.int64)
    prev_len = np.zeros(lb, np.int64)
    cur_at = np.full(lb, -2, np.int64)
    prev_at = np.full(lb, -2, np.int64)
    found = []
    queue = [(0, la, 0, lb)]
    while len(queue) > 0:
        alo, ahi, blo, bhi = queue.pop()
        # rows from an earlier call must not count: -2 is no row's i - 1
        cur_at[:] = -2
        prev_at[:] = -2
        i, j, k = _longest(a, b, order, sorted_b, alo, ahi, blo, bhi, cur_len, cur_at, prev_len, prev_at)
        if k:
            found.append((i, j, k))
            if alo < i and blo < j:
                queue.append((alo, i, blo, j))
            if i + k < ahi and j + k < bhi:
                queue.append((i + k, ahi, j + k, bhi))
    found.sort()
    merged = []
    i1, j1, k1 = 0, 0, 0
    for t in range(len(found)):
        i2, j2, k2 = found[t]
        if i1 + k1 == i2 and j1 + k1 == j2:
            k1 += k2
        else:
            if k1:
                merged.append((i1, j1, k1))
            i1, j1, k1 = i2, j2, k2
    if k1:
        merged.append((i1, j1, k1))
    return merged
