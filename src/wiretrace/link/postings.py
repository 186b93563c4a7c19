"""The LSH inverted index (key -> articles holding it) as a few sorted segments.

Place in the flow: ``lsh.candidates`` asks it, for one batch of new articles, which linked
articles hold each of their keys; the archive stores its segments (``LinkStore``).

Why segments and not a table row per (key, article): at ~117 keys an article, a million
articles is 117M postings. As SQLite rows with an index on each column they cost ~8 µs each
to write and one query per key to read, which made the index, not the alignment, the wall of
linking a large archive. Here each batch of new articles adds one segment (its postings as two
parallel int64 arrays sorted by key), written as two blobs; a lookup is a ``searchsorted`` of
the batch's keys in every segment. In memory, segments of similar size are merged (the newest
into its elder while the elder is at most twice as large), so an index of n postings has
O(log n) segments and each posting is moved O(log n) times: n log n in all. A segment stops
growing at MAX_SEGMENT postings (SQLite's blobs are at most 1 GB).

On disk a batch's segment is written once, as its own row, and never rewritten while the run
goes on: writing each merge back rewrote every posting O(log n) times, ~18 GB of blobs
through SQLite and the page cache in a 1M link by the count of merges (117M postings, ~10
levels, 16 bytes each). The rows of earlier runs are gathered into
as few as fit when an archive holding more than MAX_ROWS of them loads its index
(``LinkStore.postings``).

Holders are integer handles (``linked.handle`` in the archive, never reused), so a segment
needs no strings; ``names`` maps a handle to its article id. An article unlinked later
(re-extracted with another text) leaves postings whose handle is no longer live: ``compact``
drops them, and the archive compacts before it serves a lookup, so lookups count live
holders only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Hashable, Sequence

import numpy as np

from wiretrace.compiled import jit

MAX_SEGMENT = 1 << 24  # postings: 128 MB of keys, 128 MB of holders
MAX_ROWS = 64  # segments on disk before a load gathers them (one a batch of 1,000 is written)
# Key arrays at least this long are searched through a directory (``KeyDirectory``): below
# it they sit in the CPU's caches and a galloping search costs no more.
DIRECTORY_MIN = 1 << 20
DIRECTORY_BUCKET = 16  # keys a directory entry covers on average: two cache lines of them


@dataclass
class Segment:
    keys: np.ndarray  # int64, ascending
    holders: np.ndarray  # int64 handles, parallel to keys (ascending within one key)
    row: int | None = None  # its row in the archive, None until stored
    directory: "KeyDirectory | None" = field(default=None, repr=False, compare=False)  # of keys, built at need

    def __len__(self) -> int:
        return len(self.keys)

    def bounds(self, needles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``key_bounds`` of ``needles`` in this segment's keys."""
        if self.directory is None:
            self.directory = directory_for(self.keys)
        return key_bounds(self.keys, needles, self.directory)


@dataclass
class Found:
    """What ``Postings.lookup`` returns for an array of keys.

    ``counts[k]``: how many indexed articles hold ``keys[k]``. For the keys held by at most
    ``limit`` articles, every posting: the key's position ``key_pos`` and the holder's
    position ``holder`` in ``names`` (and ``anchors``, their anchor-key counts, or None when
    unknown)."""

    counts: np.ndarray
    key_pos: np.ndarray
    holder: np.ndarray
    names: list
    anchors: np.ndarray | None


def segment(keys: Sequence[np.ndarray], handles: Sequence[int], row: int | None = None) -> Segment:
    """One segment from each holder's keys."""
    flat = np.concatenate(keys) if len(keys) else np.zeros(0, np.int64)
    owners = np.repeat(np.asarray(handles, np.int64), [len(k) for k in keys])
    order = np.lexsort((owners, flat))
    return Segment(flat[order].astype(np.int64), owners[order], row)


