"""Who wrote it, who published it, whose wire it came from.

Place in the flow: extract hands every line of a capture to ``Credits.scan``
before chrome is removed, so a byline or a ``轉自:新華社`` line feeds
``authors``/``wire`` even though it never reaches the body. The same module
names the outlet from the container (front-matter category, site name, host).

Conventions (docs/extraction.md, bench/gold/README.md): ``authors`` are people
(reporters, editors, translators) as written, without role words; ``wire``
lists agencies credited as the text's source, as written, in order of
appearance, including an outlet's own wire service when its dateline credits
it (CNA 中央社, Reuters 路透, Kyodo 共同社, AFP via RFI 法新社).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Front-matter categories of the agora aggregator -> the outlet's own name
# (as its pages call it). Unknown categories fall back to the raw value.
OUTLET_NAMES: dict[str, str] = {
    "rthk": "香港電台",
    "cna": "中央社",
    "rfi": "法国国际广播电台",
    "reuters": "路透社",
    "kyodo": "共同社",
    "dw": "德国之声",
    "joins": "中央日报",
    "bbc": "BBC中文",
    "zaobao": "联合早报",
}
HOST_OUTLETS: dict[str, str] = {
    "zaobao.com": "联合早报",
    "zaobao.com.sg": "联合早报",
    "cna.com.tw": "中央社",
    "rfi.fr": "法国国际广播电台",
    "dw.com": "德国之声",
    "bbc.com": "BBC中文",
    "news.rthk.hk": "香港電台",
    "chinese.joins.com": "中央日报",
}

# News agencies, both scripts. Only these count for in-text attributions
# (据X报道) and parenthesised credit lists; explicit source labels (轉自:X,
# 来源:X) accept any name.
AGENCIES = (
    "新華社 新华社 中新社 中通社 中央社 路透社 路透 法新社 美聯社 美联社 共同社 時事社 时事社 "
    "韓聯社 韩联社 塔斯社 俄新社 德新社 安莎社 埃菲社 彭博社 合眾國際社 合众国际社 天主教通讯社 "
    "AFP Reuters AP Kyodo Xinhua"
).split()
_AGENCY = "|".join(sorted(map(re.escape, AGENCIES), key=len, reverse=True))
# Each agency as a whole word, compiled once (``agencies_in``): built line by line and looked up
# in re's cache, the 29 searches took ~110 us a copyright line.
_AGENCY_WORDS = tuple((a, re.compile(rf"\b{re.escape(a)}\b")) for a in AGENCIES)

_ROLE = (
    r"編輯|编辑|譯者|译者|翻譯|翻译|核稿|審校|审校|校對|校对|責任編輯|责任编辑|責編|责编|記者|记者|"
    r"報導|报道|报导|撰稿|撰文|作者|採訪|采访|整理|实习生|實習生|译|校"
)
# Places that open CNA datelines after the reporter's name (記者X台北3日電).
# A name is 2-3 characters; this list decides the boundary when both fit.
# A person's name: 2-4 Han characters that do not start with a role word
# (so 曹宇帆/核稿：林治平 reads as two names, not three).
_NAME = rf"(?!(?:{_ROLE}))[\u4e00-\u9fff·]{{2,4}}"
_PLACES = (
    "台北 臺北 新北 桃園 台中 臺中 台南 臺南 高雄 基隆 新竹 嘉義 苗栗 彰化 南投 雲林 屏東 宜蘭 花蓮 台東 臺東 "
    "澎湖 金門 馬祖 連江 香港 澳門 北京 上海 廣州 深圳 東京 首爾 華盛頓 紐約 舊金山 洛杉磯 倫敦 巴黎 柏林 "
    "布魯塞爾 日內瓦 莫斯科 新加坡 吉隆坡 曼谷 雅加達 河內 馬尼拉 新德里 雪梨 坎培拉 多倫多 溫哥華 渥太華"
).split()

_CNA_DATELINE = re.compile(r"中央社(?:記者|记者)([^（）()]{2,40}?)\d{1,2}日專?[電电]")
_LABELLED_SOURCE = re.compile(r"^(?:轉自|转自|來源|来源|稿源|出處|出处|文章來源|文章来源)\s*[:：]\s*(.{1,30}?)\s*$")
# 引据X消息 cites a report inside the story; it does not credit the text.
_IN_TEXT = re.compile(rf"(?<!引)[据據](?:\s*)({_AGENCY})[^，。；,;]{{0,10}}?(?:报道|報導|报导|報道|消息|电|電)")
_DATELINE = re.compile(rf"^[（(【\[]\s*({_AGENCY})[^）)】\]]{{0,20}}?\d{{1,2}}日\s*[专專]?[电電][）)】\]]")
_REUTERS_DATELINE = re.compile(r"^(路透)\S{0,8}?\d{1,2}月\d{1,2}日\s*[-–—]")
_PAREN_AGENCIES = re.compile(rf"[（(]\s*(?:综合|綜合|据|據)?\s*((?:{_AGENCY})(?:\s*[、，,/／及和与與]\s*(?:{_AGENCY}))*)\s*(?:等|报道|報導|报导)*\s*[）)]")
_ROLE_NAMES = re.compile(rf"(?:{_ROLE})\s*[:：|｜]?\s*((?:{_NAME})(?:\s*[、，,/／]\s*{_NAME})*)")
_NAMES_SPLIT = re.compile(r"\s*[、，,/／]\s*")
# A person in a byline: a Han name, or a romanised one (DW: Phoebe Kong/杨威廉).
_PERSON = rf"(?:{_NAME}|[A-Z][A-Za-z'.-]+(?: [A-Z][A-Za-z'.-]+){{0,3}})"
_BYLINE_CORE = (
    rf"((?:{_PERSON})(?:\s*[、/／]\s*{_PERSON})*)\s*[（(]\s*(综合报道|綜合報導|综合报导|綜合報道|编译|編譯|摘编|摘編|编辑|編輯|报道|報導|"
    rf"(?:{_AGENCY})(?:\s*[、，,]\s*(?:{_AGENCY}))*\s*等?)\s*[）)]"
)
_BYLINE_LINE = re.compile(rf"^{_BYLINE_CORE}$")
# The same byline closing the last paragraph after some spaces (DW).
_BYLINE_TAIL = re.compile(rf"(?<=[。！？”」\s])\s*{_BYLINE_CORE}\s*$")
_AUTHOR_LABEL = re.compile(rf"^(?:作者|文|撰文|記者|记者)\s*[:：|｜]?\s*((?:{_NAME})(?:\s*[、/／]\s*{_NAME})*)\s*$")


def split_reporter(s: str) -> list[str]:
    """``陳偉婷、張茗喧台北`` -> the names before the dateline's place."""
    parts = _NAMES_SPLIT.split(s)
    last = parts[-1]
    name = None
    for place in _PLACES:
        i = last.find(place)
        if 2 <= i <= 4:
            name = last[:i]
            break
    if name is None:  # unknown place: CNA names are mostly 3 characters
        name = last[:3] if len(last) >= 5 else last[:2]
    return [p for p in parts[:-1] + [name] if p]


