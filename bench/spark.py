"""Benchmark of the Spark engine against the local engine, and an estimate for 100M articles.

    .venv/bin/python bench/spark.py                         # sample + synthetic 100k (about 25 min on 2 cores)
    .venv/bin/python bench/spark.py --section sample
    .venv/bin/python bench/spark.py --section synthetic --synthetic 20000 --no-doc

Prints tables, asserts nothing, and rewrites its own section of docs/BENCHMARKS.md
(between <!-- spark:start --> and <!-- spark:end -->).

(1) sample: the corpus sample plus the seeds, end to end: the local engine
    (`Archive.ingest(jobs=2)` then `link()`) beside `ingest_job` on Spark local[2]
    and its import; the two archives must be equal (relations, clusters).
(2) synthetic: bench/link.py's synthetic corpus (``synth``: new texts with the
    sample's reprint structure, each copy abridged, reordered, split,
    script-converted, renumbered or given chrome) as JSON Lines captures. Both
    engines read and extract all of it; both compute keys and candidates for all of
    it (the local engine's stage functions in one process, as bench/link.py does);
    verification is timed on sampled candidate pairs (verifying all of them takes
    hours on 2 cores).
(3) estimate: per-core rates and bytes per article measured on Spark local[2]
    scaled to 100M articles on 50 executors of 4 cores, with the arithmetic.
Shuffle bytes come from Spark's status store; memory is the peak RSS of the
JVM and of each Python worker, sampled from /proc every 0.2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from report import ProcSampler, machine, table, write_section  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "agora-news-sample"
SEEDS = ROOT.parent / "shared" / "seeds"
OUT = ROOT / "bench" / "out"
VERIFY_SAMPLE = 2000  # pairs the local engine verifies
SPARK_VERIFY_SAMPLE = 10_000  # pairs Spark verifies: more, so the job's fixed cost (the article joins) is amortised
TARGET_ARTICLES = 100_000_000
EXECUTORS, CORES = 50, 4


# ---------------------------------------------------------------- measuring
class Memory(ProcSampler):
    """Peak RSS of the Spark JVM and of the Python workers."""

    def __init__(self) -> None:
        super().__init__()
        self.jvm = 0
        self.worker = 0

    def take(self, procs) -> None:
        for p in procs:
            if b"org.apache.spark.deploy.SparkSubmit" in p.cmdline:
                self.jvm = max(self.jvm, p.rss)
            elif b"pyspark.daemon" in p.cmdline or b"pyspark.worker" in p.cmdline:
                self.worker = max(self.worker, p.rss)


def shuffle_bytes(spark) -> int:
    from wiretrace.spark.metrics import totals

    got = totals(spark)
    return got[1] if got else 0


def mb(n: float) -> str:
    return f"{n / 1e6:,.1f}"


# ---------------------------------------------------------------- (1) the sample
def sample_paths() -> list[str]:
    seeds = SEEDS if SEEDS.is_dir() else ROOT / "examples" / "captures"
    return [str(p) for p in sorted(CORPUS.glob("2021-*"))] + \
        [str(seeds / n) for n in ("000_e6308b167f0f33d2.txt", "001_d7cc57b77e33e5f1.txt")]


def section_sample(spark, tmp: Path, lines: list[str], facts: dict) -> None:
    from wiretrace import Archive
    from wiretrace.spark import ingest_job

    paths = sample_paths()
    local = Archive(tmp / "local.db")
    t0 = time.perf_counter()
    ing = local.ingest(paths, link=False, jobs=2)
    t_ingest = time.perf_counter() - t0
    t0 = time.perf_counter()
    lk = local.link()
    t_link = time.perf_counter() - t0

    out = tmp / "sample-out"
    with Memory() as mem:
        before = shuffle_bytes(spark)
        t0 = time.perf_counter()
        manifest = ingest_job(paths, str(out), spark=spark)
        t_spark = time.perf_counter() - t0
        shuffled = shuffle_bytes(spark) - before
    t0 = time.perf_counter()
    imported = Archive(tmp / "spark.db")
    imported.import_spark(out)
    t_import = time.perf_counter() - t0

    same_rel = {(r["a"], r["b"], r["relation"], r["a_in_b"], r["b_in_a"], json.dumps(r["evidence"]))
                for r in imported.relations()} == \
        {(r["a"], r["b"], r["relation"], r["a_in_b"], r["b_in_a"], json.dumps(r["evidence"])) for r in local.relations()}
    same_clusters = imported.clusters() == local.clusters()
    sec = manifest["seconds"]
    n = len(paths)
    rows = [
        ["read + store / read", f"{t_ingest:.1f} (read, store, extract)", f"{sec['read']:.1f}"],
        ["templates + extract + normalize", "(in the cell above)", f"{sec['templates'] + sec['extract']:.1f}"],
        ["keys", "-", f"{sec['keys']:.1f}"],
        ["candidates", "-", f"{sec['candidates']:.1f}"],
        ["verify", "-", f"{sec['verify']:.1f}"],
        ["clusters + write", "-", f"{sec['clusters'] + sec['write']:.1f}"],
        ["link (all of it)", f"{t_link:.1f}", f"{sum(sec[k] for k in ('keys', 'candidates', 'verify', 'clusters', 'write')):.1f}"],
        ["total", f"{t_ingest + t_link:.1f}", f"{t_spark:.1f} (+ import {t_import:.1f})"],
        ["articles/s", f"{n / (t_ingest + t_link):.0f}", f"{n / t_spark:.0f}"],
    ]
    lines += [
        "### The corpus sample plus the seeds, end to end",
        "",
        f"{n:,} captures. Local: `Archive.ingest(jobs=2, link=False)` then `link()`. Spark: "
        f"`ingest_job` on local[2] (session already started), then `Archive.import_spark`. Candidates "
        f"{lk.candidates:,} / {manifest['link']['candidates']:,}, relations {lk.relations:,} / "
        f"{manifest['tables']['relations']:,}, clusters {lk.clusters} / {manifest['link']['clusters']}. "
        f"Imported archive equal to the local one: relations {'yes' if same_rel else 'NO'}, clusters "
        f"{'yes' if same_clusters else 'NO'}.",
        "",
        table(["stage", "local engine s", "Spark local[2] s"], rows),
        "",
        f"Spark shuffled {mb(shuffled)} MB; peak RSS: JVM {mb(mem.jvm)} MB, a Python worker {mb(mem.worker)} MB.",
        "",
    ]
    facts["sample"] = {"articles": n, "candidates": manifest["link"]["candidates"], "seconds": sec,
                       "relations": manifest["tables"]["relations"], "ingested": ing.ingested}
    print("\n".join(lines[-8:]), flush=True)


# ---------------------------------------------------------------- (2) synthetic
def local_link_steps(archive, pairs_sample_seed: int = 3) -> dict:
    """The local engine's link stage functions over the whole archive, in one process."""
    from wiretrace import link
    from wiretrace.linking import relate_pair

    ids = [a.id for a in archive.articles()]
    t_keys = 0.0
    keys = {}
    for i in ids:  # the forms are read one at a time: at 1M all of them would hold gigabytes
        form = archive.normalized(i).text
        t0 = time.perf_counter()
        keys[i] = link.signature_and_keys(form)[1]
        t_keys += time.perf_counter() - t0
    t0 = time.perf_counter()
    cand = link.candidates(keys)
    t_cand = time.perf_counter() - t0
    sample = random.Random(pairs_sample_seed).sample(sorted(cand), min(VERIFY_SAMPLE, len(cand)))
    t0 = time.perf_counter()
    for x, y in sample:
        relate_pair(archive, x, y)
    t_ver = time.perf_counter() - t0
    return {"keys": t_keys, "candidates": t_cand, "pairs": len(cand), "verify": t_ver, "sample": len(sample),
            "postings": int(sum(len(k) for k in keys.values()))}