def merged(elder: Segment, younger: Segment) -> Segment:
    """One segment of two, in (key, holder) order: each is in that order, and a holder is in
    one of them only, so one linear merge does it. It was a stable argsort of the two
    concatenated, then two gathers: five arrays the size of both, fresh memory the kernel
    zeroes page by page (with a batch's other fresh arrays, 12 % of the link's main process
    at 100k)."""
    keys, holders = _merge_runs(elder.keys, elder.holders, younger.keys, younger.holders)
    return Segment(keys, holders)


@jit
def _merge_runs(keys_a, holders_a, keys_b, holders_b):  # pragma: no cover - compiled
    """Two runs ascending by (key, holder) merged into one."""
    n, m = len(keys_a), len(keys_b)
    keys = np.empty(n + m, np.int64)
    holders = np.empty(n + m, np.int64)
    i = j = 0
    for k in range(n + m):
        if j == m or (i < n and (keys_a[i] < keys_b[j] or (keys_a[i] == keys_b[j] and holders_a[i] < holders_b[j]))):
            keys[k], holders[k] = keys_a[i], holders_a[i]
            i += 1
        else:
            keys[k], holders[k] = keys_b[j], holders_b[j]
            j += 1
    return keys, holders


@jit
def _first(hay, x, start, above):  # pragma: no cover - compiled
    """The first index from ``start`` whose value is >= x (> x with ``above``), galloping:
    ~2 log2(distance) probes, all near ``start``."""
    n = len(hay)
    if start >= n or (hay[start] > x if above else hay[start] >= x):
        return start
    prev, step, cur = start, 1, start + 1  # hay[prev] is before the answer
    while cur < n and (hay[cur] <= x if above else hay[cur] < x):
        prev, step = cur, step * 2
        cur = prev + step
    lo, hi = prev + 1, min(cur, n)
    while lo < hi:
        mid = (lo + hi) // 2
        if hay[mid] <= x if above else hay[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


@jit
def sorted_bounds(hay, needles):  # pragma: no cover - compiled
    """``np.searchsorted(hay, needles, "left")`` and ``"right"`` for ascending ``needles``.
    A batch's 100k keys against a segment of 10M: binary searches from scratch miss the
    cache at every probe, while each search here starts where the last one ended."""
    lo = np.empty(len(needles), np.int64)
    hi = np.empty(len(needles), np.int64)
    at = 0
    for t in range(len(needles)):
        at = _first(hay, needles[t], at, False)
        lo[t] = at
        hi[t] = _first(hay, needles[t], at, True)
    return lo, hi


class KeyDirectory:
    """Where each bucket of key values begins in an ascending int64 array, for ``key_bounds``.

    LSH keys are hashes, spread evenly over their range, so cutting the range into ~n/16
    equal buckets puts ~16 keys in each: a search reads one directory entry and a bucket
    (two cache lines), where a galloping search over a long array misses the cache and the
    TLB at nearly every probe. One batch's 117k keys against the 117M keys a 1M link holds
    pending: 48.7 ms galloping, 12.4 ms here; against a 16M segment, ~15 and 8.1 ms. The
    answers do not depend on the spread, only the speed: a bucket holding many keys is
    binary-searched."""

    def __init__(self, hay: np.ndarray):
        span = int(hay[-1]) - int(hay[0])
        bits = max(1, int(np.ceil(np.log2(max(2, len(hay) / DIRECTORY_BUCKET)))))
        self.shift = max(0, span.bit_length() - bits)
        self.starts = np.empty((span >> self.shift) + 2, np.int32 if len(hay) < 2**31 else np.int64)
        _fill_directory(hay, self.shift, self.starts)


@jit
def _fill_directory(hay, shift, starts):  # pragma: no cover - compiled
    """starts[b]: the first index whose key is in bucket b or later (the last entry: len(hay))."""
    base = np.uint64(hay[0])
    b = 0
    for i in range(len(hay)):
        # (key - first key) >> shift, as unsigned: int64 and uint64 mixed would be float64
        k = np.int64((np.uint64(hay[i]) - base) >> np.uint64(shift))
        while b <= k:
            starts[b] = i
            b += 1
    while b < len(starts):
        starts[b] = len(hay)
        b += 1


@jit
def _bucket_bounds(hay, starts, shift, needles):  # pragma: no cover - compiled
    """``sorted_bounds`` through a ``KeyDirectory`` (needles in any order): every copy of a
    key lies in its own bucket, and every key before the bucket is smaller."""
    lo = np.empty(len(needles), np.int64)
    hi = np.empty(len(needles), np.int64)
    n = len(hay)
    base = np.uint64(hay[0])
    for t in range(len(needles)):
        x = needles[t]
        if x < hay[0] or x > hay[n - 1]:
            lo[t] = hi[t] = 0 if x < hay[0] else n
            continue
        k = np.int64((np.uint64(x) - base) >> np.uint64(shift))
        left, right = np.int64(starts[k]), np.int64(starts[k + 1])
        end = right
        while left < right:
            mid = (left + right) >> 1
            if hay[mid] < x:
                left = mid + 1
            else:
                right = mid
        lo[t] = left
        right = end
        while left < right:
            mid = (left + right) >> 1
            if hay[mid] <= x:
                left = mid + 1
            else:
                right = mid
        hi[t] = left
    return lo, hi


def directory_for(hay: np.ndarray) -> KeyDirectory | None:
    """A ``KeyDirectory`` of ``hay`` when it is long enough to pay (``DIRECTORY_MIN``), else None."""
    return KeyDirectory(hay) if len(hay) >= DIRECTORY_MIN else None


def key_bounds(hay: np.ndarray, needles: np.ndarray, directory: KeyDirectory | None = None):
    """``np.searchsorted(hay, needles, "left")`` and ``"right"`` for ascending ``needles``:
    through ``directory`` (``KeyDirectory(hay)``) when given, else galloping."""
    if directory is None or not len(needles):
        return sorted_bounds(hay, needles)
    return _bucket_bounds(hay, directory.starts, directory.shift, needles)


class Postings:
    """The index in memory: segments, and the live holders (handle -> name, anchors)."""

    def __init__(self, segments: list[Segment], handles: np.ndarray, names: list, anchors: np.ndarray):
        order = np.argsort(handles, kind="stable")
        self.names = [names[k] for k in order.tolist()]
        self.segments = segments
        # handles and anchors in arrays with room to grow: a batch's add copied both whole,
        # O(n) fresh memory a batch, O(n^2) over a run
        self._n = len(order)
        self._handles = np.asarray(handles, np.int64)[order]
        self._anchors = np.asarray(anchors, np.int64)[order]
        # lookup's tables over every handle, kept from one lookup to the next: made afresh
        # for each, they were a batch's largest new arrays (8 MB at 1M)
        self._seen = np.zeros(0, bool)  # all False between lookups
        self._rank = np.zeros(0, np.int64)

    @property
    def handles(self) -> np.ndarray:
        """The live holders' handles, ascending."""
        return self._handles[:self._n]

    @property
    def anchors(self) -> np.ndarray:
        """Each live holder's anchor-key count, parallel to ``handles``."""
        return self._anchors[:self._n]

    def __len__(self) -> int:
        return sum(len(s) for s in self.segments)

    def _live(self, holders: np.ndarray) -> np.ndarray:
        at = np.searchsorted(self.handles, holders)
        at[at == len(self.handles)] = 0
        return self.handles[at] == holders if len(self.handles) else np.zeros(len(holders), bool)

    def compact(self) -> list[Segment]:
        """Drop the postings of holders no longer live; the segments that changed."""
        changed = []
        for s in self.segments:
            live = self._live(s.holders)
            if not live.all():
                s.keys, s.holders, s.directory = s.keys[live], s.holders[live], None
                changed.append(s)
        return changed

    def add(self, handles: list[int], names: list, anchors: list[int], keys: list[np.ndarray]) -> Segment:
        """Index new holders (handles larger than any before). Returns their own segment, the
        one to store; in memory it is merged with its elders (``settle``)."""
        if len(handles) and len(self.handles) and min(handles) <= self.handles[-1]:
            raise ValueError("postings: a new handle must be larger than every handle before it")
        n, k = self._n, len(handles)
        if n + k > len(self._handles):
            room = max(2 * len(self._handles), n + k, 1024)
            self._handles = np.concatenate([self._handles[:n], np.zeros(room - n, np.int64)])
            self._anchors = np.concatenate([self._anchors[:n], np.zeros(room - n, np.int64)])
        self._handles[n:n + k] = handles
        self._anchors[n:n + k] = anchors
        self._n = n + k
        self.names.extend(names)
        new = segment(keys, handles)
        self._push(new)
        return new

    def settle(self) -> None:
        """Merge the segments as ``add`` keeps them (loaded from disk, they are one a batch)."""
        loaded, self.segments = self.segments, []
        for seg in loaded:
            self._push(seg)

    def _push(self, new: Segment) -> None:
        """Append a segment, merging it into its elders while they are at most twice as large
        (a merged segment is held in memory only: ``row`` None)."""
        while self.segments and len(self.segments[-1]) <= 2 * len(new) and len(self.segments[-1]) + len(new) <= MAX_SEGMENT:
            new = merged(self.segments.pop(), new)
        self.segments.append(new)

    def lookup(self, keys: np.ndarray, limit: int) -> Found:
        """Holders of each of ``keys``, ascending (see ``Found``)."""
        keys = np.asarray(keys, np.int64)
        if np.any(keys[1:] < keys[:-1]):
            raise ValueError("postings: look keys up in ascending order")
        counts = np.zeros(len(keys), np.int64)
        spans = []
        for s in self.segments:
            lo, hi = s.bounds(keys)
            counts += hi - lo
            spans.append((s, lo, hi))
        small = counts <= limit
        key_pos, holders = [], []
        for s, lo, hi in spans:
            n = np.where(small, hi - lo, 0)
            total = int(n.sum())
            if not total:
                continue
            ends = np.cumsum(n)
            idx = np.repeat(lo - (ends - n), n) + np.arange(total)
            key_pos.append(np.repeat(np.arange(len(keys)), n))
            holders.append(s.holders[idx])
        if not key_pos:
            return Found(counts, np.zeros(0, np.int64), np.zeros(0, np.int64), [], np.zeros(0, np.int64))
        # number the distinct holders in handle order by marking them in a table of every
        # handle: a batch finds ~10^6 postings, which np.unique(return_inverse) sorted
        holders = np.concatenate(holders)
        top = int(self.handles[-1]) + 1
        if len(self._seen) < top:
            self._seen = np.zeros(max(top, 2 * len(self._seen)), bool)
            self._rank = np.zeros(len(self._seen), np.int64)
        self._seen[holders] = True
        held = np.flatnonzero(self._seen[:top])
        self._seen[held] = False  # all False again for the next lookup
        self._rank[held] = np.arange(len(held))
        code = self._rank[holders]
        at = np.searchsorted(self.handles, held)
        return Found(counts, np.concatenate(key_pos), code, [self.names[k] for k in at.tolist()],
                     self.anchors[at])


def from_mapping(index: dict[int, Sequence[Hashable]], keys: np.ndarray, limit: int,
                 anchor_counts=None) -> Found:
    """``Postings.lookup`` over a plain ``{key: [ids]}`` mapping (tests, small callers).
    ``anchor_counts``: a mapping or callable id -> anchor-key count, or None (unknown)."""
    counts = np.zeros(len(keys), np.int64)
    key_pos: list[int] = []
    code: dict = {}
    holder: list[int] = []
    for p, k in enumerate(np.asarray(keys).tolist()):
        held = index.get(k, ())
        counts[p] = len(held)
        if len(held) <= limit:
            for d in held:
                key_pos.append(p)
                holder.append(code.setdefault(d, len(code)))
    names = list(code)
    anchors = None
    if anchor_counts is not None:
        count_of = anchor_counts if callable(anchor_counts) else anchor_counts.get
        got = [count_of(d) for d in names]
        anchors = np.array([np.iinfo(np.int64).max if c is None else c for c in got], np.int64)
    return Found(counts, np.asarray(key_pos, np.int64), np.asarray(holder, np.int64), names, anchors)
