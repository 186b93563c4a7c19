"""extract: RawDocument -> Article (clean body in the original script + metadata).

Place in the flow: readers -> **extract** -> normalize -> link. The ingest
pipeline learns one ``Template`` per outlet (``template_key`` groups captures,
``learn_template`` finds the lines they repeat) and calls ``extract`` on each
capture with its outlet's template. Steps of ``extract``:

1. the container: front matter / meta (title, url, date, category);
2. lines: html.py or text.py, then inline pinyin stripped (pinyin.py);
3. one pass over the lines: metadata is harvested from every line (dates,
   bylines, credits) *before* the line is judged; head lines (title repeat,
   date lines, bylines), named chrome rules and template lines are dropped;
4. trailing credits (``（完）``, ``（編輯：X）1100103``, ``(記者 X)``) are cut
   from the last paragraph; datelines that open the text stay (they are what
   the outlet printed) but credit their agency and reporter.

Pure and total: the same input gives the same Article, and odd input still
gives one (title/body from whatever text there is).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

from wiretrace.extract import chrome, credits as _credits, dates, title as _title
from wiretrace.extract.chrome import Template
from wiretrace.extract.html import html_page
from wiretrace.extract.pinyin import strip_pinyin
from wiretrace.extract.text import text_lines
from wiretrace.model import Article, RawDocument, article_id
from wiretrace.normalize import script_and_language

__all__ = ["extract", "template_key", "learn_template", "Template", "RAW_FORMATS"]

# The capture formats whose raw bytes (``RawDocument.data``) extraction reads: a front-matter
# file's date as written (``_raw_fm_date``). Of every other capture it reads only the decoded
# payload, so a re-extraction need not read their bytes back (``Archive.document``).
RAW_FORMATS = frozenset({"frontmatter"})

# Head lines: before the first paragraph of text, at most this many lines are
# examined as header (title repeat, date, byline). The corpus's longest head is
# BBC/DW: a timestamp, a byline and an image block (4 lines).
HEAD_LINES = 8

_FRONT_MATTER = re.compile(r"\A\ufeff?---\s*\n(.*?)\n---\s*\n", re.S)
_HEADER = re.compile(r"^(.{2,30}?)\s+(?:時間|时间|發布時間|发布时间|發佈時間|发稿时间|日期|更新時間|更新时间)\s*[:：]\s*(.{6,40})$")
_DATE_LABEL = re.compile(r"時間|时间|發布|发布|發佈|更新|日期|分钟前|分鐘前|小时前|小時前|天前|秒前|UTC|GMT|上午|下午|星期.|周.|週.")
_DATE_RESIDUE = re.compile(r"[\d\s年月日号號时時分秒点點:：\-/.,，TZ+()（）|｜]")
_ROC_ONLY = re.compile(r"^\d{7}$")
_MD_URL = re.compile(r"\]\((https?://[^)\s]+)\)")
_CNA_DAY = re.compile(r"^[（(]中央社[^）)]{0,30}?(\d{1,2})日專?[電电]")
# Byline shapes beside a head timestamp: a Han name (with ·/‧), a romanised
# name, or a name with its romanisation; "（Claudia Hammond）" alone is the
# romanisation of the line above.
_HEAD_NAME = re.compile(
    r"^(?:([\u4e00-\u9fff·‧]{2,12}(?:\s*[/／、]\s*[\u4e00-\u9fff·‧]{2,12})*)"
    r"|((?:[^\W\d_][\w'.-]*)(?: [^\W\d_][\w'.-]*){1,3}))$"
)
# Scraper artefacts before a DW byline ("null 张慈").
_NULL_PREFIX = re.compile(r"^(?:null|undefined|None)\s+")
_ROMANISATION = re.compile(r"^[（(][A-Za-z][A-Za-z .'-]{1,40}[）)]$")
_NAME_ROMANISED = re.compile(r"^([\u4e00-\u9fff·‧]{2,12})\s*[（(][A-Za-z][A-Za-z .'-]{1,40}[）)]$")
_BOLD_MD = re.compile(r"^\*\*(.+)\*\*$")
# A CNA date code further than this from the capture time is a typo in the
# source (seen: 1090104 on a post fetched 2021-01-04); the capture date wins.
ROC_CODE_MAX_DAYS = 31


def _front_matter(doc: RawDocument) -> dict[str, Any]:
    fm = doc.meta.get("front_matter")
    if isinstance(fm, dict):
        return fm
    m = _FRONT_MATTER.match(doc.content)
    if m:
        try:
            import yaml

            got = yaml.safe_load(m.group(1))
            return got if isinstance(got, dict) else {}
        except Exception:  # malformed YAML: treat as no front matter
            return {}
    return {}


def _raw_fm_date(doc: RawDocument) -> str | None:
    """The front-matter date as written (YAML would turn it into a datetime and lose the form):
    a front-matter file's ``content`` is its body alone, its front matter is in ``data``."""
    head = doc.data[:4000].decode("utf-8", "replace") if doc.format in RAW_FORMATS and doc.data else doc.content[:4000]
    m = _FRONT_MATTER.match(head) or _FRONT_MATTER.match(doc.content[:4000])
    if m:
        d = re.search(r"^date:\s*['\"]?([^'\"\n]+)", m.group(1), re.M)
        if d:
            return d.group(1).strip()
    return None


