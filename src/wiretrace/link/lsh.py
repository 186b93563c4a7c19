"""Keys for the inverted index, and candidate pairs from it.

Place in the flow: minhash -> **lsh** -> align (each candidate pair is verified by alignment).

A document gets two kinds of int64 keys, told apart by the lowest bit:
  * band keys (bit 0 = 0): the MinHash signature cut into BANDS bands of ROWS rows, each band
    hashed with its index. Near-identical texts share at least one band with high probability
    (1 - (1 - J**ROWS)**BANDS).
  * anchor keys (bit 0 = 1): winnowing fingerprints of the content-character ANCHOR_N-grams
    (the smallest gram hash of every window of ANCHOR_WINDOW grams). Any common substring of at
    least ANCHOR_N + ANCHOR_WINDOW - 1 content characters yields a shared anchor, wherever it lies
    in either text. That is what finds the abridged reprint: a short text most of which lies
    inside a long one has a low Jaccard (the seeds: 0.58, the CNA/RFI OPEC pair: 0.24) and misses
    the bands, but shares most of its anchors.
A short item (at most DENSE_BELOW grams: a Kyodo 快讯 flash, an RTHK two-liner) keeps every gram
as an anchor, since winnowing would leave it a handful. A pair is a candidate if it shares one
band key, or at least MIN_SHARED_ANCHORS anchor keys, or one anchor key when either side is short
(at most SHORT_ANCHORS anchors).

Postings cap: a key held by more than MAX_POSTINGS documents (say a 200-character notice
templated on thousands of pages, or a photo-credit line) is a stop-key and is ignored, so
candidate generation stays near-linear: each document contributes at most
keys x MAX_POSTINGS pairs. The price: a text reprinted more than MAX_POSTINGS times is found
only through its rarer keys (edited passages); tests/test_link.py checks the blow-up case.

Knobs (chosen with bench/link.py "accuracy" on the agora sample, exhaustive reference):
  BANDS, ROWS = 32, 4      threshold ~ (1/32)**(1/4) = 0.42; finds all 63 duplicate/reprint pairs
                           of the reference (16x8: 52/63) with 33 false candidates. Bands alone
                           find only 152 of the 410 reprint-type pairs: the abridged and expanded
                           pairs (containment > 0.6, Jaccard < 0.4) need the anchors.
  ANCHOR_N = 8, ANCHOR_WINDOW = 12, MIN_SHARED_ANCHORS = 2
                           guarantee length 19 chars (about one clause). Sweep (n, window, min
                           shared) -> candidate pairs / reprint-type recall, before the dense rule
                           below (reference of 349 pairs under an earlier classify): (8,12,2) 7.4k
                           0.885; (8,12,1) 34k 0.971; (10,12,1) 14k 0.931; (12,10,1) 12k 0.923;
                           (8,8,2) 11k 0.937; (6,12,2) 16k 0.940. Every miss of (8,12,2) was a
                           short item, so the fix went there instead of to denser anchors for all.
  DENSE_BELOW = 120, SHORT_ANCHORS = 60
                           the short items (Kyodo flash -> detail: 62 chars, 0-1 shared winnowed
                           anchors). Candidate pairs / recall with (8,12,2): no dense rule 7.4k /
                           0.885; 120,40: 14k / 0.969; 120,60: 20k / 0.994; 120,120: 32k / 0.997
                           (verification costs ~1.5 ms a pair, so 120,60).
  MAX_POSTINGS = 100       a judgement, not a sweep: with it the sample's recall is as reported by
                           bench/link.py; tests/test_link.py shows the blow-up without a cap.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TypeVar

import numpy as np

from wiretrace.compiled import jit, numba as _numba

from . import postings
from .arrays import unique
from .errors import LinkError
from .minhash import (
    NUM_PERM, SHINGLE_N, _EMPTY, _mix64, codepoints, content_codepoints, content_table, gram_hashes, permutations,
    signature_of,
)

if _numba is not None:
    from .minhash import _gram_hashes_numba, _minhash_numba, _mix64_compiled

BANDS = 32
ROWS = 4
ANCHOR_N = 8
ANCHOR_WINDOW = 12
MIN_SHARED_ANCHORS = 2
MAX_POSTINGS = 100
DENSE_BELOW = 120
SHORT_ANCHORS = 60

Id = TypeVar("Id", bound=Hashable)
Index = Mapping[int, Sequence[Id]] | postings.Postings

_ONE = np.uint64(1)


def band_keys(sig: np.ndarray, bands: int = BANDS, rows: int = ROWS, *, use_numba: bool = True) -> np.ndarray:
    """One int64 key per band of a signature (lowest bit 0)."""
    if len(sig) < bands * rows:
        raise LinkError(f"signature of {len(sig)} values is too short for {bands}x{rows} bands")
    if use_numba and _numba is not None:  # numpy's dozen passes over 32 values were 40 us, a quarter of keys()
        return _band_keys_numba(sig, bands, rows)
    m = sig[: bands * rows].astype(np.uint64).reshape(bands, rows)
    with np.errstate(over="ignore"):
        h = np.arange(bands, dtype=np.uint64) + np.uint64(0x9E3779B97F4A7C15)
        for r in range(rows):
            h = _mix64(h * np.uint64(0x100000001B3) + m[:, r])
    return ((h & ~_ONE)).view(np.int64)


if _numba is not None:

    @jit
    def _band_keys_numba(sig, bands, rows):  # pragma: no cover - compiled; same as band_keys' numpy path
        out = np.empty(bands, dtype=np.uint64)
        for band in range(bands):
            h = np.uint64(band) + np.uint64(0x9E3779B97F4A7C15)
            for r in range(rows):
                h = _mix64_compiled(h * np.uint64(0x100000001B3) + np.uint64(sig[band * rows + r]))
            out[band] = h & ~np.uint64(1)
        return out.view(np.int64)


def _anchors(cps: np.ndarray, n: int = ANCHOR_N, window: int = ANCHOR_WINDOW, dense_below: int = DENSE_BELOW,
             *, use_numba: bool = True) -> np.ndarray:
    """Winnowing fingerprints of a matching form's content code points (lowest bit 1),
    unique and sorted."""
    h = gram_hashes(cps, n, use_numba=use_numba)
    if len(h) == 0:
        return np.zeros(0, dtype=np.int64)
    if len(h) <= dense_below:
        picked = h  # a short item keeps every gram: winnowing would leave it a handful of keys
    elif use_numba and _numba is not None:
        picked = h[_winnow_numba(h, window)]
    else:
        picked = h[_winnow_numpy(h, window)]
    return unique((picked | _ONE).view(np.int64))


def _winnow_numpy(h: np.ndarray, window: int) -> np.ndarray:
    wins = np.lib.stride_tricks.sliding_window_view(h, window)
    # rightmost minimum of each window (robust winnowing keeps fewer duplicates)
    pos = window - 1 - np.argmin(wins[:, ::-1], axis=1) + np.arange(len(wins))
    return unique(pos)


if _numba is not None:

    @jit
    def _winnow_numba(h, window):  # pragma: no cover - compiled; same output as _winnow_numpy
        n = h.shape[0] - window + 1
        out = np.empty(n, dtype=np.int64)
        k = 0
        last = -1
        for s in range(n):
            if last < s:  # the previous minimum left the window: rescan it
                best = s
                for i in range(s + 1, s + window):
                    if h[i] <= h[best]:
                        best = i
            else:  # only the entering gram can beat it
                best = last
                if h[s + window - 1] <= h[best]:
                    best = s + window - 1
            if best != last:
                out[k] = best
                k += 1
                last = best
        return out[:k]


def keys(text: str) -> np.ndarray:
    """All inverted-index keys of a matching form: band keys then anchor keys, int64, unique."""
    return signature_and_keys(text)[1]


def signature_and_keys(text: str, *, use_numba: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The MinHash signature and the keys of a matching form (the archive stores both),
    from one pass over its content code points."""
    if use_numba and _numba is not None:
        # one compiled call: the steps below, a dozen numpy calls each with its fresh array, took
        # ~80 us an article in ingest's extraction workers, this call ~55
        a, b = permutations(NUM_PERM)
        return _signature_and_keys_numba(codepoints(text), content_table(), a, b, SHINGLE_N, BANDS, ROWS,
                                         ANCHOR_N, ANCHOR_WINDOW, DENSE_BELOW)
    cps = content_codepoints(text)
    sig = signature_of(cps, NUM_PERM, use_numba=False)
    return sig, unique(np.concatenate([band_keys(sig, use_numba=False), _anchors(cps, use_numba=False)]))


