"""RSS and Atom feeds: each item is a capture. Parsed with feedparser from the
text already read (feedparser never fetches anything here).

An item's source is ``feed.xml#<guid, else link, else position>``; its
``content`` is the item's full content when the feed carries it, else the
summary; the feed's own title is the item's ``outlet``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from wiretrace.model import RawDocument, Reject
from wiretrace.readers import sniff
from wiretrace.readers.base import ReadError
from wiretrace.readers.documents import encode_record, unique_key
from wiretrace.readers.encoding import Decoded


def read_feed(source: str, text: str, decoded: Decoded) -> Iterator[RawDocument | Reject]:
    import feedparser

    # Unsanitised and unresolved: content reaches extraction as the feed has it.
    parsed = feedparser.parse(text, sanitize_html=False, resolve_relative_uris=False)
    if not parsed.entries:
        problem = f": {parsed.bozo_exception}" if parsed.get("bozo") else ""
        raise ReadError(f"feed has no items{problem}")
    outlet = parsed.feed.get("title")
    keys: dict[str, int] = {}
    for n, entry in enumerate(parsed.entries, 1):
        key = entry.get("id") or entry.get("link") or str(n)
        item_source = f"{source}#{unique_key(key, keys)}"
        content = ""
        if entry.get("content"):
            content = "\n".join(c.get("value", "") for c in entry.content)
        content = content or entry.get("summary", "")
        if not content.strip():
            yield Reject(item_source, "feed item has no content or summary")
            continue
        authors = [a.get("name") for a in entry.get("authors", []) if a.get("name")]
        if not authors and entry.get("author"):
            authors = [entry.author]
        meta = {
            "title": entry.get("title"),
            "url": entry.get("link"),
            "published": entry.get("published") or entry.get("updated"),
            "authors": authors,
            "outlet": outlet,
        }
        meta = {k: v for k, v in meta.items() if v}
        raw, codec = encode_record(json.dumps({**meta, "content": content}, ensure_ascii=False, sort_keys=True),
                                   decoded.encoding)
        ctype = "html" if sniff.looks_like_html(content) else "text"
        yield RawDocument(item_source, raw, "feed", codec, content, ctype, meta, decoded.warnings)