def spark_link_steps(spark, articles) -> tuple[dict, object]:
    """The Spark link job's steps over ``articles``, verification on a sample of pairs."""
    from pyspark.sql import functions as F

    from wiretrace.spark import link as L
    from wiretrace.spark.metrics import Clock

    steps = Clock(spark)
    made = L.tables(spark, articles)
    steps.lap("keys")
    n_pairs = made["_pairs"].count()
    steps.lap("candidates")
    docs = made["_docs"]
    postings = docs.select(F.sum(F.size("keys"))).first()[0]
    body = with_body = L.with_normalized(articles)
    body = with_body.join(docs.select("idx", "id"), "id")
    side = lambda s: body.select(*(F.col(c).alias(f"{s}_{c}") for c in ["idx", *L.ARTICLE]))  # noqa: E731
    fraction = min(1.0, SPARK_VERIFY_SAMPLE / max(1, n_pairs))
    sample = made["_pairs"].sample(fraction=fraction, seed=3)
    joined = sample.join(side("x"), F.col("x") == F.col("x_idx")).join(side("y"), F.col("y") == F.col("y_idx"))
    verified = joined.select(*(f"{s}_{c}" for s in "xy" for c in L.ARTICLE)).mapInArrow(L.verify_pairs, L.RELATIONS.ddl)
    n_rel = verified.count()
    n_sample = sample.count()
    steps.lap("verify (sample)")
    made["_pairs"].unpersist()
    made["_docs"].unpersist()
    return {"pairs": n_pairs, "sample": n_sample, "relations_in_sample": n_rel, "postings": postings}, steps


