"""The article's title, as the outlet titled it.

Place in the flow: extract asks for a title once the container metadata and
the first lines are known. Order: the container's title (front matter, feed
item, ``<meta og:title>``/``<title>``), else the first short line of a text
dump. Site suffixes (`` – 法国国际广播电台 - RFI``) and surrounding quotes go;
markers that are part of the headline (【快讯】, （更新版）, column tags) stay.
"""

from __future__ import annotations

import re

_QUOTES = "\"'“”「」"
_SUFFIX = re.compile(r"^(.*\S)\s+[-–—|｜_]\s+([^-–—|｜_]{1,40})$")
# A first line longer than this, or ending like a sentence, is a paragraph.
TITLE_MAX_CHARS = 80
_SENTENCE_END = tuple("。！？!?；;")


def _norm(s: str) -> str:
    return re.sub(r"\s+", "", s).lower()


def clean_title(title: str, site_names: list[str]) -> str:
    t = title.strip()  # inner spacing is the outlet's (full-width spaces included)
    if len(t) >= 2 and t[0] in _QUOTES and t[-1] in _QUOTES:
        t = t[1:-1].strip()
    names = [_norm(n) for n in site_names if n]
    while True:
        m = _SUFFIX.match(t)
        if not m or not any(n and (n in _norm(m.group(2)) or _norm(m.group(2)) in n) for n in names):
            return t
        t = m.group(1)


def title_from_lines(lines: list[str]) -> str | None:
    for line in lines[:3]:
        if len(line) <= TITLE_MAX_CHARS and not line.endswith(_SENTENCE_END):
            return line
    return None


def headline_of(line: str, title: str | None) -> bool:
    """A page's <title> is often the headline plus site sections ("伊朗… | 國際 |
    中央社 CNA"): the line is the headline when the title starts with it and
    what follows begins with a separator."""
    if not title or len(_norm(line)) < 6:
        return False
    head = title.strip()
    if not head.startswith(line.strip()):
        return False
    rest = head[len(line.strip()):].lstrip()
    return bool(rest) and rest[0] in "-–—|｜_:："


def same_title(line: str, title: str | None) -> bool:
    """The title repeated at the top of the body (possibly with a site suffix)."""
    if not title:
        return False
    a, b = _norm(line), _norm(title)
    return bool(a) and (a == b or (a.startswith(b) and len(a) - len(b) <= 20))
