"""The ingest pipeline: readers -> archive -> templates -> extract -> normalize -> link.

Three passes, each resumable, so that a run killed at any moment (SIGKILL
included) and run again ends with the same archive as a run never interrupted:

1. store: every capture read from the inputs is stored with its raw bytes, in
   transactions of ``STORE_COMMIT`` captures; worker processes read, parse and compress
   the inputs, and this process inserts what they made. A re-run finds (source,
   sha256) already stored and skips it; a changed file becomes a new version of
   its source.
2. extract: each outlet's template (its chrome, learnt from repetition) is
   learnt from a sample of that outlet's captures chosen by id, not by ingest
   order; every current capture without an article, or extracted with an older
   template, is extracted and normalized from its stored bytes.
3. link: new articles are linked against the archive (``wiretrace.linking``).

Only ``archive`` touches SQL; this module orders the stages.
"""

from __future__ import annotations

import hashlib
import os
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO

from wiretrace.archive import Archive, capture_row, pack_offsets
from wiretrace.extract import RAW_FORMATS, Template, extract, learn_template, template_key
from wiretrace.model import Reject, article_id
from wiretrace.normalize import matching_form, title_form
from wiretrace.pool import PARALLEL_MIN, Workers
from wiretrace.progress import Progress, Quiet
from wiretrace.readers import STDIN_SOURCE, ReadOptions, expand, read_path

if TYPE_CHECKING:
    from wiretrace.linking import LinkSummary
    from wiretrace.storying import StorySummary

# Captures an extraction window holds, and a transaction of the extraction pass; a kill loses
# at most one window of work, which the re-run redoes.
BATCH = 500

# Captures (or compressed bytes) per transaction of the store pass. Each capture adds an entry
# at a random place to three indexes (blob sha256, capture id, outlet), so a commit writes a
# page of each index a capture once the indexes outgrow the batch, whatever the batch: 500 a
# commit (in effect one an input, of 1,000 captures each there) wrote 6.5 GB to the WAL and the
# database for a 1.3 GB archive of 300k captures (30 GB at 1M). A commit of 20,000 dirties each
# index page once for many entries: 3.3 GB, and the pass took 42 s instead of 49. The indexes
# grow with the archive, so at 1M a commit of 20,000 still wrote most of their pages: 60,000
# wrote 11.3 GB instead of 15.4 in the 1M corpus's store pass (two runs each; the pass took
# 132.5 and 148.7 s against 148.4 and 144.4, within this machine's drift). A transaction then
# outgrows the writer's page cache (``WRITE_CACHE_KB``) and spills the pages least recently
# touched, mostly the captures' own, which are written once either way. 256 MB of compressed
# captures also ends a transaction, which bounds the WAL for large captures. Both are checked
# between inputs: the captures of one input file (a JSON Lines file, an archive) share a
# transaction. A kill loses at most one transaction.
STORE_COMMIT = 60_000
STORE_COMMIT_BYTES = 256 << 20

# Captures an outlet's template is learnt from. Chrome recurs in nearly every
# capture, so a few hundred show it; more only slows re-learning.
TEMPLATE_SAMPLE = 500

DEFAULT_MAX_BYTES = 50 * 1024 * 1024

# The store pass reads its inputs in windows of about this many bytes (or files): a few windows
# in flight (read by the workers while one is stored) hold little memory, and a window is tens
# of milliseconds of work, far more than handing it over costs.
WINDOW_BYTES = 8 << 20
WINDOW_FILES = 256
# Windows the workers may read (or extract) ahead of the one being stored: with one, they sat
# idle whenever they finished it before this process had stored the one before (100k
# captures: 1.76 of 2 cores busy in the store pass, 1.88 in extraction).
WINDOWS_AHEAD = 2

# Below this much input (and PARALLEL_MIN files) the store pass reads in this process: a capture
# is ~0.4 ms to store, so starting the workers (about a second) must be paid by thousands.
PARALLEL_BYTES = 32 << 20

# What ``_read_file`` says of a capture stored already.
UNCHANGED = "unchanged"



