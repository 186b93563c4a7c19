"""Format sniffing from content: what a capture is, whatever its file name says.

``core`` asks here, in order: is it a container (gzip, zip), a known binary
(by magic number), a WARC, and once decoded, front matter, JSON, a feed, HTML
or plain text. Names only break ties where content cannot (a ``.json`` file
that fails to parse is invalid JSON; a ``.md`` file that starts with ``[`` is
not JSON at all).
"""

from __future__ import annotations

import re

# (offset, magic bytes, what a person would call it). Containers wiretrace opens
# (gzip, zip) are not here; they are dispatched before this table is consulted.
_MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x89PNG\r\n\x1a\n", "PNG image"),
    (0, b"\xff\xd8\xff", "JPEG image"),
    (0, b"GIF87a", "GIF image"),
    (0, b"GIF89a", "GIF image"),
    (0, b"%PDF-", "PDF document"),
    (0, b"\x7fELF", "ELF executable"),
    (0, b"MZ\x90\x00", "Windows executable"),
    (0, b"\xca\xfe\xba\xbe", "Java class or Mach-O binary"),
    (0, b"\xcf\xfa\xed\xfe", "Mach-O binary"),
    (0, b"\x00asm", "WebAssembly module"),
    (0, b"BZh", "bzip2 archive (decompress it first)"),
    (0, b"\xfd7zXZ\x00", "xz archive (decompress it first)"),
    (0, b"\x28\xb5\x2f\xfd", "zstd archive (decompress it first)"),
    (0, b"7z\xbc\xaf\x27\x1c", "7-Zip archive (extract it first)"),
    (0, b"Rar!\x1a\x07", "RAR archive (extract it first)"),
    (257, b"ustar", "tar archive (extract it first)"),
    (0, b"SQLite format 3\x00", "SQLite database"),
    (0, b"PAR1", "Parquet file"),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "MS Office document (old format)"),
    (0, b"OggS", "Ogg audio/video"),
    (0, b"ID3", "MP3 audio"),
    (0, b"fLaC", "FLAC audio"),
    (0, b"\x1aE\xdf\xa3", "Matroska/WebM video"),
    (0, b"wOFF", "WOFF font"),
    (0, b"wOF2", "WOFF2 font"),
    (0, b"II*\x00", "TIFF image"),
    (0, b"MM\x00*", "TIFF image"),
    (0, b"\x00\x00\x01\x00", "ICO image"),
)
_RIFF = {b"WEBP": "WebP image", b"WAVE": "WAV audio", b"AVI ": "AVI video"}


def binary_kind(head: bytes) -> str | None:
    """What known binary format ``head`` starts with, e.g. 'PNG image', else None."""
    for offset, magic, kind in _MAGIC:
        if head.startswith(magic, offset):
            return kind
    if head.startswith(b"RIFF") and head[8:12] in _RIFF:
        return _RIFF[head[8:12]]
    if head[4:8] == b"ftyp":
        return "MP4/QuickTime video"
    return None


def is_gzip(head: bytes) -> bool:
    return head.startswith(b"\x1f\x8b")


def is_zip(head: bytes) -> bool:
    return head.startswith((b"PK\x03\x04", b"PK\x05\x06"))


def is_warc(head: bytes) -> bool:
    return head.startswith(b"WARC/")


# --------------------------------------------------------------- text formats
_HTML_MARKERS = ("<!doctype html", "<html", "<head", "<body")
# Tags that mark HTML prose. Two of them are enough: a Jekyll body of one
# "<p>…</p>" is HTML; no RTHK .md post or plain-text dump in the corpus sample
# holds even one (bench_readers.py --formats counts the sniffed formats by extension).
_HTML_TAG = re.compile(
    r"</?(?:p|div|br|span|a|li|ul|ol|table|tr|td|th|h[1-6]|img|section|article|main|"
    r"strong|em|b|i|u|figure|figcaption|blockquote|iframe|script|style|header|footer|nav|time)"
    r"(?=[\s>/])",
    re.I,
)
HTML_TAG_MIN = 2
HTML_SNIFF_CHARS = 16384  # tags, if any, start early; scanning a long dump costs time
_FEED_ROOT = re.compile(
    r"\A(?:\s|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>)*<(?:rss|feed|rdf:RDF|RDF)[\s>]", re.S | re.I
)
# Openings only JSON has; anything else starting with "[" or "{" (a Markdown
# link line, "[1] footnote", "[2021-07-01] headline", "{{ template }}") is text
# unless the file name says .json.
_STRONG_JSON = re.compile(r'\A\s*(?:\{\s*"|\{\s*\}|\[\s*[\[{"\]]|\[\s*(?:true|false|null)\b)')


def looks_like_html(text: str) -> bool:
    head = text[:1024].lower()
    if any(marker in head for marker in _HTML_MARKERS):
        return True
    hits = 0
    for _ in _HTML_TAG.finditer(text, 0, HTML_SNIFF_CHARS):
        hits += 1
        if hits >= HTML_TAG_MIN:
            return True
    return False


def looks_like_feed(text: str) -> bool:
    return text.lstrip()[:1].startswith("<") and _FEED_ROOT.match(text[:4096]) is not None


def json_candidate(text: str) -> str | None:
    """'strong' when the text opens the way only JSON does, 'weak' when it merely
    starts with a bracket, None when it cannot be JSON."""
    first = text.lstrip()[:1]
    if first not in ("{", "["):
        return None
    return "strong" if _STRONG_JSON.match(text) else "weak"


def has_front_matter(text: str) -> bool:
    return text.startswith("---") and text[3:5].lstrip(" \t")[:1] in ("\n", "\r")
