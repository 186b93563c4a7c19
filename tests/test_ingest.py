"""The ingest pipeline and the archive: idempotency, versions, bad input, kill-and-resume."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from wiretrace import Archive
from wiretrace import ingest as ingest_module
from wiretrace.archive import MIGRATIONS
from wiretrace.pool import PARALLEL_MIN
from wiretrace.errors import ArchiveError, NotFound
from wiretrace.normalize import matching_form

from conftest import EXAMPLES


def test_ingest_examples_then_again_adds_nothing(tmp_path):
    archive = Archive(tmp_path / "a.db")
    first = archive.ingest([str(EXAMPLES)])
    n = len(list(EXAMPLES.iterdir()))
    assert (first.ingested, first.unchanged, first.updated, first.rejected) == (n, 0, 0, 0)
    assert archive.counts()["articles"] == n
    again = archive.ingest([str(EXAMPLES)])
    assert (again.ingested, again.unchanged, again.updated, again.rejected) == (0, n, 0, 0)
    assert again.extracted == 0
    assert archive.counts() == {"captures": n, "articles": n, "rejects": 0}


def test_archive_is_wal_with_schema_version(tmp_path):
    db = tmp_path / "a.db"
    Archive(db).close()
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_archive_from_a_newer_wiretrace_is_refused(tmp_path):
    db = tmp_path / "a.db"
    Archive(db).close()
    con = sqlite3.connect(db)
    con.execute(f"PRAGMA user_version={len(MIGRATIONS) + 1}")
    con.commit()
    con.close()
    with pytest.raises(ArchiveError, match="upgrade wiretrace"):
        Archive(db)


def test_not_an_archive_is_a_clear_error(tmp_path):
    bogus = tmp_path / "notes.db"
    bogus.write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(ArchiveError, match="not a wiretrace archive"):
        Archive(bogus)


def test_raw_bytes_are_kept_exactly(tmp_path):
    archive = Archive(tmp_path / "a.db")
    seed = EXAMPLES / "000_e6308b167f0f33d2.txt"
    archive.ingest([str(seed)])
    (article,) = archive.articles()
    row = archive.db.execute("SELECT sha256, format, encoding FROM capture").fetchone()
    assert archive.raw_bytes(row["sha256"]) == seed.read_bytes()
    assert row["format"] == "text" and row["encoding"] == "utf-8"
    assert article.path == str(seed.resolve())


def test_captures_read_back_exactly_in_either_compression(tmp_path):
    """Captures are stored zstd-compressed; an archive written before that holds zlib, and its
    captures must read, re-extract and give the same article as a fresh one."""
    archive = Archive(tmp_path / "a.db")
    seed = EXAMPLES / "000_e6308b167f0f33d2.txt"
    archive.ingest([str(seed)], link=False)
    (article,) = archive.articles()
    cap = archive.db.execute("SELECT id, sha256, content FROM capture").fetchone()
    data = archive.db.execute("SELECT data FROM blob").fetchone()[0]
    assert data[:4] == b"\x28\xb5\x2f\xfd" and cap["content"][:4] == b"\x28\xb5\x2f\xfd"  # zstd frames
    fresh = archive.document(cap["id"])
    with archive.transaction():  # the same capture as an older wiretrace stored it
        archive.db.execute("UPDATE blob SET data = ?", (zlib.compress(seed.read_bytes(), 6),))
        archive.db.execute("UPDATE capture SET content = ?", (zlib.compress(fresh.content.encode(), 6),))
    old = archive.document(cap["id"])
    assert archive.raw_bytes(cap["sha256"]) == seed.read_bytes() == old.data
    assert old.content == fresh.content and old.meta == fresh.meta
    with archive.transaction():
        archive.db.execute("DELETE FROM template")  # relearnt from the zlib capture, then re-extracted
        archive.db.execute("UPDATE article SET template = 'stale'")
    assert ingest_module.refresh_articles(archive) == 1
    assert list(archive.articles()) == [article]


def test_extraction_reads_back_only_the_raw_bytes_it_uses(tmp_path):
    """Re-extraction reads a capture without its raw bytes but for the formats it reads them
    of (``RAW_FORMATS``), and extracts the same article as from the whole capture. A
    front-matter file needs them: with its YAML broken, the date is found only there."""
    from wiretrace.extract import RAW_FORMATS, extract

    broken = tmp_path / "broken.md"
    broken.write_text("---\ntitle: 台股再創紀錄新高\ndate: 2021-01-04 10:00:00 +0800\nbad: [unclosed\n---\n"
                      "台股今日再創紀錄新高，加權指數收市升一百點。\n", encoding="utf-8")
    archive = Archive(tmp_path / "a.db")
    archive.ingest([str(EXAMPLES), str(broken)], link=False)
    rows = archive.db.execute("SELECT id, source, format FROM capture").fetchall()
    assert {row["format"] for row in rows} == {"frontmatter", "text"}
    for row in rows:
        lean, whole = archive.document(row["id"], raw_for=RAW_FORMATS), archive.document(row["id"])
        assert lean.data == (whole.data if row["format"] in RAW_FORMATS else b"")
        assert (lean.content, lean.meta, lean.sha256) == (whole.content, whole.meta, whole.sha256)
        assert extract(lean) == extract(whole)
        if row["source"] == str(broken):
            assert extract(whole).published == "2021-01-04T10:00:00+08:00"
            assert extract(archive.document(row["id"], raw_for=())).published is None


def test_offset_maps_read_back_exactly_in_either_stored_form(tmp_path):
    """Offset maps are stored as steps; an archive written before that holds the entries
    themselves, compressed, and must read back the same."""
    archive = Archive(tmp_path / "a.db")
    archive.ingest([str(EXAMPLES / "000_e6308b167f0f33d2.txt")])
    (article,) = archive.articles()
    fresh = matching_form(article.body)
    assert archive.normalized(article.id) == fresh
    steps_form = archive.db.execute("SELECT offsets FROM article").fetchone()[0]
    entries_form = zlib.compress(fresh.offsets.astype("<i4").tobytes(), 1)
    assert len(steps_form) * 5 < len(entries_form)
    with archive.transaction():
        archive.db.execute("UPDATE article SET offsets = ?", (entries_form,))
    assert archive.normalized(article.id) == fresh
    assert not archive.normalized(article.id).offsets.flags.writeable


def test_changed_file_becomes_new_version_linked_to_earlier(tmp_path):
    src = tmp_path / "post.txt"
    src.write_text("標題\n\n第一段文字，說明事情的經過與背景。\n", encoding="utf-8")
    archive = Archive(tmp_path / "a.db")
    archive.ingest([str(src)])
    (old,) = archive.articles()
    src.write_text("標題\n\n第一段文字，說明事情的經過與背景。\n\n更新：第二段補充最新的消息。\n", encoding="utf-8")
    summary = archive.ingest([str(src)])
    assert (summary.ingested, summary.updated, summary.unchanged) == (0, 1, 0)
    (new,) = archive.articles()
    assert new.id != old.id and "更新" in new.body
    versions = list(archive.articles(all_versions=True))
    assert {a.id for a in versions} == {old.id, new.id}
    prev = archive.db.execute("SELECT previous FROM capture WHERE id = ?", (new.id,)).fetchone()[0]
    assert prev == old.id
    # and the earlier version is still there, byte for byte
    assert archive.article(old.id).body == old.body


def test_bad_input_is_rejected_with_reasons_and_nothing_stored_is_lost(tmp_path):
    good = tmp_path / "in" / "good.txt"
    good.parent.mkdir()
    good.write_text("好消息\n\n這是一篇正常的文章，內容完整。\n", encoding="utf-8")
    archive = Archive(tmp_path / "a.db")
    archive.ingest([str(good.parent)])
    before = [a.to_dict() for a in archive.articles()]

    (good.parent / "empty.txt").write_bytes(b"")
    (good.parent / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    full = gzip.compress("<html><body><p>被截斷的文章</p></body></html>".encode() * 50)
    (good.parent / "cut.html.gz").write_bytes(full[: len(full) // 2])
    (good.parent / "bad.json").write_text('{"title": "x", "content": ', encoding="utf-8")
    os.symlink(tmp_path / "nowhere.html", good.parent / "dangling.html")
    (good.parent / "big.txt").write_text("長" * 400_000, encoding="utf-8")  # 1.2 MB

    summary = archive.ingest([str(good.parent)], max_bytes=1024 * 1024)
    assert summary.rejected == 6
    assert summary.unchanged == 1
    reasons = {Path(r.source).name: r.reason for r in archive.rejects()}
    assert set(reasons) == {"empty.txt", "image.png", "cut.html.gz", "bad.json", "dangling.html", "big.txt"}
    assert "empty" in reasons["empty.txt"]
    assert "binary" in reasons["image.png"]
    assert "gzip" in reasons["cut.html.gz"]
    assert "JSON" in reasons["bad.json"]
    assert "symlink" in reasons["dangling.html"]
    assert "limit" in reasons["big.txt"]
    assert [a.to_dict() for a in archive.articles()] == before

    # the same bad input again: still one row each, not duplicated
    archive.ingest([str(good.parent)], max_bytes=1024 * 1024)
    assert len(list(archive.rejects())) == 6


def test_a_reject_that_is_fixed_leaves_the_rejects(tmp_path):
    post = tmp_path / "post.json"
    post.write_text('{"title": "x"', encoding="utf-8")
    archive = Archive(tmp_path / "a.db")
    assert archive.ingest([str(post)]).rejected == 1
    post.write_text(json.dumps({"title": "修好了", "content": "這篇文章現在可以讀了，內容完整。"}), encoding="utf-8")
    summary = archive.ingest([str(post)])
    assert summary.rejected == 0 and summary.ingested == 1
    assert list(archive.rejects()) == []


def test_show_unknown_id_is_not_found(tmp_path):
    archive = Archive(tmp_path / "a.db")
    with pytest.raises(NotFound):
        archive.article("ffffffffffff")


# -- kill and resume ---------------------------------------------------------


def _dump(db: Path) -> dict:
    """Everything the archive holds except ingest timestamps."""
    con = sqlite3.connect(db)
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
    out = {}
    for table in tables:
        cols = [r[1] for r in con.execute(f"PRAGMA table_info({table})") if r[1] not in ("ingested_at", "seen_at")]
        rows = con.execute(f"SELECT {', '.join(cols)} FROM {table}").fetchall()
        out[table] = sorted(map(repr, rows))
    return out


def _forkservers() -> list[int]:
    """Live ORPHANED multiprocessing forkserver processes (worker pools' parents whose ingest
    is gone: re-parented to init). A forkserver with a live parent belongs to a running
    process (this pytest's own in-process ingests, another program) and is not a leak."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, ppid = fields[0], int(fields[1])
        if b"multiprocessing.forkserver" in cmd and state != "Z" and ppid == 1:
            found.append(int(pid))
    return found


def _run(args, db):
    return subprocess.Popen(
        [sys.executable, "-m", "wiretrace", "ingest", *args, "--db", str(db), "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def test_sigkill_at_any_moment_then_rerun_equals_uninterrupted(tmp_path, corpus):
    inputs = tmp_path / "in"
    inputs.mkdir()
    # every outlet, all week, and enough captures for extraction to run in worker processes
    names = [n for n in sorted(os.listdir(corpus)) if n.startswith("2021")][::6]
    assert len(names) >= PARALLEL_MIN
    for name in names:
        shutil.copy(corpus / name, inputs / name)
    (inputs / "broken.json").write_text("[{", encoding="utf-8")

    ref = tmp_path / "ref.db"
    start = time.monotonic()
    proc = _run([str(inputs)], ref)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err.decode()
    full = time.monotonic() - start
    expected = _dump(ref)
    assert json.loads(out)["ingested"] == len(names)

    db = tmp_path / "killed.db"
    kills = 0
    # Each resumed run has less left to do, so the delays grow slowly: the
    # kills land in start-up, reading, extraction (worker processes) and linking.
    for fraction in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8):
        proc = _run([str(inputs)], db)
        time.sleep(full * fraction)
        if proc.poll() is not None:
            break  # it finished: nothing left to interrupt
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += 1
    assert kills >= 3, "the runs finished before they could be killed"
    # the killed runs' extraction workers end too (they watch the ingest's pid)
    deadline = time.monotonic() + 10
    while _forkservers() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _forkservers(), "worker processes outlived a killed ingest"
    proc = _run([str(inputs)], db)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err.decode()
    assert _dump(db) == expected


def test_worker_processes_give_the_same_articles_as_one(tmp_path, corpus, monkeypatch):
    names = [n for n in sorted(os.listdir(corpus)) if n.startswith("2021")][::5][:PARALLEL_MIN + 50]
    paths = [str(corpus / n) for n in names]
    # several windows, so the workers extract one window ahead of the one being stored
    monkeypatch.setattr(ingest_module, "BATCH", 120)
    one, two = Archive(tmp_path / "one.db"), Archive(tmp_path / "two.db")
    one.ingest(paths, jobs=1, link=False)
    two.ingest(paths, jobs=2, link=False)
    assert len(list(one.articles())) == len(names)
    assert [a.to_dict() for a in one.articles()] == [a.to_dict() for a in two.articles()]
    # the search rows too: the workers compute the titles' matching forms
    search = ("SELECT d.article, s.title, s.body FROM search s JOIN search_doc d ON d.rowid = s.rowid "
              "ORDER BY d.article")
    assert one.db.execute(search).fetchall() == two.db.execute(search).fetchall()
    assert sum(1 for row in two.db.execute(search) if row[1]) > len(names) // 2
    # read again by the workers: every capture found stored, nothing stored twice
    again = two.ingest(paths, jobs=2, link=False)
    assert (again.unchanged, again.ingested, again.updated) == (len(names), 0, 0)
    assert two.db.execute("SELECT count(*) FROM capture").fetchone()[0] == len(names)


def test_a_reader_that_fails_mid_run_loses_and_duplicates_nothing(tmp_path, monkeypatch):
    """A reader that fails (here in this process: few inputs) stops the run; the batch it
    interrupted is rolled back, and a re-run stores every capture once."""
    folder = tmp_path / "in"
    folder.mkdir()
    for k in range(6):
        (folder / f"post{k}.txt").write_text(f"標題{k}\n\n第{k}篇文章的內容，完整而且不同。\n", encoding="utf-8")
    archive = Archive(tmp_path / "a.db")
    archive.ingest([str(folder / "post0.txt")])
    real = ingest_module.read_path

    def failing(path, *args, **kwargs):
        if path.endswith("post4.txt"):
            raise RuntimeError("reader bug")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(ingest_module, "read_path", failing)
    with pytest.raises(RuntimeError, match="reader bug"):
        archive.ingest([str(folder)])
    sources = [r[0] for r in archive.db.execute("SELECT source FROM capture")]
    assert [Path(s).name for s in sources] == ["post0.txt"]  # the interrupted batch rolled back

    monkeypatch.setattr(ingest_module, "read_path", real)
    summary = archive.ingest([str(folder)])
    assert (summary.ingested, summary.unchanged) == (5, 1)
    sources = sorted(Path(r[0]).name for r in archive.db.execute("SELECT source FROM capture"))
    assert sources == [f"post{k}.txt" for k in range(6)]


def test_reading_workers_reject_bad_input_as_this_process_does(tmp_path, monkeypatch):
    """Bad inputs read by the store pass's workers get the same rejects, with their reasons,
    as read here; and a worker does not compress a capture stored already."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text("好消息\n\n這是一篇正常的文章，內容完整。\n", encoding="utf-8")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "bad.json").write_text('{"title": "x", "content": ', encoding="utf-8")
    (folder / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    here, there = Archive(tmp_path / "here.db"), Archive(tmp_path / "there.db")
    here.ingest([str(folder)], jobs=1, link=False)
    monkeypatch.setattr(ingest_module, "PARALLEL_MIN", 1)  # workers even for four files
    there.ingest([str(folder)], jobs=2, link=False)
    reasons = lambda a: sorted((Path(r.source).name, r.reason) for r in a.rejects())  # noqa: E731
    assert len(reasons(there)) == 3 and reasons(there) == reasons(here)
    assert [a.to_dict() for a in there.articles()] == [a.to_dict() for a in here.articles()]

    options = ingest_module.ReadOptions()
    assert ingest_module._read_file(str(folder / "good.txt"), there, options) == [ingest_module.UNCHANGED]


def test_store_windows_are_bounded_by_bytes_and_by_files():
    files = [f"f{k}" for k in range(10)]
    big = ingest_module.WINDOW_BYTES // 2
    assert [len(w) for w in ingest_module._windows(files, [big] * 10)] == [2, 2, 2, 2, 2]
    many = [f"f{k}" for k in range(ingest_module.WINDOW_FILES + 3)]
    assert [len(w) for w in ingest_module._windows(many, [1] * len(many))] == [ingest_module.WINDOW_FILES, 3]
    assert [w for w in ingest_module._windows(files, [0] * 10)] == [files]


def test_workers_are_handed_windows_ahead_of_the_one_being_stored():
    from wiretrace import ingest as ing

    events = []

    class Started:
        def __init__(self, k):
            self.k = k

        def results(self):
            events.append(("results", self.k))
            return [self.k]

    def start(k):
        events.append(("start", k))
        return Started(k)

    got = [r for r in ing._read_ahead(start, 4)]
    assert got == [[0], [1], [2], [3]]
    # window k + WINDOWS_AHEAD is started before window k's results are waited for
    assert ing.WINDOWS_AHEAD == 2
    assert events == [("start", 0), ("start", 1), ("start", 2), ("results", 0), ("start", 3), ("results", 1),
                      ("results", 2), ("results", 3)]
    assert list(ing._read_ahead(start, 0)) == []


def test_an_offset_map_not_packed_is_refused_and_nothing_is_stored(tmp_path):
    """put_article takes the offset map as pack_offsets makes it; the raw int32 entries would
    be stored and read back as garbage."""
    from wiretrace.archive import pack_offsets
    from wiretrace.ingest import offsets_bytes

    archive = Archive(tmp_path / "a.db")
    archive.ingest([str(EXAMPLES / "000_e6308b167f0f33d2.txt")], link=False)
    (article,) = archive.articles()
    form = matching_form(article.body)
    stored = archive.db.execute("SELECT offsets FROM article").fetchone()[0]
    assert stored == pack_offsets(form.offsets)
    with pytest.raises(ValueError, match="pack_offsets"), archive.transaction():
        archive.put_article(article, form.text, offsets_bytes(form.offsets), None)
    assert archive.db.execute("SELECT offsets FROM article").fetchone()[0] == stored
    assert archive.normalized(article.id) == form


def test_capture_times_are_the_current_second_made_once_a_second(monkeypatch):
    from datetime import datetime, timezone

    from wiretrace.archive import rows

    before = datetime.now(timezone.utc).replace(microsecond=0)
    now = datetime.fromisoformat(rows.now_iso())
    assert before <= now <= datetime.now(timezone.utc)
    clock = [1_700_000_000.9]
    monkeypatch.setattr(rows.time, "time", lambda: clock[0])
    assert rows.now_iso() == "2023-11-14T22:13:20+00:00"  # floored, not rounded
    clock[0] = 1_700_000_001.0
    assert rows.now_iso() == "2023-11-14T22:13:21+00:00"
    clock[0] = 1_700_000_001.7
    assert rows.now_iso() == "2023-11-14T22:13:21+00:00"
