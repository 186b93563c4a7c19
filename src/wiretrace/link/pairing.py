"""The per-pair loops of ``align``, compiled: pick sentence pairs, align their characters,
fill in neighbours, group the picked pairs into passages, map spans to the original body.

Place in the flow: ``align`` splits and scores sentences (numpy), calls ``pick``,
``unchanged``, ``figures``, ``leftovers`` and ``passages`` here, and turns their arrays into an
``Alignment``. These loops touch every
picked sentence pair and every matched character; in Python they were most of the cost of
verifying a candidate pair. The rules are align's (see its docstring for the knobs); this
module only runs them over flat arrays:

  ``c``       the content characters of one article as code points (int64), sentence after
              sentence;
  ``bounds``  sentence k holds ``c[bounds[k]:bounds[k + 1]]``;
  positions   are indices into ``c`` ("content indices"); ``body_span`` maps them to the
              matching form and on to the original body through its offset map.
"""

from __future__ import annotations

import numpy as np

from wiretrace.compiled import jit

from .matcher import blocks


@jit
def _in(ks_i, ks_j, i, j):  # pragma: no cover - compiled
    for u in range(len(ks_i)):
        if ks_i[u] == i and ks_j[u] == j:
            return True
    return False


@jit
def _all_matched(matched, start, end):  # pragma: no cover - compiled
    for k in range(start, end):
        if not matched[k]:
            return False
    return True


@jit
def _keep(i, j, ma, mb, matched_a, matched_b, kept_i, kept_j, starts):  # pragma: no cover - compiled
    """Keep pair (i, j), whose matched characters are those of ``ma``/``mb`` past ``starts[-1]``."""
    for u in range(starts[-1], len(ma)):
        matched_a[ma[u]] = True
        matched_b[mb[u]] = True
    kept_i.append(i)
    kept_j.append(j)
    starts.append(len(ma))


@jit
def pick(ca, bounds_a, cb, bounds_b, order_i, order_j, min_block, min_match, max_partners, neighbour_block):  # pragma: no cover - compiled
    """Greedy pairing over the scored sentence pairs (``order_*``, best first), then the
    neighbour pass. Returns (matched_a, matched_b, kept_i, kept_j, starts, ma, mb): the
    matched masks over the content indices; the kept pairs in the order they were kept;
    pair t matched ``ma[starts[t]:starts[t + 1]]`` of a against the same slice of ``mb``."""
    n_a, n_b = len(bounds_a) - 1, len(bounds_b) - 1
    matched_a = np.zeros(len(ca), np.bool_)
    matched_b = np.zeros(len(cb), np.bool_)
    deg_a = np.zeros(n_a, np.int64)
    deg_b = np.zeros(n_b, np.int64)
    kept_i = [0]
    kept_j = [0]
    starts = [0]
    ma = [0]
    mb = [0]
    kept_i.pop()
    kept_j.pop()
    ma.pop()
    mb.pop()
    for t in range(len(order_i)):
        i, j = order_i[t], order_j[t]
        if deg_a[i] >= max_partners or deg_b[j] >= max_partners:
            continue
        a0, a1, b0, b1 = bounds_a[i], bounds_a[i + 1], bounds_b[j], bounds_b[j + 1]
        found = blocks(ca[a0:a1], cb[b0:b1])
        # a pair must bring characters not matched yet on one side: otherwise it only
        # re-matches a stock phrase that a better pair already explains
        fresh_a = fresh_b = 0
        for x, y, size in found:
            if size >= min_block:
                for k in range(size):
                    if not matched_a[a0 + x + k]:
                        fresh_a += 1
                    if not matched_b[b0 + y + k]:
                        fresh_b += 1
        if max(fresh_a, fresh_b) < min_match * min(a1 - a0, b1 - b0):
            continue
        deg_a[i] += 1
        deg_b[j] += 1
        for x, y, size in found:
            if size >= min_block:
                for k in range(size):
                    ma.append(a0 + x + k)
                    mb.append(b0 + y + k)
        _keep(i, j, ma, mb, matched_a, matched_b, kept_i, kept_j, starts)
    # an editor who merges two sentences often keeps only a few words of one ("他指出，" + the
    # next sentence): align the leftovers of each kept pair against the partner's neighbours
    for t in range(len(kept_i)):
        i, j = kept_i[t], kept_j[t]
        for d in range(4):
            ni, nj = i, j
            if d == 0:
                ni = i - 1
            elif d == 1:
                ni = i + 1
            elif d == 2:
                nj = j - 1
            else:
                nj = j + 1
            if not (0 <= ni < n_a and 0 <= nj < n_b) or _in(kept_i, kept_j, ni, nj):
                continue
            # in a reprint most neighbours are matched whole: tell that without building arrays
            if _all_matched(matched_a, bounds_a[ni], bounds_a[ni + 1]) or \
                    _all_matched(matched_b, bounds_b[nj], bounds_b[nj + 1]):
                continue
            pa = np.arange(bounds_a[ni], bounds_a[ni + 1])
            pa = pa[~matched_a[pa]]
            pb = np.arange(bounds_b[nj], bounds_b[nj + 1])
            pb = pb[~matched_b[pb]]
            for x, y, size in blocks(ca[pa], cb[pb]):
                if size >= neighbour_block:
                    for k in range(size):
                        ma.append(pa[x + k])
                        mb.append(pb[y + k])
            if len(ma) > starts[-1]:
                _keep(ni, nj, ma, mb, matched_a, matched_b, kept_i, kept_j, starts)
    return (matched_a, matched_b, np.array(kept_i, np.int64), np.array(kept_j, np.int64),
            np.array(starts, np.int64), np.array(ma, np.int64), np.array(mb, np.int64))