def section_synthetic(spark, tmp: Path, n: int, lines: list[str], facts: dict, *,
                      run_local: bool = True, reuse: Path | None = None) -> None:
    import link as link_bench  # bench/link.py: the synthetic corpus

    from wiretrace import Archive
    from wiretrace.spark import ingest_job

    if reuse is not None:  # files an earlier run wrote with --keep-files
        files = sorted(str(p) for p in reuse.glob("synth-*.jsonl"))
        if len(files) != -(-n // 1000):
            sys.exit(f"{reuse} holds {len(files)} files, not the {-(-n // 1000)} of {n:,} articles")
    else:
        docs, _, _ = link_bench.load_corpus()
        texts = link_bench.synth(docs, n)
        files = link_bench.write_synthetic(texts, tmp / f"synth-{n}")
        del texts  # ~1.5 GB at 1M; the engines read the files
    size = sum(os.path.getsize(f) for f in files)

    t_local_ingest, loc = None, None
    if run_local:
        local = Archive(tmp / f"synth-{n}.db")
        t0 = time.perf_counter()
        local.ingest(files, link=False, jobs=2)
        t_local_ingest = time.perf_counter() - t0
        loc = local_link_steps(local)

    out = tmp / f"synth-{n}-out"
    with Memory() as mem:
        manifest = ingest_job(files, str(out), spark=spark, link=False, partitions=max(2, len(files)))
        articles = spark.read.parquet(str(out / "articles"))
        got, steps = spark_link_steps(spark, articles)
    sec, task, shuf = manifest["seconds"], manifest.get("task_seconds", {}), manifest.get("shuffle_bytes", {})
    for name in steps.laps:
        sec[name], task[name], shuf[name] = steps.laps[name], steps.tasks.get(name, 0.0), steps.shuffle.get(name, 0)
    sec["extract"] += sec.pop("templates")
    task["extract"] += task.pop("templates")
    shuf["extract"] += shuf.pop("templates")

    def spark_cells(name: str, items: int, unit: str) -> list[str]:
        return [f"{sec[name]:.1f}", f"{task[name]:.1f} ({items / task[name]:,.0f} {unit}/s)", mb(shuf[name])]

    rows = [
        ["read (+ store)", f"{t_local_ingest:.1f} (read, store, extract)" if loc else "not run",
         *spark_cells("read", n, "articles")],
        ["templates + extract + normalize", "(in the cell above)" if loc else "not run",
         *spark_cells("extract", n, "articles")],
        ["keys", f"{loc['keys']:.1f} ({n / loc['keys']:,.0f} articles/s)" if loc else "not run",
         *spark_cells("keys", n, "articles")],
        ["candidates", f"{loc['candidates']:.1f} ({loc['pairs']:,} pairs)" if loc else "not run",
         *spark_cells("candidates", got["pairs"], "pairs")],
        ["verify sampled pairs",
         f"{loc['verify']:.1f} for {loc['sample']:,} ({loc['sample'] / loc['verify']:,.0f} pairs/s)" if loc else "not run",
         *spark_cells("verify (sample)", got["sample"], "pairs")],
    ]
    one_core = (loc["sample"] / loc["verify"]) if loc else got["sample"] / task["verify (sample)"]
    lines += [
        f"### Synthetic corpus, {n:,} articles",
        "",
        f"bench/link.py's generator, written as {len(files)} JSON Lines files ({mb(size)} MB). "
        + ("Local: `Archive.ingest(jobs=2, link=False)`, then the link stage functions in one process "
           "(one candidates call over all articles: no archive batches). " if loc else
           "The local engine was not run (`--no-local`). ")
        + f"Spark: `ingest_job(link=False)` "
        f"on local[2], then the link job's steps; verification of pairs sampled from the candidates "
        f"({(str(loc['sample']) + ' local, ') if loc else ''}~{SPARK_VERIFY_SAMPLE:,} Spark, whose step has a "
        f"fixed cost: both article joins), because verifying all {got['pairs']:,} would take "
        f"{got['pairs'] / one_core / 3600:.1f} h on one core. Candidates: "
        + (f"{loc['pairs']:,} local, " if loc else "")
        + f"{got['pairs']:,} Spark (one stop-key rule: a key held by more than 100 "
        "articles in all pairs nobody, in either engine).",
        "",
        table(["stage", "local engine s", "Spark local[2] s", "Spark task s (one core each)", "Spark shuffle MB"], rows),
        "",
        f"Spark's verification row holds {got['sample']:,} pairs ({got['relations_in_sample']:,} "
        "relations); its task seconds include both article joins, a fixed cost the sample does not amortise, so "
        "its pairs/s is a lower bound.",
        "",
        f"Postings: {got['postings']:,} ({got['postings'] / n:.0f} keys an article). Peak RSS: JVM "
        f"{mb(mem.jvm)} MB, a Python worker {mb(mem.worker)} MB.",
        "",
    ]
    facts["synthetic"] = {
        "n": n, "bytes": size, "task": task, "shuffle": shuf, "sample": got["sample"], "pairs": got["pairs"],
        "postings": got["postings"], "jvm": mem.jvm, "worker": mem.worker,
        # the verify step shuffles every article twice (once per side of the pair join)
        "article_shuffle": shuf["verify (sample)"] / (2 * n),
    }
    print("\n".join(lines[-8:]), flush=True)


# ---------------------------------------------------------------- (3) estimate
def section_estimate(lines: list[str], facts: dict) -> None:
    s = facts.get("synthetic")
    if not s:
        return
    n, N = s["n"], TARGET_ARTICLES
    total_cores = EXECUTORS * CORES
    task = s["task"]
    # per-core rates: items per task second (a task holds one core), measured on local[2]
    r_read = n / task["read"]
    r_extract = n / task["extract"]
    r_keys = n / task["keys"]
    r_pairs_cand = s["pairs"] / task["candidates"]
    r_verify = s["sample"] / task["verify (sample)"]
    sample_cpd = facts.get("sample", {}).get("candidates", 16751) / facts.get("sample", {}).get("articles", 2689)
    synth_cpd = s["pairs"] / n
    pairs_real = N * sample_cpd
    t = {
        "read": N / r_read / total_cores,
        "extract": N / r_extract / total_cores,
        "keys": N / r_keys / total_cores,
        "candidates": pairs_real / r_pairs_cand / total_cores,
        "verify": pairs_real / r_verify / total_cores,
    }
    total_h = sum(t.values()) / 3600
    keys_per_doc = s["postings"] / n
    # keys joined to the integer ids: broadcast on this machine, a shuffle of every article's keys and
    # signature at scale (8 B a key, 512 B a signature, ~40 B of id and ranks)
    keyed_bytes = 8 * s["postings"] / n + 512 + 40
    shuffle_postings = N * keyed_bytes
    # postings (per article) and (key, x, y) rows (per pair and shared key): scaled per article, an upper
    # bound, as the synthetic corpus has ~7x the pairs an article of real news
    shuffle_cand = N * s["shuffle"]["candidates"] / n
    # join 1 shuffles the articles and the pairs; join 2 the articles again and each pair with its x article
    shuffle_verify = N * (2 + sample_cpd) * s["article_shuffle"]
    input_bytes = N * s["bytes"] / n
    lines += [
        f"### Estimate: {N // 1_000_000}M articles on {EXECUTORS} executors x {CORES} cores",
        "",
        "Per-core rates are items per task second in the synthetic run (a task holds one core; the machine was",
        "shared with other work, so they are lower bounds), assuming a cluster core is as fast;",
        "candidates per article from the real sample (the synthetic corpus",
        f"has {synth_cpd:.1f}; real news {sample_cpd:.1f}):",
        "",
        "```",
        f"read        {N:.0e} / {r_read:,.0f} articles/s/core / {total_cores} cores = {t['read'] / 60:,.0f} min",
        f"extract     {N:.0e} / {r_extract:,.0f} articles/s/core / {total_cores} cores = {t['extract'] / 60:,.0f} min",
        f"keys        {N:.0e} / {r_keys:,.0f} articles/s/core / {total_cores} cores = {t['keys'] / 60:,.0f} min",
        f"candidates  {N:.0e} x {sample_cpd:.1f} pairs = {pairs_real:.2e} pairs / {r_pairs_cand:,.0f} pairs/s/core "
        f"/ {total_cores} = {t['candidates'] / 60:,.0f} min",
        f"verify      {pairs_real:.2e} pairs / {r_verify:,.0f} pairs/s/core / {total_cores} cores = "
        f"{t['verify'] / 60:,.0f} min",
        f"total       {total_h:,.1f} h of task time, plus scheduling and stragglers: plan for {total_h * 1.5:,.1f} h",
        "",
        f"input       {N:.0e} x {s['bytes'] / n:,.0f} B = {input_bytes / 1e12:,.2f} TB of captures "
        "(raw WARCs are ~10x larger; read time scales with bytes)",
        f"shuffle     keys joined to integer ids: {N:.0e} x (8 x {s['postings'] / n:.0f} keys + 552) B = "
        f"{shuffle_postings / 1e12:,.2f} TB, uncompressed "
        f"({keys_per_doc:.0f} keys an article)",
        f"            postings and candidate rows: at most {N:.0e} x {s['shuffle']['candidates'] / n:,.0f} B = "
        f"{shuffle_cand / 1e12:,.2f} TB",
        f"            verification joins: {N:.0e} x (2 + {sample_cpd:.1f}) x {s['article_shuffle']:,.0f} B an "
        f"article (compressed, measured) = {shuffle_verify / 1e12:,.2f} TB",
        f"            total ~{(shuffle_postings + shuffle_cand + shuffle_verify) / 1e12:,.1f} TB, "
        f"{(shuffle_postings + shuffle_cand + shuffle_verify) / EXECUTORS / 1e9:,.0f} GB of local disk an executor",
        f"memory      Python: {CORES} workers x {mb(s['worker'])} MB peak = {CORES * s['worker'] / 1e9:.1f} GB "
        "(memoryOverhead, with 2x headroom for large pages: 6 GB)",
        f"            JVM: sorts and joins spill; shuffle partitions of ~150 MB -> "
        f"{max(shuffle_postings, shuffle_cand, shuffle_verify / 2) / 150e6:,.0f} shuffle partitions for the "
        "largest step; 8-12 GB heap an executor",
        "```",
        "",
        "Where this can go wrong: a corpus with much more shared text than news (mirrors, boilerplate-heavy",
        "crawls) has more candidate pairs an article, and verification time and the join shuffle grow with",
        "them (the synthetic corpus's rate would make verification "
        f"{N * synth_cpd / r_verify / total_cores / 3600:,.0f} h); keys held by more than 100 articles cost",
        "shuffle but no pairs. Python rates assume the cluster's cores match this machine's.",
        "",
    ]
    print("\n".join(lines[-30:]), flush=True)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--section", action="append", choices=["sample", "synthetic"])
    ap.add_argument("--synthetic", type=int, default=100_000, help="synthetic corpus size (default 100,000)")
    ap.add_argument("--no-local", action="store_true",
                    help="synthetic: Spark only (the local engine's 1M ingest into SQLite takes over an hour)")
    ap.add_argument("--files", type=Path, help="synthetic: reuse the JSON Lines files of an earlier run in this folder")
    ap.add_argument("--driver-memory", default="4g",
                    help="JVM heap of local mode's single driver-executor (4g ran out reading 1M captures)")
    ap.add_argument("--no-doc", action="store_true", help="do not rewrite docs/BENCHMARKS.md")
    args = ap.parse_args(argv)
    sections = args.section or ["sample", "synthetic"]
    if not CORPUS.exists():
        sys.exit(f"corpus not found at {CORPUS}")
    from wiretrace.spark.session import session

    OUT.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="spark-bench-", dir=OUT))
    t0 = time.perf_counter()
    spark = session("local[2]", driver_memory=args.driver_memory, conf={"spark.ui.retainedStages": 100000, "spark.ui.retainedJobs": 100000})
    t_session = time.perf_counter() - t0
    spark.range(10).mapInArrow(lambda it: it, "id long").count()  # start the Python workers once
    head = [f"`bench/spark.py {' '.join(argv if argv is not None else sys.argv[1:])}` — {machine()}; "
            f"PySpark {spark.version}, local[2], driver memory {args.driver_memory}; session start {t_session:.0f} s "
            "(not in the tables).", ""]
    facts: dict = {}
    sample: list[str] = []
    synthetic: list[str] = []
    try:
        if "sample" in sections:
            section_sample(spark, tmp, sample, facts)
        if "synthetic" in sections:
            section_synthetic(spark, tmp, args.synthetic, synthetic, facts,
                              run_local=not args.no_local, reuse=args.files)
            section_estimate(synthetic, facts)
    finally:
        spark.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print("\n".join([*head, *sample, *synthetic]))
    print(f"total {time.perf_counter() - t0:.0f} s")
    # the sample and the synthetic corpus are separate sections: a 1M run must not wipe the sample's
    if not args.no_doc and sample:
        write_section("spark", "\n".join(["## Spark", "", *head, *sample]))
    if not args.no_doc and synthetic:
        write_section("spark-synthetic", "\n".join([*head, *synthetic]))


if __name__ == "__main__":
    main()
