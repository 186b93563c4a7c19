"""Run a Spark job without an archive: on a cluster through spark-submit, or locally.

    python -m wiretrace.spark ingest PATH... --out DIR [--master URL] [--no-link]
    python -m wiretrace.spark link INPUT --out DIR [--master URL]
    spark-submit --master yarn ... "$(python -c 'import wiretrace.spark.__main__ as m; print(m.__file__)')" \\
        ingest hdfs:///crawl/ --out hdfs:///wiretrace/out

Paths and DIR may be hdfs://, s3a:// or local (on every node, for a cluster).
The output folder is what `wiretrace import DIR` reads; the manifest (printed as
JSON on stdout) is written last.
"""

from __future__ import annotations

import argparse
import json
import sys

from wiretrace.errors import WiretraceError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wiretrace.spark", description=__doc__.split("\n")[0])
    parser.add_argument("--master", metavar="URL", help="Spark master (default: spark-submit's, else local[2])")
    parser.add_argument("--shuffle-partitions", type=int, metavar="N", help="spark.sql.shuffle.partitions")
    sub = parser.add_subparsers(dest="job", required=True)
    p = sub.add_parser("ingest", help="captures -> captures, rejects, templates, articles (and link tables)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--no-link", action="store_true", help="read and extract only")
    p.add_argument("--partitions", type=int, metavar="N", help="read partitions (default: from the file count)")
    p.add_argument("--max-size", type=float, default=50, metavar="MB", help="reject files larger than this")
    p = sub.add_parser("link", help="articles (an output folder or an exported Parquet) -> link tables")
    p.add_argument("input", metavar="INPUT")
    p.add_argument("--out", required=True, metavar="DIR")
    args = parser.parse_args(argv)

    from wiretrace.spark.jobs import ingest_job, link_job
    from wiretrace.spark.session import session

    try:
        spark = session(args.master, shuffle_partitions=args.shuffle_partitions)
        try:
            if args.job == "ingest":
                manifest = ingest_job(args.paths, args.out, spark=spark, link=not args.no_link,
                                      partitions=args.partitions, max_bytes=int(args.max_size * 1024 * 1024))
            else:
                manifest = link_job(args.input, args.out, spark=spark)
        finally:
            spark.stop()
    except WiretraceError as exc:
        print(f"wiretrace: error: {exc}", file=sys.stderr)
        return exc.exit_code
    print(json.dumps(manifest, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
