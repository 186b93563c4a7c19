"""The matching form, its offset map, and script detection, on real text."""

from __future__ import annotations

import re

import numpy as np
from hypothesis import given, settings, strategies as st

from wiretrace.normalize import FOLD_TABLE, detect_language, detect_script, matching_form

from conftest import EXAMPLES

# Seed 000's second paragraph, as the capture prints it once the pinyin is gone.
HANT = (
    "張軍在當天舉行的安理會網絡安全問題公開會上說,應以維護和平促安全,防止網絡空間成為新的戰場。"
    "應以加強治理促安全,推進網絡空間公平正義。"
)
HANS = (
    "张军在当天举行的安理会网络安全问题公开会上说,应以维护和平促安全,防止网络空间成为新的战场。"
    "应以加强治理促安全,推进网络空间公平正义。"
)


def test_traditional_and_simplified_meet():
    assert matching_form(HANT).text == matching_form(HANS).text


def test_cross_outlet_afp_sentence_in_two_scripts(corpus):
    """The same AFP sentence in CNA (traditional) and RFI (simplified): one matching form."""
    cna = (corpus / "2021-01-05-CNA-伊朗再推進濃縮鈾工作-2015年核子協議逐步崩解.html").read_text(encoding="utf-8")
    rfi = (corpus / "2021-01-05-RFI-伊朗再推进浓缩铀工作-2015年核子协议瓦解-法国国际广播电台-rfi.html").read_text(encoding="utf-8")
    def sentences(html):
        return {s for s in re.split(r"[.\n<>]", matching_form(html).text) if len(s) > 25}

    shared = sentences(cna) & sentences(rfi)
    assert len(shared) >= 3, "the same AFP sentences should have one matching form in both scripts"


def test_fold_table_entries():
    n = matching_form("（中央社）１２３，ＡＢＣ：「好」\u3000完")
    assert n.text == '(中央社)123,abc:"好" 完'


def test_what_nfkc_would_change_is_kept():
    assert matching_form("等等…①℃").text == "等等…①℃"
    # and the fold table maps one character to one, never more
    assert all(len(chr(cp).translate(FOLD_TABLE)) == 1 for cp in range(0x20, 0x10000))


def test_zero_width_dropped_and_white_space_folded():
    n = matching_form("  第一段\u200b文字 \t 中間\n\n\n第二段\ufeff  ")
    assert n.text == "第一段文字 中间\n第二段"


def test_empty():
    n = matching_form("")
    assert n.text == "" and list(n.offsets) == [0]


def _body_of_seed_000() -> str:
    raw = (EXAMPLES / "000_e6308b167f0f33d2.txt").read_text(encoding="utf-8")
    # the pinyin after each converted character, removed here only to get a body
    return re.sub(r"\([a-zǜ-ͯāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]+\)", "", raw)


def test_offset_map_points_at_the_characters_that_produced_each_span():
    body = _body_of_seed_000()
    n = matching_form(body)
    assert len(n.offsets) == len(n.text) + 1 and n.offsets[-1] == len(body)
    assert np.all(np.diff(n.offsets) >= 0)
    for s in range(0, len(n.text) - 12, 7):
        e = s + 12
        o_s, o_e = n.to_original(s, e)
        assert matching_form(body[o_s:o_e]).text == n.text[s:e].strip()


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 40))
def test_offset_map_property_on_traditional_text(start, length):
    body = _body_of_seed_000()
    n = matching_form(body)
    s = start % max(len(n.text) - 1, 1)
    e = min(s + length, len(n.text))
    o_s, o_e = n.to_original(s, e)
    assert matching_form(body[o_s:o_e]).text == n.text[s:e].strip()


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(HANT + "（）「」 \n\u3000\u200bＡａ1…")), max_size=80))
def test_idempotent(text):
    once = matching_form(text).text
    assert matching_form(once).text == once


def test_script_detection_on_real_text(corpus):
    def body(name):
        return re.sub(r"<[^>]+>", "\n", (corpus / name).read_text(encoding="utf-8").split("---", 2)[2])

    assert detect_script(body("2021-01-05-CNA-伊朗再推進濃縮鈾工作-2015年核子協議逐步崩解.html")) == "hant"
    assert detect_script(body("2021-01-05-RFI-伊朗再推进浓缩铀工作-2015年核子协议瓦解-法国国际广播电台-rfi.html")) == "hans"
    # 台 is written alike in both scripts: a short Hong Kong market item stays hant
    assert detect_script(body("2021-01-08-RTHK-台股續創新高收市-升1.6.md")) == "hant"
    mixed = HANT + "\n" + HANS
    assert detect_script(mixed) == "mixed"
    assert detect_script("Myanmar's military seized power on Monday.") is None


def test_language():
    assert detect_language(HANS) == "zh"
    assert detect_language("Myanmar's military seized power on Monday, detaining leaders.") == "en"
    assert detect_language("好") is None
