"""Chrome: the named line rules every capture gets, and per-outlet templates.

Place in the flow: after html.py/text.py have produced lines and credits.py
has harvested metadata from them, extract asks this module which lines are
chrome. Two sources of judgement:

1. ``RULES``: a short list of named, general rules (copyright, ICP lines, RSS
   promos, image credits, related-link headings ...), each with the reason it
   exists. They need no training and work on a single capture.
2. ``Template``: lines an outlet repeats across many of its captures, learnt
   from up to ~500 captures of that outlet (``learn``). This catches chrome
   nobody wrote a rule for.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

DROP, CUT = "drop", "cut"  # cut: this line and everything after it are chrome


@dataclass(frozen=True)
class Rule:
    """A named chrome rule: a line is chrome when ``pattern`` (case-insensitive, anchored at
    the line's start) matches it there, or ``anywhere`` anywhere in it."""

    name: str
    pattern: re.Pattern[str] | None
    action: str
    why: str
    # What the rule may find anywhere in a line, and strings of which every such match holds
    # one: a line holding none is not searched (``rule_for``). re tries an unanchored pattern
    # at every position of every paragraph; four rules searched so were a tenth of an
    # article's extraction. Its letters' cases are spelt out (compiled without re.I) so that
    # the triggers need not guess how re.I folds them.
    anywhere: re.Pattern[str] | None = None
    trigger: tuple[str, ...] = ()


def _r(name: str, pattern: str | None, action: str, why: str, anywhere: str | None = None,
       trigger: tuple[str, ...] = ()) -> Rule:
    return Rule(name, re.compile(pattern, re.I) if pattern else None, action, why,
                re.compile(anywhere) if anywhere else None, trigger)


# Python's re.I matches these letters beyond their two ASCII cases: spelt out in ``anywhere``.
_I, _S = "[Iiİı]", "[Ssſ]"

RULES: tuple[Rule, ...] = (
    _r("rss_promo", None, CUT, "the aggregator's footer; everything after it is links",
       anywhere=rf"获取更多[Rr]{_S}{_S}|[Ff][Ee][Ee][Dd][Xx]\.(?:[Nn][Ee][Tt]|[Xx][Yy][Zz])", trigger=("获", "x.", "X.")),
    _r("related_heading",
       r"^(?:延伸閱讀|延伸阅读|熱點視頻|热点视频|熱點新聞|热点新闻|熱點輿情|热点舆情|相關新聞|相关新闻|相關閱讀|相关阅读|"
       r"相關報導|相关报道|推薦閱讀|推荐阅读|猜你喜歡|猜你喜欢|相關圖集|相关图集|更多新聞|更多新闻|熱門新聞|热门新闻|"
       r"精彩推薦|精彩推荐|編輯推薦|编辑推荐|相關文章|相关文章|今日熱點|今日热点)[:：]?$|^(?:相关图集|相關圖集)[:：]", CUT,
       "a section heading of a link list; the article does not continue after it"),
    _r("copyright", r"^(?:©|\(c\)|copyright\b|版權所有|版权所有)",
       DROP, "copyright and disclaimer notices are site text, not article text",
       anywhere=r"版權及免責聲明|版权及免责声明|版權聲明|版权声明|免責聲明|免责声明", trigger=("聲明", "声明")),
    _r("icp", None, DROP, "Chinese site registration numbers",
       anywhere=rf"{_I}[Cc][Pp][备備證证]|公网安备|公網安備|京公网|京公網",
       trigger=("P备", "P備", "P證", "P证", "p备", "p備", "p證", "p证", "公网", "公網")),
    _r("image_credit",
       r"^(?:图像来源|圖像來源|图片来源|圖片來源|图片提供|圖片提供|图源|圖源|摄影|攝影|photo|image)\s*[，,:：]|"
       r"^(?:REUTERS|AFP|AP|EPA|Getty Images?)/[A-Z]",
       DROP, "image credits and CNA picinfo captions (which end in a photographer and a Minguo date)",
       anywhere=r"中央社記者\S{2,4}攝\s*\d{3}年\d{1,2}月\d{1,2}日$|[（(][^（）()]{1,20}(?:提供|攝|摄)[）)]\s*\d{3}年\d{1,2}月\d{1,2}日$",
       trigger=("攝", "摄", "提供")),
    _r("media_notice", r"^(?:你的器材不支持播放多媒体材料|你的器材不支持播放多媒體材料|视频加注文字|視頻加注文字|媒体播放|多媒体播放器|Infogram)",
       DROP, "player placeholders and video captions"),
    _r("ad_label", r"^(?:广告|廣告|advertisement|ADVERTISEMENT|sponsored)(?:\s*\d*)$", DROP, "ad slot labels"),
    _r("read_original", r"^.{0,20}(?:阅读|閱讀)(?:英文|英語|英语)?原文.{0,10}$", DROP, "a prompt to read the original elsewhere"),
    _r("subscribe_prompt", r"^(?:欢迎订阅|歡迎訂閱|请订阅|請訂閱|立即订阅|立即訂閱)", DROP, "podcast/newsletter promotions"),
    _r("bare_url", r"^(?:https?://\S+|[A-Za-z][\w -]{0,20}:)$", DROP, "a lone URL or a lone Latin label (Feed-URL:, iTunes:)"),
    _r("role_line", r"^.{0,15}(?:记者|記者|通讯员|通訊員|撰稿人|特约撰稿人|特約撰稿人)$", DROP,
       "a byline's job title (BBC卫生事务记者); the name beside it is harvested"),
    _r("subscribe", r"^.{0,20}(?:订阅|訂閱|subscribe|關注我們|关注我们|微信公眾號|微信公众号|扫码|掃碼).{0,20}$", DROP,
       "short subscription and follow prompts"),
    _r("markdown_link", r"^\[[^\]]{1,300}\]\(https?://[^)\s]+\)\s*(?:-{3,}|={3,})?$", DROP,
       "an archived post's link back to the original (its URL is harvested first)"),
    _r("underline", r"^(?:-{3,}|={3,}|_{3,}|\*{3,}|[?？·•|｜]+)$", DROP, "rules and stray symbols left by a text dump"),
    _r("closing_mark", r"^[（(]完[）)]$", DROP, "the wire's end-of-story mark"),
    _r("update_note", r"^[（(](?:新增|更新|增加|補充|补充|修訂|修订|重發|重发|改寫|改写)[^（）()]{0,60}[）)]$", DROP,
       "Reuters revision notes about the update, not article text"),
    _r("tag_heading", r"^(?:Tag|Tags|標籤|标签|關鍵字|关键字|关键词)[:：]?$", CUT, "a keyword list follows"),
    _r("hashtags", r"^(?:#\S+\s*)+$", DROP, "keyword links"),
    _r("more_news", r"^(?:查看其它新闻|查看其他新闻|查看更多|閱讀更多|阅读更多|更多內容|更多内容|返回首页|返回首頁|返回頂部|返回顶部|上一篇|下一篇)",
       DROP, "navigation links"),
    _r("share_prompt", r"^(?:分享到|分享至|分享：|分享:|打印|列印|字號|字号)", DROP, "share and print widgets"),
)

# A "read the full story" link label closing a paragraph (CNA's morning digest
# ends every item with （看完整報導）): a link to the original, not text.
READ_MORE_TAIL = re.compile(
    r"\s*[（(](?:看完整報導|看完整报导|閱讀全文|阅读全文|詳全文|详全文|看全文|全文|更多)[）)]\s*$"
)

# Editor blocks written as "role | name" (JOINS: 译 | 桔子 校 | 李霖 责任编辑 | 芮荣俊 查看其它新闻).
EDITOR_BLOCK = re.compile(r"^(?:译|校|编辑|編輯|责任编辑|責任編輯|记者|記者|作者|摄影|攝影)\s*[|｜]\s*\S")
# A trailing credit in the last paragraph: closing mark, editor/translator
# line with CNA's Minguo date code, a reporter byline, an agency list.
TRAIL = re.compile(
    r"\s*(?:[（(]完[）)]|[（(][^（）()]{1,80}[）)](?:\s*\d{7})?|\d{7})\s*$"
)


# Every rule's ``pattern`` is anchored at the line's start, so the first of them to match a
# line is the branch that one match of all of them finds; and one search for all the triggers
# tells whether any ``anywhere`` can match. Rule by rule, these calls were most of rule_for's
# ~90 us an article.
_PATTERNS = re.compile("|".join(f"(?P<r{k}>{rule.pattern.pattern})" for k, rule in enumerate(RULES)
                                if rule.pattern is not None), re.I)
assert _PATTERNS.groups == sum(rule.pattern is not None for rule in RULES), "a rule's pattern may not capture"
_ANYWHERE = [(k, rule) for k, rule in enumerate(RULES) if rule.anywhere is not None]
_TRIGGERS = re.compile("|".join(re.escape(t) for _, rule in _ANYWHERE for t in rule.trigger))


def rule_for(line: str) -> Rule | None:
    """The first rule that matches the line (its ``pattern`` or its ``anywhere``), or None."""
    m = _PATTERNS.match(line)
    first = int(m.lastgroup[1:]) if m else len(RULES)
    if _TRIGGERS.search(line) is not None:
        for k, rule in _ANYWHERE:
            if k >= first:
                break
            if rule.anywhere.search(line) is not None:  # its pattern did not match: k < first
                return rule
    return RULES[first] if m else None


def strip_read_more(paragraph: str) -> str:
    """A paragraph without a closing READ_MORE_TAIL label. A match ends in a closing bracket
    and spaces, so other paragraphs skip the search, which tries every position."""
    if paragraph.rstrip().endswith(("）", ")")):
        return READ_MORE_TAIL.sub("", paragraph)
    return paragraph


# Template learning --------------------------------------------------------

_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")

# A line is template chrome when it appears in at least this share of an
# outlet's captures (and in at least TEMPLATE_MIN_DOCS of them). Measured on
# the corpus sample, up to 500 captures per outlet (docs/extraction.md,
# "Template threshold"): chrome recurs in 15-100% of an outlet's captures (RSS
# promo 15-28%, JOINS editor lines 10-18%, DW copyright 81%, timestamp lines
# 90-100%), while repeated article text stays at or under 5.2% (DW reposts
# and gallery captions, Kyodo's daily PM schedule 4%, Reuters' RMB table 1.8%,
# CNA newsletter lines 1.4%). 0.08 sits in that gap.
TEMPLATE_SHARE = 0.08
# Long lines are paragraphs; they are chrome only when nearly every capture
# carries them (DW copyright: 81%). JOINS's daily Covid sentence recurs in 11%
# of its posts with digits collapsed and is article text: 0.3 keeps it.
TEMPLATE_LONG_CHARS = 50
TEMPLATE_LONG_SHARE = 0.3
# Fewer than 4 captures of a line are never enough evidence: a statement quoted
# by three stories is text, not chrome.
TEMPLATE_MIN_DOCS = 4
# Lines longer than this are never template chrome (the longest chrome line
# seen, DW's copyright notice, is under 100 characters).
TEMPLATE_MAX_CHARS = 200


def line_key(line: str) -> str:
    """Digits collapsed and whitespace dropped, so dates and counters do not hide a repeat."""
    return _SPACE.sub("", _DIGITS.sub("0", line)).lower()


def line_lead(line: str) -> str:
    """``line_key(line)[:1]`` without making the key: ``\\s`` and ``\\d`` are ``str.isspace``
    and ``str.isdecimal``, and a key's first char lowers as it would alone (the test checks
    every code point)."""
    for c in line:
        if not c.isspace():
            return "0" if c.isdecimal() else c.lower()[:1]
    return ""


@dataclass
class Template:
    key: str | None = None
    docs: int = 0
    lines: frozenset[str] = field(default_factory=frozenset)
    # The first chars of its lines' keys. A line whose key begins otherwise is not chrome,
    # told without making its key (~4 us a line): nine lines in ten of the corpus sample's.
    leads: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.leads = frozenset(k[:1] for k in self.lines)

    def is_chrome(self, line: str) -> bool:
        return (bool(self.lines) and len(line) <= TEMPLATE_MAX_CHARS and line_lead(line) in self.leads
                and line_key(line) in self.lines)

    def to_json(self) -> str:
        return json.dumps({"version": 1, "key": self.key, "docs": self.docs, "lines": sorted(self.lines)},
                          ensure_ascii=False)

    @classmethod
    def from_json(cls, s: str) -> "Template":
        d = json.loads(s)
        return cls(d.get("key"), int(d.get("docs", 0)), frozenset(d.get("lines", ())))


def learn(key: str | None, docs_lines: Iterable[list[str]]) -> Template:
    df: Counter[str] = Counter()
    n = 0
    for lines in docs_lines:
        n += 1
        df.update({line_key(x) for x in lines if len(x) <= TEMPLATE_MAX_CHARS})
    short = max(TEMPLATE_MIN_DOCS, math.ceil(TEMPLATE_SHARE * n))
    long = max(TEMPLATE_MIN_DOCS, math.ceil(TEMPLATE_LONG_SHARE * n))
    return Template(key, n, frozenset(
        k for k, c in df.items() if k and c >= (long if len(k) > TEMPLATE_LONG_CHARS else short)))
