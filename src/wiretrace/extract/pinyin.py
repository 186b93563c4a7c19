"""Strip inline pinyin left by flattened ruby markup: ``國(guó)`` -> ``國``.

Place in the flow: extract runs this on every line of a capture before any
other rule, so titles, bylines and credits are read without annotations.

An annotation is removed only when it is a reading of the character(s) right
before it (checked with pypinyin, tones ignored), so real parentheses such as
``(記者 王建剛)``, ``(Myo Nyunt)`` or ``(2021)`` survive.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_SYL = "a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüêńňǹḿ:"
# Up to 4 Han characters before a parenthesised run of lowercase pinyin (tone
# marks or a trailing tone digit allowed). Several syllables cover a
# multi-character annotation such as 中國(zhōngguó). Ruby annotations are
# lowercase; a capitalised romanisation such as 王毅(Wang Yi) is the author's
# own gloss and stays.
_ANNOT = re.compile(
    rf"([{_HAN}]{{1,4}})[(（]([{_SYL}]{{1,24}}[1-5]?(?:\s?[{_SYL}]{{1,8}}[1-5]?){{0,3}})[)）]"
)
_QUICK = re.compile(r"[(（][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]")


def _fold(syllables: str) -> str:
    """Tone-less lowercase ASCII form: ü and u: become v, as pypinyin writes them."""
    s = unicodedata.normalize("NFD", syllables.lower()).replace("u\u0308", "v").replace("u:", "v")
    s = "".join(c for c in s if not unicodedata.combining(c))
    return re.sub(r"[\s1-5]", "", s)


@lru_cache(maxsize=8192)
def _readings(ch: str) -> tuple[str, ...]:
    from pypinyin import Style, pinyin

    out = pinyin(ch, heteronym=True, style=Style.NORMAL, errors="ignore")
    return tuple({_fold(r) for r in out[0]}) if out else ()


def _spells(chars: str, ann: str) -> bool:
    """True if ``ann`` is the concatenated reading of every character of ``chars``."""
    if not chars:
        return not ann
    return any(ann.startswith(r) and _spells(chars[1:], ann[len(r):]) for r in _readings(chars[0]) if r)


def _replace(m: re.Match[str]) -> str:
    run, ann = m.group(1), _fold(m.group(2))
    # Prefer the shortest suffix of the Han run that the annotation spells: the
    # usual case is one character, one syllable.
    for k in range(1, len(run) + 1):
        if _spells(run[-k:], ann):
            return run
    return m.group(0)


def strip_pinyin(text: str) -> str:
    # the common case: no bracket (a substring test), or no pinyin after one (one regex scan)
    if ("(" not in text and "（" not in text) or not _QUICK.search(text):
        return text
    return _ANNOT.sub(_replace, text)
