"""Extraction bench: wiretrace.extract against named peers on the hand-written gold set.

Place in the flow: scores the ``extract`` stage (RawDocument -> Article) on
``bench/gold/*.json`` (see bench/gold/README.md for the conventions) and times
extraction + normalization over the whole corpus sample. It prints markdown
tables and rewrites its section of docs/BENCHMARKS.md; it asserts nothing.

Systems, on the same captures in one run:
- wiretrace: ``wiretrace.extract.extract(doc, template)``, templates learnt per
  outlet with ``learn_template`` on that outlet's corpus captures, documents
  read with ``wiretrace.readers.read_path``;
- trafilatura alone: ``trafilatura.extract`` for the body, ``bare_extraction``
  for metadata;
- readability-lxml (bench peer);
- GNE (bench peer only: GPL/unclear licence, never imported by the package).
Peers get the capture's content after the YAML front matter: the HTML
fragment wrapped in ``<html><body>`` for the HTML outlets, the raw plain text
for RTHK (they are HTML extractors; how they
cope with plain text is part of what is reported).

Body score: bag of characters. Whitespace is removed from both texts; the
overlap is the sum over characters of min(count in extracted, count in gold);
precision = overlap / extracted length, recall = overlap / gold length. Micro
averages sum overlaps and lengths over captures; macro averages the
per-capture scores (an empty extraction scores 0/0/0). Metadata: exact-match
rate over the gold captures (authors and wire as ordered lists); "—" where a
system does not produce the field.

    .venv/bin/python bench/extract.py [--quick]

``--quick`` scores the gold set only and times on the gold set only.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import traceback
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from report import write_section  # noqa: E402
GOLD = ROOT / "bench" / "gold"
CORPUS = ROOT.parent / "shared" / "corpus" / "agora-news-sample"
SEEDS = ROOT.parent / "shared" / "seeds"
FIELDS = ("title", "published", "outlet", "authors", "wire")

_FRONT = re.compile(r"\A---\s*\n.*?\n---\s*\n", re.S)
_WS = re.compile(r"\s+")


# ---------------------------------------------------------------- inputs

def capture_path(name: str) -> Path:
    return (SEEDS if name[:3].isdigit() and "_" in name[:4] else CORPUS) / name


def outlet_key(name: str) -> str:
    parts = name.split("-")
    return parts[3].lower() if len(parts) > 4 and name[:4].isdigit() and "_" not in name[:4] else "seed:" + name


def after_front_matter(text: str) -> str:
    return _FRONT.sub("", text, count=1)


def peer_input(name: str, text: str) -> str:
    """What the peers get: the content after the front matter, an HTML fragment
    wrapped in <html><body> (GNE finds no body in a bare fragment), plain text
    (RTHK .md, seed 000) as it is."""
    content = after_front_matter(text)
    if name.endswith(".md") or not re.search(r"<(p|div)\b", content, re.I):
        return content
    return "<html><body>" + content + "</body></html>"


def load_gold() -> list[dict[str, Any]]:
    return [json.loads(p.read_text("utf-8")) for p in sorted(GOLD.glob("*.json"))]


# ---------------------------------------------------------------- scoring

def bag(text: str | None) -> Counter:
    return Counter(_WS.sub("", text or ""))


def body_scores(pred: str | None, gold: str) -> tuple[int, int, int]:
    """(overlap, extracted length, gold length) of the character bags."""
    p, g = bag(pred), bag(gold)
    return sum((p & g).values()), sum(p.values()), sum(g.values())


def prf(o: int, n_pred: int, n_gold: int) -> tuple[float, float, float]:
    p = o / n_pred if n_pred else 0.0
    r = o / n_gold if n_gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def summarize(rows: list[tuple[int, int, int]]) -> dict[str, float]:
    so, sp, sg = (sum(x[i] for x in rows) for i in range(3))
    micro = prf(so, sp, sg)
    per = [prf(*x) for x in rows]
    n = len(per) or 1
    macro = tuple(sum(x[i] for x in per) / n for i in range(3))
    return {"P": micro[0], "R": micro[1], "F1": micro[2], "mP": macro[0], "mR": macro[1], "mF1": macro[2]}


# ---------------------------------------------------------------- systems
# each system maps a gold capture name to a dict with "body" and any metadata
# fields it produces (absent key = field not produced by that system)

def _field(obj: Any, key: str) -> Any:
    if obj is None:
        return None
    return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)


def run_trafilatura(content: str) -> dict[str, Any]:
    import trafilatura

    body = trafilatura.extract(content) or ""
    meta = trafilatura.bare_extraction(content, with_metadata=True)
    author = _field(meta, "author")
    return {
        "body": body,
        "title": _field(meta, "title"),
        "published": _field(meta, "date"),
        "outlet": _field(meta, "sitename"),
        "authors": [a.strip() for a in author.split(";")] if author else [],
    }


def run_readability(content: str) -> dict[str, Any]:
    from lxml import html as lhtml
    from readability import Document

    d = Document(content)
    summary = d.summary(html_partial=True)
    body = lhtml.fromstring(summary).text_content() if summary.strip() else ""
    return {"body": body, "title": d.short_title() or d.title()}


def run_gne(content: str) -> dict[str, Any]:
    from gne import GeneralNewsExtractor  # bench peer only, see module docstring

    r = GeneralNewsExtractor().extract(content)
    author = r.get("author") or ""
    return {
        "body": r.get("content") or "",
        "title": r.get("title"),
        "published": r.get("publish_time") or None,
        "authors": [author] if author else [],
    }


class Wiretrace:
    """wiretrace's own extractor with one template per outlet (see module docstring)."""

    def __init__(self) -> None:
        from wiretrace import extract as wx  # noqa: F401  (fail early if absent)
        from wiretrace import readers

        for mod, attr in ((wx, "extract"), (wx, "learn_template"), (readers, "read_path")):
            if not callable(getattr(mod, attr, None)):
                raise ImportError(f"{mod.__name__}.{attr} is not there yet")
        self.wx = wx
        self.readers = readers
        self.templates: dict[str, Any] = {}
        self.learn_seconds = 0.0

    def read(self, path: Path) -> Any:
        from wiretrace.model import RawDocument

        docs = [d for d in self.readers.read_path(path) if isinstance(d, RawDocument)]
        return docs[0] if docs else None

    def learn(self, docs_by_outlet: dict[str, list[Any]]) -> None:
        t0 = time.perf_counter()
        for key, docs in docs_by_outlet.items():
            try:
                self.templates[key] = self.wx.learn_template(docs)
            except Exception:  # one outlet's failure must not hide the others' scores
                traceback.print_exc()
                self.templates[key] = None
        self.learn_seconds = time.perf_counter() - t0

    def article(self, doc: Any, key: str) -> Any:
        return self.wx.extract(doc, self.templates.get(key))