@jit
def passages(kept_i, kept_j, starts, ma, mb, bounds_a, bounds_b, positions_a, offsets_a, positions_b,
             offsets_b):  # pragma: no cover - compiled
    """Runs of kept pairs that advance together (in (i, j) order, a pair joins the first run
    whose last pair is (i or i-1, j or j-1)). Per run: its span in each original body (a
    start, a end, b start, b end: from its first matched character to just past its last,
    see ``body_span``), how many distinct a characters it matched, and the content
    characters of its sentences on each side; a (runs, 7) int64 array in the order the runs
    began. ``positions_*``: the matching-form position of each content character;
    ``offsets_*``: the matching form's offset map (``Normalized.offsets``)."""
    k = len(kept_i)
    n_a, n_b = len(bounds_a) - 1, len(bounds_b) - 1
    order = np.argsort(kept_i * n_b + kept_j)
    run_of = np.empty(k, np.int64)
    last_i = [0]
    last_j = [0]
    last_i.pop()
    last_j.pop()
    for t in order:
        i, j = kept_i[t], kept_j[t]
        r = -1
        for q in range(len(last_i)):
            di, dj = i - last_i[q], j - last_j[q]
            if 0 <= di <= 1 and 0 <= dj <= 1 and (di or dj):
                r = q
                break
        if r < 0:
            r = len(last_i)
            last_i.append(i)
            last_j.append(j)
        last_i[r], last_j[r] = i, j
        run_of[t] = r
    out = np.zeros((len(last_i), 7), np.int64)
    out[:, 0] = np.iinfo(np.int64).max
    out[:, 2] = np.iinfo(np.int64).max
    out[:, 1] = -1
    out[:, 3] = -1
    # "seen in run r" stamps: a run's pairs are visited together (by_run), so one stamp suffices
    seen_char = np.full(bounds_a[-1], -1, np.int64)
    seen_a = np.full(n_a, -1, np.int64)
    seen_b = np.full(n_b, -1, np.int64)
    by_run = order[np.argsort(run_of[order], kind="mergesort")]
    for t in by_run:
        r = run_of[t]
        i, j = kept_i[t], kept_j[t]
        for u in range(starts[t], starts[t + 1]):
            x, y = ma[u], mb[u]
            out[r, 0] = min(out[r, 0], x)
            out[r, 1] = max(out[r, 1], x)
            out[r, 2] = min(out[r, 2], y)
            out[r, 3] = max(out[r, 3], y)
            if seen_char[x] != r:
                seen_char[x] = r
                out[r, 4] += 1
        if seen_a[i] != r:
            seen_a[i] = r
            out[r, 5] += bounds_a[i + 1] - bounds_a[i]
        if seen_b[j] != r:
            seen_b[j] = r
            out[r, 6] += bounds_b[j + 1] - bounds_b[j]
    for r in range(len(out)):
        out[r, 0], out[r, 1] = body_span(positions_a, offsets_a, out[r, 0], out[r, 1])
        out[r, 2], out[r, 3] = body_span(positions_b, offsets_b, out[r, 2], out[r, 3])
    return out


