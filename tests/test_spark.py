"""The Spark engine gives the local engine's results: parity on the corpus sample plus
the seeds, bad captures in a partition, clusters across partitions, batches and
stop-keys, and `wiretrace import`.

Skipped only when pyspark is not installed; the `test` extra installs it, so CI runs
these (Java 17 is on CI's PATH). One local[2] session serves the whole module.
"""

from __future__ import annotations

import gzip
import json
import random
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pyspark")

import pyarrow.parquet as pq  # noqa: E402

from wiretrace import Archive, link, linking  # noqa: E402
from wiretrace.archive import LinkStore, unpack_offsets  # noqa: E402
from wiretrace.cli import main  # noqa: E402
from wiretrace.errors import FormatError, SearchUnavailable  # noqa: E402
from wiretrace.spark import ingest_job, link_job  # noqa: E402
from wiretrace.spark.layout import MANIFEST  # noqa: E402

from conftest import CORPUS, EXAMPLES  # noqa: E402


@pytest.fixture(scope="module")
def spark():
    from wiretrace.spark.session import session

    s = session("local[2]")
    yield s
    s.stop()


def table(out: Path, name: str) -> list[dict]:
    return pq.read_table(out / name).to_pylist()


def dump(db: Path) -> dict:
    """Everything an archive holds except timestamps, comparable across archives."""
    con = sqlite3.connect(db)
    out = {}
    for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name"):
        if name.startswith("search") or name in ("linked", "link_segment", "sqlite_sequence"):
            continue  # the full-text index and the LSH index: compared by article below
        cols = [r[1] for r in con.execute(f"PRAGMA table_info({name})") if r[1] not in ("ingested_at", "seen_at")]
        rows = con.execute(f"SELECT {', '.join(cols)} FROM {name}").fetchall()
        out[name] = sorted(map(repr, rows))
    # rowids follow insertion order, which differs between engines: the indexed text per article
    out["search"] = sorted(map(repr, con.execute(
        "SELECT d.article, s.title, s.body FROM search s JOIN search_doc d ON d.rowid = s.rowid")))
    # handles and the cut into segments follow the batches, which differ between engines:
    # what each linked article holds
    out["linked"] = sorted(map(repr, con.execute("SELECT article, signature, anchors FROM linked")))
    name = dict(con.execute("SELECT handle, article FROM linked"))
    out["postings"] = sorted(
        (k, name[h]) for keys, holders in con.execute("SELECT keys, holders FROM link_segment")
        for k, h in zip(np.frombuffer(keys, "<i8").tolist(), np.frombuffer(holders, "<i8").tolist()))
    con.close()
    return out


def relation_rows(archive: Archive) -> set[tuple]:
    return {(r["a"], r["b"], r["relation"], r["a_in_b"], r["b_in_a"], json.dumps(r["evidence"]))
            for r in archive.relations()}


# -- parity on the corpus sample plus the seeds ------------------------------------------------


@pytest.fixture(scope="module")
def sample(spark, seeds, tmp_path_factory):
    """The corpus sample plus the seeds, ingested by both engines."""
    if not CORPUS.is_dir():
        pytest.skip(f"the corpus sample is not at {CORPUS}")
    paths = [str(p) for p in sorted(CORPUS.glob("2021-*"))]
    paths += [str(seeds / n) for n in ("000_e6308b167f0f33d2.txt", "001_d7cc57b77e33e5f1.txt")]
    tmp = tmp_path_factory.mktemp("sample")
    local = Archive(tmp / "local.db")
    summary = local.ingest(paths, jobs=1)
    out = tmp / "out"
    manifest = ingest_job(paths, str(out), spark=spark)
    return {"paths": paths, "local": local, "summary": summary, "out": out, "manifest": manifest, "tmp": tmp}


