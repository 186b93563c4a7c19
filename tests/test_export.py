"""Exports round-trip: what the archive holds comes back from each format."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from wiretrace import Archive
from wiretrace.errors import UsageError
from wiretrace.export import export

from conftest import EXAMPLES


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    archive = Archive(tmp_path_factory.mktemp("x") / "ex.db")
    archive.ingest([str(EXAMPLES)])
    return archive


def test_articles_parquet_round_trip(archive, tmp_path):
    out = tmp_path / "articles.parquet"
    n = export(archive, "articles", "parquet", out)
    rows = pq.read_table(out).to_pylist()
    expected = list(archive.article_records())
    assert n == len(rows) == len(expected) == len(list(EXAMPLES.iterdir()))
    assert rows == expected
    # reprint clusters travel with the articles
    assert sum(1 for r in rows if r["cluster"]) == sum(len(c["articles"]) for c in archive.clusters())


def test_relations_parquet_jsonl_csv_round_trip(archive, tmp_path):
    relations = list(archive.relations())
    assert relations
    parquet = pq.read_table(export_path(archive, tmp_path, "parquet")).to_pylist()
    jsonl = [json.loads(x) for x in export_path(archive, tmp_path, "jsonl").read_text(encoding="utf-8").splitlines()]
    with open(export_path(archive, tmp_path, "csv"), encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for got in (parquet, jsonl):
        assert [(r["a"], r["b"], r["relation"], r["a_in_b"], r["b_in_a"]) for r in got] == [
            (r["a"], r["b"], r["relation"], r["a_in_b"], r["b_in_a"]) for r in relations]
        assert [[[p["a"], p["b"], p["similarity"]] for p in r["passages"]] for r in got] == [
            r["evidence"]["passages"] for r in relations]
        assert [r["only_a"] for r in got] == [r["evidence"]["only_a"] for r in relations]
    assert [(r["a"], r["relation"], float(r["a_in_b"])) for r in rows] == [
        (r["a"], r["relation"], r["a_in_b"]) for r in relations]
    assert [json.loads(r["only_b"]) for r in rows] == [r["evidence"]["only_b"] for r in relations]


def export_path(archive, tmp_path, fmt):
    out = tmp_path / f"relations.{fmt}"
    export(archive, "relations", fmt, out)
    return out


def test_bad_choice_is_usage_error_and_leaves_no_file(archive, tmp_path):
    with pytest.raises(UsageError):
        export(archive, "clusters", "jsonl", tmp_path / "c.jsonl")
    with pytest.raises(UsageError):
        export(archive, "articles", "xlsx", tmp_path / "a.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_cli_export(archive, tmp_path):
    out = tmp_path / "a.csv"
    proc = subprocess.run([sys.executable, "-m", "wiretrace", "export", "--what", "articles", "--format", "csv",
                           str(out), "--db", str(archive.path)], capture_output=True)
    assert proc.returncode == 0, proc.stderr.decode()
    with open(out, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [json.loads(r["authors"]) for r in rows] == [r["authors"] for r in archive.article_records()]
    proc = subprocess.run([sys.executable, "-m", "wiretrace", "export", "--what", "articles", "--format", "xml",
                           str(out), "--db", str(archive.path)], capture_output=True)
    assert proc.returncode == 2
