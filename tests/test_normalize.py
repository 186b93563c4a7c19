"""The matching form, its offset map, script and language detection, on real captures."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import opencc
import pytest
from hypothesis import given, settings, strategies as st

from wiretrace import normalize
from wiretrace.normalize import (
    FOLD_TABLE,
    OPENCC_CONFIG,
    SCRIPT_HANS_MAX,
    SCRIPT_HANT_MIN,
    SpanError,
    _align,
    _is_han,
    detect_language,
    detect_script,
    matching_form,
    script_and_language,
    title_form,
    to_simplified,
)

from conftest import EXAMPLES

# Seed 000 (中國產業經濟信息網, traditional, half-width commas) and seed 001
# (联合早报, simplified, full-width commas): the same Xinhua sentence.
SEED_000_SENTENCE = "張軍29日表示,應制定各國普遍接受的網絡空間國際規則,反對搞小圈子和集團政治,反對搞科技霸權。"
SEED_001_SENTENCE = "张军29日表示，应制定各国普遍接受的网络空间国际规则，反对搞小圈子和集团政治，反对搞科技霸权。"

CNA_IRAN = "2021-01-05-CNA-伊朗再推進濃縮鈾工作-2015年核子協議逐步崩解.html"
RFI_IRAN = "2021-01-05-RFI-伊朗再推进浓缩铀工作-2015年核子协议瓦解-法国国际广播电台-rfi.html"

_PINYIN = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)")


def _seed_000_body() -> str:
    raw = (EXAMPLES / "000_e6308b167f0f33d2.txt").read_text(encoding="utf-8")
    # extract removes the pinyin after each converted char; here a local regex does
    return _PINYIN.sub("", raw)


def _post_body(path) -> str:
    text = path.read_text(encoding="utf-8").split("---", 2)[2]
    return re.sub(r"<[^>]+>", "\n", text)


def _paragraph(body: str, needle: str) -> str:
    return next(line for line in body.split("\n") if needle in line)


# --- script conversion across captures --------------------------------------------

def test_the_seed_captures_meet_in_one_matching_form():
    assert _PINYIN.search(_seed_000_body()) is None
    assert SEED_000_SENTENCE in _seed_000_body()
    assert matching_form(SEED_000_SENTENCE).text == matching_form(SEED_001_SENTENCE).text


def test_afp_sentence_in_cna_and_rfi(corpus):
    cna, rfi = _post_body(corpus / CNA_IRAN), _post_body(corpus / RFI_IRAN)
    same_cna = _paragraph(cna, "華府結束部分國家購買伊朗原油")
    same_rfi = _paragraph(rfi, "华府结束部分国家购买伊朗原油")
    assert matching_form(same_cna).text == matching_form(same_rfi).text
    # RFI's copy keeps CNA's full-width punctuation and 「」 here; the seeds above
    # show the ",", "，" pair. Leading indentation differs and is stripped.
    quote_cna = _paragraph(cna, "在現行協議衰敗腐朽")
    quote_rfi = _paragraph(rfi, "在现行协议衰败腐朽")
    assert quote_rfi.startswith("    ")
    assert matching_form(quote_cna).text == matching_form(quote_rfi).text == '川普表示:"在现行协议衰败腐朽的架构下,我们无法避免伊朗制造核弹。"'
    # The dash: CNA sets ─, RFI ━; both fold to "-", and the rest matches.
    dash_cna = matching_form(_paragraph(cna, "常任理事國")).text
    dash_rfi = matching_form(_paragraph(rfi, "常任理事国")).text
    assert "5个常任理事国-英国、中国" in dash_cna and "5个常任理事国-英国、中国" in dash_rfi
    # Honest limits: outlet vocabulary survives conversion (计划 vs 计画), and
    # both keep CNA's 川普 here; RFI's own desk writes 特朗普 (not folded).
    assert matching_form(_paragraph(cna, "停止在伊朗的活動")).text.endswith("活动与计划。")
    assert matching_form(_paragraph(rfi, "停止在伊朗的活动")).text.endswith("活动与计画。")
    assert to_simplified("川普") == "川普"


def test_hk_variant_and_zhe_fold():
    # RTHK writes 衞生; t2s would leave 衞, hk2s gives 卫 as simplified outlets write.
    assert matching_form("衞生防護中心").text == "卫生防护中心"
    # 隨著 (traditional) and 随着 (simplified) meet; 著名 folds the same on both sides.
    assert matching_form("隨著疫苗").text == matching_form("随着疫苗").text
    assert matching_form("著名").text == matching_form("著名").text == "着名"


# --- the fold table --------------------------------------------------------------------

@pytest.mark.parametrize(
    "raw, folded",
    [
        ("，", ","), ("（", "("), ("）", ")"), ("：", ":"), ("；", ";"), ("！", "!"), ("？", "?"),
        ("１２０", "120"), ("ＡＢＣ", "abc"), ("ａ", "a"), ("Trump", "trump"), ("É", "é"),
        ("「", '"'), ("」", '"'), ("『", '"'), ("』", '"'), ("“", '"'), ("”", '"'), ("’", '"'),
        ("｡", "。"), ("﹑", "、"), ("︰", ":"), ("‧", "·"), ("⋯", "…"), ("《", "<"), ("─", "-"),
    ],
)
def test_fold_entry(raw, folded):
    assert matching_form(f"甲{raw}乙").text == f"甲{folded}乙"


@pytest.mark.parametrize("kept", ["。", "、", "…", "①", "℃", "•", "·", "%"])
def test_what_nfkc_would_change_or_we_keep(kept):
    assert matching_form(f"甲{kept}乙").text == f"甲{kept}乙"
    assert unicodedata.normalize("NFKC", "…①℃") != "…①℃"  # what blanket NFKC would do


@pytest.mark.parametrize("invisible", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\x00"])
def test_invisible_chars_dropped(invisible):
    n = matching_form(f"網{invisible}絡")
    assert n.text == "网络"
    assert n.to_original(0, 2) == (0, 3)


def test_white_space_collapses_and_paragraphs_stay():
    n = matching_form("  第一段\u3000文字 \t\u00a0中間\r\n\r\n\u3000\u3000第二段  ")
    assert n.text == "第一段 文字 中间\n第二段"
    assert list(n.offsets) == [2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 19, 20, 21, 24]


def test_fold_table_maps_one_char_to_at_most_one():
    assert all(v is None or 0 <= v < 0x110000 for v in FOLD_TABLE.values())
    assert all(len(chr(cp).translate(FOLD_TABLE)) <= 1 for cp in range(0x10000))


def test_empty_and_blank():
    for body in ("", " \n\u3000\u200b"):
        n = matching_form(body)
        assert n.text == "" and list(n.offsets) == [len(body)]
        assert n.to_original(0, 0) == (len(body), len(body))


# --- the offset map -------------------------------------------------------------------------

def _check_map(body, n):
    assert len(n.offsets) == len(n.text) + 1 and n.offsets[-1] == len(body)
    assert np.all(np.diff(n.offsets) >= 0)


def test_every_char_of_the_seed_maps_to_its_source():
    body = _seed_000_body()
    n = matching_form(body)
    _check_map(body, n)
    for i, ch in enumerate(n.text):
        a, b = n.to_original(i, i + 1)
        src = body[a:b]
        if ch in " \n":
            assert src.strip() == ""
        else:  # one char in, one char out: the fold or OpenCC of that very char
            assert len(src) == 1
            assert ch == src or ch == to_simplified(src).translate(FOLD_TABLE) or src in "著於苧"


def _safe_cuts(text: str) -> list[int]:
    # OpenCC phrases hold only Han chars, so a cut next to a non-Han char cannot
    # split one; spans between such cuts must re-normalize to the same text.
    return [i for i in range(len(text) + 1)
            if i in (0, len(text)) or not _is_han(np.array([ord(text[i - 1])])).all()
            or not _is_han(np.array([ord(text[i])])).all()]


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10**6), st.integers(0, 10**6), st.sampled_from(["seed", "noisy"]))
def test_spans_map_back_to_the_chars_that_produced_them(i, j, which):
    body = _seed_000_body()
    if which == "noisy":  # the same text with zero-width, full-width and space noise
        body = body.replace("網", "網\u200b").replace(",", "，").replace("。", "。\u3000 ")
    n = matching_form(body)
    cuts = _safe_cuts(n.text)
    s, e = sorted((cuts[i % len(cuts)], cuts[j % len(cuts)]))
    o_s, o_e = n.to_original(s, e)
    assert matching_form(body[o_s:o_e]).text == n.text[s:e].strip()


def test_length_changing_conversion_pins_anchors():
    """OpenCC hk2s keeps lengths on the whole corpus; tw2sp does not (尼日爾 ->
    尼日尔尔 in this RTHK sentence), so it drives the proportional path of the map."""
    src = matching_form("尼日爾西部兩條村莊遭武裝份子襲擊，至少70名平民死亡，至少20人受傷。").text
    out = opencc.OpenCC("tw2sp").convert(src)
    assert out.startswith("尼日尔尔西部") and len(out) == len(src) + 1
    off = _align(src, out)
    assert len(off) == len(out) + 1 and off[-1] == len(src)
    assert np.all(np.diff(off) >= 0)
    for k, ch in enumerate(out):  # every non-Han char points at itself
        if not ch.isalpha():
            assert src[off[k]] == ch
    # the run after the comma starts exactly where it starts in the source
    assert off[out.index(",") + 1] == src.index(",") + 1


def test_hk2s_changes_only_han_chars():
    # _align pins non-Han chars as anchors: that holds only if OpenCC never
    # touches them. Checked over the whole BMP outside the Han blocks.
    chars = [chr(c) for c in range(0x20, 0x10000)
             if not 0xD800 <= c < 0xE000 and not _is_han(np.array([c])).all() and chr(c) != "\n"]
    joined = "\n".join(chars)
    assert to_simplified(joined) == joined


def test_span_errors():
    n = matching_form("中國")
    for s, e in ((-1, 1), (2, 1), (0, 3)):
        with pytest.raises(SpanError):
            n.to_original(s, e)


_REAL_ALPHABET = sorted(set(_seed_000_body()[:600]) | set("（）「」『』“”　\u200b\n\tＡａ1…⋯著於苧薴處"))


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(alphabet=st.sampled_from(_REAL_ALPHABET), max_size=120), st.text(max_size=60)))
def test_idempotent(text):
    once = matching_form(text).text
    assert matching_form(once).text == once


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(alphabet=st.sampled_from(_REAL_ALPHABET + [" ", "\r", "\u3000", "\ufeff", "\ud800", "𠀀"]),
                         max_size=80), st.text(max_size=80)))
def test_compiled_fold_equals_the_numpy_passes(text):
    (got, got_off), (want, want_off) = normalize._fold(text), normalize._fold(text, compiled=False)
    assert got == want and got_off.dtype == want_off.dtype == np.int64 and got_off.tolist() == want_off.tolist()


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(alphabet=st.sampled_from(_REAL_ALPHABET + [" ", "\r", "\u3000", "\ufeff", "\ud800"]),
                         max_size=60), st.text(max_size=60)))
def test_title_form_is_the_matching_forms_text(text):
    assert title_form(text) == matching_form(text).text


def test_title_form_of_real_headlines(corpus):
    heads = (p.read_text(encoding="utf-8")[:2000] for p in sorted(corpus.glob("2021-*")))
    titles = [m.group(1) for h in heads if (m := re.search(r"^title: (.*)$", h, re.M))]
    assert len(titles) > 2000  # every post's front matter has one
    titles += ["  張軍：\u3000維護網絡\n\n空間 ", "", None]
    assert [title_form(t) for t in titles] == [matching_form(t).text if t else "" for t in titles]


# --- script and language ------------------------------------------------------------------------

def test_script_of_real_captures(corpus):
    cna, rfi = _post_body(corpus / CNA_IRAN), _post_body(corpus / RFI_IRAN)
    assert detect_script(cna) == "hant"
    assert detect_script(rfi) == "hans"
    assert detect_script(_seed_000_body()) == "hant"
    seed_001 = (EXAMPLES / "001_d7cc57b77e33e5f1.txt").read_text(encoding="utf-8")
    assert detect_script(seed_001) == "hans"
    # DW's one traditional post among simplified ones
    assert detect_script(_post_body(corpus / "2021-01-08-DW-不滿川普煽動支持者-眾議院有意彈劾總統.html")) == "hant"
    # A capture stitched from both scripts (a traditional page quoting a simplified one).
    mixed = _paragraph(cna, "華府結束部分國家") + "\n" + _paragraph(rfi, "同年7月")
    assert detect_script(mixed) == "mixed"


_CONVERTERS: dict[str, opencc.OpenCC] = {}


def _script_in_context(text: str) -> str | None:
    """The script as converting the whole text says (OpenCC's phrases in context): what
    detect_script's per-char table stands in for."""
    def changed(config: str) -> int:
        if config not in _CONVERTERS:
            _CONVERTERS[config] = opencc.OpenCC(config)
        out = _CONVERTERS[config].convert(text)
        assert len(out) == len(text)
        return sum(a != b for a, b in zip(text, out))

    trad, simp = changed(OPENCC_CONFIG), changed("s2t")
    if trad + simp == 0:
        return None
    r = trad / (trad + simp)
    return "hans" if r <= SCRIPT_HANS_MAX else "hant" if r >= SCRIPT_HANT_MIN else "mixed"


def test_script_per_char_agrees_with_conversion_in_context(corpus):
    posts = sorted(corpus.glob("2021-*"))
    assert len(posts) == 2687
    bodies = [_post_body(p) for p in posts]
    disagree = [p.name for p, b in zip(posts, bodies) if detect_script(b) != _script_in_context(b)]
    assert disagree == []


def test_script_edge_cases():
    assert detect_script("Myanmar's military seized power on Monday.") is None
    assert detect_script("") is None
    assert detect_script("日本") is None  # Han chars, but none that only one script has
    assert detect_script(SEED_001_SENTENCE) == "hans"
    assert detect_script(SEED_000_SENTENCE) == "hant"


def test_language():
    assert detect_language(SEED_001_SENTENCE) == "zh"
    assert detect_language(_seed_000_body()) == "zh"
    assert detect_language("Myanmar's military seized power on Monday, detaining the leaders of the government.") == "en"
    assert detect_language("Le gouvernement a annoncé mardi de nouvelles mesures sanitaires.") is None
    assert detect_language("日本の首相は会見で") is None  # kana: Japanese, not guessed as zh
    assert detect_language("2021-01-04 12:00") is None


# detect_language's counts as regular expressions: the specification its code-point table follows
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_KANA_HANGUL = re.compile("[\u3040-\u30ff\u31f0-\u31ff\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
_LANG_ALPHABET = "的國中〇あア한ㄱᄀ𠀀丽a é1,。 \U0003134f\U00031350\u9fff\ua000\ud7af\ud7b0Zz@[`{×ɏɐ"


def regex_language(text: str) -> str | None:
    han, kana_hangul = len(_HAN.findall(text)), len(_KANA_HANGUL.findall(text))
    words = re.findall("[A-Za-z\u00c0-\u024f]+", text)
    cjk = han + kana_hangul
    units = cjk + len(words)
    if units and cjk / units >= normalize.LANG_CJK_MIN:
        return "zh" if kana_hangul <= normalize.LANG_KANA_HANGUL_MAX * cjk else None
    if units and len(words) / units >= normalize.LANG_LATIN_MIN:
        hits = sum(w.lower() in normalize._EN_FUNCTION_WORDS for w in words)
        return "en" if hits / len(words) >= normalize.LANG_EN_FUNCTION_WORDS_MIN else None
    return None


@settings(max_examples=300, deadline=None)
@given(st.text(_LANG_ALPHABET, max_size=40) | st.lists(st.sampled_from(["the", "of", "cat", "的", "あ", " "])).map("".join))
def test_language_counts_follow_the_character_classes(text):
    expected = regex_language(text)
    assert detect_language(text) == expected


@settings(max_examples=300, deadline=None)
@given(st.text(_LANG_ALPHABET + "国國体體乾后", max_size=60) | st.text(max_size=60))
def test_one_count_gives_both_detections_compiled_or_not(text):
    assert normalize._class_counts(text) == normalize._class_counts(text, compiled=False)
    assert script_and_language(text) == (detect_script(text), detect_language(text))
