"""The linking pipeline: new articles -> keys -> candidates -> alignment -> relations -> clusters.

Incremental: an article is linked once. Its MinHash signature and LSH keys are
stored (``linked``, ``link_segment``: see ``wiretrace.link.postings``); a later run looks
new articles up against the stored keys, so the archive is never recomputed unless ``rebuild`` is asked.
Each candidate pair is aligned with the earlier article as ``a`` (``orient``),
its relation and evidence stored; clusters are recomputed from all relations,
which is cheap next to alignment and keeps their ids deterministic.

The stage functions are those of ``wiretrace.link``; this module only feeds
them from the archive and stores what they return.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from wiretrace import link
from wiretrace.archive import Archive, LinkStore
from wiretrace.link.arrays import unique_counts
from wiretrace.link.lsh import MAX_POSTINGS
from wiretrace.link.postings import directory_for, key_bounds
from wiretrace.pool import Workers
from wiretrace.progress import Progress, Quiet

# New articles linked a batch: their keys are looked up, and their candidates verified,
# together (see ``link_archive``).
BATCH = 1000

# Batches a transaction holds. A batch's relations land at random places in the relation
# table's two indexes and its articles in ``linked``'s, so a commit a batch wrote a page of
# each index for nearly every row: 24 GB for a 1M link whose archive holds ~12 GB, and the
# commits were 18 % of the main process, the link's busiest. Every 16 batches, a 300k link
# wrote 3.3 GB instead of 5.6 and took 139 s instead of 148. Committed at a batch's end, a
# kill still leaves each article linked whole or not at all.
COMMIT_BATCHES = 16

# Candidate pairs a worker verifies at a time. A pair is ~0.25 ms, so the pool's default chunk
# is 4 ms of work, and the pool queues only a few chunks ahead, refilled by a thread of this
# process, which is busy finding the next batch's candidates meanwhile. A 100k link (91k new
# articles, 267k pairs): 61.1-62.6 s with 16, 54.4-56.7 s with 64 (three runs each).
VERIFY_CHUNK = 64


@dataclass
class LinkSummary:
    linked: int = 0
    candidates: int = 0
    relations: int = 0
    clusters: int = 0

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    def line(self) -> str:
        return (
            f"linked {self.linked}, candidates {self.candidates}, "
            f"relations {self.relations}, clusters {self.clusters}"
        )


def link_archive(
    archive: Archive, *, rebuild: bool = False, progress: Progress | None = None, jobs: int | None = None,
    keys: dict | None = None,
) -> LinkSummary:
    """Link the articles not linked yet (all of them with ``rebuild``); candidate pairs are
    verified in ``jobs`` processes (default every core). ``keys``: signatures and LSH keys
    made for some of them already (id -> ``keys_of``'s pair; ingest hands over those made at
    extraction); the dict is emptied as linking starts, its entries now held by the batches.

    New articles are linked in batches of ``BATCH``, committed every ``COMMIT_BATCHES``
    batches, a batch's keys and relations always in the same transaction: a run killed at
    any moment leaves every article either fully linked or not at all, and the next run goes
    on from a batch boundary, so it ends as an uninterrupted run would.
    """
    progress = progress or Quiet()
    store = LinkStore(archive)
    summary = LinkSummary()
    if rebuild:
        with archive.transaction():
            store.reset()
    new_ids = store.unlinked()
    progress.start("linking", len(new_ids))
    # Workers read the articles from the archive themselves (committed before linking);
    # a pair is a millisecond or so of alignment, so each core pays off from a few hundred.
    with Workers(jobs, len(new_ids), _open_worker_archive, (str(archive.path),)) as workers:
        # every new article's keys first: the stop-key rule counts them all (``_Pending``). Most
        # were made at extraction; the others (an older archive's, ``--rebuild``) are made here.
        handed = keys if keys is not None else {}
        keyed = {i: handed.pop(i) for i in new_ids if i in handed}
        handed.clear()  # the rest are of articles linked already (re-extracted with the same text)
        keyed.update(store.waiting_keys(i for i in new_ids if i not in keyed))
        missing = [i for i in new_ids if i not in keyed]
        keyed.update(zip(missing, workers.map(_keys_in_worker, missing, inline=lambda i: _keys(archive, i))))
        keyed = {i: (keyed[i][0], np.frombuffer(keyed[i][1], "<i8")) for i in new_ids}
        pending = _Pending([keys for _, keys in keyed.values()])
        batches = _batches(new_ids, keyed)
        if batches:  # the index loaded (and cleared of stale postings) once, before them
            with archive.transaction():
                store.postings()

        def ahead(k: int):
            """Batch k's keys and candidate pairs, their verification started in the workers."""
            batch = {i: keyed.pop(i) for i in batches[k]}
            pairs = _candidates(store, batch, pending)
            return batch, pairs, _verify(archive, workers, pairs)

        next_batch = ahead(0) if batches else None
        with archive.transaction(check_references=False):  # every id was read from this archive
            for k in range(len(batches)):
                batch, pairs, verifying = next_batch
                store.add_keys((i, sig, keys) for i, (sig, keys) in batch.items())
                # While the workers verify this batch, find the next one's candidates and queue
                # them (they need this batch's keys in the index, not its relations): the workers
                # are not idle while this process looks keys up and stores relations.
                next_batch = ahead(k + 1) if k + 1 < len(batches) else None
                _store_relations(store, verifying.results(), summary)
                summary.candidates += len(pairs)
                progress.advance(len(batch))
                if (k + 1) % COMMIT_BATCHES == 0:
                    archive.checkpoint()  # at a batch's end: every article linked whole, or not yet
    summary.linked = len(new_ids)
    # Clusters are recomputed from every relation, also when nothing was new:
    # cheap next to alignment, and it finishes the work of a killed run.
    with archive.transaction(check_references=False):  # the ids are the relations'
        clusters = link.clusters(store.edges())  # without the evidence: all of it is GBs at scale
        store.put_clusters(clusters)
    summary.clusters = len(clusters)
    return summary


