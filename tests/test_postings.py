"""The segmented LSH index: the same answers as a plain key -> ids mapping, few segments."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wiretrace.link import postings
from wiretrace.link.postings import Postings


def _random_holders(rnd: random.Random, n: int, vocabulary: int = 400) -> list[np.ndarray]:
    # a few very common keys (stop-keys at a small limit) and a long tail
    return [np.unique(np.array([rnd.choice([1, 3, 5]) if rnd.random() < 0.05 else rnd.randrange(vocabulary) * 2
                                for _ in range(rnd.randrange(1, 40))], np.int64)) for _ in range(n)]


def _answer(found: postings.Found, keys: np.ndarray) -> tuple[list[int], list[tuple[int, str]], list | None]:
    pairs = sorted((int(keys[p]), found.names[h]) for p, h in zip(found.key_pos.tolist(), found.holder.tolist()))
    anchors = None if found.anchors is None else sorted(zip(found.names, found.anchors.tolist()))
    return found.counts.tolist(), pairs, anchors


def test_lookup_equals_a_plain_mapping_across_merges():
    rnd = random.Random(7)
    index = Postings([], np.zeros(0, np.int64), [], np.zeros(0, np.int64))
    plain: dict[int, list[str]] = {}
    anchors: dict[str, int] = {}
    handle = 0
    for batch in range(60):
        keys = _random_holders(rnd, rnd.randrange(1, 30))
        names = [f"a{batch}-{k}" for k in range(len(keys))]
        handles = list(range(handle + 1, handle + 1 + len(keys)))
        handle = handles[-1] + rnd.randrange(3)  # handles grow, with gaps (deleted rows)
        counts = [int(np.count_nonzero(k & 1)) for k in keys]
        index.add(handles, names, counts, keys)
        for name, k, c in zip(names, keys, counts):
            anchors[name] = c
            for key in k.tolist():
                plain.setdefault(key, []).append(name)
        query = np.unique(np.array([rnd.randrange(-5, 800) for _ in range(50)] + [1, 3, 5], np.int64))
        for limit in (3, 100):
            got = _answer(index.lookup(query, limit), query)
            want = _answer(postings.from_mapping(plain, query, limit, anchors), query)
            assert got == want
    n = len(index)
    assert n == sum(len(v) for v in plain.values())
    # merging keeps the index to O(log n) segments
    assert len(index.segments) <= math.log2(n) + 2
    for seg in index.segments:  # sorted by key, then holder
        assert np.array_equal(np.lexsort((seg.holders, seg.keys)), np.arange(len(seg)))


def test_holders_past_the_arrays_room_and_reused_lookup_tables_give_the_same_answers():
    """``add`` grows the handle arrays by doubling and ``lookup`` keeps its tables from one call
    to the next: thousands of holders in batches that cross the arrays' room, each lookup
    answered as a plain mapping answers it, the handles and anchors those added."""
    rnd = random.Random(11)
    index = Postings([], np.zeros(0, np.int64), [], np.zeros(0, np.int64))
    plain: dict[int, list[str]] = {}
    anchors: dict[str, int] = {}
    added: list[int] = []
    for batch in range(6):
        keys = _random_holders(rnd, 700, vocabulary=3000)
        names = [f"b{batch}-{k}" for k in range(len(keys))]
        handles = [(added[-1] if added else 0) + 1 + k * 2 for k in range(len(keys))]
        counts = [int(np.count_nonzero(k & 1)) for k in keys]
        index.add(handles, names, counts, keys)
        added += handles
        for name, k, c in zip(names, keys, counts):
            anchors[name] = c
            for key in k.tolist():
                plain.setdefault(key, []).append(name)
        for _ in range(2):  # twice: the second lookup finds the tables the first left
            query = np.unique(np.array([rnd.randrange(-5, 6000) for _ in range(300)] + [1, 3, 5], np.int64))
            got = _answer(index.lookup(query, 50), query)
            assert got == _answer(postings.from_mapping(plain, query, 50, anchors), query)
    assert index.handles.tolist() == added
    assert index.anchors.tolist() == [anchors[n] for n in index.names]


def test_merge_orders_by_key_then_holder_whichever_segment_holds_the_larger_handles():
    a = postings.segment([np.array([2, 4], np.int64), np.array([4, 6], np.int64)], [1, 7])
    b = postings.segment([np.array([4, 6], np.int64), np.array([2, 4], np.int64)], [3, 9])
    for elder, younger in ((a, b), (b, a)):  # holders interleave: as after a version-3 conversion
        m = postings.merged(elder, younger)
        assert list(zip(m.keys.tolist(), m.holders.tolist())) == [
            (2, 1), (2, 9), (4, 1), (4, 3), (4, 7), (4, 9), (6, 3), (6, 7)]
    young = postings.segment([np.array([4, 5], np.int64)], [10])
    m = postings.merged(a, young)  # the usual case: younger handles are all larger
    assert list(zip(m.keys.tolist(), m.holders.tolist())) == [(2, 1), (4, 1), (4, 7), (4, 10), (5, 10), (6, 7)]


def test_unlinked_holders_are_dropped_by_compact():
    keys = [np.array([2, 4, 6], np.int64), np.array([4, 6, 8], np.int64), np.array([6, 9], np.int64)]
    seg = postings.segment(keys, [1, 2, 3], row=10)
    # handle 2 was unlinked (its article re-extracted) after the segment was written
    index = Postings([seg], np.array([1, 3]), ["x", "z"], np.array([0, 1]))
    assert [s.row for s in index.compact()] == [10]
    found = index.lookup(np.array([4, 6, 8], np.int64), 10)
    assert found.counts.tolist() == [1, 2, 0]
    assert sorted(found.names) == ["x", "z"]
    assert index.compact() == []  # nothing left to drop


def test_a_batch_is_stored_as_its_own_segment_and_merged_in_memory():
    rnd = random.Random(11)
    index = Postings([], np.zeros(0, np.int64), [], np.zeros(0, np.int64))
    stored = []
    handle = 0
    for batch in range(20):
        keys = _random_holders(rnd, 10)
        handles = list(range(handle + 1, handle + 11))
        handle = handles[-1]
        seg = index.add(handles, [f"a{h}" for h in handles], [0] * 10, keys)
        # what is written is this batch's postings alone, sorted by key then holder
        assert seg.row is None and set(seg.holders.tolist()) == set(handles)
        assert sum(map(len, keys)) == len(seg)
        assert np.array_equal(np.lexsort((seg.holders, seg.keys)), np.arange(len(seg)))
        stored.append(seg)
    assert len(index.segments) < len(stored)  # merged in memory
    # loaded again from the stored rows, one a batch, the index settles into the same layout
    reloaded = Postings([postings.Segment(s.keys, s.holders, row) for row, s in enumerate(stored, 1)],
                        index.handles, index.names, index.anchors)
    reloaded.settle()
    assert [len(s) for s in reloaded.segments] == [len(s) for s in index.segments]
    query = np.unique(np.concatenate([s.keys for s in stored]))
    assert _answer(reloaded.lookup(query, 5), query) == _answer(index.lookup(query, 5), query)


def test_new_handles_must_grow():
    index = Postings([], np.zeros(0, np.int64), [], np.zeros(0, np.int64))
    index.add([5], ["a"], [0], [np.array([2], np.int64)])
    with pytest.raises(ValueError, match="larger"):
        index.add([5], ["b"], [0], [np.array([2], np.int64)])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(-20, 20), max_size=60), st.lists(st.integers(-25, 25), max_size=40))
def test_sorted_bounds_equal_numpy_searchsorted(hay, needles):
    hay, needles = np.sort(np.array(hay, np.int64)), np.sort(np.array(needles, np.int64))
    lo, hi = postings.sorted_bounds(hay, needles)
    assert lo.tolist() == np.searchsorted(hay, needles, "left").tolist()
    assert hi.tolist() == np.searchsorted(hay, needles, "right").tolist()


_INT64 = st.integers(-2**63, 2**63 - 1)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.lists(st.integers(-20, 20), min_size=1, max_size=80),  # many copies of a key
                 st.lists(_INT64, min_size=1, max_size=80),  # the whole range: unsigned bucket arithmetic
                 st.lists(st.sampled_from([-2**63, -1, 0, 1, 2**63 - 1]), min_size=1, max_size=20)),
       st.lists(_INT64 | st.integers(-25, 25), max_size=40))
def test_bounds_through_a_directory_equal_numpy_searchsorted(hay, needles):
    hay, needles = np.sort(np.array(hay, np.int64)), np.sort(np.array(needles + hay[:5], np.int64))
    lo, hi = postings.key_bounds(hay, needles, postings.KeyDirectory(hay))
    assert lo.tolist() == np.searchsorted(hay, needles, "left").tolist()
    assert hi.tolist() == np.searchsorted(hay, needles, "right").tolist()


def test_long_segments_are_searched_through_a_directory_with_the_same_answers():
    rng = np.random.default_rng(5)
    keys = np.sort(rng.integers(-2**62, 2**62, postings.DIRECTORY_MIN + 1000))
    seg = postings.Segment(keys, np.arange(len(keys), dtype=np.int64))
    needles = np.unique(np.concatenate([rng.choice(keys, 5000), rng.integers(-2**62, 2**62, 5000)]))
    lo, hi = seg.bounds(needles)
    assert seg.directory is not None
    assert np.array_equal(lo, np.searchsorted(keys, needles)) and np.array_equal(hi, np.searchsorted(keys, needles, "right"))


def test_lookup_wants_ascending_keys():
    index = Postings([postings.segment([np.array([2, 4], np.int64)], [1])], np.array([1]), ["x"], np.array([0]))
    with pytest.raises(ValueError, match="ascending"):
        index.lookup(np.array([4, 2], np.int64), 10)
