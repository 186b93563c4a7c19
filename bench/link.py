"""Benchmark of wiretrace.link: accuracy vs an exhaustive reference, speed vs datasketch, scale.

    .venv/bin/python bench/link.py                 # accuracy + speed + scale 10k (about 5 min)
    .venv/bin/python bench/link.py --section accuracy
    .venv/bin/python bench/link.py --section scale --scale 10000 --scale 100000

Prints tables, asserts nothing, and rewrites its own section of docs/BENCHMARKS.md (between
<!-- link:start --> and <!-- link:end -->). Samples for reading go to bench/out/link_sample.txt.

(1) accuracy: the reference aligns EVERY pair of corpus articles published within three days of
    each other that shares at least one exact 8-character shingle of the matching form (the
    prefilter is what makes the exhaustive reference feasible: a pair without a common 8-gram
    cannot hold a reprinted passage), WITHOUT MinHash, and classifies it. The MinHash/LSH path
    verifies only its candidates with the same align + classify. Reported: recall and precision
    per relation type, and over all reprint-type pairs.
(2) speed: on the same texts, wiretrace (signatures + keys + candidates + verification) beside
    datasketch MinHash + MinHashLSH at the same shingles, permutations and threshold.
(3) scale: a synthetic corpus (abridge, reorder, split, convert script, add chrome, change
    numbers) of N articles written as captures, ingested into an archive and linked there in one
    run on two processes, as `wiretrace ingest` does (stories left out); time of each pass, peak
    memory, and one core's alignment rate.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from report import TreeMemory, write_section  # noqa: E402
from wiretrace import Archive  # noqa: E402

from wiretrace.link import align, candidates, classify, keys, REPRINT_TYPES  # noqa: E402
from wiretrace.link import lsh, minhash  # noqa: E402
from wiretrace.link.minhash import content_codepoints, gram_hashes  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "agora-news-sample"
OUT = ROOT / "bench" / "out"
WINDOW = dt.timedelta(days=3)
TYPES = ["duplicate", "reprint", "abridged", "expanded", "updated", "partial"]


# ---------------------------------------------------------------- inputs
def load_corpus() -> tuple[list[dict], str, str]:
    """The corpus as wiretrace sees it: read, extracted and normalized by
    ``Archive.ingest`` (no linking) into a temporary archive."""
    with tempfile.TemporaryDirectory() as tmp:
        archive = Archive(Path(tmp) / "bench.db")
        archive.ingest([str(p) for p in sorted(CORPUS.glob("2021-*"))], link=False)
        docs = []
        for art in archive.articles():
            stamp = art.published or ""
            date = dt.datetime.fromisoformat(stamp) if "T" in stamp else dt.datetime.fromisoformat(stamp + "T12:00:00+00:00")
            if date.tzinfo is None:
                date = date.replace(tzinfo=dt.timezone.utc)
            docs.append({"id": art.id, "name": Path(art.path).name, "title": art.title, "body": art.body,
                         "norm": archive.normalized(art.id), "outlet": art.outlet, "url": art.url,
                         "published": art.published, "date": date})
        archive.close()
    return docs, "wiretrace.extract (Archive.ingest)", "wiretrace.normalize.matching_form"


# ---------------------------------------------------------------- (1) accuracy
def verify(docs: list[dict], pairs) -> dict[tuple[int, int], tuple[str | None, object]]:
    out = {}
    for x, y in pairs:
        a, b = _ordered(docs, (x, y))
        al = align(a["body"], a["norm"], b["body"], b["norm"])
        out[(x, y)] = (classify(al, a, b), al)
    return out


def reference_pairs(docs: list[dict]) -> set[tuple[int, int]]:
    post = defaultdict(list)
    for i, d in enumerate(docs):
        for h in np.unique(gram_hashes(content_codepoints(d["norm"].text), 8)).tolist():
            post[h].append(i)
    pairs = set()
    for v in post.values():
        for x in range(len(v)):
            for y in range(x + 1, len(v)):
                pairs.add((v[x], v[y]))
    return {(x, y) for x, y in pairs if abs(docs[x]["date"] - docs[y]["date"]) <= WINDOW}


def section_accuracy(docs, lines, sample_path):
    t0 = time.perf_counter()
    ref_pairs = reference_pairs(docs)
    ref = verify(docs, sorted(ref_pairs))
    t_ref = time.perf_counter() - t0

    t0 = time.perf_counter()
    k = {i: keys(d["norm"].text) for i, d in enumerate(docs)}
    cand = candidates(k)
    t_keys = time.perf_counter() - t0
    cand_w = {p for p in cand if abs(docs[p[0]]["date"] - docs[p[1]]["date"]) <= WINDOW}
    t0 = time.perf_counter()
    found = verify(docs, sorted(cand_w))
    t_ver = time.perf_counter() - t0

    ref_rel = {p: r for p, (r, _) in ref.items() if r}
    got_rel = {p: r for p, (r, _) in found.items() if r}
    rows = [["relation", "reference pairs", "found", "recall", "precision"]]
    for t in TYPES + ["reprint-type"]:
        want = {p for p, r in ref_rel.items() if (r in REPRINT_TYPES if t == "reprint-type" else r == t)}
        got = {p for p, r in got_rel.items() if (r in REPRINT_TYPES if t == "reprint-type" else r == t)}
        tp = len(want & got)
        rows.append([t, len(want), len(got), _ratio(tp, len(want)), _ratio(tp, len(got))])
    lines += [
        "### Accuracy on the agora sample (2,687 posts)",
        "",
        f"Reference: {len(ref_pairs):,} pairs within 3 days sharing an exact 8-char shingle, all aligned "
        f"({t_ref:.0f} s). MinHash/LSH path: {len(cand):,} candidate pairs ({len(cand_w):,} within 3 days), "
        f"keys + candidates {t_keys:.1f} s, verification {t_ver:.1f} s.",
        "",
        *_table(rows),
        "",
    ]
    # the valley the thresholds sit in (relations.py)
    hist = Counter(min(int(max(al.a_in_b, al.b_in_a) * 20), 19) for _, al in ref.values())
    lines += ["max(a_in_b, b_in_a) over reference pairs (bins of 0.05, from 0.20):", "",
              "```", " ".join(f"{b / 20:.2f}:{hist[b]}" for b in range(4, 20)), "```", ""]

    rnd = random.Random(7)
    with open(sample_path, "w", encoding="utf-8") as f:
        found_list = sorted(p for p in got_rel if got_rel[p] in REPRINT_TYPES)
        f.write("# 50 random found reprint-type pairs\n\n")
        for p in rnd.sample(found_list, min(50, len(found_list))):
            _dump(f, docs, p, *found[p])
        near = sorted((p for p, (r, al) in ref.items() if r not in REPRINT_TYPES
                       and 0.45 <= max(al.a_in_b, al.b_in_a) < 0.6),
                      key=lambda p: -max(ref[p][1].a_in_b, ref[p][1].b_in_a))
        f.write("\n# 50 near-misses: reference pairs just below the reprint thresholds\n\n")
        for p in near[:50]:
            _dump(f, docs, p, *ref[p])
        missed = sorted(p for p, r in ref_rel.items() if r in REPRINT_TYPES and p not in got_rel)
        f.write("\n# reprint-type reference pairs the LSH path missed\n\n")
        for p in missed:
            _dump(f, docs, p, *ref[p])
    return ref, ref_rel


def _ordered(docs, p):
    """The pair as the classifier sees it: the earlier article first (date, then id)."""
    a, b = docs[p[0]], docs[p[1]]
    return (b, a) if (b["date"], b["id"]) < (a["date"], a["id"]) else (a, b)


def _dump(f, docs, p, rel, al):
    a, b = _ordered(docs, p)
    f.write(f"{rel}  a_in_b={al.a_in_b:.3f} b_in_a={al.b_in_a:.3f} numbers kept={al.numbers_kept} changed={al.numbers_changed}\n")
    f.write(f"  a: {a['name']} ({a['id']})\n  b: {b['name']} ({b['id']})\n")
    for s, e in al.only_a[:3]:
        f.write(f"  only a: {a['body'][s:e][:80]}\n")
    for s, e in al.only_b[:3]:
        f.write(f"  only b: {b['body'][s:e][:80]}\n")
    f.write("\n")


# ---------------------------------------------------------------- (2) speed
def section_speed(docs, ref_rel, lines):
    want = {p for p, r in ref_rel.items() if r in REPRINT_TYPES}
    texts = [d["norm"].text for d in docs]
    rows = [["system", "sketch + index s", "docs/s", "candidates", "recall (reprint-type)", "verify s"]]

    t0 = time.perf_counter()
    k = {i: keys(t) for i, t in enumerate(texts)}
    cand = candidates(k)
    t_w = time.perf_counter() - t0
    t0 = time.perf_counter()
    verify(docs, sorted(cand))
    t_wv = time.perf_counter() - t0
    rows.append(["wiretrace (bands + anchors)", f"{t_w:.2f}", f"{len(texts) / t_w:,.0f}", len(cand),
                 _ratio(len(want & cand), len(want)), f"{t_wv:.1f}"])

    t0 = time.perf_counter()
    sigs = {i: minhash.signature(t) for i, t in enumerate(texts)}
    bk = {i: lsh.band_keys(s) for i, s in sigs.items()}
    cand_b = candidates(bk)
    t_b = time.perf_counter() - t0
    rows.append(["wiretrace bands only", f"{t_b:.2f}", f"{len(texts) / t_b:,.0f}", len(cand_b),
                 _ratio(len(want & cand_b), len(want)), "-"])

    try:
        from datasketch import MinHash, MinHashLSH
    except ImportError:
        rows.append(["datasketch", "not installed", "", "", "", ""])
    else:
        thr = (1 / lsh.BANDS) ** (1 / lsh.ROWS)
        t0 = time.perf_counter()
        index = MinHashLSH(num_perm=minhash.NUM_PERM, params=(lsh.BANDS, lsh.ROWS))
        mhs = []
        for i, t in enumerate(texts):
            c = "".join(ch for ch in t if ch.isalnum())
            m = MinHash(num_perm=minhash.NUM_PERM)
            m.update_batch([c[j:j + minhash.SHINGLE_N].encode() for j in range(max(len(c) - minhash.SHINGLE_N + 1, 1))])
            index.insert(i, m)
            mhs.append(m)
        cand_d = set()
        for i, m in enumerate(mhs):
            for j in index.query(m):
                if j != i:
                    cand_d.add((min(i, j), max(i, j)))
        t_d = time.perf_counter() - t0
        rows.append([f"datasketch MinHash+MinHashLSH (32x4, thr~{thr:.2f})", f"{t_d:.2f}",
                     f"{len(texts) / t_d:,.0f}", len(cand_d), _ratio(len(want & cand_d), len(want)), "-"])
        rows.append(["speed-up wiretrace bands vs datasketch", f"{t_d / t_b:.1f}x", "", "", "", ""])
        rows.append(["speed-up wiretrace bands+anchors vs datasketch", f"{t_d / t_w:.1f}x", "", "", "", ""])
    rows.append(_text_dedup(texts, want, t_w))
    lines += ["### Speed on the same 2,687 texts (one run, same shingles/permutations/bands)", "",
              *_table(rows), ""]


def _text_dedup(texts: list[str], want: set, t_wiretrace: float) -> list:
    """text-dedup's MinHash dedup on the same texts, same n, permutations and bands.

    It pulls pyspark, datasets and onnxruntime and pins an older urllib3, so it
    lives in a venv of its own: ``python3 -m venv bench/.peers &&
    bench/.peers/bin/pip install text-dedup`` (or set TEXT_DEDUP_PYTHON). It runs
    as its own command, offline; its union-find (``--debug``) gives its clusters,
    and a reference pair counts as found when both texts share a cluster.
    Timed: the whole command (its own log's MinHashing + clustering is printed too).
    """
    import json
    import os
    import subprocess
    from math import comb

    python = os.environ.get("TEXT_DEDUP_PYTHON", str(ROOT / "bench" / ".peers" / "bin" / "python"))
    if not Path(python).exists():
        return ["text-dedup", f"not run: no {python} (see bench/link.py _text_dedup)", "", "", "", ""]
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "texts.jsonl"
        data.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts), encoding="utf-8")
        cmd = [python, "-m", "text_dedup.minhash", "--path", "json", "--data_files", str(data), "--split", "train",
               "--cache_dir", f"{tmp}/cache", "--output", f"{tmp}/out", "--column", "text", "--num_perm",
               str(minhash.NUM_PERM), "--ngram", str(minhash.SHINGLE_N), "--b", str(lsh.BANDS), "--r", str(lsh.ROWS),
               "--num_proc", "1", "--min_length", "1", "--debug"]
        t0 = time.perf_counter()
        run = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "HF_DATASETS_OFFLINE": "1"})
        t_td = time.perf_counter() - t0
        if run.returncode != 0:
            return ["text-dedup", f"failed: {run.stderr.strip().splitlines()[-1][:120]}", "", "", "", ""]
        roots = json.loads(subprocess.run(
            [python, "-c", "import pickle, json, sys; uf = pickle.load(open(sys.argv[1], 'rb')); "
             "print(json.dumps({int(k): int(uf.find(k)) for k in list(uf.parent)}))", f"{tmp}/out/uf.pkl"],
            capture_output=True, text=True, check=True).stdout)
    # its own timer: the hashing and clustering alone, without start-up and I/O
    own = sum(float(m) for m in re.findall(r"(?:MinHashing|Clustering)\s*:\s*([\d.]+)s", run.stdout + run.stderr))
    roots = {int(k): v for k, v in roots.items()}  # JSON object keys come back as strings
    root = {i: roots.get(i, i) for i in range(len(texts))}
    sizes = Counter(root.values())
    found = {p for p in want if root[p[0]] == root[p[1]]}
    pairs = sum(comb(k, 2) for k in sizes.values())
    return [f"text-dedup MinHash (whole command; n={minhash.SHINGLE_N}, {lsh.BANDS}x{lsh.ROWS})", f"{t_td:.2f}",
            f"{len(texts) / t_td:,.0f}", pairs, _ratio(len(found), len(want)),
            (f"- (its own MinHashing + Clustering timer: {own:.2f} s, {len(texts) / own:,.0f} docs/s; "
             f"wiretrace bands + anchors: {own / t_wiretrace:.1f}x that rate)") if own else "-"]


# ---------------------------------------------------------------- (3) scale
_DIGITS = re.compile(r"\d+")


# Copies per story in the synthetic corpus: most stories are told once, some are reprinted a few
# times, a few by many outlets. The sample itself: 2,687 articles, 209 reprint clusters holding
# ~600 of them, the largest 23. (copies, share of stories)
COPIES = [(1, 0.75), (2, 0.13), (3, 0.06), (5, 0.04), (12, 0.015), (40, 0.005)]


def synth(docs: list[dict], n: int, seed: int = 1) -> list[str]:
    """n matching forms grouped in synthetic stories. Each story is a NEW text: a real body whose
    characters are shuffled within each sentence by the story's own seed (the character
    statistics of real Chinese news, but no n-gram shared with other stories beyond chance);
    its copies are edited as reprints are (abridge, reorder, split paragraphs, convert script,
    change numbers, add chrome). So candidates and relations grow as they would in a real
    archive, instead of every article being a copy of one of the sample's 2,687."""
    import opencc

    s2t = opencc.OpenCC("s2t.json")
    rnd = random.Random(seed)
    bases = [d["norm"].text for d in docs if len(d["norm"].text) > 200]
    chrome = ["【版权声明】凡本网注明来源的作品，转载时须获得授权并注明来源，违者将追究法律责任。",
              "责任编辑：王明 本文来源：综合报道 点击查看更多新闻",
              "扫描二维码关注我们的公众号，获取更多资讯。"]
    sizes, weights = zip(*COPIES)
    out: list[str] = []
    while len(out) < n:
        story = rnd.choice(bases).split("\n")
        story = ["".join(rnd.sample(p, len(p))) for p in story]  # a new text
        for _ in range(min(rnd.choices(sizes, weights)[0], n - len(out))):
            paras = list(story)
            op = rnd.random()
            if op < 0.2:
                paras = paras[: max(1, len(paras) * 2 // 3)]  # abridge
            elif op < 0.35:
                rnd.shuffle(paras)  # reorder
            elif op < 0.5:
                paras = [q for p in paras for q in (p[: len(p) // 2], p[len(p) // 2:])]  # split
            elif op < 0.6:
                paras = [s2t.convert(p) for p in paras]  # script (as a raw, unnormalised copy)
            elif op < 0.75:
                paras = [_DIGITS.sub(lambda m: str(int(m.group()) + 1), p) for p in paras]  # numbers
            if rnd.random() < 0.5:
                paras.append(rnd.choice(chrome))
            out.append("\n".join(paras))
    return out


def write_synthetic(texts: list[str], folder: Path, per_file: int = 1000) -> list[str]:
    """JSON Lines captures: one record per text, 1,000 a file, ten outlets, one week."""
    rnd = random.Random(11)
    outlets = [f"outlet{k}" for k in range(10)]
    start = dt.datetime(2021, 1, 4, tzinfo=dt.timezone.utc)
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for f in range(0, len(texts), per_file):
        path = folder / f"synth-{f // per_file:05d}.jsonl"
        with open(path, "w", encoding="utf-8") as out:
            for i in range(f, min(f + per_file, len(texts))):
                outlet = rnd.choice(outlets)
                when = start + dt.timedelta(minutes=rnd.randrange(7 * 24 * 60))
                paras = [p for p in texts[i].split("\n") if p.strip()]
                out.write(json.dumps({
                    "id": f"s{i:07d}", "title": (paras[0] if paras else "")[:24], "outlet": outlet,
                    "url": f"https://{outlet}.example/{i}", "published": when.isoformat(),
                    "body": "\n\n".join(paras),
                }, ensure_ascii=False) + "\n")
        files.append(str(path))
    return files


# The run a user's `wiretrace ingest` makes, in a fresh process (so its memory is its own): store,
# extract and link on two processes, the keys made at extraction handed to the link in memory.
# Stories are left out (stories=False): their event features take hours at 1M (docs/stories.md).
# With --no-search the search index is left out too (`ingest --no-search`) and built afterwards,
# in a process of its own (`wiretrace index`), timed apart.
# A progress object notes when each pass starts, which splits the one run into its passes.
_INGEST = """
import glob, json, sys, time
from wiretrace import Archive
from wiretrace.progress import Quiet

class Passes(Quiet):
    def __init__(self):
        self.t0, self.at = time.perf_counter(), {}
    def start(self, label, total):
        self.at.setdefault(label, time.perf_counter() - self.t0)

passes = Passes()
files = sorted(glob.glob(sys.argv[2] + '/*.jsonl'))
done = Archive(sys.argv[1]).ingest(files, stories=False, search=sys.argv[3] == 'search', jobs=2, progress=passes)
print(json.dumps({'at': passes.at, 'end': time.perf_counter() - passes.t0, 'link': done.link.to_dict()}))
"""
_INDEX = """
import sys
from wiretrace import Archive
print(Archive(sys.argv[1]).build_search())
"""


def _machine_counters() -> tuple[float, int]:
    """CPU seconds busy (user, nice, system) on the whole machine, and bytes read from its disks.

    Machine-wide, not the stage's process tree: the tree's workers are children of
    multiprocessing's fork server, not of the stage's process, so this process's
    ``getrusage(RUSAGE_CHILDREN)`` is not sure to count them. The stage is the only work the
    bench runs meanwhile. The reads tell a run whose archive stayed in the page cache from one whose
    archive was read back from the disk, which the alignment control cannot."""
    import os

    busy = sum(int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:4])
    pgpgin = next(int(line.split()[1]) for line in Path("/proc/vmstat").read_text().splitlines()
                  if line.startswith("pgpgin "))
    return busy / os.sysconf("SC_CLK_TCK"), pgpgin * 1024  # pgpgin counts KiB


def _stage(code: str, *args: str) -> tuple[float, TreeMemory, str, tuple[float, int]]:
    """Run ``code`` in a child process: wall seconds, its peak memory, its stdout, and the
    machine's busy CPU seconds and disk bytes read while it ran."""
    t0, (cpu0, read0) = time.perf_counter(), _machine_counters()
    child = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, text=True)
    with TreeMemory(child.pid) as mem:
        out, _ = child.communicate()
    if child.returncode:
        sys.exit(f"stage failed ({child.returncode}): {code.splitlines()[-1]}")
    cpu1, read1 = _machine_counters()
    return time.perf_counter() - t0, mem, out, (cpu1 - cpu0, read1 - read0)


def _archive_bytes(folder: str) -> int:
    """The scale run's archive with its WAL and shared-memory files."""
    return sum(f.stat().st_size for f in Path(folder).glob("scale.db*"))


def section_scale(docs, sizes, lines, keep: Path | None = None, search: bool = True):
    """Per N: the synthetic corpus written as JSON Lines captures, ingested into an archive
    and linked there in one process as a user's `wiretrace ingest` (2 processes), timed pass by
    pass with the peak memory of its process tree; and the alignment rate of one core on
    2,000 sampled related pairs (the link verifies every candidate pair). ``search=False``:
    as `wiretrace ingest --no-search`, then the index built by `wiretrace index`, timed apart."""
    rows = [["N", "ingest and link s (articles/s)", "store s", "extract s", "link s",
             "CPU busy s: machine (ms an article)", "disk read MB", "peak RSS MB: main / all",
             "candidate pairs", "relations", "link: pairs/s",
             "align pairs/s, 1 core", "archive MB"]]
    if not search:
        rows[0] += ["index later s", "archive MB after"]
    if keep:  # a folder named on the command line may not exist yet
        Path(keep).mkdir(parents=True, exist_ok=True)
    for n in sizes:
        with tempfile.TemporaryDirectory(dir=keep) as tmp:
            write_synthetic(synth(docs, n), Path(tmp) / "captures")
            db = str(Path(tmp) / "scale.db")
            t_run, mem, out, (cpu, read) = _stage(_INGEST, db, str(Path(tmp) / "captures"),
                                                  "search" if search else "none")
            got = json.loads(out.strip().splitlines()[-1])
            at, link = got["at"], got["link"]
            t_link = got["end"] - at["linking"]
            size = _archive_bytes(tmp)
            if not search:
                t_index, _, indexed, _ = _stage(_INDEX, db)
                assert int(indexed) == n, indexed  # every article waited for the index
                later = [f"{t_index:.1f}", f"{_archive_bytes(tmp) / 2**20:,.0f}"]
            archive = Archive(db)
            pairs = [(r["a"], r["b"]) for r in archive.db.execute("SELECT a, b FROM relation")]
            sample = random.Random(3).sample(pairs, min(2000, len(pairs)))
            forms = {i: archive.normalized(i) for p in sample for i in p}
            bodies = {i: archive.article(i).body for i in forms}
            if sample:  # load the compiled loops before the clock starts
                align(bodies[sample[0][0]], forms[sample[0][0]], bodies[sample[0][1]], forms[sample[0][1]])
            t0 = time.perf_counter()
            for x, y in sample:
                align(bodies[x], forms[x], bodies[y], forms[y])
            t_v = time.perf_counter() - t0
            archive.close()
        rows.append([f"{n:,}", f"{t_run:.1f} ({n / t_run:,.0f})", f"{at['extracting'] - at['reading']:.1f}",
                     f"{at['linking'] - at['extracting']:.1f}", f"{t_link:.1f}",
                     f"{cpu:,.0f} ({cpu / n * 1000:.2f})", f"{read / 2**20:,.0f}",
                     f"{mem.own / 2**20:,.0f} / {mem.tree / 2**20:,.0f}", f"{link['candidates']:,}",
                     f"{link['relations']:,}", f"{link['candidates'] / t_link:,.0f}",
                     f"{len(sample) / t_v:,.0f}" if sample else "-", f"{size / 2**20:,.0f}",
                     *([] if search else later)])
        print(rows[-1], flush=True)
    lines += ["### Scale (synthetic corpus: new texts with the sample's reprint structure)"
              + ("" if search else ", without the search index"), "",
              "Each N: the captures (JSON Lines) ingested and linked by one `Archive.ingest(jobs=2, "
              f"stories=False{'' if search else ', search=False'})` in a fresh process, as "
              f"`wiretrace ingest{'' if search else ' --no-search'}` runs them but for the stories; "
              "the passes timed from its progress reports (the total includes starting Python); peak RSS "
              "of that process (main) and of it with its workers (all), sampled from /proc; the CPU seconds "
              "the machine was busy (user and system, both cores) and the bytes it read from its disks "
              "while the run lasted, from /proc/stat and /proc/vmstat. The alignment "
              "column is one core on 2,000 relations sampled from the result, each article split afresh."
              + ("" if search else " The search index is then built in a process of its own "
                 "(`Archive.build_search`, as `wiretrace index`): the index later column, and the archive's "
                 "size after it."), "",
              *_table(rows), ""]


# ---------------------------------------------------------------- output
def _ratio(x: int, y: int) -> str:
    return f"{x / y:.3f} ({x}/{y})" if y else "-"


def _table(rows: list[list]) -> list[str]:
    out = ["| " + " | ".join(map(str, rows[0])) + " |", "|" + " --- |" * len(rows[0])]
    out += ["| " + " | ".join(map(str, r)) + " |" for r in rows[1:]]
    return out


def write_doc(head: list[str], lines: list[str], scale: list[str], search: bool = True) -> None:
    """Accuracy and speed go to the ``link`` section, scale to ``link-scale`` (or
    ``link-scale-no-search``): a scale run (1M takes most of an hour) must not wipe the
    accuracy tables, nor the reverse, nor one kind of scale run the other."""
    if lines:
        write_section("link", "\n".join(["## Linking", "", *head, *lines]))
    if scale:
        write_section("link-scale" if search else "link-scale-no-search", "\n".join([*head, *scale]))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--section", action="append", choices=["accuracy", "speed", "scale"])
    ap.add_argument("--scale", action="append", type=int, help="synthetic corpus size (repeatable)")
    ap.add_argument("--keep", type=Path, help="scale: write the captures and archive under this folder "
                    "(default: the system's temporary folder)")
    ap.add_argument("--no-search", action="store_true", help="scale: ingest without the search index "
                    "(`ingest --no-search`), then build it apart (`wiretrace index`)")
    ap.add_argument("--no-doc", action="store_true", help="do not rewrite docs/BENCHMARKS.md")
    args = ap.parse_args(argv)
    sections = args.section or ["accuracy", "speed", "scale"]
    if not CORPUS.exists():
        sys.exit(f"corpus not found at {CORPUS}")
    OUT.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    docs, ext_name, norm_name = load_corpus()
    head = [f"`{' '.join(['bench/link.py'] + (argv or sys.argv[1:]))}` — {dt.date.today()}; "
            f"extraction: {ext_name}; normalization: {norm_name}; "
            f"n={minhash.SHINGLE_N}, {minhash.NUM_PERM} permutations, {lsh.BANDS}x{lsh.ROWS} bands, "
            f"anchors {lsh.ANCHOR_N}-grams / window {lsh.ANCHOR_WINDOW}, >= {lsh.MIN_SHARED_ANCHORS} shared, "
            f"postings cap {lsh.MAX_POSTINGS}.", ""]
    lines: list[str] = []
    scale: list[str] = []
    ref_rel = None
    if "accuracy" in sections or "speed" in sections:
        _, ref_rel = section_accuracy(docs, lines, OUT / "link_sample.txt")
        if "accuracy" not in sections:
            lines.clear()
    if "speed" in sections:
        section_speed(docs, ref_rel, lines)
    if "scale" in sections:
        section_scale(docs, args.scale or [10_000], scale, args.keep, search=not args.no_search)
    print("\n".join([*head, *lines, *scale]))
    print(f"total {time.perf_counter() - t0:.0f} s")
    if not args.no_doc:
        write_doc(head, lines, scale, search=not args.no_search)


if __name__ == "__main__":
    main()
