"""Ingest speed: captures/s and MB/s for reading and storing the corpus sample.

    python bench/ingest.py [CORPUS_DIR]

Two figures, one process each time, into a fresh archive in a temp folder:
- read and store: readers -> archive (raw bytes compressed, capture rows), the
  path the target of >= 2,000 captures/s is set on;
- full ingest: the same plus template learning, extraction and normalization
  (no linking), the rate a user sees from `wiretrace ingest --no-link`.
Prints a table and writes it to docs/BENCHMARKS.md. Asserts nothing.
"""

from __future__ import annotations

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
    with tempfile.TemporaryDirectory() as tmp:
        archive = Archive(Path(tmp) / "bench.db")
        summary = IngestSummary()
        t0 = time.perf_counter()
        store(archive, [str(p) for p in files], summary, ReadOptions(), None, Quiet())
        t_store = time.perf_counter() - t0
        rows.append(["read and store", summary.ingested, f"{t_store:.2f}", f"{summary.ingested / t_store:,.0f}", f"{megabytes / t_store:.1f}"])
        t0 = time.perf_counter()
        extracted = refresh_articles(archive, Quiet())
        t_extract = time.perf_counter() - t0
        rows.append(["extract + normalize", extracted, f"{t_extract:.2f}", f"{extracted / t_extract:,.0f}", f"{megabytes / t_extract:.1f}"])
        total = t_store + t_extract
        rows.append(["ingest --no-link (both)", extracted, f"{total:.2f}", f"{extracted / total:,.0f}", f"{megabytes / total:.1f}"])
        archive.close()
    md = (
        f"## Ingest\n\n`python bench/ingest.py` on the corpus sample ({len(files):,} files, {megabytes:.1f} MB), "
        f"one process, {machine()}. Target: read and store ≥ 2,000 captures/s.\n\n"
        + table(["stage", "captures", "seconds", "captures/s", "MB/s"], rows)
    )
    print(md)
    write_section("ingest", md)


if __name__ == "__main__":
    main()