if _numba is not None:

    @jit
    def _signature_and_keys_numba(cps, table, a, b, n, bands, rows, anchor_n, window,
                                  dense_below):  # pragma: no cover - compiled; same as the numpy path
        content = np.empty(cps.shape[0], np.uint32)
        m = 0
        for i in range(cps.shape[0]):
            if table[cps[i]]:
                content[m] = cps[i]
                m += 1
        content = content[:m]
        if m == 0:
            sig = np.full(a.shape[0], _EMPTY, np.uint32)
            picked = np.zeros(0, np.uint64)
        else:
            sig = _minhash_numba(_gram_hashes_numba(content, n) >> np.uint64(32), a, b)
            h = _gram_hashes_numba(content, anchor_n)
            picked = h if h.shape[0] <= dense_below else h[_winnow_numba(h, window)]
        out = np.empty(bands + picked.shape[0], np.int64)
        out[:bands] = _band_keys_numba(sig, bands, rows)
        for i in range(picked.shape[0]):
            out[bands + i] = np.int64(picked[i] | np.uint64(1))
        out.sort()
        k = 0
        for i in range(out.shape[0]):
            if k == 0 or out[i] != out[k - 1]:
                out[k] = out[i]
                k += 1
        return sig, out[:k]


def anchor_counts_of(keys: np.ndarray, owners: np.ndarray, n: int) -> np.ndarray:
    """How many anchor keys (odd: ``keys``) each of ``n`` owners holds, ``owners[k]`` holding
    ``keys[k]``: one pass for a batch, where a count per article was 1,000 small numpy calls."""
    return np.bincount(owners, weights=keys & 1, minlength=n).astype(np.int64)


