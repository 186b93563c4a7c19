"""Ingest speed: captures/s and MB/s for reading and storing the corpus sample.

    python bench/ingest.py [CORPUS_DIR]
    python bench/ingest.py --growth FOLDER [--chunk 25] [--synthetic 300000] [--no-doc]

Two figures, one process each time, into a fresh archive in a temp folder:
- read and store: readers -> archive (raw bytes compressed, capture rows), the
  path the target of >= 2,000 captures/s is set on;
- extraction: template learning, extraction and normalization of every stored
  capture, in one process and in one per core (what `wiretrace ingest` uses);
- full ingest: both, the rate a user sees from `wiretrace ingest --no-link`.
Prints a table and writes it to docs/BENCHMARKS.md. Asserts nothing.

--growth: the rate as the archive grows. FOLDER's JSON Lines files (bench/spark.py's
synthetic captures, 1,000 a file; written there first with --synthetic N when it has
none) are ingested ``--chunk`` files per ``Archive.ingest`` call (``link=False``, one
process) into one archive; one row per call with captures/s (ingested captures per
second of the call) and the archive's size.
Writes its own section (ingest-growth) unless --no-doc.
"""

from __future__ import annotations

import argparse
import os
import resource
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
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--growth", type=Path, metavar="FOLDER", help="rate per chunk as the archive grows")
    ap.add_argument("--chunk", type=int, default=25, help="--growth: files per ingest call (default 25)")
    ap.add_argument("--synthetic", type=int, help="--growth: write this many captures to FOLDER first if it has none")
    ap.add_argument("--no-doc", action="store_true", help="print only; leave docs/BENCHMARKS.md alone")
    args = ap.parse_args()
    if args.growth:
        growth(args.growth, args.chunk, args.synthetic, not args.no_doc)
    else:
        sample(args.corpus)


def sample(corpus: Path) -> None:
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


def growth(folder: Path, chunk: int, synthetic: int | None, doc: bool) -> None:
    files = sorted(str(p) for p in folder.glob("*.jsonl"))
    if not files and synthetic:
        import link as link_bench  # bench/link.py: the synthetic corpus
        import spark as spark_bench  # bench/spark.py: its JSON Lines files

        docs, _, _ = link_bench.load_corpus()
        files = spark_bench.write_synthetic(link_bench.synth(docs, synthetic), folder)
    if not files:
        sys.exit(f"no .jsonl files in {folder} (give --synthetic N to write them)")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "growth.db"
        before = 0
        for start in range(0, len(files), chunk):
            archive = Archive(db)
            t0, c0 = time.perf_counter(), time.process_time()
            summary = archive.ingest(files[start:start + chunk], link=False, jobs=1)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            archive.close()
            size = sum(p.stat().st_size for p in Path(tmp).glob("growth.db*")) / 1e6
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            rows.append([f"{before:,}", summary.ingested, summary.extracted, f"{wall:.1f}", f"{cpu:.1f}",
                         f"{summary.ingested / wall:,.0f}", f"{size:,.0f}", f"{rss:,.0f}"])
            print(" | ".join(str(c) for c in rows[-1]), flush=True)
            before += summary.ingested
    md = (
        f"## Ingest as the archive grows\n\n`python bench/ingest.py --growth {folder} --chunk {chunk}`: "
        f"{len(files):,} JSON Lines files, {chunk} per `Archive.ingest(link=False, jobs=1)` call into one "
        f"archive, {machine()}.\n\n"
        + table(["captures before", "captures", "extracted", "seconds", "CPU s", "captures/s", "archive MB", "peak RSS MB"], rows)
    )
    print(md)
    if doc:
        write_section("ingest-growth", md)


if __name__ == "__main__":
    main()
