"""Latency of `wiretrace serve` over an archive of the whole corpus sample (and the seeds).

    .venv/bin/python bench/web.py [--rounds 3]

Starts the real server (`python -m wiretrace serve`, uvicorn) in its own process, then times,
from one keep-alive client, the HTML pages users open:
  story list   /stories, page 1..5, with and without an outlet filter
  story page   /stories/ID for 60 stories drawn at random (seeded) plus the 10 largest
  search       /search?q= for 40 words taken from titles, half converted to the other script
  diff         /diff?a=&b= for 60 related pairs (seeded)
Each URL is fetched --rounds times (the first fetch warms nothing in the server but SQLite's
page cache). Prints median and 95th percentile per kind, and writes the "web" section of
docs/BENCHMARKS.md. Goal (issue): p95 under 200 ms for each. Asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from report import machine, table, write_section  # noqa: E402

from wiretrace import Archive  # noqa: E402
from wiretrace.normalize import to_simplified  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "agora-news-sample"
SEEDS = ROOT.parent / "shared" / "seeds"
DB = ROOT / "bench" / "out" / "web_corpus.db"


def archive_path() -> Path:
    DB.parent.mkdir(exist_ok=True)
    fresh = not DB.exists()
    with Archive(DB) as archive:  # read-write: one kept from an older wiretrace is upgraded
        if fresh:
            archive.ingest([str(CORPUS), str(SEEDS)])
    return DB


def to_traditional(text: str) -> str:
    import opencc

    return opencc.OpenCC("s2t").convert(text)


def urls(db: Path, rnd: random.Random) -> dict[str, list[str]]:
    with Archive(db, readonly=True) as archive:
        stories = archive.stories()
        outlets = archive.outlets()
        relations = [(r["a"], r["b"]) for r in archive.relations()]
        titles = [a.title for a in archive.articles() if a.title]
    largest = sorted(stories, key=lambda s: -s["size"])[:10]
    story_ids = [s["id"] for s in rnd.sample(stories, 60)] + [s["id"] for s in largest]
    words = []
    for title in rnd.sample(titles, 40):
        simplified = to_simplified(title)
        start = rnd.randrange(max(1, len(simplified) - 4))
        word = simplified[start:start + 4].strip() or simplified[:4]
        words.append(to_traditional(word) if len(words) % 2 else word)
    return {
        "story list": [f"/stories?page={p}" for p in range(1, 6)]
        + [f"/stories?outlet={o}" for o in outlets],
        "story page": [f"/stories/{i}" for i in story_ids],
        "search": [f"/search?q={w}" for w in words],
        "diff": [f"/diff?a={a}&b={b}" for a, b in rnd.sample(relations, 60)],
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-doc", action="store_true")
    args = ap.parse_args()
    db = archive_path()
    todo = urls(db, random.Random(20210106))
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "wiretrace", "serve", "--db", str(db), "--port", str(port)],
                            stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    rows = []
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            for _ in range(100):
                try:
                    client.get("/api/stories?limit=1")
                    break
                except httpx.TransportError:
                    time.sleep(0.3)
            for kind, paths in todo.items():
                times = []
                for _ in range(args.rounds):
                    for path in paths:
                        t = time.perf_counter()
                        r = client.get(path)
                        times.append((time.perf_counter() - t) * 1000)
                        if r.status_code != 200:
                            raise SystemExit(f"{path}: HTTP {r.status_code}")
                times.sort()
                p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]
                rows.append([kind, len(paths), len(times), f"{statistics.median(times):.1f}", f"{p95:.1f}",
                             f"{times[-1]:.1f}", "yes" if p95 < 200 else "no"])
    finally:
        proc.terminate()
        proc.wait()
    with Archive(db, readonly=True) as archive:
        n_articles = sum(1 for _ in archive.articles())
        n_stories = len(archive.stories())
    text = "\n".join([
        "## Web UI latency",
        "",
        f"`.venv/bin/python bench/web.py --rounds {args.rounds}` — {machine()}; `wiretrace serve` (uvicorn, "
        f"one process) over the corpus sample + seeds: {n_articles:,} articles, {n_stories:,} stories. "
        "One keep-alive client, sequential requests, HTML pages; times in ms, client-side.",
        "",
        table(["page", "URLs", "requests", "median ms", "p95 ms", "max ms", "p95 < 200 ms"], rows),
    ])
    print(text)
    if not args.no_doc:
        write_section("web", text)


if __name__ == "__main__":
    main()
