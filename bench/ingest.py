"""Ingest speed: captures/s and MB/s for reading and storing the corpus sample.

    python bench/ingest.py [CORPUS_DIR]

Two figures, one process each time, into a fresh archive in a temp folder:
- read and store: readers -> archive (raw bytes compressed, capture rows), the
  path the target of >= 2,000 captures/s is set on;
- extraction: template learning, extraction and normalization of every stored
  capture, in one process and in one per core (what `wiretrace ingest` uses);
- full ingest: both, the rate a user sees from `wiretrace ingest --no-link`.
Prints a table and writes it to docs/BENCHMARKS.md. Asserts nothing.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import machine, table, write_section  # noqa: E402

from wiretrace import Archive  # noqa: E402
from wiretrace.ingest import IngestSummary, refresh_articles, store  # noqa: E402
from wiretrace.progress import Quiet  # noqa: E402
from wiretrace.readers import ReadOptions  # noqa: E402

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "agora-news-sample"


def main() -> None:
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CORPUS
    files = [p for p in sorted(corpus.iterdir()) if p.suffix in (".html", ".md", ".txt") and p.name != "README.md"]
    megabytes = sum(p.stat().st_size for p in files) / 1e6
    rows = []
    cores = os.cpu_count() or 1
    for jobs in (1, cores):
        with tempfile.TemporaryDirectory() as tmp:  # a fresh archive for each run
            archive = Archive(Path(tmp) / "bench.db")
            summary = IngestSummary()
            t0 = time.perf_counter()
            store(archive, [str(p) for p in files], summary, ReadOptions(), None, Quiet())
            t_store = time.perf_counter() - t0
            t0 = time.perf_counter()
            extracted = refresh_articles(archive, Quiet(), jobs=jobs)
            t_extract = time.perf_counter() - t0
            archive.close()
        if jobs == 1:
            rows.append(["read and store, 1 process", summary.ingested, f"{t_store:.2f}",
                         f"{summary.ingested / t_store:,.0f}", f"{megabytes / t_store:.1f}"])
        label = f"{jobs} process{'es' if jobs > 1 else ''}"
        rows.append([f"extract + normalize, {label}", extracted, f"{t_extract:.2f}",
                     f"{extracted / t_extract:,.0f}", f"{megabytes / t_extract:.1f}"])
        total = t_store + t_extract
        rows.append([f"ingest --no-link --jobs {jobs}", extracted, f"{total:.2f}",
                     f"{extracted / total:,.0f}", f"{megabytes / total:.1f}"])
    md = (
        f"## Ingest\n\n`python bench/ingest.py` on the corpus sample ({len(files):,} files, {megabytes:.1f} MB), "
        f"{machine()}. Target: read and store ≥ 2,000 captures/s in one process.\n\n"
        + table(["stage", "captures", "seconds", "captures/s", "MB/s"], rows)
    )
    print(md)
    write_section("ingest", md)


if __name__ == "__main__":
    main()
