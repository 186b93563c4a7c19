"""Tests for wiretrace.extract on real captures: the two seeds, one capture per
corpus outlet, pinyin, dates, template learning, and the whole corpus sample."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from wiretrace.extract import Template, _host, extract, learn_template, template_key
from wiretrace.extract.chrome import line_key, line_lead
from wiretrace.extract.credits import agencies_in
from wiretrace.extract.dates import parse_capture_time, parse_date, roc_code
from wiretrace.extract.pinyin import strip_pinyin
from wiretrace.model import RawDocument, article_id

SHARED = Path(__file__).resolve().parents[2] / "shared"
SEEDS = SHARED / "seeds"
CORPUS = SHARED / "corpus" / "agora-news-sample"
_FM = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)


def load(path: Path) -> RawDocument:
    """A capture as readers would give it (front matter parsed, content after it)."""
    try:
        from wiretrace.readers import read_path  # type: ignore[attr-defined]
    except ImportError:
        read_path = None
    if read_path is not None:
        return next(d for d in read_path(path) if isinstance(d, RawDocument))
    data = path.read_bytes()
    text = data.decode("utf-8")
    meta: dict = {}
    content, fmt = text, "text"
    m = _FM.match(text)
    if m:
        meta["front_matter"] = yaml.safe_load(m.group(1)) or {}
        content, fmt = text[m.end():], "frontmatter"
    ctype = "html" if re.search(r"<(?:p|div|br)\b", content[:5000]) else "text"
    return RawDocument(str(path.resolve()), data, fmt, "utf-8", content, ctype, meta)


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"capture not found at {path} (the shared corpus is not on this machine)")
    return path


_TEMPLATES: dict[str, Template] = {}


def corpus_templates() -> dict[str, Template]:
    """One template per outlet, learnt from up to 500 of its corpus captures."""
    if not _TEMPLATES:
        groups: dict[str, list[RawDocument]] = defaultdict(list)
        for p in sorted(CORPUS.glob("2021-*")):
            d = load(p)
            groups[template_key(d) or ""].append(d)
        for k, docs in groups.items():
            _TEMPLATES[k] = learn_template(docs[:500])
    return _TEMPLATES


SEED0_BODY = (
    '中國常駐聯合國代表張軍29日表示,應制定各國普遍接受的網絡空間國際規則,反對搞小圈子和集團政治,反對搞科技霸權。\n\n'
    '張軍在當天舉行的安理會網絡安全問題公開會上說,應以維護和平促安全,防止網絡空間成為新的戰場。應以加強治理促安全,推進網絡空間公平正義。各國應踐行真正的多邊主義,在聯合國框架下建立各方平等參與、開放包容、可持續的網絡安全治理進程,制定各國普遍接受的網絡空間國際規則,反對搞小圈子和集團政治。\n\n'
    '他指出,應以交流合作促安全,營造網絡空間良好環境。維護網絡安全是全球性課題,沒有哪個國家能夠置身事外、獨力應對。網絡空間霸權主義、單邊主義、保護主義只會加劇緊張對抗,毒化合作氛圍,應當受到國際社會共同抵制和反對。各國應攜手努力,深化在技術研發、規則制定、信息共享等方面的交流合作,共同遏制信息技術濫用。應共同反對網絡監聽和網絡攻擊,打擊網絡恐怖主義和網絡犯罪,提升網絡安全保障能力。應為企業提供開放、公平、非歧視的營商環境,保障全球信息通信產業鏈供應鏈開放、穩定、安全,推動全球經濟健康發展,反對以各種理由人為干擾企業正常經營行為。\n\n'
    '張軍指出,應以普惠發展促安全,實現網絡空間共同繁榮。各國應采取更加積極、包容、協調、普惠的政策,促進信息通信技術在全球范圍內均衡發展,大力發展數字經濟等新模式新業態,反對搞科技霸權。\n\n'
    '張軍指出,中方去年提出《全球數據安全倡議》,聚焦關鍵基礎設施和個人信息保護、企業境外數據存儲和調取、供應鏈安全等重大問題,為維護全球數據和網絡安全提出建設性解決方案。中方還積極推進“數字絲綢之路”建設,同各國共同構建面向未來的智能化互聯互通新格局。\n\n'
    '張軍強調,中方愿同世界各國一道,把握信息革命機遇,培育創新發展新動能,開創數字合作新局面,打造網絡安全新格局,構建網絡空間命運共同體,攜手創造人類更加美好的未來。'
)
SEED1_BODY = (
    '中国常驻联合国代表张军29日表示，应制定各国普遍接受的网络空间国际规则，反对搞小圈子和集团政治，反对搞科技霸权。\n\n'
    '据新华社报道，张军在安理会网络安全问题公开会上说，各国应践行真正的多边主义，在联合国框架下建立各方平等参与、开放包容、可持续的网络安全治理进程，制定各国普遍接受的网络空间国际规则，反对搞小圈子和集团政治。\n\n'
    '他指出，维护网络安全是全球性课题，没有哪个国家能够置身事外、独力应对。网络空间霸权主义、单边主义、保护主义只会加剧紧张对抗，毒化合作氛围，应当受到国际社会共同抵制和反对。各国应携手遏制信息技术滥用，共同反对网络监听和网络攻击，打击网络恐怖主义和网络犯罪。\n\n'
    '他指出，应为企业提供开放、公平、非歧视的营商环境，保障全球信息通信产业链供应链开放、稳定、安全，推动全球经济健康发展，反对以各种理由人为干扰企业正常经营行为。\n\n'
    '张军指出，各国应采取更加积极、包容、协调、普惠的政策，促进信息通信技术在全球范围内均衡发展，发展数字经济等新模式新业态，反对搞科技霸权。\n\n'
    '张军表示，中国去年提出《全球数据安全倡议》，聚焦关键基础设施和个人信息保护、企业境外数据存储和调取、供应链安全等重大问题，为维护全球数据和网络安全提出建设性解决方案，还积极推进“数字丝绸之路”建设，同各国共同构建面向未来的智能化互联互通新格局。'
)


@pytest.mark.parametrize("learnt", [False, True])
def test_seed_000_text_dump(learnt: bool) -> None:
    path = need(SEEDS / "000_e6308b167f0f33d2.txt")
    doc = load(path)
    # the other seed is the only other capture there is: a template from both must change nothing
    tmpl = learn_template([doc, load(SEEDS / "001_d7cc57b77e33e5f1.txt")]) if learnt else None
    a = extract(doc, tmpl)
    assert a.id == article_id(doc.source, doc.sha256) and a.path == doc.source
    assert a.title == "中國代表呼吁制定各國普遍接受的網絡空間國際規則"
    assert a.outlet == "中國產業經濟信息網"
    assert a.published == "2021-07-01"
    assert a.authors == ["王建剛"]
    assert a.wire == ["新華社"]
    assert a.script == "hant"
    assert a.body == SEED0_BODY


@pytest.mark.parametrize("learnt", [False, True])
def test_seed_001_jekyll_post(learnt: bool) -> None:
    doc = load(need(SEEDS / "001_d7cc57b77e33e5f1.txt"))
    tmpl = corpus_templates().get(template_key(doc) or "") if learnt and CORPUS.is_dir() else None
    if learnt and tmpl is None:
        tmpl = learn_template([doc, load(SEEDS / "000_e6308b167f0f33d2.txt")])
    a = extract(doc, tmpl)
    assert a.title == "中国代表吁制定网络空间国际规则 反对搞小圈子"
    assert a.outlet == "联合早报"
    assert a.url == "https://www.zaobao.com/realtime/china/story20210630-1162754"
    assert a.published == "2021-06-30T03:41:54.677+00:00"
    assert a.wire == ["新华社"]
    assert a.authors == []
    assert a.script == "hans"
    assert a.body == SEED1_BODY


def test_extract_is_pure() -> None:
    doc = load(need(SEEDS / "000_e6308b167f0f33d2.txt"))
    assert extract(doc).to_dict() == extract(doc).to_dict()


# One capture per outlet: metadata exact, chrome gone, first/last sentences kept.
OUTLETS = [
    ("2021-01-04-RTHK-12港人關注組譴責內地擬吊銷受家屬委託律師執業證書.md",
     dict(title="12港人關注組譴責內地擬吊銷受家屬委託律師執業證書", published="2021-01-04T16:20:05+08:00",
          outlet="香港電台", authors=[], wire=[]),
     "「12港人關注組」譴責內地當局", "呼籲持續關注和聲援。", ["layout: post", "categories"]),
    ("2021-01-04-CNA-中共4軍機擾台-空軍巡邏兵力應對廣播驅離.html",
     dict(title="中共4軍機擾台  空軍巡邏兵力應對廣播驅離", published="2021-01-04", outlet="中央社",
          authors=["陳韻聿", "蘇志宗"], wire=["中央社"]),
     "（中央社記者陳韻聿台北4日電）空軍今天發布共機動態", "約380架次共機侵擾台灣西南ADIZ。",
     ["延伸閱讀", "兩週內第6度", "获取更多RSS", "編輯", "1100104"]),
    ("2021-01-04-RFI-opec+联盟将开视讯会议讨论2月产量-盼续增产-法国国际广播电台-rfi.html",
     dict(title="OPEC+联盟将开视讯会议讨论2月产量  盼续增产", published="2021-01-04T11:32:00+01:00",
          outlet="法国国际广播电台", authors=["曹宇帆", "林治平"], wire=["法新社"]),
     "（法新社伦敦4日电） 石油输出国家组织", "主要是每天仍生产1100万桶原油的美国。",
     ["© 2021 AFP", "译者", "04/01/2021"]),
    ("2021-01-04-REUTERS-中国国防部回应美国通过-2021财年国防授权法案-坚决反对并提出严正交涉.html",
     dict(title="中国国防部回应美国通过“2021财年国防授权法案”：坚决反对并提出严正交涉",
          published="2021-01-04T09:58:37+00:00", outlet="路透社", authors=[], wire=["路透"]),
     "路透北京1月4日 - 关于美国1月1日", "共同维护中美两国两军关系大局”，国防部称。",
     ["（完）", "2021-01-04T09:58:37Z", "feedx"]),
    ("2021-01-04-KYODO-快讯-市民团体要求检察审查会审查安倍不起诉处分.html",
     dict(title="快讯：市民团体要求检察审查会审查安倍不起诉处分", published="2021-01-04T15:05:52+08:00",
          outlet="共同社", authors=[], wire=["共同社"]),
     "【共同社1月4日电】围绕“赏樱会”", "4日向检察审查会要求展开审查。", ["（完）", "RSS"]),
    ("2021-01-04-DW-中企在美被摘牌-手里的股票怎么办.html",
     dict(title="中企在美被摘牌 手里的股票怎么办？", published="2021-01-04T13:19:03.678+00:00",
          outlet="德国之声", authors=["叶宣"], wire=[]),
     "（德国之声中文网）纽约证券交易所宣布", "在美国上市的公司已经在香港上市。",
     ["德国之声版权声明", "美股退市，转战香港？", "叶宣", "2021-01-04T13:19"]),
    ("2021-01-04-JOINS-在野党合并首尔市长竞选人支持率安哲秀23.9-领先.html",
     dict(title="在野党合并首尔市长竞选人支持率安哲秀23.9%领先", published="2021-01-04T14:17:00+09:00",
          outlet="中央日报", authors=["洪秀民", "宋无忧", "李霖", "芮荣俊"], wire=[]),
     "据民调结果显示，韩几大在野党", "请登录韩国中央选举管理委员会官网查看。",
     ["Tag", "#安哲秀", "译 |", "查看其它新闻", "【中央照片库】", "2021.01.04"]),
    ("2021-01-04-BBC-新冠疫苗-牛津大学疫苗开始在英国接种.html",
     dict(title="新冠疫苗：牛津大学疫苗开始在英国接种", published="2021-01-04T17:39:40+08:00",
          outlet="BBC中文", authors=["尼克·垂格勒"], wire=[]),
     "今年82岁的透析病人布莱恩·品克", "本周晚些时间这一数字将超过1000家。",
     ["图像来源", "PA Media", "你的器材不支持播放多媒体材料", "分钟前", "英国研究发现新冠抗体短暂存在",
      "BBC卫生事务记者", "一般疫苗从研发到推出市场"]),
]


@pytest.mark.parametrize("learnt", [False, True])
@pytest.mark.parametrize("name,fields,first,last,absent", OUTLETS, ids=[o[0][11:20] for o in OUTLETS])
def test_corpus_outlet(name, fields, first, last, absent, learnt) -> None:
    doc = load(need(CORPUS / name))
    a = extract(doc, corpus_templates().get(template_key(doc) or "") if learnt else None)
    for k, v in fields.items():
        assert getattr(a, k) == v, k
    paragraphs = a.body.split("\n\n")
    assert paragraphs[0].startswith(first)
    assert paragraphs[-1].endswith(last)
    assert all(p and p == p.strip() for p in paragraphs)
    for s in absent:
        assert s not in a.body, s


def test_pinyin_stripped_only_where_it_is_a_reading() -> None:
    assert strip_pinyin("中國(guó)產(chǎn)業(yè)") == "中國產業"
    assert strip_pinyin("網（wǎng）絡(luò)") == "網絡"
    assert strip_pinyin("人(ren2)民") == "人民"
    assert strip_pinyin("綠(lǜ)色") == "綠色"
    assert strip_pinyin("中國(zhōngguó)") == "中國"
    kept = "未來。(記者 王建剛) 缅甸(Myo Nyunt) 去年(2021) 王毅(Wang Yi) 中心(guo)（德国之声中文网）"
    assert strip_pinyin(kept) == kept


REF = datetime(2021, 1, 1, 0, 10, tzinfo=timezone(timedelta(hours=8)))


@pytest.mark.parametrize("text,outlet,iso", [
    ("2021年07月01日", None, "2021-07-01"),
    ("時間:2021-07-01", None, "2021-07-01"),
    ("12-31 23:50", None, "2020-12-31"),
    ("12-31 23:50", "cna", "2020-12-31T23:50:00+08:00"),
    ("04/01/2021 - 11:32", "rfi", "2021-01-04T11:32:00+01:00"),
    ("04/07/2021 - 11:32", "rfi", "2021-07-04T11:32:00+02:00"),
    ("04/01/2021 - 11:32", None, "2021-01-04"),
    ("2021.01.04 14:17", "joins", "2021-01-04T14:17:00+09:00"),
    ("2021-01-04T06:18:05Z", None, "2021-01-04T06:18:05+00:00"),
    ("2021-01-04T13:19:03.678Z", None, "2021-01-04T13:19:03.678+00:00"),
    ("110年1月1日", None, "2021-01-01"),
    ("19 分钟前", None, "2020-12-31T23:51:00+08:00"),
    ("3 小時前", None, "2020-12-31T21:10:00+08:00"),
])
def test_dates(text, outlet, iso) -> None:
    st = parse_date(text, REF, outlet)
    assert st is not None and st.iso == iso


def test_date_codes_and_capture_times() -> None:
    assert roc_code("（編輯：唐聲揚）1100103").iso == "2021-01-03"
    assert parse_capture_time("2021-06-30T03:41:54.677Z")[1].iso == "2021-06-30T03:41:54.677+00:00"
    assert parse_capture_time("2021-01-04 16:20:05.000000000 +08:00")[1].iso == "2021-01-04T16:20:05+08:00"
    assert parse_date("沒有日期") is None
    # a year below 1000 is written with four digits, so the stamp reads back (it raised)
    assert parse_capture_time("0999-01-02T10:00:00+08:00")[1].iso == "0999-01-02T10:00:00+08:00"


def _post(i: int, lines: list[str]) -> RawDocument:
    body = "".join(f"<p>{x}</p>" for x in lines)
    fm = {"title": f"標題{i}", "date": "2021-01-04 10:00:00 +08:00", "categories": "outlet"}
    return RawDocument(f"/x/{i}.html", body.encode(), "frontmatter", "utf-8", body, "html",
                       {"front_matter": fm})


def test_template_learns_repeated_chrome_but_not_shared_quotes() -> None:
    quote = "政府發言人表示，當局會密切留意事態發展，並適時作出應對。"
    docs = []
    for i in range(40):
        own = "".join(chr(0x4E00 + 97 * i + k) for k in range(6))  # text no other capture has
        lines = [f"第一段：{own}，內容各不相同。", f"第二段文字也只屬於{own}這則新聞。"]
        if i < 3:
            lines.append(quote)  # three stories quote the same statement: text, not chrome
        lines.append(f"本網站最後更新於第{i}號版面")  # digits differ, line repeats: chrome
        docs.append(_post(i, lines))
    tmpl = learn_template(docs)
    assert template_key(docs[0]) == "outlet"
    assert Template.from_json(tmpl.to_json()) == tmpl
    a = extract(docs[1], tmpl)
    assert "本網站最後更新" not in a.body
    assert quote in a.body
    assert a.body.startswith("第一段：") and a.body.count("\n\n") == 2
    assert "本網站最後更新" in extract(docs[1]).body  # without the template it stays


def test_odd_input_still_gives_an_article() -> None:
    for content, ctype in [("", "text"), ("<div></div>", "html"), ("<<<>>>\x00", "html"), ("只有一行", "text")]:
        doc = RawDocument("/odd", content.encode(), "text", "utf-8", content, ctype, {})
        a = extract(doc)
        assert isinstance(a.body, str) and a.id == article_id("/odd", doc.sha256)
    assert extract(RawDocument("/one", b"x", "text", "utf-8", "只有一行", "text", {})).body == "只有一行"


def test_a_copyright_line_credits_its_agencies_when_nothing_else_does() -> None:
    text = "美國總統今日宣布新的制裁措施，針對多家企業。\n\n白宮發言人表示，措施即日生效。\n\n版權所有 © 路透社、AFP 2021"
    a = extract(RawDocument("/c", text.encode(), "text", "utf-8", text, "text", {}))
    assert a.wire == ["路透社"] and "版權所有" not in a.body  # the first named, in AGENCIES' order
    # whole words only: inside a Han run, or as part of a longer Latin word, it names nothing
    assert agencies_in("版权所有 據新華社報道 APPLE") == []
    assert agencies_in("© AP, AFP/Getty, Reuters 路透社") == ["路透社", "AFP", "Reuters", "AP"]


_URL_PARTS = ["http://", "https://", "HTTP://", " https://", "Www.CNA.com.tw", "rfi.fr", "a.b-c", "user@", ":8080",
              ":", ":x", "[::1]", "/", "/path", "?q=1", "#top", "\t", "\n", "", "..", "中央社.tw"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_URL_PARTS), max_size=6).map("".join) | st.text(max_size=30).map("https://".__add__))
def test_a_urls_host_is_urlparses(url: str) -> None:
    try:
        want = urlparse(url).hostname
    except ValueError:  # "Invalid IPv6 URL": no host
        want = None
    assert _host(url) == want


def test_a_malformed_url_in_the_metadata_still_gives_an_article() -> None:
    doc = RawDocument("/u", b"x", "text", "utf-8", "今日天氣晴朗。", "text", {"url": "https://[broken"})
    a = extract(doc)
    assert a.body == "今日天氣晴朗。" and a.url == "https://[broken"
    assert template_key(doc) is None


def test_a_lines_lead_is_the_first_char_of_its_key_for_every_code_point() -> None:
    for cp in range(0x110000):
        c = chr(cp)
        for line in (c + "a1", " \u3000" + c, c):
            assert line_lead(line) == line_key(line)[:1], hex(cp)
    assert line_lead(" \t") == line_key(" \t") == ""


def test_a_template_tells_its_lines_with_or_without_their_leads() -> None:
    template = Template("x", 10, frozenset({"责任编辑：王0", "©0dw", "0年0月0日"}))
    assert template.leads == {"责", "©", "0"}
    for line in ("责任编辑：王 7", "© 2021 DW", "2021年1月4日", "  ©  1999 dw"):
        assert template.is_chrome(line), line
    for line in ("责任编辑：李四", "新华社北京1月4日电", "", "©"):
        assert not template.is_chrome(line), line
    assert Template.from_json(template.to_json()).leads == template.leads


def test_no_corpus_capture_gets_an_empty_body() -> None:
    """All 2,687 posts with learnt templates (about 5 s here; well under 60 s)."""
    if not CORPUS.is_dir():
        pytest.skip(f"the corpus sample is not at {CORPUS}")
    templates = corpus_templates()
    empty = []
    for p in sorted(CORPUS.glob("2021-*")):
        d = load(p)
        if not extract(d, templates.get(template_key(d) or "")).body.strip():
            empty.append(p.name)
    assert empty == []


def test_full_web_page_with_site_chrome() -> None:
    """A whole page as a browser saves it: nav, sections, related list, footer."""
    from wiretrace.readers import ReadOptions, read_bytes

    post = need(CORPUS / "2021-01-05-CNA-伊朗再推進濃縮鈾工作-2015年核子協議逐步崩解.html")
    fragment = post.read_text(encoding="utf-8").split("---", 2)[2]
    page = (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        "<title>伊朗再推進濃縮鈾工作 2015年核子協議逐步崩解 | 國際 | 中央社 CNA</title>"
        '<meta property="og:site_name" content="中央社 CNA">'
        '<link rel="canonical" href="https://www.cna.com.tw/news/aopl/202101050003.aspx"></head><body>'
        '<header><nav><ul><li><a href="/">首頁</a></li><li><a href="/list/aipl.aspx">政治</a></li>'
        '<li><a href="/list/aopl.aspx">國際</a></li></ul></nav></header>'
        f"<main><article><h1>伊朗再推進濃縮鈾工作 2015年核子協議逐步崩解</h1>{fragment}</article>"
        '<aside><h2>熱門新聞</h2><ul><li><a href="/1">台股再創新高</a></li><li><a href="/2">疫苗最新進度</a></li></ul></aside></main>'
        "<footer><p>本網站之文字、圖片及影音，非經授權，不得轉載、公開播送或公開傳輸及利用。</p>"
        "<p>© 2021 中央通訊社 All Rights Reserved.</p></footer></body></html>"
    )
    (doc,) = list(read_bytes("/saved/page.html", page.encode(), ReadOptions(), "page.html"))
    a = extract(doc)
    assert a.title == "伊朗再推進濃縮鈾工作 2015年核子協議逐步崩解"
    assert a.url == "https://www.cna.com.tw/news/aopl/202101050003.aspx"
    assert a.outlet == "中央社 CNA" and a.wire == ["中央社"]
    assert a.body.startswith("（中央社巴黎4日綜合外電報導）伊朗2015年與列強達成的核子協議")
    assert a.body.endswith("進一步打擊核子協議。")
    for chrome_text in ("首頁", "熱門新聞", "台股再創新高", "非經授權", "All Rights Reserved", "| 國際"):
        assert chrome_text not in a.body


# The four rules with an ``anywhere`` part, as one case-insensitive pattern each: what they
# matched before their parts were split so that re can skip ahead (chrome.Rule.anywhere).
_WHOLE_RULES = {
    "rss_promo": r"获取更多RSS|feedx\.(?:net|xyz)",
    "copyright": r"^(?:©|\(c\)|copyright\b|版權所有|版权所有)|版權及免責聲明|版权及免责声明|版權聲明|版权声明|免責聲明|免责声明",
    "icp": r"ICP[备備證证]|公网安备|公網安備|京公网|京公網",
    "image_credit": r"^(?:图像来源|圖像來源|图片来源|圖片來源|图片提供|圖片提供|图源|圖源|摄影|攝影|photo|image)\s*[，,:：]|"
                    r"^(?:REUTERS|AFP|AP|EPA|Getty Images?)/[A-Z]|中央社記者\S{2,4}攝\s*\d{3}年\d{1,2}月\d{1,2}日$|"
                    r"[（(][^（）()]{1,20}(?:提供|攝|摄)[）)]\s*\d{3}年\d{1,2}月\d{1,2}日$",
}


def _first_rule_by_whole_patterns(line: str):
    from wiretrace.extract.chrome import RULES

    for rule in RULES:
        whole = re.compile(_WHOLE_RULES[rule.name], re.I) if rule.name in _WHOLE_RULES else rule.pattern
        if whole.search(line):
            return rule
    return None


# Lines each split rule must still catch, in both scripts, in other cases and in the letters
# re.I folds beyond ASCII (ſ is s, ı and İ are i).
_SPLIT_RULE_LINES = [
    "获取更多RSS", "获取更多rſs", "更多内容请访问 FEEDX.NET", "feedx.xyz/rss", "版权声明：本文为原创",
    "Copyright 2021 Reuters", "(C) AFP", "©2021 中央社", "京ICP备12345678号", "京ıcp证", "京İCP证12号",
    "京公网安备 11010502000001号", "京公網 11010502000001", "图片来源：路透社", "Photo: AP", "IMAGE，新华社",
    "REUTERS/Kim Hong-Ji", "Getty Images/a", "中央社記者王飛華攝 110年1月4日", "（衛福部提供）110年1月4日",
    "（路透社提供）110年1月4日\n", "本网免責聲明",
]


def _branches(pattern: str) -> list[str]:
    """A regular expression's top-level alternatives (escapes and character classes skipped)."""
    out, depth, start, k, in_class = [], 0, 0, 0, False
    while k < len(pattern):
        c = pattern[k]
        if c == "\\":
            k += 1
        elif in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            if pattern.startswith("^]", k + 1):  # a "]" first in a class is a member of it
                k += 2
            elif pattern.startswith("]", k + 1):
                k += 1
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            out.append(pattern[start:k])
            start = k + 1
        k += 1
    return out + [pattern[start:]]


