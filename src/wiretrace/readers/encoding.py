"""Bytes to text: the one place that decides a capture's character encoding.

Every reader hands its payload here before sniffing the format, so a Big5 RSS
file, a GBK web page and a UTF-16 dump all reach extraction as ``str`` with the
codec recorded in ``RawDocument.encoding``. The order of evidence is:

1. a byte-order mark (UTF-8, UTF-16, UTF-32);
2. UTF-16 without a BOM, seen from NUL bytes falling on one parity;
3. a declared charset: the caller's (HTTP ``Content-Type`` of a WARC record),
   else ``<meta charset>`` / ``http-equiv`` / the XML declaration in the head;
4. strict UTF-8 (the common case; it is tried before anything costly);
5. GB18030 or Big5, when one of them decodes to common hanzi (``chinese_score``);
6. charset-normalizer, restricted to the encodings Chinese-language news uses.

A declared charset that does not decode strictly is never forced (that is how
mojibake is made): detection continues and a warning says what happened.

Codec choices (measured by ``bench/bench_readers.py --codecs`` on the 1,509
traditional CNA and RTHK posts of the corpus sample):

* GB2312, GBK and GB18030 are all decoded as ``gb18030``, their superset.
* Big5 is decoded as ``big5hkscs``. Encoded as plain Big5 (1,182 posts encodable),
  1,508 decode identically with big5hkscs (one post's kana differ) against 1,456
  with cp950, which maps ／ to ∕. Encoded as cp950, big5hkscs reproduces 1,499 and
  plain big5 fails on 32. Only big5hkscs decodes HKSCS characters (衞 邨 埗 綫,
  common in Hong Kong text), so it is the best single choice; ``cp950`` is the
  fallback for the few cp950-only bytes big5hkscs rejects.
* ISO-8859-1 and US-ASCII labels mean windows-1252 (as browsers read them), and
  a page that declares one of them but is valid UTF-8 is read as UTF-8.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from wiretrace.readers.base import CHINESE_MIN_SCORE, HEAD_BYTES, MAX_REPLACED_SHARE, ReadError

_BOMS = (  # UTF-32 first: its LE BOM starts with the UTF-16 LE BOM
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# Labels seen in the wild that Python's codec registry does not know, or knows
# under a codec that is a strict subset of what such pages really contain.
_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "gb_2312-80": "gb18030",
    "csgb2312": "gb18030",
    "chinese": "gb18030",
    "euc-cn": "gb18030",
    "cp936": "gb18030",
    "windows-936": "gb18030",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "big5-hkscs": "big5hkscs",
    "cp950": "big5hkscs",
    "windows-950": "big5hkscs",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "x-sjis": "cp932",
    "shift-jis": "cp932",
    "shift_jis": "cp932",
    "windows-31j": "cp932",
    "unicode": "utf-16",
}
# Tried in order when the first codec of a family rejects the bytes.
_FALLBACKS = {"big5hkscs": ("cp950",)}
# What charset-normalizer may choose from: the CJK legacy encodings news sites
# used, plus windows-1252 for Western pages. Restricting the list is what keeps
# a short GB text from being "detected" as some Cyrillic code page.
_DETECTABLE = ["gb18030", "big5hkscs", "cp950", "cp932", "euc_jp", "euc_kr", "cp1252"]

_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""\A\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9_.:\-]+)""", re.I)
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # Python's canonical codec name: "utf-8", "gb18030", "big5hkscs", …
    warnings: tuple[str, ...] = ()


def normalize_label(label: str) -> str | None:
    """The codec wiretrace decodes a declared ``label`` with, or None if unknown."""
    key = label.strip().strip("\"'").lower()
    key = _ALIASES.get(key, key)
    try:
        name = codecs.lookup(key).name
    except LookupError:
        return None
    return _ALIASES.get(name, name)


