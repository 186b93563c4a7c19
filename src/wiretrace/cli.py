"""The command line: parses, calls the Python API, prints. Nothing else.

Every command takes --db (default $WIRETRACE_DB, else ./wiretrace.db) and every
listing takes --json: one JSON object per line on stdout, nothing else there.
Exit status: 0 success, 1 failure of the command, 2 bad usage (CLI.md).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections.abc import Iterable
from typing import Any

from wiretrace import __version__
from wiretrace.errors import WiretraceError


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return args.func(args) or 0
    except WiretraceError as exc:
        print(f"wiretrace: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except sqlite3.OperationalError as exc:
        # "database is locked" when another wiretrace holds the write lock past
        # the busy timeout; nothing half-done is left: transactions roll back.
        print(f"wiretrace: error: archive {args.db or 'wiretrace.db'}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("wiretrace: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `wiretrace articles | head` closing the pipe is not a failure.
        sys.stderr.close()
        return 0


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", help="archive file (default: $WIRETRACE_DB, else ./wiretrace.db)")
    listing = argparse.ArgumentParser(add_help=False, parents=[common])
    listing.add_argument("--json", action="store_true", help="one JSON object per line on stdout")

    parser = argparse.ArgumentParser(
        prog="wiretrace",
        description="Trace news stories across outlets: clean articles, reprints and their provenance.",
    )
    parser.add_argument("--version", action="version", version=f"wiretrace {__version__}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    p = sub.add_parser("ingest", parents=[listing], help="read captures into the archive, extract and link them")
    p.add_argument("paths", nargs="+", metavar="PATH", help="files, folders, globs, .gz/.zip archives, or - for stdin")
    p.add_argument("--strict", action="store_true", help="exit 1 if any input was rejected")
    p.add_argument("--max-size", type=float, default=50, metavar="MB", help="reject files larger than this (default 50 MB)")
    p.add_argument("--no-link", action="store_true", help="store and extract only; run `wiretrace link` later")
    p.add_argument("--no-search", action="store_true",
                   help="leave the new articles out of the search index (~a fifth of a large ingest's time); "
                        "`wiretrace index` or the next ingest without this option builds it")
    p.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="processes for extraction, verification and story features (default: every core)")
    _engine_options(p, ingest=True)
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("index", parents=[listing],
                       help="build the search index of articles ingested with --no-search")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("rejects", parents=[listing], help="inputs that could not be used, with the reason")
    p.set_defaults(func=cmd_rejects)

    p = sub.add_parser("articles", parents=[listing], help="list the clean articles")
    p.add_argument("--all-versions", action="store_true", help="include earlier versions of changed captures")
    p.set_defaults(func=cmd_articles)

    p = sub.add_parser("show", parents=[listing], help="one article: metadata and body (--json adds the matching form)")
    p.add_argument("id", help="article id (a unique prefix is enough)")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("link", parents=[listing], help="find relations among articles not yet linked")
    p.add_argument("--rebuild", action="store_true", help="forget all links and link everything again")
    p.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="processes verifying candidate pairs (default: every core)")
    _engine_options(p)
    p.set_defaults(func=cmd_link)

    p = sub.add_parser("import", parents=[listing], help="store the output of a Spark job in the archive")
    p.add_argument("dir", metavar="DIR", help="a folder written by `ingest --engine spark --out` or `python -m wiretrace.spark`")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("relations", parents=[listing], help="reprint relations with their shares")
    p.set_defaults(func=cmd_relations)

    p = sub.add_parser("clusters", parents=[listing], help="reprint clusters: the same text")
    p.set_defaults(func=cmd_clusters)

    p = sub.add_parser("diff", parents=[listing], help="what two articles share, and what only one has")
    p.add_argument("a", help="article id (or unique prefix)")
    p.add_argument("b", help="article id (or unique prefix)")
    p.set_defaults(func=cmd_diff)

    p = sub.add_parser("stories", parents=[listing], help="same-event stories, newest first")
    p.add_argument("--since", metavar="WHEN", help="with a member published at or after (ISO 8601, UTC)")
    p.add_argument("--until", metavar="WHEN", help="with a member published at or before (a date covers the day)")
    p.add_argument("--outlet", help="with a member from this outlet (as `articles` names it)")
    p.add_argument("--query", metavar="TEXT", help="with a member whose title or body holds every word (either script)")
    p.set_defaults(func=cmd_stories)

    p = sub.add_parser("story", parents=[listing], help="one story: timeline, provenance and each member's edits")
    p.add_argument("id", help="story id (s…), or a reprint cluster id (c…)")
    p.set_defaults(func=cmd_story)

    p = sub.add_parser("report", parents=[common], help="write one story as a self-contained HTML page")
    p.add_argument("id", help="story id (s…), or a reprint cluster id (c…)")
    p.add_argument("--html", required=True, metavar="OUT", help="the file to write (replaced if it exists)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("serve", parents=[common], help="browse the archive in a web browser (read-only), with a JSON API")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("export", parents=[common], help="write articles, relations or stories as jsonl, parquet or csv")
    p.add_argument("--what", required=True, choices=["articles", "relations", "stories"], help="which records")
    p.add_argument("--format", required=True, choices=["jsonl", "parquet", "csv"], help="file format")
    p.add_argument("out", metavar="OUT", help="the file to write (replaced if it exists)")
    p.set_defaults(func=cmd_export)

    return parser


def _engine_options(p: argparse.ArgumentParser, ingest: bool = False) -> None:
    p.add_argument("--engine", choices=["local", "spark"], default="local",
                   help="where the stages run: this process, or Spark (docs/spark.md)")
    p.add_argument("--master", metavar="URL", help="Spark master URL (default local[2])")
    p.add_argument("--out", metavar="DIR", help="keep the Spark output (Parquet) in DIR; default: a temporary folder")
    if ingest:
        p.add_argument("--partitions", type=int, metavar="N", help="Spark read partitions (default: from the file count)")


def _engine_args(args) -> dict[str, Any]:
    if args.engine == "local":
        given = [f"--{name}" for name in ("master", "out", "partitions") if getattr(args, name, None)]
        if given:
            from wiretrace.errors import UsageError

            raise UsageError(f"{', '.join(given)} need(s) --engine spark")
        return {}
    options = {"engine": "spark", "master": args.master, "out": args.out}
    if getattr(args, "partitions", None):
        options["partitions"] = args.partitions
    return options


# -- commands -----------------------------------------------------------------


def _count(n: int, noun: str) -> str:
    """``1 outlet``, ``2 outlets``: the story lines are read by people."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _archive(args, readonly: bool = False):
    from wiretrace.archive import Archive

    return Archive(args.db, readonly=readonly)


