"""Readers on real captures: every format, every encoding, every bad input.

WARC, feeds, JSON, archives and re-encoded copies are built here from the
seeds and corpus posts, so the fixtures stay real without being stored twice.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import zipfile
from pathlib import Path

import pytest

from wiretrace.model import RawDocument, Reject
from wiretrace.readers import ReadOptions, expand, read_path

from conftest import EXAMPLES

SEED_000 = EXAMPLES / "000_e6308b167f0f33d2.txt"
SEED_001 = EXAMPLES / "001_d7cc57b77e33e5f1.txt"
CNA = EXAMPLES / "2021-01-05-CNA-伊朗再推進濃縮鈾工作-2015年核子協議逐步崩解.html"
RFI = EXAMPLES / "2021-01-05-RFI-伊朗再推进浓缩铀工作-2015年核子协议瓦解-法国国际广播电台-rfi.html"
RTHK = EXAMPLES / "2021-01-04-RTHK-台股再創紀錄新高.md"


def read(path, **kw) -> list:
    return list(read_path(str(path), **kw))


def one(path, **kw) -> RawDocument:
    (doc,) = read(path, **kw)
    assert isinstance(doc, RawDocument), doc
    return doc


def body_of(post: Path) -> str:
    return post.read_text(encoding="utf-8").split("---", 2)[2]


# -- formats ---------------------------------------------------------------------


def test_plain_text_dump_seed():
    doc = one(SEED_000)
    assert (doc.format, doc.content_type, doc.encoding) == ("text", "text", "utf-8")
    assert doc.content == SEED_000.read_text(encoding="utf-8")
    assert doc.source == str(SEED_000.resolve()) and doc.data == SEED_000.read_bytes()


def test_jekyll_post_seed_keeps_front_matter():
    doc = one(SEED_001)
    assert (doc.format, doc.content_type) == ("frontmatter", "html")
    assert doc.meta["title"] == "中国代表吁制定网络空间国际规则 反对搞小圈子"
    assert doc.meta["url"] == "https://www.zaobao.com/realtime/china/story20210630-1162754"
    assert doc.meta["published"] == "2021-06-30T03:41:54.677Z"  # as written, not a datetime
    assert doc.meta["authors"] == ["联合早报"]
    assert doc.meta["front_matter"]["categories"] == ["联合早报"]
    assert doc.content.lstrip().startswith("<!--1625048280000-->")


def test_corpus_text_post_and_html_post():
    rthk, cna = one(RTHK), one(CNA)
    assert (rthk.format, rthk.content_type, rthk.meta["outlet_hint"]) == ("frontmatter", "text", "rthk")
    assert (cna.format, cna.content_type, cna.meta["outlet_hint"]) == ("frontmatter", "html", "cna")


def test_format_from_content_not_extension(tmp_path):
    html = tmp_path / "page.txt"
    html.write_bytes(("<!DOCTYPE html><html><body>" + body_of(CNA) + "</body></html>").encode())
    assert one(html).format == "html"
    data = tmp_path / "export.dat"
    data.write_text(json.dumps({"title": "標題", "content": body_of(RTHK)}, ensure_ascii=False), encoding="utf-8")
    doc = one(data)
    assert doc.format == "json" and doc.content == body_of(RTHK)


def test_json_array_and_field_mapping(tmp_path):
    records = [
        {"headline": "伊朗再推進濃縮鈾工作", "link": "https://www.cna.com.tw/news/a", "html": body_of(CNA),
         "pubDate": "2021-01-05", "byline": "中央社", "site_name": "中央社"},
        {"title": "台股再創紀錄新高", "url": "https://news.rthk.hk/b", "text": body_of(RTHK),
         "date": "2021-01-04", "authors": [{"name": "港台"}], "source": "香港電台"},
    ]
    path = tmp_path / "items.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    a, b = read(path)
    assert a.source == f"{path}#https://www.cna.com.tw/news/a"
    assert (a.meta["title"], a.meta["url"], a.meta["published"], a.meta["authors"], a.meta["outlet"]) == (
        "伊朗再推進濃縮鈾工作", "https://www.cna.com.tw/news/a", "2021-01-05", ["中央社"], "中央社")
    assert a.content_type == "html" and b.content_type == "text"
    assert (b.meta["authors"], b.meta["outlet"]) == (["港台"], "香港電台")
    # the record itself is the capture's bytes, not copied into meta (a stored column)
    assert set(a.meta) == {"title", "url", "published", "authors", "outlet"}
    assert json.loads(a.data) == records[0]


def test_json_lines_keeps_good_lines_rejects_bad_one(tmp_path):
    lines = [
        json.dumps({"id": "a1", "title": "一", "content": body_of(RTHK)}, ensure_ascii=False),
        '{"id": "a2", "title": "二", "content": ',
        json.dumps({"title": "三", "content": body_of(RFI)}, ensure_ascii=False),
    ]
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    docs = read(path)
    assert [type(d).__name__ for d in docs] == ["RawDocument", "Reject", "RawDocument"]
    assert docs[0].source == f"{path}#a1" and docs[2].source == f"{path}#3"
    assert docs[0].data == lines[0].encode()
    assert docs[1].source == f"{path}#2" and "invalid JSON on line 2" in docs[1].reason


def _warc(records: list[tuple[str, bytes, str]]) -> bytes:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    for uri, payload, ctype in records:
        http = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(uri, "response", payload=io.BytesIO(payload), http_headers=http))
    return out.getvalue()


def test_warc_gz_html_responses_with_uri_date_and_charset(tmp_path):
    page = "<html><head><title>伊朗</title></head><body>" + body_of(CNA) + "</body></html>"
    data = _warc([
        ("https://www.cna.com.tw/news/1", page.encode("big5hkscs", "ignore"), "text/html; charset=big5"),
        ("https://www.cna.com.tw/logo.png", b"\x89PNG\r\n\x1a\n....", "image/png"),
        ("https://www.rfi.fr/cn/2", ("<html><body>" + body_of(RFI) + "</body></html>").encode(), "text/html"),
    ])
    path = tmp_path / "crawl.warc.gz"
    path.write_bytes(data)
    docs = read(path)
    assert len(docs) == 2 and all(isinstance(d, RawDocument) for d in docs)
    cna, rfi = docs
    assert cna.format == "warc" and cna.meta["url"] == "https://www.cna.com.tw/news/1"
    assert cna.meta["captured"].startswith("20")
    assert cna.encoding == "big5hkscs" and "伊朗" in cna.content
    assert cna.source.startswith(f"{path}!crawl.warc#urn:uuid:")
    # the same WARC uncompressed
    plain = tmp_path / "crawl.warc"
    plain.write_bytes(gzip.decompress(data))
    assert [d.meta["url"] for d in read(plain)] == [cna.meta["url"], rfi.meta["url"]]


def test_rss_and_atom_items(tmp_path):
    from xml.sax.saxutils import escape

    rss = f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>法国国际广播电台</title>
<item><title>伊朗再推进浓缩铀工作</title><link>https://www.rfi.fr/cn/1</link><guid>rfi-1</guid>
<pubDate>Tue, 05 Jan 2021 10:00:00 +0100</pubDate><description>{escape(body_of(RFI))}</description></item>
<item><title>台股再創紀錄新高</title><link>https://news.rthk.hk/2</link>
<description>{escape(body_of(RTHK))}</description></item>
</channel></rss>"""
    path = tmp_path / "rfi.xml"
    path.write_text(rss, encoding="utf-8")
    a, b = read(path)
    assert (a.format, a.source, a.meta["outlet"], a.meta["url"]) == ("feed", f"{path}#rfi-1", "法国国际广播电台", "https://www.rfi.fr/cn/1")
    assert "Jan 2021" in a.meta["published"] and "伊朗" in a.content
    assert b.source == f"{path}#https://news.rthk.hk/2"

    atom = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>中央社</title>