def test_parity_relations_clusters_and_articles_on_the_sample(sample):
    local, out, manifest = sample["local"], sample["out"], sample["manifest"]
    # relations: pairs, types, shares and evidence, exactly as the archive stores them
    want = {(r["a"], r["b"], r["relation"], r["a_in_b"], r["b_in_a"], row["evidence"])
            for r, row in zip(local.relations(), LinkStore(local).relations())}
    got = {(r["a"], r["b"], r["relation"], r["a_in_b"], r["b_in_a"], r["evidence"]) for r in table(out, "relations")}
    assert len(want) > 3000
    assert got == want
    # clusters: the same members under the same ids
    clusters: dict[str, list[str]] = {}
    for r in table(out, "clusters"):
        clusters.setdefault(r["cluster"], []).append(r["article"])
    assert sorted(({"id": k, "articles": sorted(v)} for k, v in clusters.items()), key=lambda c: c["id"]) == \
        sorted(local.clusters(), key=lambda c: c["id"])
    assert len(clusters) > 150
    # the same candidates were verified (the same stop-key rule)
    assert manifest["link"]["candidates"] == sample["summary"].link.candidates
    # articles, matching forms, offset maps and the template each was extracted with
    con = sqlite3.connect(local.path)
    stored = {r[0]: (*r[1:11], unpack_offsets(r[11]).tobytes(), r[12]) for r in con.execute(
        "SELECT id, title, body, published, outlet, url, authors, wire, script, language, normalized, offsets, "
        "template FROM article")}
    spark_articles = {r["id"]: (
        r["title"], r["body"], r["published"], r["outlet"], r["url"], json.dumps(r["authors"], ensure_ascii=False),
        json.dumps(r["wire"], ensure_ascii=False), r["script"], r["language"], r["normalized"],
        r["offsets"], r["template"]) for r in table(out, "articles")}
    assert spark_articles == stored
    templates = {r[0]: r[1:] for r in con.execute("SELECT outlet_key, hash, sample, body FROM template")}
    assert {r["outlet_key"]: (r["hash"], r["sample"], r["body"]) for r in table(out, "templates")} == templates