def declared_charset(head: bytes) -> str | None:
    """The charset a document declares about itself in its first bytes, as written."""
    low = head.lower()
    if b"encoding" in low[:200]:
        m = _XML_ENCODING.match(head)
        if m:
            return m.group(1).decode("ascii")
    if b"charset" in low:
        m = _META_CHARSET.search(head)
        if m:
            return m.group(1).decode("ascii")
    return None


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _utf16_without_bom(head: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when NULs sit on one byte parity, as in UTF-16 text
    with Latin characters; the check that keeps such files from looking binary."""
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if max(even, odd) < 8 or min(even, odd) * 20 > max(even, odd):
        return None
    return "utf-16-le" if odd > even else "utf-16-be"


def _mostly_text(text: str) -> bool:
    sample = text[:HEAD_BYTES]
    return len(_CONTROL.findall(sample)) <= len(sample) // 100


def _try_codec(data: bytes, codec: str) -> tuple[str, str] | None:
    for name in (codec, *_FALLBACKS.get(codec, ())):
        text = _strict(data, name)
        if text is not None:
            return text, name
    return None


def decode(data: bytes, declared: str | None = None) -> Decoded:
    """Decode ``data``; ``declared`` is an outside declaration (an HTTP header).

    Raises ``ReadError`` when the bytes are not text in any supported encoding.
    """
    warnings: list[str] = []
    for bom, codec in _BOMS:
        if data.startswith(bom):
            text = _strict(data, codec)
            if text is not None:
                return Decoded(text, codec)
            warnings.append(f"starts with a {codec} byte-order mark but does not decode as {codec}")
            break

    head = data[:HEAD_BYTES]
    if b"\x00" in head:
        codec16 = _utf16_without_bom(head)
        text = _strict(data, codec16) if codec16 else None
        if text is not None and _mostly_text(text):
            return Decoded(text, codec16, tuple(warnings))
        raise ReadError("binary file (no text found: contains NUL bytes)")

    label = declared or declared_charset(head)
    if label:
        codec = normalize_label(label)
        if codec is None:
            warnings.append(f"declared charset {label!r} is unknown; detected the encoding instead")
        elif codec.startswith(("utf-16", "utf-32")):
            # A UTF-16 declaration readable as ASCII bytes is false by construction.
            warnings.append(f"declared charset {label!r} contradicts the bytes; ignored")
        elif codec == "cp1252" and not data.isascii() and _strict(data, "utf-8") is not None:
            warnings.append(f"declared charset {label!r} but the text is UTF-8; read as UTF-8")
            return Decoded(data.decode("utf-8"), "utf-8", tuple(warnings))
        else:
            hit = _try_codec(data, codec)
            if hit is not None:
                return Decoded(hit[0], hit[1], tuple(warnings))
            warnings.append(
                f"declared charset {label!r} does not decode this file; detected the encoding instead"
            )

    text = _strict(data, "utf-8")
    if text is not None:
        return Decoded(text, "utf-8", tuple(warnings))
    return _detect(data, warnings)


# The 400 most frequent hanzi of the corpus sample (both scripts, all 2,687 posts,
# tags stripped): 67% of its hanzi. Chinese decoded right is dense in them;
# the same bytes read with the other family, or Korean/Japanese bytes read as
# Chinese, land on them about as often as chance (~0.1).
_FREQUENT_HANZI = frozenset(
    "的国中人在一日有年是不美大新國法和上月行疫出政民会他以表家到为者示台特对前了要主公多市會方这能病下情"
    "及发指可外地生本港天全事部成将被普社高期也时持府作自但定最议名个度元其今至加分朗因接来交制例院所布重"
    "已力為明入用之后提动任受同北增苗都于周选去發们工员相等数就说经安关時而与正共合报香此总司面金案施次当"
    "道过理通得毒局文德員保對首平我果利股统更冠进斯如取性由治反起现警升支业目央後立英位與官推報长开党权并"
    "個未或信宣近感第电心將關三称士资求据管意動场体内京收间查世再商件投小认种言登議染確回電防於區些控說向"
    "机業非過展長使实數當路州機举应告來该量化完律死计選程開声拜令子消捕两現少参然界海基联调萬球万境易影引"
    "集席進还比措导計供西間透巴各口診产企解确代何包票克建流經總媒放看需研欧无决从达里灣格结务內策除华常率"
    "檢续委場区系仍原望約初点南止步问活致学批學停打低济超川强記手統延必拉息知获派資证並际急這導水務山點即"
)


def chinese_score(text: str) -> float:
    """Share of non-ASCII characters that are frequent hanzi: high for Chinese
    decoded right, near chance for the same bytes decoded any other way."""
    sample = text[:HEAD_BYTES]
    wide = [ch for ch in sample if ch > "\x7f"]
    return sum(ch in _FREQUENT_HANZI for ch in wide) / len(wide) if wide else 0.0


def _chinese(data: bytes) -> tuple[str, str] | None:
    """The GB18030 or Big5 decoding that reads as Chinese, if one clearly does.
    charset-normalizer alone takes short GB texts for EUC-KR or CP932."""
    best: tuple[float, str, str] | None = None
    for family in ("gb18030", "big5hkscs"):
        hit = _try_codec(data, family)
        if hit is not None:
            score = chinese_score(hit[0])
            if score >= CHINESE_MIN_SCORE and (best is None or score > best[0]):
                best = (score, hit[0], hit[1])
    return (best[1], best[2]) if best else None


def _detect(data: bytes, warnings: list[str]) -> Decoded:
    hit = _chinese(data)
    if hit is not None and _mostly_text(hit[0]):
        return Decoded(hit[0], hit[1], tuple(warnings))
    # Imported here: loading charset-normalizer costs more than decoding a whole
    # UTF-8 corpus file, and most runs never reach this point.
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=_DETECTABLE).best()
    if best is not None:
        codec = normalize_label(best.encoding) or best.encoding
        hit = _try_codec(data, codec)
        if hit is not None and _mostly_text(hit[0]):
            return Decoded(hit[0], hit[1], tuple(warnings))
    text = data.decode("utf-8", errors="replace")
    replaced = text.count("\ufffd")
    if replaced > len(data) * MAX_REPLACED_SHARE:
        raise ReadError("binary file (no text found: bytes do not decode in any supported encoding)")
    warnings.append(f"encoding not recognised; read as UTF-8 with {replaced} undecodable bytes replaced")
    return Decoded(text, "utf-8", tuple(warnings))