@jit
def body_span(positions, offsets, first, last):  # pragma: no cover - compiled
    """Content characters ``first..last`` (inclusive) as a span of the original body: from
    the body index of the first's matching-form position to that of the position just past
    the last's (``Normalized.to_original``)."""
    return offsets[positions[first]], offsets[positions[last] + 1]


@jit
def leftovers(matched, positions, offsets):  # pragma: no cover - compiled
    """The maximal runs of unmatched content characters (only punctuation and spaces, which
    are not content, may sit inside one) as an (n, 2) array of original body spans
    (``body_span``), and how many content characters are matched."""
    out = np.empty((len(matched) // 2 + 1, 2), np.int64)
    n, start, hits = 0, -1, 0
    for k in range(len(matched)):
        if not matched[k]:
            if start < 0:
                start = k
            continue
        hits += 1
        if start >= 0:
            out[n, 0], out[n, 1] = body_span(positions, offsets, start, k - 1)
            n, start = n + 1, -1
    if start >= 0:
        out[n, 0], out[n, 1] = body_span(positions, offsets, start, len(matched) - 1)
        n += 1
    return out[:n], hits


@jit
def unchanged(kept_i, kept_j, starts, bounds_a, bounds_b):  # pragma: no cover - compiled
    """Per kept pair, whether it matched the whole of both its sentences (the sentence is
    unchanged), and whether every pair did."""
    whole = np.empty(len(kept_i), np.bool_)
    every = True
    for t in range(len(kept_i)):
        i, j, m = kept_i[t], kept_j[t], starts[t + 1] - starts[t]
        whole[t] = m == bounds_a[i + 1] - bounds_a[i] and m == bounds_b[j + 1] - bounds_b[j]
        every = every and whole[t]
    return whole, every


@jit
def figures(kept_i, kept_j, whole, a_ids, a_at, b_ids, b_at):  # pragma: no cover - compiled
    """Numbers kept and changed (see ``align``): for each a sentence with an edited pair
    (``whole[t]`` false, from ``unchanged``), its numbers against those of all its partners, as multisets
    of number hashes (``ids``; sentence k holds ``ids[at[k]:at[k + 1]]``): kept is their
    intersection; changed, the fewer of the numbers left on either side."""
    edited = np.zeros(len(a_at) - 1, np.bool_)
    for t in range(len(kept_i)):
        if not whole[t]:
            edited[kept_i[t]] = True
    kept = 0
    changed = 0
    for i in range(len(edited)):
        if not edited[i] or a_at[i] == a_at[i + 1]:
            continue  # no edited pair, or nothing to keep or change
        na = np.sort(a_ids[a_at[i]:a_at[i + 1]])
        n_b = 0
        for t in range(len(kept_i)):
            if kept_i[t] == i:
                n_b += b_at[kept_j[t] + 1] - b_at[kept_j[t]]
        nb = np.empty(n_b, np.int64)
        n_b = 0
        for t in range(len(kept_i)):
            if kept_i[t] == i:
                for u in range(b_at[kept_j[t]], b_at[kept_j[t] + 1]):
                    nb[n_b] = b_ids[u]
                    n_b += 1
        nb.sort()
        both = 0
        u = 0
        v = 0
        while u < len(na) and v < len(nb):
            if na[u] == nb[v]:
                both += 1
                u += 1
                v += 1
            elif na[u] < nb[v]:
                u += 1
            else:
                v += 1
        kept += both
        changed += min(len(na) - both, len(nb) - both)
    return kept, changed