def _batches(new_ids: list[str], keyed: dict) -> list[list[str]]:
    """The new articles in batches of ``BATCH``, likely reprints of each other together: in
    the order of their signature's first value (the same for two texts with the chance of
    their Jaccard similarity), then of id. A worker then finds a partner it has just read, and
    its text's alignment set-up, in its caches (``_relate_in_worker``, ``align._side``),
    where in id order a pair's partner is nearly always one not met yet in the batch. The
    relations do not depend on the order (``_Pending``), only the time does."""
    ordered = sorted(new_ids, key=lambda i: (keyed[i][0][:4], i))
    return [ordered[start:start + BATCH] for start in range(0, len(ordered), BATCH)]


def keys_of(matching_text: str) -> tuple[bytes, bytes]:
    """An article's MinHash signature and LSH keys, as the archive stores them (``linked``,
    ``link_keys``): made by ingest's extraction workers, or here for articles without them."""
    sig, keys = link.signature_and_keys(matching_text)
    return link.signature_to_bytes(sig), np.asarray(keys, "<i8").tobytes()


def _keys(archive: Archive, article_id: str) -> tuple[bytes, bytes]:
    return keys_of(archive.matching_text(article_id))


class _Pending:
    """How many articles of this run not stored yet hold each key.

    A key held by more than MAX_POSTINGS articles is a stop-key. Counting the holders
    the whole run will store (not only those stored so far) makes the candidates
    independent of how the run is cut into batches, and so of their order
    (``_batches``): that order breaks ties by id, and an id depends on the path a capture
    was read from.
    """

    def __init__(self, keys: list):
        # 35M keys at 300k: np.unique took 4.4-5.9 s with the concatenation, this 1.5-2.0
        self.keys, self.left = unique_counts(np.concatenate(keys) if keys else np.zeros(0, np.int64))
        # a 1M link holds 117M keys here: searched 2,000 times, galloping took 86 s of its 337
        self.directory = directory_for(self.keys)
        self._last: tuple[np.ndarray, np.ndarray] | None = None  # the keys removed last, where they are

    def _where(self, keys: np.ndarray) -> np.ndarray:
        if self._last is not None and np.array_equal(self._last[0], keys):
            return self._last[1]  # a batch's keys are removed, then counted
        return key_bounds(self.keys, keys, self.directory)[0]

    def remove(self, keys: list) -> None:
        """The articles holding ``keys`` are being linked now: no longer pending."""
        if keys:
            held, n = unique_counts(np.concatenate(keys))  # a fresh array: sorted in place
            at = self._where(held)
            self.left[at] -= n
            self._last = (held, at)

    def __call__(self, keys: np.ndarray) -> np.ndarray:
        """How many pending articles hold each of ``keys`` (ascending, all pending once)."""
        return self.left[self._where(keys)]


def _candidates(store: LinkStore, batch: dict, pending: _Pending) -> list[tuple[str, str]]:
    """The candidate pairs of a batch, among itself and against every article indexed before
    it (its own keys are not stored yet). max_postings passed explicitly: one knob for the
    lookup and the rule (the Spark engine's tests lower it)."""
    pending.remove([keys for _, keys in batch.values()])
    new_keys = {i: keys for i, (_, keys) in batch.items()}
    pairs = link.candidates(new_keys, store.postings(), max_postings=MAX_POSTINGS, pending=pending)
    # each new article's pairs together, in the batch's order (``_batches``): a worker then
    # reads it once for all of them, and its likely reprints come next
    rank = {article_id: n for n, article_id in enumerate(batch)}
    return sorted(pairs, key=lambda pair: (rank[pair[0]], pair[1]) if pair[0] in rank else (rank[pair[1]], pair[0]))


