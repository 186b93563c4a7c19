"""Decoded text to RawDocuments: front matter, JSON / JSON Lines, feeds, HTML, plain text.

JSON field mapping (the first name present wins; docs/formats.md lists it too):

| meta key   | JSON names                                                                 |
|------------|----------------------------------------------------------------------------|
| title      | title, headline, name                                                      |
| url        | url, link, permalink, canonical_url, uri                                   |
| content    | content, content_html, html, body, text, article, content_text, description, summary |
| published  | published, date, pubDate, datePublished, published_at, created_at, time    |
| authors    | author, authors, byline, creator                                           |
| outlet     | source, site, site_name, publisher, outlet                                 |

A record's key in ``source`` (``file.jsonl#key``) is its id/guid/url/link when
present, so inserting a record does not renumber the others; else its 1-based
position (line number in JSON Lines); a key used twice gets ``~2``. A record's
``data`` is its own text (the JSON Lines line; an array item re-serialised with
sorted keys) in the file's encoding, so ``data.decode(encoding)`` is the record.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import yaml

from wiretrace.model import RawDocument, Reject
from wiretrace.readers import sniff
from wiretrace.readers.base import ReadError
from wiretrace.readers.encoding import Decoded

TITLE = ("title", "headline", "name")
URL = ("url", "link", "permalink", "canonical_url", "uri")
CONTENT = ("content", "content_html", "html", "body", "text", "article", "content_text", "description", "summary")
PUBLISHED = ("published", "date", "pubDate", "datePublished", "published_at", "created_at", "time")
AUTHORS = ("author", "authors", "byline", "creator")
OUTLET = ("source", "site", "site_name", "publisher", "outlet")
KEY = ("id", "guid", "url", "link")

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)
# The C loader when PyYAML was built with it; BaseLoader keeps every scalar as
# written (a date stays the string the capture has, not a datetime).
_YAML_LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
_JSON_LINES_NAMES = (".jsonl", ".ndjson", ".jsonlines")
_JSON_NAMES = (".json", *_JSON_LINES_NAMES)


def parse(source: str, data: bytes, decoded: Decoded, name: str) -> Iterator[RawDocument | Reject]:
    text = decoded.text
    if sniff.has_front_matter(text):
        yield _front_matter(source, data, decoded)
        return
    candidate = sniff.json_candidate(text)
    if candidate == "strong" or (candidate and name.lower().endswith(_JSON_NAMES)):
        yield from _json(source, data, decoded, name)
        return
    if sniff.looks_like_feed(text):
        from wiretrace.readers.feed import read_feed

        yield from read_feed(source, text, decoded)
        return
    html = sniff.looks_like_html(text)
    yield RawDocument(
        source, data, "html" if html else "text", decoded.encoding, text,
        "html" if html else "text", {}, decoded.warnings,
    )


def _front_matter(source: str, data: bytes, decoded: Decoded) -> RawDocument:
    text = decoded.text
    warnings = list(decoded.warnings)
    meta: dict[str, Any] = {}
    m = _FRONT_MATTER.match(text)
    if m is None:
        warnings.append("front matter is not closed by a '---' line; read the whole file as the body")
        body = text
    else:
        body = text[m.end():]
        try:
            fm = yaml.load(m.group(1), Loader=_YAML_LOADER)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 2})" if mark is not None else ""
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            warnings.append(f"front matter is not valid YAML{where}: {problem}; read the body only")
            fm = None
        if isinstance(fm, dict):
            meta = _front_matter_meta(fm)
        elif fm is not None:
            warnings.append("front matter is not a mapping of fields; read the body only")
    ctype = "html" if sniff.looks_like_html(body) else "text"
    return RawDocument(source, data, "frontmatter", decoded.encoding, body, ctype, meta, tuple(warnings))


def _front_matter_meta(fm: dict[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = {"front_matter": fm}
    if isinstance(fm.get("title"), str):
        meta["title"] = fm["title"]
    if isinstance(fm.get("date"), str):
        meta["published"] = fm["date"]
    for key in ("from", "url", "link", "permalink"):
        if isinstance(fm.get(key), str) and fm[key].startswith(("http://", "https://")):
            meta["url"] = fm[key]
            break
    author = fm.get("author")
    if isinstance(author, str) and author.strip():
        meta["authors"] = [author.strip()]
    cats = fm.get("categories")
    if isinstance(cats, str):
        cats = cats.split()
    if isinstance(cats, list) and cats and isinstance(cats[0], str):
        meta["outlet_hint"] = cats[0]
    return meta


def _json(source: str, data: bytes, decoded: Decoded, name: str) -> Iterator[RawDocument | Reject]:
    text = decoded.text
    # split("\n"), not splitlines(): U+2028 may sit unescaped inside a JSON string.
    lines = [ln.removesuffix("\r") for ln in text.split("\n")]
    jsonl_name = name.lower().endswith(_JSON_LINES_NAMES)
    if jsonl_name and _first_line_is_object(lines):  # even one line: its record is the line
        yield from _json_lines(source, lines, decoded)
        return
    try:
        value = json.loads(text)
    except json.JSONDecodeError as whole:
        if not (jsonl_name or _first_line_is_object(lines)):
            raise ReadError(f"invalid JSON at line {whole.lineno}, column {whole.colno}: {whole.msg}") from None
        yield from _json_lines(source, lines, decoded)
        return
    keys: dict[str, int] = {}
    if not isinstance(value, list):  # one object: the file's own text is the record
        yield _record(source, 1, value, text, decoded, keys)
        return
    if not value:
        raise ReadError("JSON holds an empty list: no articles")
    for i, record in enumerate(value, 1):
        raw = json.dumps(record, ensure_ascii=False, sort_keys=True)
        yield _record(source, i, record, raw, decoded, keys)


def _first_line_is_object(lines: list[str]) -> bool:
    for line in lines:
        if line.strip():
            try:
                return isinstance(json.loads(line), dict)
            except json.JSONDecodeError:
                return False
    return False


def _json_lines(source: str, lines: list[str], decoded: Decoded) -> Iterator[RawDocument | Reject]:
    keys: dict[str, int] = {}
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Reject(f"{source}#{lineno}", f"invalid JSON on line {lineno}, column {exc.colno}: {exc.msg}")
            continue
        yield _record(source, lineno, record, line, decoded, keys)


def encode_record(text: str, encoding: str) -> tuple[bytes, str]:
    """A record's text as bytes in the file's codec, so ``data.decode(encoding)``
    gives the record back (UTF-8 when the codec cannot hold it)."""
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    try:
        return text.encode(codec), codec
    except (UnicodeEncodeError, LookupError):
        return text.encode("utf-8"), "utf-8"


def unique_key(key: str, keys: dict[str, int]) -> str:
    """``key``, or ``key~2``, ``key~3``… when the file already used it: two records
    with one url (a page captured twice) must not share a source."""
    keys[key] = keys.get(key, 0) + 1
    return key if keys[key] == 1 else f"{key}~{keys[key]}"


def _record(source: str, position: int, record: Any, raw_text: str, decoded: Decoded,
            keys: dict[str, int]) -> RawDocument | Reject:
    if not isinstance(record, dict):
        return Reject(f"{source}#{position}", f"JSON item {position} is a {type(record).__name__}, not an object")
    key = _first(record, KEY)
    key = str(key).strip() if isinstance(key, (str, int)) and str(key).strip() else str(position)
    rec_source = f"{source}#{unique_key(key, keys)}"
    content = _first(record, CONTENT)
    if isinstance(content, dict):  # {"rendered": "..."} (WordPress) and the like
        content = _first(content, ("rendered", "html", "text", "value"))
    if isinstance(content, list):
        content = "\n\n".join(str(c) for c in content if isinstance(c, str))
    if not isinstance(content, str) or not content.strip():
        return Reject(rec_source, "JSON record has no text (looked for " + ", ".join(CONTENT) + ")")
    # Only the fields extraction reads: the whole record is ``data`` already, and a copy in
    # ``meta`` (a stored column, not compressed) was the largest column of a JSON Lines archive.
    meta: dict[str, Any] = {}
    for key_name, names in (("title", TITLE), ("url", URL), ("published", PUBLISHED), ("outlet", OUTLET)):
        v = _first(record, names)
        if isinstance(v, dict):
            v = _first(v, ("name", "title", "url", "href"))
        if isinstance(v, (str, int, float)) and str(v).strip():
            meta[key_name] = str(v).strip()
    authors = _first(record, AUTHORS)
    if isinstance(authors, str):
        authors = [authors]
    if isinstance(authors, list):
        names = [a.get("name") if isinstance(a, dict) else a for a in authors]
        meta["authors"] = [n.strip() for n in names if isinstance(n, str) and n.strip()]
    ctype = "html" if sniff.looks_like_html(content) else "text"
    raw, codec = encode_record(raw_text, decoded.encoding)
    return RawDocument(rec_source, raw, "json", codec, content, ctype, meta, decoded.warnings)


def _first(record: dict, names: tuple[str, ...]) -> Any:
    for n in names:
        if n in record and record[n] not in (None, ""):
            return record[n]
    return None
