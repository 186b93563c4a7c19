"""wiretrace.link on real captures: the seeds, the corpus's cross-outlet cases, moved paragraphs,
templated notices, cluster ids."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wiretrace.link import (
    REPRINT_TYPES,
    align,
    candidates,
    classify,
    cluster_id,
    clusters,
    jaccard_estimate,
    keys,
    relate,
    signature,
    signature_from_bytes,
    signature_to_bytes,
)
from wiretrace.link import lsh, minhash, orient
from wiretrace.extract import extract
from wiretrace.model import Article, RawDocument, Relation
from wiretrace.readers import read_path

FIXTURES = Path(__file__).parent / "fixtures" / "link"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "agora-news-sample"

from wiretrace.normalize import matching_form


def _content(s: str) -> str:
    return "".join(c for c in s if c.isalnum())


def _seeds():
    a = (FIXTURES / "seed_000_body.txt").read_text(encoding="utf-8").strip()
    b = (FIXTURES / "seed_001_body.txt").read_text(encoding="utf-8").strip()
    return a, b


def _extract(path: Path):
    """The clean article of a corpus post (no outlet template: the general rules)."""
    (doc,) = [d for d in read_path(str(path)) if isinstance(d, RawDocument)]
    return extract(doc)


def _article(name: str) -> tuple[Article, object]:
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"corpus not found at {CORPUS} (see /work/shared/corpus/agora-news-sample)")
    art = _extract(path)
    art.id = name  # tests name pairs by file
    return art, matching_form(art.body)


def _relate(x: str, y: str):
    a, na = _article(x)
    b, nb = _article(y)
    al = align(a.body, na, b.body, nb)
    return al, classify(al, a, b), (a, b)


# ------------------------------------------------------------------ seeds
def test_seed_001_is_abridged_from_000():
    a, b = _seeds()
    al = align(a, matching_form(a), b, matching_form(b))
    assert classify(al) == "abridged"
    assert al.b_in_a >= 0.9
    assert al.a_in_b < 0.8  # 000 has a whole closing paragraph and more that 001 dropped
    only_a = [a[s:e] for s, e in al.only_a]
    only_b = [b[s:e] for s, e in al.only_b]
    assert any(t.startswith("張軍強調") and t.endswith("美好的未來") for t in only_a), only_a
    assert "据新华社报道" in only_b
    # shared passages are not listed as only in one side
    for shared in ("中國常駐聯合國代表張軍29日表示", "維護網絡安全是全球性課題", "全球數據安全倡議"):
        assert not any(shared in t for t in only_a)
    for shared in ("中国常驻联合国代表张军29日表示", "维护网络安全是全球性课题", "全球数据安全倡议"):
        assert not any(shared in t for t in only_b)
    # and the reverse reading of the same pair
    rev = align(b, matching_form(b), a, matching_form(a))
    assert classify(rev) == "expanded"
    assert rev.a_in_b == pytest.approx(al.b_in_a, abs=0.02)


def test_seed_spans_map_to_the_original_bodies():
    a, b = _seeds()
    na, nb = matching_form(a), matching_form(b)
    al = align(a, na, b, nb)
    assert al.passages
    for p in al.passages:
        ta, tb = _content(na.text[slice(*_norm_span(na, p.a))]), _content(nb.text[slice(*_norm_span(nb, p.b))])
        from difflib import SequenceMatcher

        assert SequenceMatcher(None, ta, tb, autojunk=False).ratio() >= 0.5, (a[slice(*p.a)], b[slice(*p.b)])
        assert 0 <= p.a[0] < p.a[1] <= len(a) and 0 <= p.b[0] < p.b[1] <= len(b)
    for s, e in al.only_a:  # spans start and end on content characters of the original
        assert a[s].isalnum() and a[e - 1].isalnum()
    for s, e in al.only_b:
        assert b[s].isalnum() and b[e - 1].isalnum()


def _norm_span(norm, span):
    """The matching-form span whose original is ``span`` (the test reads the folded texts)."""
    text = norm.text
    for s in range(len(text) + 1):
        if norm.to_original(s, s + 1)[0] >= span[0]:
            break
    for e in range(s, len(text) + 1):
        if norm.to_original(s, e)[1] >= span[1]:
            return s, e
    return s, len(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.booleans(), max_size=40), st.data())
def test_leftovers_are_the_unmatched_runs_mapped_to_the_body(matched, data):
    """The compiled leftovers equal, in Python: every maximal run of unmatched content
    characters, from its first character's body index to the body index just past its last
    (``Normalized.to_original``), and the matched count."""
    from wiretrace.link.pairing import leftovers
    from wiretrace.normalize import Normalized

    n = len(matched)
    gaps = data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))  # punctuation between
    positions = np.cumsum(np.array(gaps, np.int64) + 1) - 1
    text_len = int(positions[-1]) + 1 if n else 0
    steps = data.draw(st.lists(st.integers(0, 2), min_size=text_len + 1, max_size=text_len + 1))
    norm = Normalized("x" * text_len, np.cumsum(steps).astype(np.int32))
    want, start = [], None
    for k, m in enumerate([*matched, True]):
        if not m and start is None:
            start = k
        elif m and start is not None:
            want.append(norm.to_original(int(positions[start]), int(positions[k - 1]) + 1))
            start = None
    spans, hits = leftovers(np.array(matched, np.bool_), positions, norm.offsets)
    assert [tuple(s) for s in spans.tolist()] == want and hits == sum(matched)


def test_a_match_met_before_still_maps_to_each_pairs_own_bodies():
    """align reuses the match of two matching forms it has met (``align._match``): a wire text
    reprinted word for word meets the same partners again. The spans must still index the
    bodies of the pair at hand, whose offset maps differ."""
    import importlib

    align_module = importlib.import_module("wiretrace.link.align")
    a, b = _seeds()
    b2 = b.replace("\n\n", "\n\n\n")  # the same matching form, every later offset moved
    na, nb, nb2 = matching_form(a), matching_form(b), matching_form(b2)
    assert nb2.text == nb.text
    first = align(a, na, b, nb)
    again = align(a, na, b2, nb2)  # the match is reused
    align_module._match.cache_clear()
    assert again == align(a, na, b2, nb2)  # as if met for the first time
    assert again.only_b != first.only_b and again.passages != first.passages  # the spans moved
    assert [b2[s:e] for s, e in again.only_b] == [b[s:e] for s, e in first.only_b]
    assert [b2[slice(*p.b)].replace("\n\n\n", "\n\n") for p in again.passages] == [
        b[slice(*p.b)] for p in first.passages]


def test_align_refuses_an_offset_map_that_does_not_fit_its_text():
    from wiretrace.normalize import Normalized, SpanError

    a, b = _seeds()
    na, nb = matching_form(a), matching_form(b)
    with pytest.raises(SpanError, match="offset map"):
        align(a, na, b, Normalized(nb.text, nb.offsets[:-1]))


def test_seed_pair_is_a_candidate_though_jaccard_is_low():
    a, b = _seeds()
    ta, tb = matching_form(a).text, matching_form(b).text
    est = jaccard_estimate(signature(ta), signature(tb))
    assert 0.4 < est < 0.7  # 5-gram Jaccard of the pair is 0.58: a 0.7 deduplicator misses it
    assert candidates({"000": keys(ta), "001": keys(tb)}) == {("000", "001")}


def test_relate_builds_the_relation_record():
    a, b = _seeds()
    art_a = Article(id="000", path="000.txt", title=None, body=a, outlet="中國產業經濟信息網")
    art_b = Article(id="001", path="001.html", title=None, body=b, outlet="联合早报")
    rel = relate(art_a, matching_form(a), art_b, matching_form(b))
    assert isinstance(rel, Relation)
    assert (rel.a, rel.b, rel.relation) == ("000", "001", "abridged")
    assert rel.b_in_a >= 0.9 and rel.passages and rel.only_a and rel.only_b


# ------------------------------------------------------------------ corpus pairs
def test_same_afp_text_in_two_scripts_is_a_duplicate():
    # once extraction has removed each site's chrome, the same AFP text is all
    # that is left on both sides: only the datelines differ
    al, rel, _ = _relate(
        "2021-01-05-CNA-伊朗再推進濃縮鈾工作-2015年核子協議逐步崩解.html",
        "2021-01-05-RFI-伊朗再推进浓缩铀工作-2015年核子协议瓦解-法国国际广播电台-rfi.html",
    )
    assert rel == "duplicate"
    assert al.a_in_b >= 0.97 and al.b_in_a >= 0.97


def test_abridged_afp_reprint_with_a_different_lede():
    al, rel, _ = _relate(
        "2021-01-06-CNA-opec+同意微增產量-國際油價大漲.html",
        "2021-01-06-RFI-沙乌地宣布减产-油价劲扬-法国国际广播电台-rfi.html",
    )
    assert rel == "abridged"
    assert al.b_in_a >= 0.6 and al.a_in_b < 0.5


def test_rfi_rewrite_of_reuters_and_of_kyodo_are_reprints():
    for x, y in [
        ("2021-01-07-REUTERS-特朗普支持者闯入国会大厦-四人死亡52人被捕.html",
         "2021-01-07-RFI-特朗普支持者闯入国会大厦-酿四人死亡暂有52人被捕.html"),
        ("2021-01-07-KYODO-日方决定对中国企业注册-今治-商标提出异议.html",
         "2021-01-10-RFI-日本反对中国以-今治-为商品注册商标.html"),
    ]:
        al, rel, _ = _relate(x, y)
        assert rel == "reprint", (x, al.a_in_b, al.b_in_a)


def test_kyodo_flash_then_detail_is_updated():
    al, rel, _ = _relate(
        "2021-01-04-KYODO-快讯-日本去年逾7.9万人因新冠疫情被解雇.html",
        "2021-01-04-KYODO-详讯-日本去年逾7.9万人因新冠疫情被解雇.html",
    )
    assert rel == "updated"
    assert al.a_in_b >= 0.9 and al.b_in_a < 0.5  # the detail keeps the flash and adds to it


def test_rmb_fixing_templates_are_different_events():
    al, rel, _ = _relate(
        "2021-01-04-REUTERS-路透测算的人民币中间价料贬至6.5444元附近-上日美指反弹.html",
        "2021-01-05-REUTERS-路透测算的人民币中间价料升至6.4978元附近-美指反弹限制升幅.html",
    )
    assert al.a_in_b > 0.8  # lexically they are near-identical ...
    assert rel == "partial"  # ... but the figures were re-filled: not a reprint-type relation
    assert al.numbers_changed > al.numbers_kept


def test_duplicate_of_a_real_capture_with_added_chrome():
    a, na = _article("2021-01-05-CNA-伊朗再推進濃縮鈾工作-2015年核子協議逐步崩解.html")
    body = "熱點新聞\n\n" + a.body + "\n\n本網站之文字、圖片及影音，非經授權，不得轉載。"
    b = Article(id="copy", path="copy", title=None, body=a.body, outlet="rfi")
    al = align(a.body, na, b.body, matching_form(b.body))
    assert classify(al, a, b) == "duplicate"
    al2 = align(a.body, na, body, matching_form(body))
    assert al2.a_in_b == 1.0 and al2.b_in_a < 1.0
    assert [body[s:e] for s, e in al2.only_b] == ["熱點新聞", "本網站之文字、圖片及影音，非經授權，不得轉載"]


def test_moved_paragraphs_still_align():
    a, na = _article("2021-01-05-CNA-伊朗再推進濃縮鈾工作-2015年核子協議逐步崩解.html")
    paras = a.body.split("\n\n")
    assert len(paras) >= 4
    moved = "\n\n".join(paras[len(paras) // 2:] + paras[: len(paras) // 2])
    al = align(a.body, na, moved, matching_form(moved))
    assert al.a_in_b == 1.0 and al.b_in_a == 1.0
    assert al.only_a == [] and al.only_b == []
    assert classify(al) == "duplicate"


def test_templated_notice_does_not_blow_up_candidates():
    if not CORPUS.exists():
        pytest.skip(f"corpus not found at {CORPUS}")
    bodies = []
    for p in sorted(CORPUS.glob("*.html")) + sorted(CORPUS.glob("2021*.md")):
        text = matching_form(_extract(p).body).text
        # 450-character pieces of the posts, every 250 characters: 3,000 different real bodies
        for start in range(0, len(text) - 299, 250):
            bodies.append(text[start : start + 450])
    bodies = sorted(set(bodies))[:3000]
    assert len(bodies) == 3000
    notice = ("【版權及免責聲明】凡本網所屬版權作品，轉載時須獲得授權並註明來源「中國產業經濟信息網」，"
              "違者本網將保留追究其相關法律責任的權力。凡轉載文章及企業宣傳資訊，僅代表作者個人觀點，"
              "不代表本網觀點和立場。版權事宜請聯繫：010-65363056。如有侵權請來信告知，我們將在"
              "第一時間處理並刪除相關內容，感謝您的理解與支持。")
    notice = matching_form(notice).text
    plain = candidates({i: keys(t) for i, t in enumerate(bodies)})
    noticed = {i: keys(t + "\n" + notice) for i, t in enumerate(bodies)}
    with_notice = candidates(noticed)
    # the notice adds (almost) no pair: its keys are stop-keys
    assert len(with_notice) <= len(plain) + len(bodies) // 100
    # ... while without the postings cap every pair shares the notice's anchors
    few = {i: noticed[i] for i in range(300)}
    assert len(candidates(few, max_postings=10**9)) == 300 * 299 // 2


# ------------------------------------------------------------------ lsh / minhash
@given(st.lists(st.integers(-(2**63), 2**63 - 1), max_size=50))
def test_unique_by_sorting_equals_numpy(values):
    from wiretrace.link.arrays import unique

    a = np.array(values, np.int64)
    got = unique(a)
    assert got.dtype == np.int64 and got.tolist() == np.unique(a).tolist()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-(2**63), 2**63 - 1) | st.integers(-3, 3), max_size=80))
def test_unique_counts_by_sorting_in_place_equal_numpy(values):
    from wiretrace.link.arrays import unique_counts

    a = np.array(values, np.int64)
    want_values, want_counts = np.unique(a, return_counts=True)
    got_values, got_counts = unique_counts(a)
    assert got_values.tolist() == want_values.tolist() and got_counts.tolist() == want_counts.tolist()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(0, 30), min_size=1, max_size=12), max_size=8), st.integers(0, 31))
def test_pairs_of_a_group_are_those_with_a_new_doc(groups, n_new):
    """The enumeration of a group's pairs equals: every pair of two different members, kept
    if one of them is new (< n_new)."""
    from wiretrace.link.lsh import _pairs_with_new

    groups = [sorted(set(g)) for g in groups]
    docs = np.array([d for g in groups for d in g], np.int64)
    sizes = np.array([len(g) for g in groups], np.int64)
    starts = np.cumsum(sizes) - sizes
    x, y = _pairs_with_new(starts, sizes, docs, n_new)
    got = sorted(zip(x.tolist(), y.tolist()))
    want = sorted((p, q) for g in groups for k, p in enumerate(g) for q in g[k + 1:] if p < n_new or q < n_new)
    assert got == want
    assert all(p < q for p, q in got)


def test_incremental_candidates_equal_batch():
    a, b = _seeds()
    texts = {"000": matching_form(a).text, "001": matching_form(b).text, "x": matching_form(a[:200]).text}
    ks = {i: keys(t) for i, t in texts.items()}
    batch = candidates(ks)
    index: dict[int, list[str]] = {}
    for k in ks["000"].tolist():
        index.setdefault(k, []).append("000")
    inc = candidates({"001": ks["001"], "x": ks["x"]}, index)
    assert {("000", "001"), ("000", "x")} <= batch
    assert inc == batch


@settings(deadline=None)  # the first call compiles
@given(st.lists(st.integers(0, 0x10FFFF), max_size=40), st.integers(1, 9))
def test_gram_hashes_compiled_equals_numpy(points, n):
    cps = np.array(points, np.uint32)
    fast, plain = minhash.gram_hashes(cps, n), minhash.gram_hashes(cps, n, use_numba=False)
    assert fast.dtype == plain.dtype == np.uint64 and fast.tolist() == plain.tolist()
    assert len(plain) == (max(len(cps) - n + 1, 1) if len(cps) else 0)


@settings(deadline=None)  # the first call compiles
@given(st.lists(st.integers(0, 0x10FFFF), max_size=300))
def test_signature_compiled_equals_numpy(points):
    cps = np.array(points, np.uint32)
    fast, plain = minhash.signature_of(cps), minhash.signature_of(cps, use_numba=False)
    assert fast.dtype == plain.dtype == np.uint32 and fast.tolist() == plain.tolist()


@settings(deadline=None)  # the first call compiles
@given(st.lists(st.integers(0, 0xFFFFFFFF), min_size=lsh.BANDS * lsh.ROWS, max_size=lsh.BANDS * lsh.ROWS + 3))
def test_band_keys_compiled_equals_numpy(values):
    sig = np.array(values, np.uint32)
    fast, plain = lsh.band_keys(sig), lsh.band_keys(sig, use_numba=False)
    assert fast.dtype == plain.dtype == np.int64 and fast.tolist() == plain.tolist()
    assert not (fast & 1).any()  # band keys keep bit 0 clear: anchors set it


_KEY_TEXT = st.text(st.sampled_from(list("的国中新华社电报道美元二〇二一年ab1，。 \n")), max_size=400)


@settings(deadline=None, max_examples=300)  # the first call compiles
@given(_KEY_TEXT | st.text(max_size=60) | st.integers(0, 300).map(lambda k: "新闻报道"[:2] * k))
def test_signature_and_keys_in_one_compiled_call_equal_the_numpy_steps(text):
    _same_signature_and_keys(text)


def test_signature_and_keys_compiled_at_the_edges_of_short_and_dense():
    gram = lsh.ANCHOR_N - 1  # content chars a text has beyond its anchor grams
    lengths = [*range(0, lsh.ANCHOR_N + 2), *range(lsh.DENSE_BELOW + gram - 1, lsh.DENSE_BELOW + gram + 2)]
    body = "".join(chr(0x4E00 + (k * 7919) % 20000) for k in range(max(lengths)))
    for n in lengths:
        _same_signature_and_keys(body[:n])
        _same_signature_and_keys("，" + body[:n] + " 。")  # punctuation is skipped, not split on


def _same_signature_and_keys(text: str) -> None:
    (sig, ks), (plain_sig, plain_ks) = lsh.signature_and_keys(text), lsh.signature_and_keys(text, use_numba=False)
    assert sig.dtype == plain_sig.dtype == np.uint32 and sig.tolist() == plain_sig.tolist()
    assert ks.dtype == plain_ks.dtype == np.int64 and ks.tolist() == plain_ks.tolist()


def test_signature_paths_and_bytes_round_trip():
    a, _ = _seeds()
    t = matching_form(a).text
    s = signature(t)
    assert s.dtype == np.uint32 and s.shape == (minhash.NUM_PERM,)
    assert np.array_equal(s, signature(t, use_numba=False))
    assert np.array_equal(signature_from_bytes(signature_to_bytes(s)), s)
    assert keys(t).dtype == np.int64
    # punctuation and paragraph breaks do not change a signature; a changed word does
    assert np.array_equal(signature(t.replace("\n", "").replace(",", "，")), s)
    assert not np.array_equal(signature(t.replace("网络", "网路")), s)


# ------------------------------------------------------------------ clusters
def test_cluster_ids_do_not_depend_on_input_order():
    rels = [("a1", "a2", "reprint"), ("a2", "a3", "abridged"), ("b1", "b2", "updated"),
            ("a3", "b1", "partial"), ("c1", "c2", "duplicate")]
    expected = clusters(rels)
    assert [c["articles"] for c in expected] == sorted(
        [["a1", "a2", "a3"], ["b1", "b2"], ["c1", "c2"]], key=lambda m: cluster_id(m))
    assert {c["id"] for c in expected} == {cluster_id(["a1"]), cluster_id(["b1"]), cluster_id(["c1"])}
    rnd = random.Random(5)
    for _ in range(20):
        shuffled = [(b, a, r) if rnd.random() < 0.5 else (a, b, r) for a, b, r in rels]
        rnd.shuffle(shuffled)
        assert clusters(shuffled) == expected
    assert "partial" not in REPRINT_TYPES


def test_unrelated_articles_have_no_relation():
    al, rel, _ = _relate(
        "2021-01-04-BBC-新冠疫情为何导致分手和离婚激增.html",
        "2021-01-04-REUTERS-路透测算的人民币中间价料贬至6.5444元附近-上日美指反弹.html",
    )
    assert rel is None
    assert al.passages == [] or al.longest_passage < 30


def test_same_outlet_update_versus_another_story_reusing_a_paragraph():
    # Kyodo's flash and its detailed story: the flash lies inside the detail
    al, rel, (a, b) = _relate(
        "2021-01-08-KYODO-快讯-本田因半导体不足决定减产.html",
        "2021-01-08-KYODO-详讯-本田因半导体不足决定减产.html",
    )
    assert rel == "updated" and al.a_in_b >= 0.85
    # two RTHK market items of one morning share a paragraph on the telecom
    # stocks, but report different things: not an update of one another
    # (the earlier one first, as the pipeline orients pairs)
    al, rel, (a, b) = _relate(
        "2021-01-04-RTHK-港股競價時段跌144點.md",
        "2021-01-04-RTHK-三大電訊商股價早段挫3.md",
    )
    assert not orient(a, b)
    assert max(al.a_in_b, al.b_in_a) >= 0.6  # reprint-like by shares alone ...
    assert rel == "partial"  # ... yet another story