def cmd_ingest(args) -> int:
    from wiretrace.progress import for_terminal

    engine = _engine_args(args)
    archive = _archive(args)
    options: dict[str, Any] = {"max_bytes": int(args.max_size * 1024 * 1024), "link": not args.no_link,
                               "search": not args.no_search}
    if engine:
        options.update(engine)
    else:
        options.update(stdin=sys.stdin.buffer, progress=for_terminal(not args.json), jobs=args.jobs)
    summary = archive.ingest(args.paths, **options)
    for reject in summary.rejects:
        print(f"rejected {reject.source}: {reject.reason}", file=sys.stderr)
    if args.json:
        emit([summary.to_dict()])
    else:
        print(summary.line())
    return 1 if args.strict and summary.rejected else 0


def cmd_index(args) -> int:
    from wiretrace.progress import for_terminal

    progress = for_terminal(not args.json)
    indexed = _archive(args).build_search(progress)
    progress.stop()
    if args.json:
        emit([{"indexed": indexed}])
    else:
        print(f"indexed {indexed}")
    return 0


def cmd_rejects(args) -> int:
    rows = ({"path": r.source, "reason": r.reason} for r in _archive(args, readonly=True).rejects())
    if args.json:
        emit(rows)
    else:
        for r in rows:
            print(f"{r['path']}\t{r['reason']}")
    return 0


ARTICLE_FIELDS = ("id", "path", "outlet", "title", "published", "url", "authors", "wire", "script", "language", "body")


def cmd_articles(args) -> int:
    articles = _archive(args, readonly=True).articles(all_versions=args.all_versions)
    if args.json:
        emit({k: a.to_dict()[k] for k in ARTICLE_FIELDS} for a in articles)
    else:
        for a in articles:
            print("\t".join([a.id, a.published or "-", a.outlet or "-", a.script or "-", a.title or "(untitled)"]))
    return 0


def cmd_show(args) -> int:
    archive = _archive(args, readonly=True)
    article = archive.article(args.id)
    if args.json:
        record = article.to_dict()
        record["normalized"] = archive.normalized(article.id).text
        record["capture"] = archive.capture(article.id)
        emit([record])
        return 0
    capture = archive.capture(article.id)
    print(article.title or "(untitled)")
    for label, value in [
        ("id", article.id), ("path", article.path), ("outlet", article.outlet),
        ("published", article.published), ("url", article.url),
        ("authors", "、".join(article.authors)), ("wire", "、".join(article.wire)),
        ("script", article.script), ("language", article.language),
        ("capture", f"{capture['format']}, {capture['encoding']}, sha256 {capture['sha256'][:12]}"),
        ("replaces", capture["previous"]),
        *(("warning", w) for w in capture["warnings"]),
    ]:
        if value:
            print(f"{label:>10}: {value}")
    print()
    print(article.body)
    return 0