@dataclass
class IngestSummary:
    ingested: int = 0
    unchanged: int = 0
    updated: int = 0
    rejected: int = 0
    extracted: int = 0
    rejects: list[Reject] = field(default_factory=list)
    link: "LinkSummary | None" = None
    stories: "StorySummary | None" = None

    def to_dict(self) -> dict[str, int]:
        """The summary object of CLI.md (and what was extracted)."""
        d = {k: v for k, v in asdict(self).items() if k not in ("rejects", "link", "stories")}
        if self.link is not None:
            d["link"] = self.link.to_dict()
        if self.stories is not None:
            d["stories"] = self.stories.to_dict()
        return d

    def line(self) -> str:
        return (
            f"ingested {self.ingested}, unchanged {self.unchanged}, "
            f"updated {self.updated}, rejected {self.rejected}"
        )


def ingest(
    archive: Archive,
    paths: Iterable[str],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    stdin: BinaryIO | None = None,
    progress: Progress | None = None,
    link: bool = True,
    stories: bool = True,
    search: bool = True,
    jobs: int | None = None,
) -> IngestSummary:
    """Ingest captures from files, folders, globs, archives or '-' (stdin), then link the new
    articles and regroup stories. ``stories=False`` leaves the regrouping to a later
    ``Archive.update_stories`` (or ``wiretrace link``): its event features cost ~35 ms an
    article, hours for a million, where linking them is minutes. ``search=False`` leaves the
    new articles out of the search index until ``Archive.build_search`` (``wiretrace index``)
    or an ingest with search: indexing is most of the extraction pass's writer time."""
    progress = progress or Quiet()
    summary = IngestSummary()
    store(archive, paths, summary, ReadOptions(max_bytes=max_bytes), stdin, progress, jobs)
    # When linking follows, the keys made at extraction go to it in memory, not through the
    # archive (``refresh_articles``); a run killed before linking leaves them to be made again.
    made_keys: dict | None = {} if link else None
    summary.extracted = refresh_articles(archive, progress, jobs, keys=made_keys, search=search)
    if search:  # what an earlier ingest without search left out
        archive.build_search(progress)
    if link:
        from wiretrace.linking import link_archive

        summary.link = link_archive(archive, progress=progress, jobs=jobs, keys=made_keys)
        if stories:
            from wiretrace.storying import update_stories

            summary.stories = update_stories(archive, progress=progress, jobs=jobs)
    progress.stop()
    return summary


def store(
    archive: Archive,
    paths: Iterable[str],
    summary: IngestSummary,
    options: ReadOptions,
    stdin: BinaryIO | None,
    progress: Progress,
    jobs: int | None = None,
) -> None:
    """Pass 1: read every input and store its captures and rejects.

    Reading, parsing and compressing a capture is three quarters of storing it, so worker
    processes do that (``_read_file``) and hand this process, the only writer, rows to insert;
    they read the next window of files while this one is stored. Standard input is read here."""
    # The archive's own files are never captures, even when it sits in the
    # folder being ingested (`wiretrace ingest .` with the default ./wiretrace.db).
    own = {os.path.abspath(str(archive.path)) + suffix for suffix in ("", "-wal", "-shm", "-journal")}
    files = [f for f in expand(paths, stdin=stdin) if isinstance(f, Reject) or f not in own]
    sizes = [_size(f) for f in files]
    parallel = len(files) >= PARALLEL_MIN or sum(sizes) >= PARALLEL_BYTES
    windows = list(_windows(files, sizes))
    progress.start("reading", len(files))
    pending = pending_bytes = 0
    with Workers(jobs if parallel else 1, None, _init_reader, (str(archive.path), options)) as workers, \
            archive.transaction():

        def ahead(k: int):
            return workers.start(_read_file, [f for f in windows[k] if _in_worker(f)], chunk=1,
                                 inline=lambda path: _read_file(path, archive, options))

        for window, results in zip(windows, _read_ahead(ahead, len(windows))):
            results = iter(results)
            for item in window:
                if isinstance(item, Reject):
                    _reject(archive, summary, item)
                    progress.advance()
                    continue
                entries = next(results) if _in_worker(item) else _read_file(item, archive, options, stdin)
                rejected: set[str] = set()
                for entry in entries:
                    if isinstance(entry, Reject):
                        _reject(archive, summary, entry)
                        rejected.add(entry.source)
                        continue
                    if entry == UNCHANGED:
                        status = UNCHANGED
                    else:
                        status = archive.put_capture(entry)
                        pending_bytes += len(entry.data) + len(entry.content)
                    setattr(summary, status, getattr(summary, status) + 1)
                    pending += 1
                archive.clear_rejects(STDIN_SOURCE if item == "-" else item, rejected)
                progress.advance()
                if pending >= STORE_COMMIT or pending_bytes >= STORE_COMMIT_BYTES:
                    archive.checkpoint()
                    pending = pending_bytes = 0


