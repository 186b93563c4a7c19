"""Plain-text captures (text dumps, Markdown posts) -> lines.

Place in the flow: the first step of extract for a text capture, the
counterpart of html.py. A dump of a rendered page (seed 000) puts each block
on its own line with blank lines between; a Markdown post (RTHK) separates
paragraphs by blank lines. Both become one line per paragraph; chrome rules
and templates then judge each line.
"""

from __future__ import annotations

import re

_INLINE_WS = re.compile(r"[ \t\xa0\u200b]+")
# Markdown/HTML left in a text post: comments, emphasis markers, heading marks.
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_MD_HEADING = re.compile(r"^#{1,6}\s+")


def text_lines(content: str) -> list[str]:
    content = _HTML_COMMENT.sub("", content.replace("\r\n", "\n").replace("\r", "\n"))
    out: list[str] = []
    for raw in content.split("\n"):
        if not raw:  # half a dump's lines: skipped before the regex passes
            continue
        # Folding runs of spaces keeps the text as printed (a renderer shows one)
        # while turning a dump's column padding into a single separator.
        line = _INLINE_WS.sub(" ", raw).strip()
        if line:
            out.append(_MD_HEADING.sub("", line) if line[0] == "#" else line)
    return out