def cmd_link(args) -> int:
    from wiretrace.progress import for_terminal

    engine = _engine_args(args)
    archive = _archive(args)
    progress = for_terminal(not args.json and not engine)
    if engine:
        summary = archive.link(rebuild=args.rebuild, **engine)
    else:
        summary = archive.link(rebuild=args.rebuild, progress=progress, jobs=args.jobs)
    stories = archive.update_stories(progress=progress, jobs=args.jobs)  # clusters changed: regroup
    progress.stop()
    if args.json:
        emit([{**summary.to_dict(), "stories": stories.to_dict()}])
    else:
        print(f"{summary.line()}, stories {stories.stories}")
    return 0


def cmd_import(args) -> int:
    archive = _archive(args)
    summary = archive.import_spark(args.dir)
    stories = archive.update_stories()  # imported relations and articles: regroup
    if args.json:
        emit([{**summary.to_dict(), "stories": stories.to_dict()}])
    else:
        print(f"{summary.line()}, stories {stories.stories}")
    return 0


RELATION_FIELDS = ("a", "b", "relation", "a_in_b", "b_in_a")


def cmd_relations(args) -> int:
    relations = _archive(args, readonly=True).relations()
    if args.json:
        emit({k: r[k] for k in RELATION_FIELDS} for r in relations)
    else:
        for r in relations:
            print(f"{r['a']}\t{r['relation']:<9}\t{r['b']}\t{r['a_in_b']:.2f}\t{r['b_in_a']:.2f}")
    return 0


def cmd_clusters(args) -> int:
    clusters = _archive(args, readonly=True).clusters()
    if args.json:
        emit(clusters)
    else:
        for c in clusters:
            print(f"{c['id']}\t{len(c['articles'])}\t{' '.join(c['articles'])}")
    return 0


def cmd_diff(args) -> int:
    archive = _archive(args, readonly=True)
    result = archive.diff(args.a, args.b)
    if args.json:
        emit([result])
    else:
        from wiretrace.diffview import render

        render(
            result, archive.article(result["a"]), archive.article(result["b"]),
            archive.normalized(result["a"]), archive.normalized(result["b"]),
        )
    return 0


STORY_FIELDS = ("id", "articles", "source", "fullest", "earliest", "title", "published", "outlets", "size")


def cmd_stories(args) -> int:
    stories = _archive(args, readonly=True).stories(
        since=args.since, until=args.until, outlet=args.outlet, query=args.query,
    )
    if args.json:
        emit({k: s[k] for k in STORY_FIELDS} for s in stories)
    else:
        for s in stories:
            when = s["published"][1] or "-"
            print(f"{s['id']}\t{when}\t{_count(s['size'], 'article')}, {_count(len(s['outlets']), 'outlet')}\t"
                  f"{s['source'] or '-'}\t{s['title']}")
    return 0


def cmd_story(args) -> int:
    story = _archive(args, readonly=True).story(args.id)
    if args.json:
        emit([story])
        return 0
    print(story["title"])
    print(f"{story['kind']} {story['id']}: {_count(len(story['articles']), 'article')} from "
          f"{_count(len(story['outlets']), 'outlet')}")
    print(f"    source: {story['source'] or '(none credited)'}")
    print(f"   fullest: {story['fullest']}")
    print(f"  earliest: {story['earliest']}")
    print()
    edits = {m["id"]: m for m in story["members"]}
    for m in story["timeline"]:
        e = edits[m["id"]]
        counts = "" if m["relation"] == "fullest" else (
            f"  kept {len(e['kept'])}, changed {len(e['changed'])}, added {len(e['added'])}, "
            f"dropped {len(e['dropped'])} sentences"
        )
        print(f"{m['published'] or '-':<32} {m['outlet'] or '-'}\t{m['id']}  {m['relation']}{counts}")
        print(f"{'':<32} {m['title'] or '(untitled)'}")
    return 0


def cmd_report(args) -> int:
    from wiretrace.pages import report

    out = report(_archive(args, readonly=True), args.id, args.html)
    print(f"wrote {out}", file=sys.stderr)
    return 0


def cmd_serve(args) -> int:
    from wiretrace.archive import resolve_db
    from wiretrace.web import serve

    db = resolve_db(args.db)
    print(f"wiretrace: serving {db} at http://{args.host}:{args.port}/ (read-only; Ctrl-C stops)", file=sys.stderr)
    serve(db, host=args.host, port=args.port)
    return 0


def cmd_export(args) -> int:
    from wiretrace.export import export

    n = export(_archive(args, readonly=True), args.what, args.format, args.out)
    print(f"exported {n} {args.what} to {args.out}", file=sys.stderr)
    return 0


def emit(records: Iterable[dict[str, Any]]) -> None:
    """One JSON object per line, in the original script (no \\u escapes)."""
    write = sys.stdout.write
    for record in records:
        write(json.dumps(record, ensure_ascii=False) + "\n")