def _category(fm: dict[str, Any]) -> str | None:
    cat = fm.get("categories") or fm.get("category")
    if isinstance(cat, list):
        cat = cat[0] if cat else None
    if isinstance(cat, str) and cat.strip():
        return cat.strip()
    return None


def _url(doc: RawDocument, fm: dict[str, Any]) -> str | None:
    for v in (doc.meta.get("url"), fm.get("url"), fm.get("from"), fm.get("link"), fm.get("source_url")):
        if isinstance(v, str) and v.startswith(("http://", "https://")):
            return v.strip()
    return None


# A URL's host in the common case: no user, no IPv6 brackets, at most a port. urlparse gives
# the same; it took ~10 us for a URL it had not seen (extraction and the store pass each ask).
_PLAIN_HOST = re.compile(r"https?://([A-Za-z0-9.-]+)(?::\d*)?(?=[/?#]|\Z)")


def _host(url: str) -> str | None:
    """``urlparse(url).hostname``, or None where urlparse refuses the URL (``https://[``)."""
    m = _PLAIN_HOST.match(url)
    if m:
        return m.group(1).lower()
    try:
        return urlparse(url).hostname
    except ValueError:  # a malformed URL names no host; extraction must not fail on it
        return None


def template_key(doc: RawDocument) -> str | None:
    fm = _front_matter(doc)
    cat = _category(fm)
    if cat:
        return cat.lower()
    url = _url(doc, fm)
    if url:
        host = _host(url)
        return host.removeprefix("www.") if host else None
    return None


def _lines(doc: RawDocument) -> tuple[list[str], dict[str, str]]:
    content = doc.content or ""
    m = _FRONT_MATTER.match(content)
    if m:
        content = content[m.end():]
    head: dict[str, str] = {}
    looks_html = doc.content_type == "html" or re.search(r"<(?:p|div|br|span|html|body)\b", content[:5000], re.I)
    if looks_html:
        page = html_page(content)
        lines, head = page.lines, page.head
    else:
        lines = text_lines(content)
    out = []
    for line in lines:
        line = strip_pinyin(line).strip()
        m = _BOLD_MD.match(line)  # Markdown emphasis left in a post's HTML (Reuters)
        out.append(m.group(1).strip() if m else line)
    return [x for x in out if x], head


def learn_template(docs: Sequence[RawDocument]) -> Template:
    key = template_key(docs[0]) if docs else None
    return chrome.learn(key, (_lines(d)[0] for d in docs))