def from_article(a: Any) -> dict[str, Any]:
    return {f: getattr(a, f, None) for f in ("body",) + FIELDS}


# ---------------------------------------------------------------- the run

def score(system: str, outputs: dict[str, dict[str, Any] | None], gold: list[dict[str, Any]]) -> dict[str, Any]:
    rows, by_outlet = [], defaultdict(list)
    exact = {f: [0, 0] for f in FIELDS}
    empty = failed = 0
    for g in gold:
        out = outputs.get(g["file"])
        if out is None:
            failed += 1
            out = {"body": ""}
        s = body_scores(out.get("body"), g["body"])
        rows.append(s)
        by_outlet[outlet_key(g["file"]).split(":")[0]].append(s)
        if not _WS.sub("", out.get("body") or ""):
            empty += 1
        for f in FIELDS:
            if f in out:
                exact[f][1] += 1
                want, got = g[f], out[f]
                if isinstance(want, list):
                    got = list(got or [])
                exact[f][0] += got == want
    res = {"system": system, "n": len(gold), "empty": empty, "failed": failed, **summarize(rows)}
    for f in FIELDS:
        hit, seen = exact[f]
        res[f] = hit / len(gold) if seen else None
    res["per_outlet"] = {o: summarize(v)["mF1"] for o, v in sorted(by_outlet.items())}
    return res


def run_peer(fn: Callable[[str], dict[str, Any]], contents: dict[str, str]) -> tuple[dict[str, Any], float]:
    outs: dict[str, Any] = {}
    t0 = time.perf_counter()
    for name, content in contents.items():
        try:
            outs[name] = fn(content)
        except Exception:  # a peer's crash on one capture is a result (empty), not a bench failure
            outs[name] = None
    return outs, time.perf_counter() - t0


def fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"