def test_chrome_rule_patterns_are_anchored_at_the_line_start() -> None:
    # rule_for matches them all at once, at position 0: a branch that could match later
    # in a line belongs in ``anywhere``
    from wiretrace.extract.chrome import RULES

    assert _branches(r"^a|(b|c)|\|d|[|)]|[^\])|]x") == ["^a", "(b|c)", "\\|d", "[|)]", "[^\\])|]x"]
    for rule in RULES:
        if rule.pattern is not None:
            assert all(b.startswith("^") for b in _branches(rule.pattern.pattern)), rule.name


def test_split_chrome_rules_match_what_their_whole_patterns_did() -> None:
    from wiretrace.extract import _lines
    from wiretrace.extract.chrome import RULES, rule_for, strip_read_more, READ_MORE_TAIL

    assert {r.name for r in RULES if r.anywhere is not None} == set(_WHOLE_RULES)
    lines = list(_SPLIT_RULE_LINES)
    lines += [x[:k] + "，" + x[k:] for x in _SPLIT_RULE_LINES for k in (0, 1)]  # not at the start
    if CORPUS.is_dir():
        for p in sorted(CORPUS.glob("2021-*")):
            lines += _lines(load(p))[0]
    got = [rule_for(x) for x in lines]
    assert got == [_first_rule_by_whole_patterns(x) for x in lines]
    assert all(got[:len(_SPLIT_RULE_LINES)])  # the handwritten lines are all chrome
    assert [strip_read_more(x) for x in lines] == [READ_MORE_TAIL.sub("", x) for x in lines]
    assert strip_read_more("詳細內容請見報導（看完整報導） ") == "詳細內容請見報導"