# What a reading worker reads with (set once by ``_init_reader``): the archive, read-only, to
# skip compressing captures stored already, and the read options.
_READER: dict[str, Any] = {}


def _init_reader(archive_path: str, options: ReadOptions) -> None:
    _READER["archive"] = Archive(archive_path, readonly=True)
    _READER["options"] = options


def _read_file(path: str, archive: Archive | None = None, options: ReadOptions | None = None,
               stdin: BinaryIO | None = None) -> list:
    """Every capture of one input as a row to store (``capture_row``), ``UNCHANGED`` when
    that exact capture is stored already, or a Reject."""
    archive = archive or _READER["archive"]
    options = options or _READER["options"]
    entries: list = []
    for doc in read_path(path, options, stdin=stdin):
        if isinstance(doc, Reject):
            entries.append(doc)
        elif archive.known(doc.source, doc.sha256) == UNCHANGED:  # committed, so it stays true
            entries.append(UNCHANGED)
        else:
            entries.append(capture_row(doc, article_id(doc.source, doc.sha256), template_key(doc)))
    return entries


def _read_ahead(start, n: int) -> Iterator[list]:
    """The results of windows 0..n-1, window k's work started (``start(k)``, a
    ``Workers.start``) WINDOWS_AHEAD windows before its results are wanted."""
    running = deque(start(k) for k in range(min(WINDOWS_AHEAD, n)))
    for k in range(n):
        started = running.popleft()
        if k + WINDOWS_AHEAD < n:
            running.append(start(k + WINDOWS_AHEAD))
        yield started.results()


def _in_worker(item: str | Reject) -> bool:
    return not isinstance(item, Reject) and item != "-"


def _size(item: str | Reject) -> int:
    if not _in_worker(item):
        return 0
    try:
        return os.path.getsize(item)
    except OSError:
        return 0  # the reader says why


def _windows(files: list, sizes: list[int]) -> Iterator[list]:
    """Files in windows of about WINDOW_BYTES (at most WINDOW_FILES files)."""
    window: list = []
    total = 0
    for item, size in zip(files, sizes):
        window.append(item)
        total += size
        if total >= WINDOW_BYTES or len(window) >= WINDOW_FILES:
            yield window
            window, total = [], 0
    if window:
        yield window


def _reject(archive: Archive, summary: IngestSummary, reject: Reject) -> None:
    archive.add_reject(reject)
    summary.rejected += 1
    summary.rejects.append(reject)


