"""Measure normalize over the corpus sample: speed, OpenCC length changes, the
script confusion table and the CJK share behind detect_language.

    .venv/bin/python bench/bench_normalize.py [CORPUS_DIR]

Bodies are taken crudely (front matter cut, HTML tags stripped by regex): good
enough to time normalization and to count scripts, not an extraction. Prints
tables; asserts nothing.
"""

from __future__ import annotations

import html
import re
import sys
import time
from collections import Counter
from pathlib import Path

from wiretrace import normalize as nz

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "agora-news-sample"
_TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S | re.I)
_BLOCKS = re.compile(r"</?(p|div|br|h\d|li|tr|figure|figcaption|blockquote)\b[^>]*>", re.I)
# The corpus README gives each outlet's script; DW has one traditional post.
SCRIPT = {"RTHK": "hant", "CNA": "hant", "RFI": "hans", "REUTERS": "hans", "KYODO": "hans",
          "DW": "hans", "JOINS": "hans", "BBC": "hans"}
DW_TRADITIONAL = "2021-01-08-DW-不滿川普煽動支持者-眾議院有意彈劾總統.html"


def bodies(root: Path):
    for p in sorted(root.iterdir()):
        if p.suffix not in (".html", ".md") or p.name == "README.md":
            continue
        text = p.read_text(encoding="utf-8")
        if text.startswith("---"):
            text = text[text.find("\n---", 3) + 4:]
        if p.suffix == ".html":
            text = html.unescape(_TAGS.sub("", _BLOCKS.sub("\n\n", text)))
        yield p.name, p.name[11:].split("-")[0], text


def main() -> None:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else CORPUS
    docs = list(bodies(root))
    chars = sum(len(b) for _, _, b in docs)
    nz.matching_form("預熱")  # create the converter outside the timing

    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        forms = [nz.matching_form(b) for _, _, b in docs]
        best = min(best, time.perf_counter() - t)
    print(f"matching_form: {len(docs)} bodies, {chars / 1e6:.2f} M chars, best of 3: "
          f"{best:.2f} s = {len(docs) / best:,.0f} articles/s, {chars / best / 1e6:.1f} M chars/s")

    conv = nz._converter(nz.OPENCC_CONFIG)
    t = time.perf_counter()
    for _, _, b in docs:
        conv.convert(b)
    t_cc = time.perf_counter() - t
    print(f"  of which OpenCC {nz.OPENCC_CONFIG} alone: {t_cc:.2f} s")

    changed = sum(len(conv.convert(b)) != len(b) for _, _, b in docs)
    not_idem = sum(nz.matching_form(f.text).text != f.text for f in forms)
    print(f"OpenCC {nz.OPENCC_CONFIG} changed the length of {changed} bodies; "
          f"matching_form not idempotent on {not_idem}")

    t = time.perf_counter()
    got = [(name, outlet, nz.detect_script(b)) for name, outlet, b in docs]
    t_script = time.perf_counter() - t
    table: Counter = Counter()
    for name, outlet, g in got:
        truth = "hant" if name == DW_TRADITIONAL else SCRIPT[outlet]
        table[truth, g] += 1
    labels = ["hans", "hant", "mixed", None]
    print(f"\ndetect_script ({len(docs) / t_script:,.0f} articles/s): rows = README script, cols = detected")
    print("       " + "".join(f"{str(c):>8}" for c in labels))
    for r in ("hans", "hant"):
        print(f"{r:>7}" + "".join(f"{table[r, c]:>8}" for c in labels))
    wrong = [(n, g) for n, o, g in got if g != ("hant" if n == DW_TRADITIONAL else SCRIPT[o])]
    for n, g in wrong[:10]:
        print("  wrong:", n, g)

    langs = Counter(nz.detect_language(b) for _, _, b in docs)
    shares = []
    for _, _, b in docs:
        han = len(nz._HAN_RE.findall(b))
        words = len(nz._LATIN_WORD_RE.findall(b))
        shares.append(han / max(han + words, 1))
    print(f"\ndetect_language: {dict(langs)}; lowest share cjk/(cjk+latin words): {min(shares):.2f}")


if __name__ == "__main__":
    main()