def test_clusters_span_read_partitions(sample):
    """Reprints of one story come from files far apart in ingest order, so from
    different read partitions; the components still join them."""
    files = {r["id"]: r["file"] for r in table(sample["out"], "captures")}
    n_files = len(sample["paths"])
    slices = 14  # parallelize gives partition i the files [i*n/14, (i+1)*n/14)
    part = {i: f * slices // n_files for i, f in files.items()}
    clusters: dict[str, set[int]] = {}
    for r in table(sample["out"], "clusters"):
        clusters.setdefault(r["cluster"], set()).add(part[r["article"]])
    assert sum(len(p) > 1 for p in clusters.values()) > 50


def test_import_gives_the_local_archive_and_twice_adds_nothing(sample):
    local, out, tmp = sample["local"], sample["out"], sample["tmp"]
    archive = Archive(tmp / "imported.db")
    first = archive.import_spark(out)
    assert (first.ingested, first.articles, first.linked) == (len(sample["paths"]),) * 3
    assert relation_rows(archive) == relation_rows(local)
    assert archive.clusters() == local.clusters()
    assert [a.to_dict() for a in archive.articles()] == [a.to_dict() for a in local.articles()]
    # an import is followed by the stories stage (as `wiretrace import` does), then the archives are one
    archive.update_stories()
    assert dump(archive.path) == dump(local.path)  # keys, signatures, templates, captures, raw bytes, stories
    before = dump(archive.path)
    second = archive.import_spark(out)
    assert (second.ingested, second.unchanged, second.articles, second.linked, second.relations) == \
        (0, len(sample["paths"]), 0, 0, 0)
    assert dump(archive.path) == before
    # the CLI works on the imported archive: nothing left to link, the same clusters
    assert archive.link().linked == 0
    assert archive.clusters() == local.clusters()


def test_link_job_on_an_export_parquet_equals_local(spark, tmp_path):
    """`wiretrace export --what articles --format parquet` is a Spark link input: the
    matching forms are recomputed from the bodies, the relations are the same."""
    from wiretrace.export import export

    local = Archive(tmp_path / "local.db")
    local.ingest([str(EXAMPLES)], jobs=1)
    export(local, "articles", "parquet", tmp_path / "articles.parquet")
    manifest = link_job(str(tmp_path / "articles.parquet"), str(tmp_path / "linked"), spark=spark)
    got = {(r["a"], r["b"], r["relation"], r["a_in_b"], r["b_in_a"], r["evidence"])
           for r in table(tmp_path / "linked", "relations")}
    assert got == {(r["a"], r["b"], r["relation"], r["a_in_b"], r["b_in_a"], row["evidence"])
                   for r, row in zip(local.relations(), LinkStore(local).relations())}
    assert manifest["link"]["linked"] == len(list(EXAMPLES.iterdir()))


# -- import refuses what is not a whole output, and writes all or nothing ---------------------


def test_import_refuses_a_folder_that_is_not_an_output(sample, tmp_path):
    archive = Archive(tmp_path / "a.db")
    with pytest.raises(FormatError, match=r"not a wiretrace Spark output: it has no _wiretrace.json"):
        archive.import_spark(tmp_path)
    with pytest.raises(FormatError, match="no such folder"):
        archive.import_spark(tmp_path / "missing")
    bad = tmp_path / "bad"
    shutil.copytree(sample["out"], bad)
    (bad / MANIFEST).write_text('{"format": "something else"}')
    with pytest.raises(FormatError, match=f"{bad}.*does not say format"):
        archive.import_spark(bad)
    shutil.copy(sample["out"] / MANIFEST, bad / MANIFEST)
    shutil.rmtree(bad / "relations")
    with pytest.raises(FormatError, match="table 'relations' is missing"):
        archive.import_spark(bad)
    assert archive.counts() == {"captures": 0, "articles": 0, "rejects": 0}
    # the CLI: one line on stderr naming the folder and the reason, exit 1
    assert main(["import", str(tmp_path), "--db", str(tmp_path / "a.db")]) == 1


def test_import_is_one_transaction(sample, tmp_path):
    """A table that cannot be read half way leaves the archive as it was."""
    broken = tmp_path / "broken"
    shutil.copytree(sample["out"], broken)
    parts = sorted((broken / "relations").glob("*.parquet"))
    data = parts[-1].read_bytes()
    parts[-1].write_bytes(data[:4] + bytes(len(data) - 8) + data[-4:])  # header and footer kept
    archive = Archive(tmp_path / "a.db")
    archive.ingest([str(EXAMPLES / "2021-01-04-RTHK-台股再創紀錄新高.md")], link=False)
    before = dump(archive.path)
    with pytest.raises(FormatError, match="cannot read relations"):
        archive.import_spark(broken)
    assert dump(archive.path) == before


# -- bad captures in a partition -----------------------------------------------------------------


def test_a_partition_of_bad_captures_is_rejected_and_the_job_goes_on(spark, tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    good = sorted(EXAMPLES.iterdir())[:9]
    for i, src in enumerate(good[:3]):
        shutil.copy(src, inputs / f"a{i}-{src.name}")
    for i, src in enumerate(good[3:6]):
        shutil.copy(src, inputs / f"z{i}-{src.name}")
    # the middle of the ingest order: bad captures, and one good one among them
    (inputs / "m0-empty.html").write_bytes(b"")
    (inputs / "m1-image.html").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    (inputs / "m2-broken.json").write_text("[{", encoding="utf-8")
    shutil.copy(good[6], inputs / f"m3-{good[6].name}")
    (inputs / "m4-cut.txt.gz").write_bytes(gzip.compress("新华社北京电".encode() * 200)[:40])
    (inputs / "m5-nothing.txt").write_text("   \n\n  ", encoding="utf-8")
    (inputs / "z9-dangling.html").symlink_to(tmp_path / "gone.html")

    local = Archive(tmp_path / "local.db")
    local_summary = local.ingest([str(inputs)], jobs=1)
    out = tmp_path / "out"
    # 3 read partitions of 4 files: the middle one holds 3 bad captures and the good m3
    manifest = ingest_job([str(inputs)], str(out), spark=spark, partitions=3)

    rejects = {(r["source"], r["reason"]) for r in table(out, "rejects")}
    assert rejects == {(r.source, r.reason) for r in local.rejects()}
    assert len(rejects) == local_summary.rejected == 6
    reasons = {Path(s).name: r for s, r in rejects}
    assert reasons["m0-empty.html"] == "empty file"
    assert reasons["m1-image.html"].startswith("binary file")
    assert reasons["z9-dangling.html"].startswith("dangling symlink")
    articles = {r["id"]: r["body"] for r in table(out, "articles")}
    assert articles == {a.id: a.body for a in local.articles()}
    assert any(Path(r["path"]).name.startswith("m3-") for r in table(out, "articles"))
    assert manifest["tables"]["rejects"] == 6
    # and imported, `wiretrace rejects` lists them
    archive = Archive(tmp_path / "imported.db")
    archive.import_spark(out)
    assert list(archive.rejects()) == list(local.rejects())


# -- batches and stop-keys --------------------------------------------------------------------------


def _shared_paragraph_captures(folder: Path, n: int) -> None:
    """n short posts sharing one sentence (36 characters), each with 60 characters of its
    own (so two posts share a passage, not most of their text); a few exact copies."""
    rnd = random.Random(5)
    pool = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严"
    shared = "中国外交部发言人在例行记者会上表示各方应当保持克制通过对话协商解决分歧"
    for i in range(n):
        own = "".join(rnd.choice(pool) for _ in range(60))
        text = f"第{i}号通报\n\n{shared}。\n\n{own}。\n" if i % 7 else f"第{i}号通报\n\n{own}。\n\n{shared}。\n"
        (folder / f"post{i:03d}.txt").write_text(text, encoding="utf-8")
    for i in (2, 11, 29):
        shutil.copy(folder / f"post{i:03d}.txt", folder / f"post{i:03d}-copy.txt")


def test_stop_keys_match_the_local_engine_whatever_its_batches(spark, tmp_path, monkeypatch):
    """A key held by more than MAX_POSTINGS articles in all is a stop-key, in every batch
    of the local engine as on Spark. With a cap of 10 the sentence all 33 posts hold pairs
    nobody, also in the local engine's first batches of 8 (which hold fewer than 10)."""
    monkeypatch.setattr(linking, "MAX_POSTINGS", 10)
    inputs = tmp_path / "in"
    inputs.mkdir()
    _shared_paragraph_captures(inputs, 30)

    def relations(archive):
        return {(r["a"], r["b"], r["relation"], r["a_in_b"], r["b_in_a"]) for r in archive.relations()}

    whole = Archive(tmp_path / "whole.db")
    whole.ingest([str(inputs)], jobs=1)
    monkeypatch.setattr(linking, "BATCH", 8)
    local = Archive(tmp_path / "local.db")
    summary = local.ingest([str(inputs)], jobs=1)
    assert relations(local) == relations(whole)  # batches do not change what is found
    manifest = ingest_job([str(inputs)], str(tmp_path / "out"), spark=spark, max_postings=10)
    got = {(r["a"], r["b"], r["relation"], r["a_in_b"], r["b_in_a"]) for r in table(tmp_path / "out", "relations")}
    assert got == relations(local)
    assert manifest["link"]["candidates"] == summary.link.candidates
    # the rule bites: a post is paired with its copy, or through a MinHash band it happens
    # to share (a 5-gram Jaccard of ~0.2 matches one of 32 bands ~5% of the time), never
    # through the stopped sentence alone
    keys = {a.id: set(link.keys(local.normalized(a.id).text).tolist()) for a in local.articles()}
    partial = [(r["a"], r["b"]) for r in local.relations() if r["relation"] == "partial"]
    for a, b in partial:
        assert any(k % 2 == 0 for k in keys[a] & keys[b]), "paired through the stopped sentence"
    assert len(partial) < (33 * 32 // 2) // 4
    assert sum(r["relation"] == "duplicate" for r in local.relations()) == 3


def test_incremental_spark_link_equals_local(spark, tmp_path):
    """Articles linked before are never paired again: a Spark link of the new ones, and a
    rebuild, give what the local engine gives."""
    names = sorted(EXAMPLES.iterdir())
    first, second = [str(p) for p in names[::2]], [str(p) for p in names[1::2]]
    archives = {}
    for engine in ("local", "spark"):
        archive = Archive(tmp_path / f"{engine}.db")
        archive.ingest(first, jobs=1)
        archive.ingest(second, jobs=1, link=False)
        summary = archive.link(engine=engine, **({"spark": spark} if engine == "spark" else {}))
        assert summary.linked == len(second)
        archives[engine] = archive
    assert relation_rows(archives["spark"]) == relation_rows(archives["local"])
    assert archives["spark"].clusters() == archives["local"].clusters()
    assert dump(archives["spark"].path) == dump(archives["local"].path)
    archives["spark"].link(rebuild=True, engine="spark", spark=spark)
    archives["local"].link(rebuild=True)
    assert dump(archives["spark"].path) == dump(archives["local"].path)


def test_cli_ingest_on_spark_then_import_and_list(spark, tmp_path, capsys):
    """`wiretrace ingest --engine spark --out DIR` fills the archive (the active
    session is reused), and `wiretrace import DIR` into another is the same."""
    db, out = tmp_path / "w.db", tmp_path / "out"
    assert main(["ingest", str(EXAMPLES), "--engine", "spark", "--out", str(out), "--db", str(db), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["ingested"] == len(list(EXAMPLES.iterdir()))
    assert summary["link"]["relations"] > 0
    other = tmp_path / "other.db"
    assert main(["import", str(out), "--db", str(other), "--json"]) == 0
    imported = json.loads(capsys.readouterr().out)
    assert imported["ingested"] == summary["ingested"] and imported["relations"] == summary["link"]["relations"]
    assert dump(other) == dump(db)
    assert main(["clusters", "--db", str(other), "--json"]) == 0
    assert [json.loads(line) for line in capsys.readouterr().out.splitlines()] == Archive(db).clusters()
    assert main(["ingest", str(EXAMPLES), "--master", "local[1]", "--db", str(db)]) == 2


def test_an_ingest_on_spark_may_leave_stories_and_search_for_later(spark, seeds, tmp_path):
    """`stories=False` and `search=False` on the Spark engine, as on the local one: linked,
    not regrouped, not indexed until asked."""
    paths = [str(seeds / n) for n in ("000_e6308b167f0f33d2.txt", "001_d7cc57b77e33e5f1.txt")]
    with Archive(tmp_path / "w.db") as archive:
        summary = archive.ingest(paths, engine="spark", spark=spark, stories=False, search=False)
        assert summary.stories is None and summary.link.relations == 1
        assert archive.stories() == []
        assert archive.update_stories().scored == 2 and len(archive.stories()) == 1
        assert archive.search_pending() == 2
        with pytest.raises(SearchUnavailable):
            archive.search("网络空间")
        assert archive.build_search() == 2
        assert sorted(archive.search("网络空间")) == sorted(a.id for a in archive.articles())


# -- connected components -----------------------------------------------------------------------


def test_components_of_chains_and_stars_across_partitions(spark):
    """Large-star/small-star over edges spread on 8 partitions gives union-find's clusters."""
    from wiretrace.spark.components import components

    rnd = random.Random(3)
    edges = [(f"c{i:03d}", f"c{i + 1:03d}") for i in range(120)]  # a long chain: diameter 120
    edges += [("s000", f"s{i:03d}") for i in range(1, 40)]  # a star
    nodes = [f"r{i:03d}" for i in range(200)]
    edges += [tuple(rnd.sample(nodes, 2)) for _ in range(150)]
    rnd.shuffle(edges)
    frame = spark.createDataFrame(edges, "u string, v string").repartition(8)
    got: dict[str, list[str]] = {}
    for row in components(frame).collect():
        got.setdefault(row["root"], []).append(row["node"])
    want = link.clusters([(a, b, "reprint") for a, b in edges])
    assert sorted((link.cluster_id(m), sorted(m)) for m in got.values()) == \
        sorted((c["id"], c["articles"]) for c in want)
    assert all(root == min(members) for root, members in got.items())