<entry><title>伊朗再推進濃縮鈾工作</title><id>tag:cna,1</id><link href="https://www.cna.com.tw/1"/>
<updated>2021-01-05T08:00:00Z</updated><author><name>中央社</name></author>
<content type="html">{escape(body_of(CNA))}</content></entry></feed>"""
    path = tmp_path / "cna.atom"
    path.write_text(atom, encoding="utf-8")
    (entry,) = read(path)
    assert (entry.source, entry.meta["authors"], entry.content_type) == (f"{path}#tag:cna,1", ["中央社"], "html")


def test_zip_folder_and_gz(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("posts/a.md", RTHK.read_bytes())
        z.writestr("posts/b.html", CNA.read_bytes())
        z.writestr("posts/empty.txt", b"")
        z.writestr("posts/", b"")
    path = tmp_path / "posts.zip"
    path.write_bytes(buf.getvalue())
    docs = read(path)
    assert [d.source for d in docs] == [f"{path}!posts/a.md", f"{path}!posts/b.html", f"{path}!posts/empty.txt"]
    assert isinstance(docs[2], Reject) and docs[2].reason == "empty file"
    gz = tmp_path / "seed.txt.gz"
    gz.write_bytes(gzip.compress(SEED_000.read_bytes()))
    doc = one(gz)
    assert doc.source == f"{gz}!seed.txt" and doc.data == SEED_000.read_bytes()


def test_stdin():
    (doc,) = read_path("-", stdin=io.BytesIO(SEED_001.read_bytes()))
    assert doc.source == "<stdin>" and doc.format == "frontmatter"


def test_expand_folders_globs_order_and_no_duplicates(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / "b" / "c.txt").write_text("x")
    (tmp_path / "b" / ".hidden").write_text("x")
    got = list(expand([str(tmp_path), str(tmp_path / "*.txt"), "-"]))
    assert got == [str(tmp_path / "a.txt"), str(tmp_path / "b" / "c.txt"), "-"]
    (missing,) = expand([str(tmp_path / "nothing*.html")])
    assert isinstance(missing, Reject) and missing.reason == "no files match this pattern"


# -- encodings ---------------------------------------------------------------------


@pytest.mark.parametrize("post, codec, recorded", [
    (RTHK, "big5hkscs", "big5hkscs"),
    (CNA, "big5hkscs", "big5hkscs"),
    (RFI, "gb18030", "gb18030"),
    (SEED_001, "utf-16", "utf-16"),
    (SEED_000, "utf-16-be", "utf-16-be"),
    (SEED_001, "utf-8-sig", "utf-8-sig"),
])
def test_encodings_round_trip(tmp_path, post, codec, recorded):
    text = post.read_text(encoding="utf-8")
    if codec == "big5hkscs":
        text = "".join(ch for ch in text if _encodable(ch, codec))  # Big5 cannot hold every character
    data = text.encode(codec)
    if codec == "utf-16-be":  # no BOM: sniffed from the NUL pattern
        assert not data.startswith(b"\xfe\xff")
    path = tmp_path / post.name
    path.write_bytes(data)
    doc = one(path)
    assert doc.encoding == recorded
    assert doc.data == data
    expected = text.split("\n---\n", 1)[1] if doc.format == "frontmatter" else text.removeprefix("\ufeff")
    assert doc.content == expected


def _encodable(ch: str, codec: str) -> bool:
    try:
        ch.encode(codec)
        return True
    except UnicodeEncodeError:
        return False


def test_html_meta_charset_gbk(tmp_path):
    page = '<html><head><meta charset="gbk"><title>油价</title></head><body>' + body_of(RFI) + "</body></html>"
    path = tmp_path / "page.html"
    path.write_bytes(page.encode("gbk", "ignore"))
    doc = one(path)
    assert doc.encoding == "gb18030" and "油价" in doc.content and not doc.warnings


def test_declared_charset_that_lies_does_not_make_mojibake(tmp_path):
    page = '<html><head><meta charset="big5"></head><body>' + body_of(RFI) + "</body></html>"
    path = tmp_path / "page.html"
    path.write_bytes(page.encode("utf-8"))
    doc = one(path)
    assert doc.encoding == "utf-8" and body_of(RFI) in doc.content
    assert any("does not decode" in w for w in doc.warnings)


# -- bad input ---------------------------------------------------------------------


def _reason(path, **kw) -> str:
    (r,) = read(path, **kw)
    assert isinstance(r, Reject), r
    assert r.source == str(path) or r.source.startswith(str(path))
    return r.reason


def test_bad_inputs_each_with_its_reason(tmp_path):
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    assert _reason(empty) == "empty file"
    png = tmp_path / "photo.html"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(200))
    assert _reason(png) == "binary file (no text found: looks like PNG image)"
    cut = tmp_path / "post.html.gz"
    full = gzip.compress(CNA.read_bytes())
    cut.write_bytes(full[: len(full) // 2])
    assert _reason(cut) == "truncated gzip: compressed stream ended early"
    bad = tmp_path / "bad.json"
    bad.write_text('{"title": "x", "content": }', encoding="utf-8")
    assert _reason(bad) == "invalid JSON at line 1, column 27: Expecting value"
    big = tmp_path / "big.md"
    big.write_bytes(RTHK.read_bytes() * 10)
    assert "over the 1 KB limit (--max-size)" in _reason(big, options=ReadOptions(max_bytes=1024))
    link = tmp_path / "gone.html"
    os.symlink(tmp_path / "deleted.html", link)
    assert _reason(link) == f"dangling symlink to {tmp_path / 'deleted.html'}"
    assert _reason(tmp_path / "never.html") == "no such file or directory"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file(tmp_path):
    path = tmp_path / "secret.html"
    path.write_bytes(CNA.read_bytes())
    path.chmod(0)
    assert _reason(path) == "permission denied"


def test_unreadable_even_as_root(tmp_path):
    # root reads any file whatever its mode; what it cannot read is a path that
    # is not a regular file, or one that vanished between listing and reading
    folder = tmp_path / "posts"
    folder.mkdir()
    assert _reason(folder) == "is a directory"
    got = list(expand([str(folder / "sub")]))
    assert got == [Reject(str(folder / "sub"), "no such file or directory")]


def _posts_with_unlistable_folder(tmp_path):
    (tmp_path / "posts" / "locked").mkdir(parents=True)
    (tmp_path / "posts" / "a.md").write_bytes(RTHK.read_bytes())
    (tmp_path / "posts" / "locked" / "b.md").write_bytes(RTHK.read_bytes())
    return tmp_path / "posts"


@pytest.mark.skipif(os.geteuid() == 0, reason="root lists folders whatever their mode")
def test_unlistable_folder_is_rejected(tmp_path):
    posts = _posts_with_unlistable_folder(tmp_path)
    (posts / "locked").chmod(0)
    try:
        got = list(expand([str(posts)]))
    finally:
        (posts / "locked").chmod(0o755)
    assert got == [str(posts / "a.md"), Reject(str(posts / "locked"), "cannot list folder: permission denied")]


def test_unlistable_folder_is_rejected_as_root_too(tmp_path, monkeypatch):
    # Root lists any folder, so the refusal a normal user gets from the OS is
    # played by os.scandir (what os.walk lists folders with). Both the top folder
    # and a last subfolder must surface: os.walk skips them without a loop turn.
    posts = _posts_with_unlistable_folder(tmp_path)
    real_scandir = os.scandir
    locked = {str(posts / "locked"), str(tmp_path / "shut")}

    def scandir(path="."):
        if str(path) in locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    (tmp_path / "shut").mkdir()
    got = list(expand([str(posts), str(tmp_path / "shut")]))
    assert got == [str(posts / "a.md"),
                   Reject(str(posts / "locked"), "cannot list folder: permission denied"),
                   Reject(str(tmp_path / "shut"), "cannot list folder: permission denied")]


def test_stdin_over_the_limit():
    (r,) = read_path("-", ReadOptions(max_bytes=1024), stdin=io.BytesIO(CNA.read_bytes()))
    assert r == Reject("<stdin>", "standard input is over the 1 KB limit (--max-size)")


def test_malformed_front_matter_keeps_the_body_with_a_warning(tmp_path):
    raw = RTHK.read_text(encoding="utf-8").replace("title: ", 'title: "unclosed ', 1)
    path = tmp_path / "post.md"
    path.write_text(raw, encoding="utf-8")
    doc = one(path)
    assert doc.format == "frontmatter" and doc.content == raw.split("\n---\n", 1)[1]
    assert "title" not in doc.meta
    assert any(w.startswith("front matter is not valid YAML") and w.endswith("read the body only") for w in doc.warnings)


# -- fixes after review: short legacy texts, records' own bytes, WARC damage ------


def test_short_gb_and_big5_records_are_not_taken_for_korean_or_japanese(tmp_path):
    # A title-length record is the hard case for detection: charset-normalizer
    # alone read such GB18030 bytes as EUC-KR or CP932.
    for post, codec in ((RFI, "gb18030"), (CNA, "big5hkscs")):
        line = json.dumps({"id": "t", "content": one(post).meta["title"]}, ensure_ascii=False)
        path = tmp_path / f"{codec}.jsonl"
        path.write_bytes((line + "\n").encode(codec))
        doc = one(path)
        assert (doc.encoding, doc.content) == (codec, one(post).meta["title"])
        assert doc.data.decode(doc.encoding) == line  # data is the line, in the recorded codec


def test_text_opening_with_a_bracket_is_text_not_invalid_json(tmp_path):
    path = tmp_path / "dump.txt"
    path.write_text("[2021-01-04] 台股再創紀錄新高\n" + body_of(RTHK), encoding="utf-8")
    doc = one(path)
    assert (doc.format, doc.content_type) == ("text", "text")


def test_json_lines_with_line_separator_inside_a_string_and_a_repeated_url(tmp_path):
    first, second = body_of(RTHK).strip().split("\n\n")[:2]
    lines = [json.dumps({"url": "https://news.rthk.hk/1", "content": first + "\u2028" + second}, ensure_ascii=False),
             json.dumps({"url": "https://news.rthk.hk/1", "content": second}, ensure_ascii=False)]
    path = tmp_path / "twice.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    a, b = read(path)
    assert a.content == first + "\u2028" + second and a.data == lines[0].encode()
    assert (a.source, b.source) == (f"{path}#https://news.rthk.hk/1", f"{path}#https://news.rthk.hk/1~2")


def _warc_plain(records: list[tuple[str, str, bytes]]) -> bytes:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    out = io.BytesIO()
    writer = WARCWriter(out, gzip=False)
    for uri, status, payload in records:
        http = StatusAndHeaders(status, [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(uri, "response", payload=io.BytesIO(payload), http_headers=http))
    return out.getvalue()


def test_warc_error_pages_and_a_record_cut_short_are_rejected(tmp_path):
    page = ("<html><body>" + body_of(CNA) + "</body></html>").encode()
    data = _warc_plain([("https://www.cna.com.tw/1", "200 OK", page),
                        ("https://www.cna.com.tw/gone", "404 Not Found", page),
                        ("https://www.rfi.fr/cn/2", "200 OK", ("<html><body>" + body_of(RFI) + "</body></html>").encode())])
    path = tmp_path / "cut.warc"
    path.write_bytes(data[: len(data) - 500])  # the file ends inside the last record's payload
    ok, gone, cut = read(path)
    assert isinstance(ok, RawDocument) and ok.data == page
    assert gone.reason == "HTTP 404 response: an error or redirect page, not an article"
    assert cut.reason == "truncated WARC: the file ends inside this record"
    assert cut.source.startswith(f"{path}#urn:uuid:")


def test_big5_feed_item_data_decodes_with_its_encoding(tmp_path):
    from xml.sax.saxutils import escape

    text = body_of(CNA)
    text = "".join(ch for ch in text if _encodable(ch, "big5hkscs"))
    rss = f"""<?xml version="1.0" encoding="big5"?>
<rss version="2.0"><channel><title>中央社</title>
<item><title>伊朗再推進濃縮鈾工作</title><guid>cna-1</guid><description>{escape(text)}</description></item>
</channel></rss>"""
    path = tmp_path / "cna.rss"
    path.write_bytes(rss.encode("big5hkscs"))
    item = one(path)
    assert item.encoding == "big5hkscs" and item.content == text.strip()  # feedparser trims
    assert json.loads(item.data.decode(item.encoding))["content"] == text.strip()
