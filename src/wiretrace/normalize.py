"""The matching form: what linking compares, with an offset map back to the body.

Place in the flow: extract -> Article.body -> **normalize** -> link.

The body keeps the outlet's text exactly; the matching form folds away what
does not make two captures of one text different:
- script: traditional -> simplified with OpenCC's phrase-aware ``t2s``;
- width and punctuation: the explicit ``FOLD`` table (not NFKC, which would
  also rewrite ``…``, ``①``, ``℃``);
- Latin letters lower-cased; zero-width characters dropped;
- white space: a run with a line break becomes one ``\\n`` (a paragraph break,
  which linking splits on), any other run one space; none at either end.

``Normalized.offsets[i]`` is the index in the body of matching character i, so
a span found in the matching form is shown in the original (``to_original``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

import numpy as np

# One character to one character, so folding never moves an offset.
FOLD: dict[int, str] = {}
# Full-width ASCII (U+FF01..U+FF5E) to ASCII: ，→, （→( ：→: ０→0 Ａ→a …
for _cp in range(0xFF01, 0xFF5F):
    FOLD[_cp] = chr(_cp - 0xFEE0)
FOLD.update({ord(k): v for k, v in {
    "\u3000": " ",   # ideographic space
    "\u00a0": " ",   # no-break space
    "、": ",",        # enumeration comma: outlets use 、 and ， for the same lists
    "。": ".", "｡": ".",
    "「": '"', "」": '"', "『": '"', "』": '"', "“": '"', "”": '"', "〝": '"', "〞": '"',
    "‘": "'", "’": "'",
    "【": "[", "】": "]", "〔": "(", "〕": ")", "《": "<", "》": ">", "〈": "<", "〉": ">",
    "—": "-", "–": "-", "－": "-", "‐": "-",
    "·": "·", "・": "·", "•": "·",
}.items()})
# Latin capitals to lower case (full-width ones are already ASCII above).
for _cp in range(ord("A"), ord("Z") + 1):
    FOLD[_cp] = chr(_cp + 32)
for _cp in range(0xFF21, 0xFF3B):
    FOLD[_cp] = chr(_cp - 0xFEE0 + 32)
FOLD_TABLE = str.maketrans(FOLD)

# Dropped: zero-width space/joiners, word joiner, BOM, soft hyphen.
_DROP = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
# White space runs and dropped characters: the only places the length changes.
_GAPS = re.compile(f"[\\s{_DROP}]+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
_LATIN = re.compile(r"[A-Za-z]")


@dataclass(frozen=True)
class Normalized:
    """A matching form and its offset map into the original body."""

    text: str
    offsets: np.ndarray  # int32, len(text) + 1; the last entry is len(body)

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """The body span holding the characters of ``text[start:end]``."""
        if end <= start:
            o = int(self.offsets[start])
            return o, o
        return int(self.offsets[start]), int(self.offsets[end - 1]) + 1


@lru_cache(maxsize=None)
def _converter(config: str):
    import opencc

    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    """OpenCC ``t2s``: phrase-aware, and leaves simplified text as it is."""
    return _converter("t2s").convert(text)


def matching_form(body: str) -> Normalized:
    folded, offsets = _fold(body)
    simplified = to_simplified(folded)
    if len(simplified) != len(folded):
        simplified, offsets = _remap(folded, offsets)
    return Normalized(simplified, offsets)


def _fold(body: str) -> tuple[str, np.ndarray]:
    """Width/punctuation/case folding, drops and white space, with offsets."""
    text = body.translate(FOLD_TABLE)
    parts: list[str] = []
    spans: list[np.ndarray] = []
    pos = 0
    for gap in _GAPS.finditer(text):
        start, end = gap.span()
        if start > pos:
            parts.append(text[pos:start])
            spans.append(np.arange(pos, start, dtype=np.int32))
        run = gap.group()
        space = "\n" if "\n" in run else (" " if run.strip(_DROP) else "")
        if space and parts:  # no white space at the start
            at = start + (run.find("\n") if space == "\n" else 0)
            parts.append(space)
            spans.append(np.array([at], dtype=np.int32))
        pos = end
    if pos < len(text):
        parts.append(text[pos:])
        spans.append(np.arange(pos, len(text), dtype=np.int32))
    if parts and parts[-1] in ("\n", " "):  # no white space at the end
        parts.pop()
        spans.pop()
    spans.append(np.array([len(body)], dtype=np.int32))
    return "".join(parts), np.concatenate(spans)


def _remap(folded: str, offsets: np.ndarray) -> tuple[str, np.ndarray]:
    """Script conversion that changed the length somewhere: convert line by
    line, and map the characters of a line whose length changed through the
    differences between its two forms (a replaced run maps proportionally, its
    ends exactly)."""
    out: list[str] = []
    maps: list[np.ndarray] = []
    base = 0
    for line in folded.split("\n"):
        conv = to_simplified(line)
        if len(conv) == len(line):
            local = np.arange(len(line), dtype=np.int32)
        else:
            local = np.empty(len(conv), dtype=np.int32)
            for op, i1, i2, j1, j2 in SequenceMatcher(None, line, conv, autojunk=False).get_opcodes():
                if op == "equal":
                    local[j1:j2] = np.arange(i1, i2)
                elif j2 > j1:  # replace or insert
                    width = max(i2 - i1, 1)
                    local[j1:j2] = i1 + (np.arange(j2 - j1) * width) // (j2 - j1)
                    local[j1:j2] = np.minimum(local[j1:j2], max(len(line) - 1, 0))
        out.append(conv)
        maps.append(offsets[base + local])
        base += len(line) + 1
        maps.append(offsets[base - 1: base])  # the "\n" (or, after the last line, the end)
    return "\n".join(out), np.concatenate(maps)[: len("\n".join(out)) + 1]


# -- script and language --------------------------------------------------------

# Script thresholds, measured on the corpus sample (tests/test_normalize.py
# re-checks them on real captures): of the characters that differ between the
# scripts, a traditional post has >= 0.97 traditional-only ones, a simplified
# post <= 0.03 (OpenCC's s2t also "converts" a few characters that are already
# traditional, such as 台 and 著, which is the noise these margins absorb).
HANT_SHARE = 0.8
HANS_SHARE = 0.2
MIN_TELLING = 3  # fewer telling characters than this: too little text to tell
# Written the same in both scripts in practice, though OpenCC's s2t turns them
# into a rarer form: 台 (台灣, 台股 in Hong Kong and Taiwan outlets, s2t 臺).
# Counting it made two short RTHK items look mixed.
_BOTH_SCRIPTS = str.maketrans("", "", "台")


def detect_script(text: str) -> str | None:
    """``hans``, ``hant`` or ``mixed``; None for text with no Chinese, or too
    little to tell the scripts apart."""
    if not _CJK.search(text):
        return None
    cjk = "".join(_CJK.findall(text)).translate(_BOTH_SCRIPTS)
    trad_only = _count_changed(cjk, "t2s")
    simp_only = _count_changed(cjk, "s2t")
    telling = trad_only + simp_only
    if telling < MIN_TELLING:
        return None
    share = trad_only / telling
    if share >= HANT_SHARE:
        return "hant"
    if share <= HANS_SHARE:
        return "hans"
    return "mixed"


def _count_changed(text: str, config: str) -> int:
    """Characters the conversion changes (per character, so phrases cannot shift counts)."""
    conv = _converter(config).convert(text)
    if len(conv) == len(text):
        a = np.frombuffer(text.encode("utf-32-le"), dtype="<u4")
        b = np.frombuffer(conv.encode("utf-32-le"), dtype="<u4")
        return int((a != b).sum())
    return sum(1 for ch in text if _converter(config).convert(ch) != ch)


def detect_language(text: str) -> str | None:
    """``zh`` when Chinese characters dominate the letters, ``en`` when Latin
    letters do, None when there is too little text to say."""
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN.findall(text))
    if cjk + latin < 10:
        return None
    if cjk * 3 >= latin:  # a Chinese character carries about as much as a short word
        return "zh"
    return "en"