def agencies_in(text: str) -> list[str]:
    """The agencies named in ``text`` as whole words, in ``AGENCIES``' order."""
    # a substring test first: a search scans the whole line for each agency (~2 us)
    return [a for a, word in _AGENCY_WORDS if a in text and word.search(text)]


def names_after_roles(text: str) -> list[str]:
    out: list[str] = []
    for m in _ROLE_NAMES.finditer(text):
        out.extend(n for n in _NAMES_SPLIT.split(m.group(1)) if n)
    return out


@dataclass
class Credits:
    authors: list[str] = field(default_factory=list)
    wire: list[str] = field(default_factory=list)

    def add_author(self, *names: str) -> None:
        for n in names:
            n = n.strip()
            if n and n not in self.authors:
                self.authors.append(n)

    def add_wire(self, *names: str, outlet: str | None = None) -> None:
        for n in names:
            n = n.strip()
            if n and n not in self.wire and n != outlet:
                self.wire.append(n)

    def dateline(self, line: str) -> None:
        """Credits in a paragraph's opening dateline (kept in the body)."""
        m = _CNA_DATELINE.search(line[:60])
        if m:
            self.add_wire("中央社")
            self.add_author(*split_reporter(m.group(1)))
            return
        m = _DATELINE.match(line) or _REUTERS_DATELINE.match(line)
        if m:
            self.add_wire(m.group(1))
        elif line[:12].startswith(("（中央社", "(中央社")):
            self.add_wire("中央社")

    def in_text(self, line: str, outlet: str | None) -> None:
        if "据" not in line and "據" not in line:  # every match holds one; the scan tried each position
            return
        for m in _IN_TEXT.finditer(line):
            self.add_wire(m.group(1), outlet=outlet)

    def _byline(self, m: re.Match[str], outlet: str | None) -> None:
        self.add_author(*_NAMES_SPLIT.split(m.group(1)))
        agencies = re.split(r"\s*[、，,]\s*", m.group(2).rstrip("等 "))
        self.add_wire(*[a for a in agencies if a in AGENCIES], outlet=outlet)

    def trailing_byline(self, line: str, outlet: str | None) -> str | None:
        """The line without a byline that closes it, harvesting the byline; None if there is none."""
        m = _BYLINE_TAIL.search(line)
        if not m:
            return None
        self._byline(m, outlet)
        return line[: m.start()].rstrip()

    def credit_line(self, text: str, outlet: str | None) -> bool:
        """A line or trailing parenthesis that is only a credit; harvest it. True if it was one."""
        t = text.strip()
        m = _LABELLED_SOURCE.match(t)
        if m:
            self.add_wire(m.group(1), outlet=outlet)
            return True
        m = _BYLINE_LINE.match(t)
        if m:
            self._byline(m, outlet)
            return True
        m = _AUTHOR_LABEL.match(t)
        if m:
            self.add_author(*_NAMES_SPLIT.split(m.group(1)))
            return True
        inner = t.strip("（）() ")
        if t[:1] in "（(" and t[-1:] in "）)":
            pm = _PAREN_AGENCIES.fullmatch(t)
            if pm:
                self.add_wire(*re.split(r"\s*[、，,/／及和与與]\s*", pm.group(1)), outlet=outlet)
                return True
            if re.search(_ROLE, inner) and len(inner) <= 60:
                names = names_after_roles(inner)
                if names:
                    self.add_author(*names)
                    return True
        return False


def outlet_from_category(cat: str) -> str:
    return OUTLET_NAMES.get(cat.strip().lower(), cat.strip())


def outlet_from_host(host: str) -> str | None:
    host = host.lower().removeprefix("www.")
    for h, name in HOST_OUTLETS.items():
        if host == h or host.endswith("." + h):
            return name
    return None