def _is_date_line(line: str) -> bool:
    if len(line) > 48:
        return False
    rest = _DATE_RESIDUE.sub("", _DATE_LABEL.sub("", line))
    return len(rest) <= 2 and any(c.isdigit() for c in line)


class _Stamps:
    """Dates found in one capture, by strength: printed time > printed date > container > dateline day."""

    def __init__(self) -> None:
        self.timed: dates.Stamp | None = None
        self.dated: dates.Stamp | None = None
        self.weak: dates.Stamp | None = None

    def add(self, st: dates.Stamp | None, ref: datetime | None = None) -> None:
        if st is None:
            return
        if ref is not None and not st.has_time:
            days = abs((datetime.fromisoformat(st.iso).date() - ref.date()).days)
            if days > ROC_CODE_MAX_DAYS:
                return
        if st.has_time and self.timed is None:
            self.timed = st
        elif not st.has_time and self.dated is None:
            self.dated = st

    def best(self, container: dates.Stamp | None) -> str | None:
        # A dateline's day is printed by the outlet, so it beats the fetch time
        # (bench/gold/README.md: CNA without a date code).
        for st in (self.timed, self.dated, self.weak, container):
            if st is not None:
                return st.iso
        return None


def extract(doc: RawDocument, template: Template | None = None) -> Article:
    fm = _front_matter(doc)
    meta = doc.meta
    category = _category(fm)
    url = _url(doc, fm)
    host = _host(url) if url else None
    key = (category or (host.removeprefix("www.") if host else "") or "").lower() or None
    outlet: str | None = None
    if category:
        outlet = _credits.outlet_from_category(category)
    elif isinstance(meta.get("outlet"), str) and meta["outlet"]:
        outlet = meta["outlet"]

    raw_date = _raw_fm_date(doc) or meta.get("published") or fm.get("date") or meta.get("captured")
    ref, container_stamp = dates.parse_capture_time(raw_date)
    if ref is None and meta.get("captured"):
        ref, _ = dates.parse_capture_time(meta.get("captured"))

    try:
        lines, head = _lines(doc)
    except Exception:  # never raise on odd input: fall back to the raw text
        lines, head = text_lines(doc.content or ""), {}
    if outlet is None and head.get("site_name"):
        outlet = head["site_name"]
    if outlet is None and host:
        outlet = _credits.outlet_from_host(host)
    url = url or head.get("url")

    title_src = meta.get("title") or fm.get("title") or head.get("title")
    title = str(title_src) if title_src not in (None, "") else _title.title_from_lines(lines)

    cred = _credits.Credits()
    stamps = _Stamps()
    if head.get("published"):
        stamps.add(dates.parse_date(head["published"], ref, key))
    if head.get("author"):
        cred.add_author(head["author"])
    keep: list[str] = []
    templated: list[int] = []  # positions in keep of lines the template calls chrome
    copyright_agencies: list[str] = []
    header_outlet: str | None = None
    prev_date = False
    cut = False
    for i, line in enumerate(lines):
        if cut:  # past the article's end: only credits are still worth reading (DW byline after a gallery)
            if not cred.credit_line(line, outlet) and chrome.EDITOR_BLOCK.match(line):
                cred.add_author(*_credits.names_after_roles(line))
            continue
        in_head = not keep and i < HEAD_LINES
        m = _MD_URL.search(line)
        if m and url is None:
            url = m.group(1)
        if in_head:
            if _title.same_title(line, title):
                continue
            if _title.headline_of(line, title):
                title = line  # the page's headline, without the <title>'s site sections
                continue
            hm = _HEADER.match(line)
            if hm and (st := dates.parse_date(hm.group(2), ref, key)):
                header_outlet = header_outlet or hm.group(1).strip()
                stamps.add(st)
                prev_date = True
                continue
            if _is_date_line(line) and (st := dates.parse_date(line, ref, key)):
                stamps.add(st)
                prev_date = True
                continue
            near_date = prev_date or any(_is_date_line(x) for x in lines[i + 1 : i + 3])
            hn = _HEAD_NAME.match(_NULL_PREFIX.sub("", line))
            if near_date and hn:  # a bare name beside the timestamp: DW's/BBC's byline
                cred.add_author(*re.split(r"\s*[/／、]\s*", hn.group(1) or hn.group(2)))
                continue
            if near_date and _ROMANISATION.match(line):
                continue
        nr = _NAME_ROMANISED.match(line)
        if nr and i + 1 < len(lines) and (r := chrome.rule_for(lines[i + 1])) and r.name == "role_line":
            cred.add_author(nr.group(1))  # BBC: 尼克·垂格勒（Nick Triggle） / BBC卫生事务记者
            continue
        if _ROC_ONLY.match(line):
            stamps.add(dates.roc_code(line), ref)
            continue
        rule = chrome.rule_for(line)
        if rule is not None:
            if rule.name == "copyright":
                copyright_agencies += _credits.agencies_in(line)
            if rule.action == chrome.CUT and keep:
                cut = True
            continue
        if chrome.EDITOR_BLOCK.match(line):
            cred.add_author(*_credits.names_after_roles(line))
            continue
        if cred.credit_line(line, outlet):
            continue
        if template is not None and template.is_chrome(line):
            if _is_date_line(line):
                stamps.add(dates.parse_date(line, ref, key))
            templated.append(len(keep))
        if len(keep) - len(templated) < 2 and (len(keep) not in templated):
            cred.dateline(line)
            cm = _CNA_DAY.match(line)
            if cm and stamps.weak is None:
                stamps.weak = dates.day_of_month(int(cm.group(1)), ref)
        cred.in_text(line, outlet)
        keep.append(line)
        prev_date = False

    chrome_at = set(templated)
    body_lines = [x for j, x in enumerate(keep) if j not in chrome_at] or keep
    body_lines = _strip_trailing(body_lines, cred, stamps, outlet, ref)
    if not body_lines:  # nothing survived: an Article from whatever text there is
        body_lines = lines
    if not cred.wire and copyright_agencies:
        cred.add_wire(copyright_agencies[0], outlet=outlet)
    if outlet is None and header_outlet:
        outlet = header_outlet
    if title:
        title = _title.clean_title(title, [outlet or "", category or "", header_outlet or ""])

    body_lines = [p for p in map(chrome.strip_read_more, body_lines) if p]
    body = "\n\n".join(body_lines)
    script, language = script_and_language(body)
    return Article(
        id=article_id(doc.source, doc.sha256),
        path=doc.source,
        title=title or None,
        body=body,
        published=stamps.best(container_stamp),
        outlet=outlet,
        url=url,
        authors=cred.authors,
        wire=cred.wire,
        script=script,
        language=language,
    )


def _strip_trailing(lines: list[str], cred: _credits.Credits, stamps: _Stamps, outlet: str | None,
                    ref: datetime | None) -> list[str]:
    """Cut closing marks and credits from the end of the text, harvesting them."""
    lines = list(lines)
    while lines:
        last = lines[-1]
        rest_of_byline = cred.trailing_byline(last, outlet)
        if rest_of_byline is not None:
            if rest_of_byline:
                lines[-1] = rest_of_byline
            else:
                lines.pop()
            continue
        m = chrome.TRAIL.search(last)
        if not m:
            break
        part = m.group(0).strip()
        code = re.search(r"\d{7}$", part)
        paren = re.sub(r"\s*\d{7}$", "", part)
        if code:
            stamps.add(dates.roc_code(code.group(0)), ref)
        if paren and not re.fullmatch(r"[（(]完[）)]", paren) and not cred.credit_line(paren, outlet):
            if code:  # a code after ordinary text: drop only the code
                lines[-1] = last[: m.start()] + paren
            break
        rest = last[: m.start()].rstrip()
        if rest:
            lines[-1] = rest
        else:
            lines.pop()
    return lines