def _pairs_with_new(starts: np.ndarray, sizes: np.ndarray, docs: np.ndarray, n_new: int) -> tuple[np.ndarray, np.ndarray]:
    """The (x, y) doc pairs within each group of the key-sorted ``docs`` array that hold at
    least one new doc (< ``n_new``), vectorised; x < y, as docs ascend within a group.

    Docs ascend within a group, so its new docs come first: a group of k holding g new docs
    gives g * k - g * (g + 1) / 2 pairs, not all k * (k - 1) / 2. A reprint story with 40
    copies makes groups of 40 for every band key; enumerating all their pairs to keep those
    of the one new copy was three orders of magnitude more pairs than the candidates found.
    """
    is_new = docs < n_new
    before = np.concatenate([[0], np.cumsum(is_new)])
    g = before[starts + sizes] - before[starts]
    # one row per (group, new doc i): the doc pairs with each doc after it in the group
    group = np.repeat(np.arange(len(starts)), g)
    i = np.arange(len(group)) - np.repeat(np.cumsum(g) - g, g)
    width = sizes[group] - 1 - i
    x = np.repeat(starts[group] + i, width)
    y = np.repeat(starts[group] + i + 1 - (np.cumsum(width) - width), width) + np.arange(int(width.sum()))
    return docs[x], docs[y]


