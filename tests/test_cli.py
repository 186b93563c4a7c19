"""The command line as users script it: JSON shapes, exit codes, --db/$WIRETRACE_DB."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from wiretrace import Archive
from wiretrace.cli import ARTICLE_FIELDS, main

from conftest import EXAMPLES


def run(*args, env=None, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "wiretrace", *args],
        capture_output=True, env={**os.environ, **(env or {})}, input=stdin,
    )


def test_ingest_json_summary_then_articles(tmp_path):
    db = str(tmp_path / "w.db")
    proc = run("ingest", str(EXAMPLES), "--db", db, "--json")
    assert proc.returncode == 0, proc.stderr.decode()
    n = len(list(EXAMPLES.iterdir()))
    lines = proc.stdout.decode().splitlines()
    assert len(lines) == 1
    summary = json.loads(lines[0])
    assert {k: summary[k] for k in ("ingested", "unchanged", "updated", "rejected")} == {
        "ingested": n, "unchanged": 0, "updated": 0, "rejected": 0,
    }
    proc = run("articles", "--db", db, "--json")
    records = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert len(records) == n
    assert all(tuple(r) == ARTICLE_FIELDS for r in records)
    assert all(r["body"] for r in records)


def test_ingest_without_search_then_index(tmp_path):
    db = str(tmp_path / "w.db")
    assert run("ingest", str(EXAMPLES), "--db", db, "--no-search", "--no-link").returncode == 0
    proc = run("stories", "--db", db, "--query", "新华社")
    assert proc.returncode == 1 and proc.stdout == b""
    assert "search index lacks" in proc.stderr.decode() and "run `wiretrace index`" in proc.stderr.decode()
    proc = run("index", "--db", db, "--json")
    assert proc.returncode == 0, proc.stderr.decode()
    assert [json.loads(line) for line in proc.stdout.decode().splitlines()] == [{"indexed": len(list(EXAMPLES.iterdir()))}]
    assert run("index", "--db", db).stdout.decode().strip() == "indexed 0"
    # --no-link left no stories; after a link they are found by the word
    assert run("link", "--db", db).returncode == 0
    proc = run("stories", "--db", db, "--query", "新华社", "--json")
    assert proc.returncode == 0 and proc.stdout.decode().count("\n") >= 1


def test_summary_line_when_not_json(tmp_path):
    proc = run("ingest", str(EXAMPLES / "001_d7cc57b77e33e5f1.txt"), "--db", str(tmp_path / "w.db"))
    assert proc.returncode == 0
    assert proc.stdout.decode().strip() == "ingested 1, unchanged 0, updated 0, rejected 0"


def test_db_from_environment(tmp_path):
    db = tmp_path / "env.db"
    proc = run("ingest", str(EXAMPLES / "000_e6308b167f0f33d2.txt"), env={"WIRETRACE_DB": str(db)})
    assert proc.returncode == 0 and db.exists()


def test_strict_exits_1_on_rejects_and_rejects_lists_them(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"title": ', encoding="utf-8")
    db = str(tmp_path / "w.db")
    proc = run("ingest", str(bad), str(EXAMPLES / "001_d7cc57b77e33e5f1.txt"), "--db", db, "--strict", "--json")
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["rejected"] == 1
    assert str(bad) in proc.stderr.decode()
    proc = run("rejects", "--db", db, "--json")
    (row,) = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert row["path"] == str(bad) and "JSON" in row["reason"]


def test_stdin(tmp_path):
    data = (EXAMPLES / "001_d7cc57b77e33e5f1.txt").read_bytes()
    db = str(tmp_path / "w.db")
    proc = run("ingest", "-", "--db", db, "--json", stdin=data)
    assert proc.returncode == 0, proc.stderr.decode()
    assert json.loads(proc.stdout)["ingested"] == 1
    (record,) = [json.loads(x) for x in run("articles", "--db", db, "--json").stdout.decode().splitlines()]
    assert record["title"] == "中国代表吁制定网络空间国际规则 反对搞小圈子"


def test_show_json_has_normalized_and_unknown_id_fails(tmp_path):
    db = str(tmp_path / "w.db")
    run("ingest", str(EXAMPLES / "000_e6308b167f0f33d2.txt"), "--db", db)
    (record,) = [json.loads(x) for x in run("articles", "--db", db, "--json").stdout.decode().splitlines()]
    proc = run("show", record["id"][:6], "--db", db, "--json")
    shown = json.loads(proc.stdout)
    assert shown["id"] == record["id"]
    assert shown["normalized"].startswith("中国常驻联合国代表张军29日表示")
    proc = run("show", "zzzzzz", "--db", db)
    assert proc.returncode == 1
    assert "no article" in proc.stderr.decode()


def test_bad_usage_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["ingest"])
    assert exc.value.code == 2
    assert main([]) == 2


def test_progress_bar_on_a_terminal_and_none_when_piped(tmp_path):
    import pty

    db = str(tmp_path / "w.db")
    main_fd, child_fd = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "wiretrace", "ingest", str(EXAMPLES), "--db", db, "--no-link"],
        stdout=subprocess.PIPE, stderr=child_fd, env={**os.environ, "COLUMNS": "120"},
    )
    os.close(child_fd)
    chunks = []
    while True:
        try:
            data = os.read(main_fd, 4096)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait()
    os.close(main_fd)
    shown = b"".join(chunks).decode("utf-8", "replace")
    n = len(list(EXAMPLES.iterdir()))
    assert "reading" in shown and "extracting" in shown
    assert f"{n}/{n}" in shown and "/s" in shown  # count and rate
    assert re.search(r"\d:\d\d:\d\d", shown)  # time left
    assert proc.stdout.read().decode().startswith("ingested")

    piped = run("ingest", str(EXAMPLES), "--db", str(tmp_path / "p.db"), "--no-link")
    assert piped.stderr == b""


def test_ingest_the_folder_that_holds_the_archive(tmp_path):
    """`wiretrace ingest .` with the default ./wiretrace.db: the archive's own
    files are not captures (nor rejects), however often it runs."""
    import shutil

    shutil.copy(EXAMPLES / "001_d7cc57b77e33e5f1.txt", tmp_path / "post.txt")
    env = {k: v for k, v in os.environ.items() if k != "WIRETRACE_DB"}
    for _ in range(2):
        proc = subprocess.run([sys.executable, "-m", "wiretrace", "ingest", ".", "--json"],
                              capture_output=True, cwd=tmp_path, env=env)
        assert proc.returncode == 0, proc.stderr.decode()
        assert json.loads(proc.stdout)["rejected"] == 0
    assert (tmp_path / "wiretrace.db").exists()


def test_listing_a_missing_archive_fails_without_creating_it(tmp_path):
    db = tmp_path / "typo.db"
    proc = run("articles", "--db", str(db))
    assert proc.returncode == 1 and "no archive" in proc.stderr.decode()
    assert not db.exists()


def test_show_tells_where_the_article_came_from_and_its_warnings(tmp_path):
    post = tmp_path / "post.md"
    post.write_text('---\ntitle: "unclosed\ndate: 2021-01-04\n---\n\n這是正文第一段，內容完整而且足夠長。\n', encoding="utf-8")
    db = str(tmp_path / "w.db")
    assert run("ingest", str(post), "--db", db).returncode == 0
    (record,) = [json.loads(x) for x in run("articles", "--db", db, "--json").stdout.decode().splitlines()]
    assert record["body"] == "這是正文第一段，內容完整而且足夠長。"
    shown = json.loads(run("show", record["id"], "--db", db, "--json").stdout)
    capture = shown["capture"]
    assert (capture["format"], capture["encoding"], capture["previous"]) == ("frontmatter", "utf-8", None)
    (warning,) = capture["warnings"]
    assert warning.startswith("front matter is not valid YAML") and warning.endswith("read the body only")
    text = run("show", record["id"], "--db", db).stdout.decode()
    assert "warning: front matter is not valid YAML" in text


def test_spark_engine_without_pyspark_says_how_to_install_it(monkeypatch, tmp_path, capsys):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pyspark" else real(name, *a))
    code = main(["ingest", "--db", str(tmp_path / "a.db"), "--engine", "spark", str(EXAMPLES)])
    assert code == 2 and "pip install 'wiretrace[spark]'" in capsys.readouterr().err
    assert not (tmp_path / "a.db").exists() or Archive(tmp_path / "a.db").counts()["captures"] == 0


def test_story_lines_count_articles_and_outlets_as_people_read_them(tmp_path):
    db = str(tmp_path / "w.db")
    assert run("ingest", str(EXAMPLES), "--db", db).returncode == 0
    stories = [json.loads(line) for line in run("stories", "--db", db, "--json").stdout.decode().splitlines()]
    lines = run("stories", "--db", db).stdout.decode().splitlines()
    assert len(lines) == len(stories)
    for story, line in zip(stories, lines):
        n, outlets = len(story["articles"]), len(story["outlets"])
        counts = line.split("\t")[2]
        assert counts == f"{n} article{'s' if n != 1 else ''}, {outlets} outlet{'s' if outlets != 1 else ''}"
    # the example captures hold a story told by one outlet twice: the singular is exercised
    assert any(len(s["outlets"]) == 1 and len(s["articles"]) > 1 for s in stories)