def quality_table(results: list[dict[str, Any]]) -> str:
    head = "| system | body P | body R | body F1 | macro P | macro R | macro F1 | empty | " + " | ".join(FIELDS) + " |"
    lines = [head, "|" + " --- |" * (8 + len(FIELDS))]
    for r in results:
        cells = [r["system"], fmt(r["P"]), fmt(r["R"]), fmt(r["F1"]), fmt(r["mP"]), fmt(r["mR"]), fmt(r["mF1"]),
                 f"{r['empty']}/{r['n']}" + (f" ({r['failed']} crashed)" if r["failed"] else "")]
        cells += [fmt(r[f]) for f in FIELDS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def outlet_table(results: list[dict[str, Any]]) -> str:
    outlets = sorted({o for r in results for o in r["per_outlet"]})
    lines = ["| system | " + " | ".join(outlets) + " |", "|" + " --- |" * (1 + len(outlets))]
    for r in results:
        lines.append("| " + r["system"] + " | " + " | ".join(fmt(r["per_outlet"].get(o)) for o in outlets) + " |")
    return "\n".join(lines)


def speed_table(speeds: list[tuple[str, int, float, str]]) -> str:
    lines = ["| system | captures | seconds | articles/s | what is timed |", "| --- | --- | --- | --- | --- |"]
    for name, n, secs, what in speeds:
        lines.append(f"| {name} | {n} | {secs:.2f} | {n / secs if secs else 0:.1f} | {what} |")
    return "\n".join(lines)


def write_doc(section: str) -> None:
    write_section("extract", section)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="score and time on the gold set only")
    ap.add_argument("--no-doc", action="store_true", help="do not rewrite docs/BENCHMARKS.md")
    args = ap.parse_args(argv)

    gold = load_gold()
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}", file=sys.stderr)
        return 1
    gold_names = [g["file"] for g in gold]
    corpus_names = sorted(p.name for p in CORPUS.iterdir() if p.name[:4].isdigit())
    raw = {n: capture_path(n).read_text("utf-8") for n in gold_names}
    peer_in = {n: peer_input(n, t) for n, t in raw.items()}

    results, speeds, notes = [], [], []

    # wiretrace
    try:
        wt = Wiretrace()
    except Exception as exc:
        wt = None
        notes.append(f"wiretrace.extract not available yet ({type(exc).__name__}: {exc}); no wiretrace row.")
    if wt is not None:
        docs: dict[str, Any] = {}
        by_outlet: dict[str, list[Any]] = defaultdict(list)
        for n in corpus_names:
            d = wt.read(CORPUS / n)
            if d is not None:
                docs[n] = d
                by_outlet[outlet_key(n)].append(d)
        for n in gold_names:
            if n not in docs:
                d = wt.read(capture_path(n))
                if d is not None:
                    docs[n] = d
                    by_outlet.setdefault(outlet_key(n), []).append(d)
        wt.learn(by_outlet)
        outs = {}
        for n in gold_names:
            try:
                outs[n] = from_article(wt.article(docs[n], outlet_key(n))) if n in docs else None
            except Exception:
                traceback.print_exc()
                outs[n] = None
        results.append(score("wiretrace", outs, gold))
        notes.append(f"wiretrace learnt {len(wt.templates)} templates in {wt.learn_seconds:.2f} s (not in the speed row).")
        from wiretrace.normalize import matching_form

        timed = gold_names if args.quick else corpus_names
        t0 = time.perf_counter()
        done = 0
        for n in timed:
            if n in docs:
                try:
                    matching_form(wt.article(docs[n], outlet_key(n)).body)
                    done += 1
                except Exception:
                    pass
        speeds.append(("wiretrace", done, time.perf_counter() - t0, "extract + matching_form, documents already read"))

    # peers on the gold set
    for name, fn in (("trafilatura", run_trafilatura), ("readability-lxml", run_readability), ("GNE", run_gne)):
        try:
            outs, secs = run_peer(fn, peer_in)
        except ImportError as exc:
            notes.append(f"{name} not installed ({exc}).")
            continue
        results.append(score(name, outs, gold))
        if name != "trafilatura":
            speeds.append((name, len(peer_in), secs, "body + metadata on the gold set"))

    # trafilatura speed: body extraction alone, same captures as wiretrace's row
    import trafilatura

    timed = gold_names if args.quick else corpus_names
    texts = [peer_input(n, capture_path(n).read_text("utf-8")) for n in timed]
    t0 = time.perf_counter()
    for t in texts:
        trafilatura.extract(t)
    speeds.append(("trafilatura", len(texts), time.perf_counter() - t0, "trafilatura.extract, text already read"))

    scope = "gold set" if args.quick else f"all {len(corpus_names)} corpus posts"
    section = "\n\n".join([
        "## Extraction (`bench/extract.py`)",
        f"Gold: {len(gold)} hand-written captures (`bench/gold/`, conventions in its README). "
        "Body scores are bag-of-characters after removing whitespace: P/R/F1 micro-averaged over "
        "captures, macro = mean of per-capture scores. Metadata columns are exact-match rates "
        "(— = not produced). Peers get the content after the front matter, wrapped in `<html><body>` "
        "(plain text as it is for RTHK and seed 000), so they see no `<title>`.",
        quality_table(results),
        "Body macro F1 per outlet:",
        outlet_table(results),
        f"Speed, one process, `time.perf_counter`, over the {scope}:",
        speed_table(speeds),
        "\n".join("- " + n for n in notes),
        f"Command: `.venv/bin/python bench/extract.py{' --quick' if args.quick else ''}`",
    ])
    print(section)
    if not args.no_doc:
        write_doc(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
