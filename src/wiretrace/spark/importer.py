"""``wiretrace import DIR``: a Spark job's output into the SQLite archive, in one transaction.

Reads the Parquet tables with pyarrow (no Spark needed) and stores them with
the archive's own methods, so nothing stored before is lost or duplicated:

- rejects: recorded (an existing one only gets its time refreshed);
- captures: ``add_capture``, which skips a (source, sha256) already stored and
  makes a changed one a new version, as a local ingest would;
- templates and articles: stored unless the archive has them already;
- link results (linked articles' keys, relations): stored for the articles the
  archive has not linked yet, provided the job saw every article the archive
  had linked (then its batches and stop-keys are the archive's). Otherwise the
  job's articles stay unlinked, and ``wiretrace link`` links them against the
  archive;
- clusters: recomputed from every relation (``link.clusters``), as ``link_archive`` does.

Importing the same folder twice adds nothing. A folder that is not a complete
wiretrace output is refused before anything is written.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from wiretrace.archive import Archive, LinkStore, pack_offsets, stored_document
from wiretrace.errors import FormatError
from wiretrace.model import Article, Reject
from wiretrace.normalize import title_form
from wiretrace.spark.layout import COLUMNS, JOB_TABLES, local_path, read_manifest, table_files

BATCH_ROWS = 2_000


@dataclass
class ImportSummary:
    ingested: int = 0
    unchanged: int = 0
    updated: int = 0
    rejected: int = 0
    articles: int = 0
    linked: int = 0
    relations: int = 0
    clusters: int = 0
    link_skipped: int = 0  # articles left unlinked: the job did not see the whole archive

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    def line(self) -> str:
        text = (f"ingested {self.ingested}, unchanged {self.unchanged}, updated {self.updated}, "
                f"rejected {self.rejected}; articles {self.articles}, linked {self.linked}, "
                f"relations {self.relations}, clusters {self.clusters}")
        if self.link_skipped:
            text += f"; {self.link_skipped} articles left to `wiretrace link`"
        return text


def _batches(out, table: str, columns: tuple[str, ...] | None = None) -> Iterator[list[dict[str, Any]]]:
    import pyarrow.parquet as pq

    for path in table_files(out, table):
        try:
            for batch in pq.ParquetFile(path).iter_batches(BATCH_ROWS, columns=list(columns or COLUMNS[table])):
                yield batch.to_pylist()
        except (OSError, ValueError) as exc:  # pyarrow's errors subclass these
            raise FormatError(f"{local_path(out)}: cannot read {table}/{path.name}: {exc}") from None


def check(out) -> dict[str, Any]:
    """The manifest, once every table it lists is found with the columns it needs."""
    import pyarrow.parquet as pq

    manifest = read_manifest(out)
    root = local_path(out)
    for table in JOB_TABLES[manifest["job"]]:
        if table not in manifest["tables"]:
            raise FormatError(f"{root}: the manifest of a {manifest['job']} job does not list table {table!r}")
    for table in manifest["tables"]:
        for path in table_files(out, table):
            try:
                names = set(pq.read_schema(path).names)
            except (OSError, ValueError) as exc:
                raise FormatError(f"{root}: cannot read {table}/{path.name}: {exc}") from None
            missing = [c for c in COLUMNS[table] if c not in names]
            if missing:
                raise FormatError(f"{root}: table {table} lacks column(s) {', '.join(missing)} ({path.name})")
    if manifest["job"] == "link-input":
        raise FormatError(f"{root} is the input of a link job, not its output: run the job on it first")
    return manifest


def import_output(archive: Archive, out: str | os.PathLike, *, replace_links: bool = False,
                  search: bool = True) -> ImportSummary:
    """Store a Spark output folder in ``archive`` (one transaction). ``replace_links``
    forgets the archive's links first (``wiretrace link --rebuild --engine spark``);
    ``search=False`` leaves the articles out of the search index (``Archive.build_search``)."""
    from wiretrace import link

    manifest = check(out)
    tables = manifest["tables"]
    summary = ImportSummary()
    store = LinkStore(archive)
    with archive.transaction():
        if replace_links:
            store.reset()
        if "rejects" in tables:
            for rows in _batches(out, "rejects"):
                for r in rows:
                    archive.add_reject(Reject(r["source"], r["reason"]))
                    summary.rejected += 1
        if "templates" in tables:
            for rows in _batches(out, "templates"):
                for r in rows:
                    archive.put_template(r["outlet_key"], r["hash"], r["sample"], r["body"], replace=False)
        if "captures" in tables:
            _captures(archive, out, summary)
        if "articles" in tables:
            for rows in _batches(out, "articles"):
                for r in rows:
                    article = Article(
                        id=r["id"], path=r["path"], title=r["title"], body=r["body"], published=r["published"],
                        outlet=r["outlet"], url=r["url"], authors=list(r["authors"] or []),
                        wire=list(r["wire"] or []), script=r["script"], language=r["language"],
                    )
                    if not archive.has_capture(article.id):
                        raise FormatError(f"{local_path(out)}: article {article.id} has no capture in the "
                                          "archive or the output: import the ingest output it came from")
                    summary.articles += archive.put_article(article, r["normalized"], pack_offsets(r["offsets"]),
                                                            r["template"], title_form(article.title),
                                                            replace=False, search=search)
        if "linked" in tables:
            _links(archive, store, out, tables, summary)
        clusters = link.clusters(store.edges())  # without the evidence: all of it is GBs at scale
        store.put_clusters(clusters)
        summary.clusters = len(clusters)
    return summary


def _captures(archive: Archive, out, summary: ImportSummary) -> None:
    """Earlier versions first, in the order they were read, then the current ones:
    ``add_capture`` makes the last one stored the current version of its source.
    (Earlier versions are rare, sources read twice in one run: held in memory.)"""
    earlier = [r for rows in _batches(out, "captures") for r in rows if not r["current"]]
    for r in sorted(earlier, key=lambda r: (r["file"], r["rec"])):
        _add(archive, r, summary)
    for rows in _batches(out, "captures"):
        for r in rows:
            if r["current"]:
                _add(archive, r, summary)


def _add(archive: Archive, r: dict, summary: ImportSummary) -> None:
    doc = stored_document(r["source"], r["data"], r["format"], r["encoding"], r["content"], r["content_type"],
                          r["meta"], r["warnings"])
    if doc.sha256 != r["sha256"]:
        raise FormatError(f"capture {r['id']} ({r['source']}): its bytes do not match its sha256")
    status = archive.add_capture(doc, r["id"], r["outlet_key"])
    setattr(summary, status, getattr(summary, status) + 1)


def _links(archive: Archive, store: LinkStore, out, tables, summary: ImportSummary) -> None:
    before = store.linked_ids()
    seen: set[str] = set()
    for rows in _batches(out, "linked", ("article",)):
        seen.update(r["article"] for r in rows)
    if not before <= seen:
        # the job linked its articles among themselves only: leave them to `wiretrace link`
        summary.link_skipped = len(seen - before)
        return
    for rows in _batches(out, "linked"):
        batch = []
        for r in rows:
            if r["article"] in before:
                continue
            if not archive.has_article(r["article"]):
                raise FormatError(f"{local_path(out)}: linked article {r['article']} is not in the archive: "
                                  "import the ingest output it came from, or link this archive")
            batch.append((r["article"], r["signature"], r["keys"]))
        store.add_keys(batch)  # one index segment per batch of rows
        summary.linked += len(batch)
    if "relations" in tables:
        for rows in _batches(out, "relations"):
            for r in rows:
                summary.relations += store.put_relation(r["a"], r["b"], r["relation"], r["a_in_b"], r["b_in_a"],
                                                        r["evidence"], replace=False)