def _verify(archive: Archive, workers: Workers, pairs: list[tuple[str, str]]):
    """Start aligning ``pairs`` in the workers; ``.results()`` gives each pair's
    ``relation_row`` (None where they are not related)."""
    load = _loader(archive, {})  # here, without workers: an article takes part in ~6 pairs
    return workers.start(_relate_in_worker, pairs, inline=lambda pair: relation_row(relate_pair(archive, *pair, load)),
                         chunk=VERIFY_CHUNK)


def _store_relations(store: LinkStore, rows: list, summary: LinkSummary) -> None:
    rows = [row for row in rows if row is not None]
    store.put_relations(rows)
    summary.relations += len(rows)


# The archive a verification worker reads (opened once by ``_open_worker_archive``).
_WORKER: dict[str, Any] = {}


def _open_worker_archive(path: str) -> None:
    _WORKER["archive"] = Archive(path, readonly=True)
    _WORKER["loaded"] = {}


def _keys_in_worker(article_id: str) -> tuple:
    return _keys(_WORKER["archive"], article_id)


def _relate_in_worker(pair: tuple[str, str]):
    archive, loaded = _WORKER["archive"], _WORKER["loaded"]
    if len(loaded) > 2 * BATCH:  # a new article's pairs arrive together (``_candidates``)
        loaded.clear()
    return relation_row(relate_pair(archive, *pair, _loader(archive, loaded)))


def _loader(archive: Archive, loaded: dict):
    """``load(id)`` -> (ArticleText, Normalized), read once into ``loaded``."""

    def load(article_id: str):
        if article_id not in loaded:
            loaded[article_id] = archive.article_text(article_id)
        return loaded[article_id]

    return load


def relate_pair(archive: Archive, x: str, y: str, load=None):
    """Align two stored articles, the earlier one as ``a``; the Relation or None."""
    load = load or archive.article_text
    (a, a_norm), (b, b_norm) = load(x), load(y)
    if link.orient(a, b):
        (a, a_norm), (b, b_norm) = (b, b_norm), (a, a_norm)
    return link.relate(a, a_norm, b, b_norm)


def relation_row(relation) -> tuple | None:
    """A Relation as ``LinkStore.put_relations`` stores it, or None. Made where the pair was
    aligned: the JSON is smaller to send back than the Relation, and its encoding is then
    not this process's work."""
    if relation is None:
        return None
    return (relation.a, relation.b, relation.relation, relation.a_in_b, relation.b_in_a,
            evidence_text(relation))


def evidence_text(relation) -> str:
    """A relation's evidence as the archive stores it: ``archive.evidence_json`` of
    ``{"passages": [[a span, b span, similarity]], "only_a": [spans], "only_b": [spans]}``,
    written directly (json.dumps of the nested lists took twice as long, 16 us a pair).
    Spans are ints and similarities finite floats, which json writes as ``repr`` does."""
    passages = ",".join(f"[[{p.a[0]},{p.a[1]}],[{p.b[0]},{p.b[1]}],{round(p.similarity, 4)!r}]"
                        for p in relation.passages)
    only_a = ",".join(f"[{s},{e}]" for s, e in relation.only_a)
    only_b = ",".join(f"[{s},{e}]" for s, e in relation.only_b)
    return f'{{"passages":[{passages}],"only_a":[{only_a}],"only_b":[{only_b}]}}'


def diff(archive: Archive, a_id: str, b_id: str) -> dict:
    """The alignment of two articles as CLI.md's ``diff --json`` object: spans
    index each article's original body, texts are in the original script."""
    a, b = archive.article(a_id), archive.article(b_id)
    al = link.align(a.body, archive.normalized(a.id), b.body, archive.normalized(b.id))
    return {
        "a": a.id,
        "b": b.id,
        "a_in_b": round(al.a_in_b, 4),
        "b_in_a": round(al.b_in_a, 4),
        "passages": [
            {"a": list(p.a), "b": list(p.b), "similarity": round(p.similarity, 4)} for p in al.passages
        ],
        "only_a": [{"span": [s, e], "text": a.body[s:e]} for s, e in al.only_a],
        "only_b": [{"span": [s, e], "text": b.body[s:e]} for s, e in al.only_b],
    }
