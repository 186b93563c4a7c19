"""The compiled set-up of align (sentences, trigrams, scored sentence pairs) against plain
Python statements of the same rules: a change to either side that moves a boundary, a
trigram or the order of the pairs fails here before it moves an alignment."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from wiretrace.link import split_sentences
from wiretrace.link.align import MIN_PAIR_GRAMS, MIN_PAIR_OVERLAP, _side
from wiretrace.link.trigrams import PAD, scored_pairs

# align's sentence rule as a regular expression: the specification the compiled splitter follows
SENTENCE_END = re.compile(r"[。！？；!?;\n｡]|(?<!\d)[.．]|[.．](?!\d)")

# terminators, dots between and beside digits (ASCII, full-width and Arabic-Indic), letters,
# spaces and punctuation that is not a terminator
ALPHABET = "。！？；!?;\n｡.．3٣５ab的在中国 ，、"


def regex_sentences(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in SENTENCE_END.finditer(text):
        if text[start:m.end()].strip():
            spans.append((start, m.end()))
        start = m.end()
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans


def python_side(text: str):
    """Content characters per sentence, and the distinct (trigram, sentence) pairs."""
    sentences = []
    for s, e in regex_sentences(text):
        chars = [(p, ord(text[p])) for p in range(s, e) if text[p].isalnum()]
        if chars:
            sentences.append(((s, e), chars))
    grams = set()
    for k, (_, chars) in enumerate(sentences):
        cps = [c for _, c in chars]
        if len(cps) < 3:
            cps = cps + [PAD] * (3 - len(cps))
        for t in range(len(cps) - 2):
            grams.add(((cps[t] << 42) | (cps[t + 1] << 21) | cps[t + 2], k))
    return sentences, sorted(grams)


@settings(max_examples=400, deadline=None)
@given(st.text(ALPHABET, max_size=60))
def test_sentences_follow_the_rule(text):
    assert split_sentences(text) == regex_sentences(text)


@settings(max_examples=300, deadline=None)
@given(st.text(ALPHABET, max_size=80))
def test_side_holds_each_sentences_content_and_trigrams(text):
    side = _side.__wrapped__(text)
    sentences, grams = python_side(text)
    assert [(int(s), int(e)) for s, e in zip(side.sent_start, side.sent_end)] == [span for span, _ in sentences]
    assert side.positions.tolist() == [p for _, chars in sentences for p, _ in chars]
    assert side.codes.tolist() == [c for _, chars in sentences for _, c in chars]
    assert [side.codes[side.bounds[k]:side.bounds[k + 1]].tolist() for k in range(len(sentences))] == [
        [c for _, c in chars] for _, chars in sentences]
    assert list(zip(side.gram_codes.tolist(), side.gram_sents.tolist())) == grams
    assert side.n_grams.tolist() == [sum(1 for _, k in grams if k == s) for s in range(len(sentences))]


def python_scored(a, b) -> list[tuple[int, int]]:
    shared: Counter = Counter()
    b_by_code: dict = {}
    for code, j in zip(b.gram_codes.tolist(), b.gram_sents.tolist()):
        b_by_code.setdefault(code, []).append(j)
    for code, i in zip(a.gram_codes.tolist(), a.gram_sents.tolist()):
        for j in b_by_code.get(code, []):
            shared[i, j] += 1
    kept = []
    for (i, j), n in shared.items():
        smaller = min(int(a.n_grams[i]), int(b.n_grams[j]))
        if n >= min(MIN_PAIR_GRAMS, smaller) and n >= MIN_PAIR_OVERLAP * smaller:
            kept.append((-n, -(n / smaller), i, j))
    return [(i, j) for _, _, i, j in sorted(kept)]


SENTENCES = ["中国常驻联合国代表张军29日表示。", "各国应以交流合作代替对抗！", "他指出，维护国际和平与安全。",
             "国际和平与安全是首要责任；", "（新华社）", "中国。", "3.5%的增长\n", "据新华社报道，张军说。"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(SENTENCES), max_size=12), st.lists(st.sampled_from(SENTENCES), max_size=12))
def test_scored_pairs_dense_and_sorted_agree_with_python(xs, ys):
    a, b = _side.__wrapped__("".join(xs)), _side.__wrapped__("".join(ys))
    want = python_scored(a, b)
    args = (a.gram_codes, a.gram_sents, a.n_grams, b.gram_codes, b.gram_sents, b.n_grams,
            MIN_PAIR_GRAMS, MIN_PAIR_OVERLAP)
    for dense_max in (0, 1 << 20):  # counted by sorting codes, and in a dense table
        i, j = scored_pairs(*args, dense_max)
        assert list(zip(i.tolist(), j.tolist())) == want


# align's number rule as a regular expression (the same kind of specification)
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


@settings(max_examples=400, deadline=None)
@given(st.text(ALPHABET + "12,,..", max_size=80))
def test_numbers_follow_the_rule_sentence_by_sentence(text):
    side = _side.__wrapped__(text)
    ids, at = side.numbers
    found = [(int(np.searchsorted(side.sent_start, m.start(), side="right")) - 1, m.group())
             for m in NUMBER.finditer(text)]
    assert at.tolist() == np.searchsorted([k for k, _ in found], np.arange(len(side.sent_start) + 1)).tolist()
    # one integer per number text: equal texts give equal ids, different ones different ids
    assert len(ids) == len(found)
    assert len({(t, i) for (_, t), i in zip(found, ids.tolist())}) == len({t for _, t in found}) == len(set(ids.tolist()))


def test_numbers_keep_their_separators():
    ids, at = _side("增长3.5%，达1,234.56亿。又3.5，35与1..2").numbers
    # "1..2": each dot ends a sentence (neither sits between two digits), the second one alone
    assert at.tolist() == [0, 2, 5, 6]
    assert ids[0] == ids[2] and len(set(ids.tolist())) == 5  # 3.5 1,234.56 | 3.5 35 1 | 2


def test_a_dot_between_digits_does_not_end_a_sentence():
    assert split_sentences("增长3.5个百分点。下降.5") == [(0, 10), (10, 13), (13, 14)]
    assert np.array_equal(_side("第一句。第二句").sent_start, [0, 4])