def refresh_articles(archive: Archive, progress: Progress | None = None, jobs: int | None = None,
                     keys: dict | None = None, search: bool = True) -> int:
    """Pass 2: (re)learn templates whose sample changed, then extract every
    capture that has no article or an article from an older template.

    Each article's signature and LSH keys are made here (in the workers); with ``keys`` given
    they are put there, article id -> (signature, keys), for a link that follows in this
    process, and otherwise stored until linked (``link_keys``). Handed over, they spare the
    link reading 1.5 GB back at 1M: its first batch came ~35 s after extraction instead of
    110-130 s (docs/linking-log.md). ``search=False``: see ``ingest``."""
    progress = progress or Quiet()
    templates: dict[str | None, Template | None] = {None: None}
    hashes: dict[str | None, str | None] = {None: None}
    with archive.transaction():
        for key in archive.outlet_keys():
            templates[key], hashes[key] = _template(archive, key)
    todo = archive.captures_to_extract(hashes)
    progress.start("extracting", len(todo))
    # Extraction is pure and CPU-bound: worker processes, every core by default. Each worker
    # reads its captures from the archive itself (committed by pass 1), so this process, the
    # only writer, does not spend its time reading and pickling raw bytes for them.
    worker_templates = {k: t.to_json() for k, t in templates.items() if k is not None and t is not None}
    windows = [todo[start:start + BATCH] for start in range(0, len(todo), BATCH)]
    with Workers(jobs, len(todo), _init_worker, (worker_templates, str(archive.path))) as workers, \
            archive.transaction():

        def ahead(k: int):
            items = [(cap.id, cap.outlet_key) for cap in windows[k]]
            return workers.start(_clean_stored, items, inline=lambda item: _clean_stored(item, archive, templates))

        # the workers extract the next windows while this process stores this one
        for window, results in zip(windows, _read_ahead(ahead, len(windows))):
            for cap, (article, text, offsets, title_match, link_keys) in zip(window, results):
                written = archive.put_article(article, text, offsets, hashes.get(cap.outlet_key), title_match,
                                              link_keys=link_keys if keys is None else None, search=search)
                if written and keys is not None:
                    keys[article.id] = link_keys
                progress.advance()
            archive.checkpoint()
    return len(todo)


# What a worker process extracts with (set once by ``_init_worker``): the outlets' templates
# and the archive, read-only.
_WORKER: dict[str, Any] = {}


def _init_worker(templates_json: dict[str, str], archive_path: str) -> None:
    _WORKER["templates"] = {k: Template.from_json(v) for k, v in templates_json.items()}
    _WORKER["archive"] = Archive(archive_path, readonly=True)


def _clean_stored(item: tuple[str, str | None], archive: Archive | None = None,
                  templates: dict | None = None) -> tuple:
    """A stored capture to ``clean``'s result with its offset map packed as the archive stores
    it, its title's matching form (for search) and its signature and LSH keys (for linking:
    here the matching form is in hand, and the workers of this pass have time to spare)."""
    from wiretrace.linking import keys_of  # here: importing linking loads numba, which most commands never need

    capture_id, key = item
    archive = archive or _WORKER["archive"]
    templates = templates if templates is not None else _WORKER["templates"]
    article, text, offsets = clean(templates.get(key), archive.document(capture_id, raw_for=RAW_FORMATS))
    return article, text, pack_offsets(offsets), title_form(article.title), keys_of(text)


def clean(template: Template | None, doc) -> tuple:
    """One capture to its article, matching form and offset map (int32 LE bytes):
    pure, so it runs anywhere (worker processes, Spark executors)."""
    article = extract(doc, template)
    norm = matching_form(article.body)
    return article, norm.text, offsets_bytes(norm.offsets)


def sample_hash(sample: list[str]) -> str:
    """Which captures a template was learnt from (their ids, in any order)."""
    return hashlib.sha256("\n".join(sorted(sample)).encode()).hexdigest()[:16]


def learn(docs: list) -> tuple[Template, str, str]:
    """An outlet's template from its sample's documents (ascending id): the
    template, its JSON and the hash articles record as ``template``."""
    template = learn_template(docs)
    body = template.to_json()
    return template, body, hashlib.sha256(body.encode()).hexdigest()[:16]


def _template(archive: Archive, key: str) -> tuple[Template, str]:
    """The outlet's template, re-learnt only when its sample of captures changed."""
    sample = archive.outlet_sample(key, TEMPLATE_SAMPLE)
    sample_key = sample_hash(sample)
    row = archive.template(key)
    if row is not None and row["sample"] == sample_key:
        return Template.from_json(row["body"]), row["hash"]
    template, body, template_hash = learn([archive.document(i) for i in sample])
    archive.put_template(key, template_hash, sample_key, body)
    return template, template_hash


def offsets_bytes(offsets) -> bytes:
    """An offset map as the archive stores it: int32 little-endian."""
    import numpy as np

    return np.asarray(offsets, dtype="<i4").tobytes()
