"""HTML -> lines of visible text, in document order, with container metadata.

Place in the flow: the first step of extract for an HTML capture. It turns a
page or a post fragment into lines (one per block element or ``<br>``), drops
what a reader never sees as article text (scripts, navigation, ads, image
captions, link lists) and collects what the page says about itself in
``<head>`` (title, site name, canonical URL, dates). Line-level chrome rules
and template learning come after, in chrome.py.

Full web pages (``<html>`` with nav/header/footer) are handed to trafilatura
for the body: its main-content detection beats a plain walk there, while on
post fragments (most of the corpus) it returns nothing for 39% of posts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import lxml.html
from lxml import etree

# Elements whose text is never article text.
_DROP_TAGS = frozenset(
    "script style noscript template nav aside form button select option textarea input label "
    "iframe object embed video audio canvas svg map figcaption small head title".split()
)
_BLOCK_TAGS = frozenset(
    "p div h1 h2 h3 h4 h5 h6 li ul ol dl dt dd blockquote section article main table tr td th "
    "thead tbody tfoot pre hr figure header footer center address details summary body html".split()
)
# id/class words of ads, promotions and captions across outlets: zaobao
# (dfp-ad, imu, innity), RFI (o-self-promo), CNA (adslot, moreArticle,
# picinfo), BBC (Figure wrappers hold image captions and video blurbs).
_DROP_ATTR = re.compile(
    r"(?:^|[\s_-])(?:ad|ads|adslot|adsbygoogle|advert|advertisement|dfp|imu|innity|promo|self-promo|"
    r"sponsor|share|sharing|social|related|morearticle|picinfo|caption|figure|breadcrumbs?|comments?|"
    r"visuallyhidden|sr-only|hidden)(?=$|[\s_\d-])",
    re.I,
)
# Blocks whose text is mostly link text are related-story lists or
# navigation. 0.8: BBC related lists and CNA 延伸閱讀 items are 100% linked;
# article paragraphs in the corpus that contain links are far below.
LINK_SHARE_DROP = 0.8
_REPORTER_ALT = re.compile(r"^\s*([\u4e00-\u9fff·]{2,4})\s+\S{0,8}(?:记者|記者|评论员|評論員|特派员|特派員|主笔|主筆)\s*$")
_WS = re.compile(r"[ \t\r\n\f\v\xa0\u200b]+")


@dataclass
class Page:
    lines: list[str]
    head: dict[str, str] = field(default_factory=dict)  # title, site_name, url, published, author
    full_page: bool = False


class _Walker:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.buf: list[str] = []
        self.linked = 0
        self.reporter: dict[str, str] = {}

    def flush(self) -> None:
        text = _WS.sub(" ", "".join(self.buf)).strip()
        if text:
            if self.linked and self.linked >= LINK_SHARE_DROP * len(text.replace(" ", "")):
                pass  # a link list item or a bare link: navigation, not text
            else:
                self.lines.append(text)
        self.buf = []
        self.linked = 0

    def walk(self, el: etree._Element, in_link: bool = False) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        dropped = (
            not tag
            or tag in _DROP_TAGS
            or _DROP_ATTR.search(f"{el.get('class', '')} {el.get('id', '')}") is not None
            or el.get("aria-hidden") == "true"
            or el.get("hidden") is not None
        )
        if not dropped:
            block = tag in _BLOCK_TAGS
            if block:
                self.flush()
            if tag == "br":
                self.flush()
            if tag == "img" and "author" not in self.reporter:
                m = _REPORTER_ALT.match(el.get("alt") or "")
                if m:  # a reporter's portrait (JOINS): the only place the byline is visible
                    self.reporter["author"] = m.group(1)
            link = in_link or tag == "a"
            if el.text:
                self._add(el.text, link)
            for child in el:
                self.walk(child, link)
            if block:
                self.flush()
        if el.tail:  # the tail belongs to the parent, dropped or not
            self._add(el.tail, in_link)

    def _add(self, text: str, linked: bool) -> None:
        self.buf.append(text)
        if linked:
            self.linked += len(_WS.sub("", text))


def _head(root: etree._Element) -> dict[str, str]:
    out: dict[str, str] = {}
    for el in root.iter("meta", "link", "title"):
        if el.tag == "title" and el.text and "title" not in out:
            out["title"] = _WS.sub(" ", el.text).strip()
        elif el.tag == "link" and el.get("rel") == "canonical" and el.get("href"):
            out["url"] = el.get("href", "")
        elif el.tag == "meta":
            name = (el.get("property") or el.get("name") or el.get("itemprop") or "").lower()
            value = (el.get("content") or "").strip()
            if not value:
                continue
            key = {
                "og:title": "og_title",
                "og:site_name": "site_name",
                "og:url": "url",
                "article:published_time": "published",
                "datepublished": "published",
                "pubdate": "published",
                "publishdate": "published",
                "author": "author",
                "article:author": "author",
            }.get(name)
            if key and key not in out:
                out[key] = value
    if "og_title" in out:
        out["title"] = out.pop("og_title")
    return out


def _is_full_page(content: str) -> bool:
    head = content[:4000].lower()
    return ("<html" in head or "<body" in head) and any(t in content.lower() for t in ("<nav", "<header", "<footer"))


def _trafilatura_lines(content: str) -> list[str]:
    try:
        import trafilatura

        text = trafilatura.extract(content, include_comments=False, include_tables=False, favor_recall=True)
    except Exception:  # a broken page must still yield an Article
        return []
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def html_page(content: str) -> Page:
    try:
        root = lxml.html.document_fromstring(content)
    except (etree.ParserError, ValueError):
        return Page([])
    full = _is_full_page(content)
    head = _head(root) if full or "<meta" in content[:4000] or "<title" in content[:4000] else {}
    walker = _Walker()
    body = root.find("body")
    walker.walk(body if body is not None else root)
    walker.flush()
    page = Page(walker.lines, {**walker.reporter, **head}, full)
    if full:
        main = _trafilatura_lines(content)
        if main:
            page.lines = main
    return page