def candidates(
    new: Mapping[Id, np.ndarray],
    index: Index | None = None,
    *,
    min_anchors: int = MIN_SHARED_ANCHORS,
    max_postings: int = MAX_POSTINGS,
    anchor_counts: Mapping[Id, int] | Callable[[Id], int] | None = None,
    pending: Callable[[np.ndarray], np.ndarray] | None = None,
) -> set[tuple[Id, Id]]:
    """Candidate pairs among the ``new`` documents and between them and an existing ``index``.

    ``new`` maps a document id to its ``keys``. ``index`` holds the keys of documents indexed
    before: a ``postings.Postings`` (the archive's) or a plain mapping key -> ids; pairs of two
    indexed documents are not returned (they were linked before). A key held by more than
    ``max_postings`` documents in all is ignored (a stop-key). ``pending`` maps an array of
    keys to how many documents of the same run, neither in ``new`` nor in ``index`` yet,
    hold each: they count toward the cap, so a run cut into batches finds the pairs it
    would find in one. Each pair is returned once, as ``(smaller id, larger id)``.

    A pair involving a short document (at most SHORT_ANCHORS anchor keys) needs only one
    shared anchor. The anchor counts of ``new`` documents are read from their keys; those of
    indexed documents come from a ``Postings`` index itself, or from ``anchor_counts`` with a
    mapping index, and are taken as long when unknown.
    """
    ids = list(new)
    if not ids:
        return set()
    n_new = len(ids)
    key_arr = [np.asarray(new[i], dtype=np.int64) for i in ids]
    all_keys = np.concatenate(key_arr)
    all_docs = np.repeat(np.arange(n_new, dtype=np.int64), [len(k) for k in key_arr])
    new_anchors = anchor_counts_of(all_keys, all_docs, n_new)

    unique_keys, key_pos = np.unique(all_keys, return_inverse=True)  # an entry's key by its position
    later = np.zeros(len(unique_keys), np.int64) if pending is None else np.asarray(pending(unique_keys), np.int64)
    stop = np.zeros(len(unique_keys), bool)
    old_anchors = None

    if index is not None:
        if isinstance(index, Mapping):
            found = postings.from_mapping(index, unique_keys, max_postings, anchor_counts)
        else:
            found = index.lookup(unique_keys, max_postings)
        stop = later + found.counts > max_postings
        is_new = set(ids)
        fresh = np.array([d not in is_new for d in found.names], bool)  # not already among the new
        keep = ~stop[found.key_pos] & fresh[found.holder]
        key_pos = np.concatenate([key_pos, found.key_pos[keep]])
        all_docs = np.concatenate([all_docs, n_new + found.holder[keep]])
        ids = ids + found.names
        old_anchors = found.anchors

    n_all = len(ids)
    # (key position, doc) packed in one int64: one sort orders the entries by key, then doc,
    # and drops repeats (a two-column lexsort of the raw keys was a quarter of this function)
    entry = unique(key_pos * n_all + all_docs)
    group_keys, sd = entry // n_all, entry % n_all
    bounds = np.flatnonzero(np.r_[True, group_keys[1:] != group_keys[:-1], True])
    starts, sizes = bounds[:-1], np.diff(bounds)
    group_keys = group_keys[starts]
    ok = (sizes >= 2) & ~stop[group_keys] & (sizes + later[group_keys] <= max_postings)
    anchor = (unique_keys[group_keys] & 1) == 1

    n_anchor = np.full(n_all, np.iinfo(np.int64).max, dtype=np.int64)
    n_anchor[:n_new] = new_anchors
    if old_anchors is not None:
        n_anchor[n_new:] = old_anchors
    out: set = set()
    for is_anchor_group, need in ((False, 1), (True, min_anchors)):
        sel = ok & (anchor == is_anchor_group)
        x, y = _pairs_with_new(starts[sel], sizes[sel], sd, n_new)
        code = x * n_all + y
        if need > 1:
            code, counts = np.unique(code, return_counts=True)
            short = np.minimum(n_anchor[code // n_all], n_anchor[code % n_all]) <= SHORT_ANCHORS
            code = code[(counts >= need) | short]
        else:
            code = unique(code)
        for c in code.tolist():
            p, q = ids[c // n_all], ids[c % n_all]
            out.add((p, q) if p <= q else (q, p))
    return out
