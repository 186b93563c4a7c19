"""Readers bench: files/s on the corpus sample, and the measurements behind the
readers' knobs (the Big5 codec choice, the GB/Big5 detection threshold).

    .venv/bin/python bench/bench_readers.py               # files/s + formats by extension
    .venv/bin/python bench/bench_readers.py --codecs      # Big5 codec round trips (encoding.py)
    .venv/bin/python bench/bench_readers.py --short-texts # title detection (base.CHINESE_MIN_SCORE)

It prints markdown tables; it asserts nothing.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import machine, table  # noqa: E402

from wiretrace.readers import read_path  # noqa: E402

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "agora-news-sample"


def posts(pattern: str = "*") -> list[Path]:
    return sorted(p for p in CORPUS.glob(pattern) if p.name != "README.md")


def throughput(passes: int) -> None:
    files = [str(p) for p in posts()]
    rows = []
    for n in range(1, passes + 1):
        t0 = time.perf_counter()
        items = sum(1 for p in files for _ in read_path(p))
        dt = time.perf_counter() - t0
        rows.append([n, len(files), items, f"{dt:.2f}", f"{len(files) / dt:,.0f}"])
    print(f"## Readers: read_path over the corpus sample ({machine()})\n")
    print(table(["pass", "files", "captures", "seconds", "files/s"], rows))
    formats = Counter()
    for p in files:
        for doc in read_path(p):
            formats[(p.rsplit(".", 1)[-1], getattr(doc, "format", "reject"),
                     getattr(doc, "content_type", "-"), getattr(doc, "encoding", "-"))] += 1
    print("\n" + table(["extension", "format", "content_type", "encoding", "files"],
                       [[*k, v] for k, v in sorted(formats.items())]))


def _texts(pattern: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", p.read_text(encoding="utf-8")) for p in posts(pattern)]


def codecs_table() -> None:
    texts = _texts("*-CNA-*") + _texts("*-RTHK-*")
    names = ["big5", "cp950", "big5hkscs"]
    rows = []
    for enc in names:
        encodable = 0
        for t in texts:
            try:
                t.encode(enc)
                encodable += 1
            except UnicodeEncodeError:
                pass
        for dec in names:
            same = fail = 0
            for t in texts:
                data = t.encode(enc, errors="replace")
                try:
                    same += data.decode(dec) == data.decode(enc)
                except UnicodeDecodeError:
                    fail += 1
            rows.append([enc, f"{encodable}/{len(texts)}", dec, same, fail])
    print(f"## Big5 codecs on the traditional posts (CNA + RTHK) ({machine()})\n")
    print(table(["encoded as", "encodable", "decoded as", "identical", "decode fails"], rows))


def _titles(pattern: str) -> list[str]:
    out = []
    for p in posts(pattern):
        for line in p.read_text(encoding="utf-8").splitlines():
            if line.startswith("title:"):
                out.append(line[6:].strip().strip('"'))
                break
    return out


def short_texts() -> None:
    from charset_normalizer import from_bytes

    from wiretrace.readers.encoding import _DETECTABLE, chinese_score, decode

    rows = []
    for pattern, codec, other in (("*-RFI-*", "gb18030", "big5hkscs"), ("*-REUTERS-*", "gb18030", "big5hkscs"),
                                  ("*-CNA-*", "big5hkscs", "gb18030"), ("*-RTHK-*", "big5hkscs", "gb18030")):
        right, wrong, cn_ok, ours_ok, wins, n = [], [], 0, 0, 0, 0
        for title in _titles(pattern):
            try:
                data = title.encode(codec)
            except UnicodeEncodeError:
                continue
            n += 1
            right.append(chinese_score(title))
            try:
                wrong.append(chinese_score(data.decode(other)))
            except UnicodeDecodeError:
                wrong.append(0.0)
            wins += right[-1] > wrong[-1]
            best = from_bytes(data, cp_isolation=_DETECTABLE).best()
            cn_ok += best is not None and str(best) == title
            try:
                ours_ok += decode(data).text == title
            except Exception:  # a bench counts failures, it does not stop on them
                pass
        right.sort()
        rows.append([pattern.strip("*-"), codec, n, f"{right[len(right) // 100]:.2f}", f"{statistics.median(right):.2f}",
                     f"{max(wrong):.2f}", f"{statistics.median(wrong):.2f}",
                     f"{wins}/{n}",
                     f"{cn_ok}/{n}", f"{ours_ok}/{n}"])
    print(f"## Legacy-encoded titles: detection ({machine()})\n")
    print(table(["outlet", "encoded as", "titles", "score right p1", "right median", "other family max",
                 "other median", "right scores higher", "charset-normalizer right", "decode() right"], rows))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--codecs", action="store_true")
    ap.add_argument("--short-texts", action="store_true")
    ap.add_argument("--passes", type=int, default=3)
    args = ap.parse_args()
    if not CORPUS.is_dir():
        sys.exit(f"the corpus sample is not at {CORPUS}")
    if args.codecs:
        codecs_table()
    elif args.short_texts:
        short_texts()
    else:
        throughput(args.passes)


if __name__ == "__main__":
    main()
