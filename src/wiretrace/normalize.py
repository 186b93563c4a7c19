"""The matching form: what linking compares, with an exact way back to the body.

extract -> Article.body (original script, no pinyin)
normalize.matching_form(body) -> Normalized(text, offsets)   <- this module
link compares ``Normalized.text``; a passage found there is shown in the
original through ``Normalized.to_original``.

The form is built in three passes, each keeping an offset array:
1. ``_FOLD``: an explicit one-char-to-at-most-one-char table (applied as a
   lookup on code points, in one compiled pass where numba is installed, else
   in numpy; ``s.translate(FOLD_TABLE)`` gives the same):
   width, punctuation, quotes, spaces, Latin case; invisible chars dropped.
   Whitespace runs then collapse to one space, or to ``\\n`` when they hold a
   line break (paragraphs survive; linking splits on ``\\n``), and the ends
   are stripped.
2. OpenCC ``hk2s`` (traditional -> simplified, phrase-aware).
3. ``_HAN_FOLD``: a few Han variants whose simplified spelling OpenCC leaves
   context-dependent, folded to one form after conversion.
Offsets are computed in compiled code or numpy, never a per-char Python loop;
OpenCC is one call per body. bench/bench_normalize.py: ~9,000 corpus bodies/s
(numpy fold; measured before the compiled one).
Also here: ``detect_script`` and ``detect_language`` (Article.script/.language).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np
import opencc

__all__ = [
    "Normalized",
    "FOLD_TABLE",
    "codepoints",
    "SpanError",
    "matching_form",
    "title_form",
    "to_simplified",
    "detect_script",
    "detect_language",
    "script_and_language",
]

# --- tuned knobs ---------------------------------------------------------------
# All measured by bench/bench_normalize.py over the 2,687 posts of
# /work/shared/corpus/agora-news-sample (bodies = crudely stripped HTML).

# OpenCC config. Measured (bodies converted with each config, diffs counted):
# - t2s never changes a body's length and is idempotent but for one phrase
#   (處於 -> 处於 -> 处于, closed by _HAN_FOLD below).
# - hk2s = t2s + Hong Kong variant chars; on the corpus it differs from t2s
#   only by converting 衞 -> 卫 (144 times, all RTHK 衞生/國衞); over every code
#   point it differs on 7 chars only (衞敍枱粧糭衹潀), none of which occurs in
#   simplified text, so it cannot damage a simplified body. Chosen.
# - tw2sp rewrites Taiwan vocabulary, but also rewrites already-simplified
#   text (程序->程, 新增->添加, 建立->建, 文件->文档 in RFI/REUTERS bodies:
#   2,198 distinct diff sites) and changes length in 74 bodies. Rejected.
# - tw2s turns every 著 into 着, which also spoils 显著/著名 in simplified
#   bodies; _HAN_FOLD does the same fold on both sides instead.
OPENCC_CONFIG = "hk2s"

# detect_script: r = T / (T + S), T = chars hk2s changes (traditional-only), S = chars
# s2t changes (simplified-only), each char judged alone (``_char_classes``). Per-post r
# on the corpus: simplified outlets max 0.095 (a DW post quoting traditional text),
# traditional outlets (CNA, RTHK, the one traditional DW post) min 0.750. The cut points
# sit in that gap with room on both sides; with them the corpus confusion table is
# diagonal (bench/bench_normalize.py prints it). Judging chars alone rather than
# converting the text in context (OpenCC's phrases) moves a post's r by at most 0.17 and
# changes no post's script on the corpus or on 30,000 synthetic articles, at 1/25 the
# cost: converting twice was a third of extraction's time.
SCRIPT_HANS_MAX = 0.3
SCRIPT_HANT_MIN = 0.6

# detect_language: a Han char carries about what a Latin word does, so CJK chars
# are weighed against Latin WORDS. Share cjk / (cjk + latin words) on the
# corpus bodies: lowest 0.75 (a JOINS post whose crude body is only chrome and
# feedx URLs), next 0.81 (KYODO flashes); "CJK dominates" at 0.5 keeps a wide
# margin. Kana/hangul above 10% of the CJK chars means Japanese/Korean, which
# we do not guess. "en" needs Latin words to dominate AND English function
# words: Latin alone would call French or pinyin "en".
LANG_CJK_MIN = 0.5
LANG_KANA_HANGUL_MAX = 0.1
LANG_LATIN_MIN = 0.8
LANG_EN_FUNCTION_WORDS_MIN = 0.15


class SpanError(ValueError):
    """A span outside the matching form, or with start > end."""


# --- pass 1: the fold table ----------------------------------------------------------

def _build_fold() -> dict[int, int | None]:
    t: dict[int, int | None] = {}

    def put(chars: str, to: str | None) -> None:
        for ch in chars:
            t[ord(ch)] = None if to is None else ord(to)

    # Full-width ASCII (U+FF01-FF5E) -> ASCII: outlets mix ，/, （/( ：/: freely
    # (seed 000 uses ",", its reprint "，"). Letters go straight to lower case.
    for cp in range(0xFF01, 0xFF5F):
        t[cp] = ord(chr(cp - 0xFEE0).lower())
    # Latin lower-cased: ASCII and Latin-1/Extended-A/B where lower() stays one
    # char (İ -> i̇ would grow and break the 1:1 table, so it is left alone).
    for cp in list(range(0x41, 0x5B)) + list(range(0xC0, 0x250)):
        low = chr(cp).lower()
        if len(low) == 1 and low != chr(cp):
            t[cp] = ord(low)
    # Other full-width signs, as their ordinary forms.
    put("￠", "¢"); put("￡", "£"); put("￢", "¬"); put("￣", "¯"); put("￤", "¦")
    put("￥", "¥"); put("￦", "₩")
    # Half-width CJK punctuation -> the ordinary CJK form.
    put("｡", "。"); put("､", "、")
    # 。 and 、 are KEPT: "." is also a decimal point ("6.5444") and "," a
    # thousands mark, so folding 。/、 into them would blur sentence ends.
    # Small form variants (FE50-FE6B) and the vertical colon CNA uses (︰).
    put("﹐", ","); put("﹑", "、"); put("﹒", "."); put("﹔", ";"); put("﹕", ":")
    put("﹖", "?"); put("﹗", "!"); put("﹙", "("); put("﹚", ")"); put("︰", ":")
    # Every quotation mark -> '"'. Measured on the 46 CNA-RFI AFP pairs: 「」 in
    # CNA is “” in RFI (134 pairs), 『』 is ‘’ (3); apostrophes (’ vs ') also
    # differ between outlets, so single and double quotes share the one form.
    put("「」『』｢｣“”„‟〝〞〟‘’‚‛'＂＇", '"')
    # Middle dots used between transliterated names: · (373 in the corpus),
    # ‧ (Taiwan, 19), ・ ･ (3 each), ∙ (2). The bullet • is a list mark: kept.
    put("‧・･∙", "·")
    # Midline ellipsis (Taiwan typesetting) -> the ellipsis simplified outlets
    # use; … itself is kept (NFKC would make it "...").
    put("⋯", "…")
    # Bracket and dash shapes vary by outlet and by typesetter around the same
    # words (《》/〈〉/<> for titles, 【】/[], 〔〕/()); stories.similarity reads a
    # title quoted as <...>. Dashes likewise -> "-": — – ‐ ‑ ‒ ―, and the box
    # lines ─ ━ that CNA and RFI set as the dash of one AFP sentence.
    put("《〈", "<"); put("》〉", ">"); put("【", "["); put("】", "]")
    put("〔", "("); put("〕", ")"); put("—–‐‑‒―─━", "-")
    # Wave dash as range mark ("1〜2") -> ~, like full-width ～.
    put("〜", "~")
    # Horizontal spaces -> " " (collapsed later). U+3000: 98 in the corpus,
    # NBSP: 742.
    put("\t\x1f\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
        "\u2008\u2009\u200a\u202f\u205f\u3000", " ")
    # Line breaks of every kind -> "\n" (U+2028 occurs 11 times in RTHK).
    put("\r\v\f\x1c\x1d\x1e\x85\u2028\u2029", "\n")
    # Invisible chars dropped: zero-width space/joiners, word joiner, BOM,
    # soft hyphen, direction marks, Mongolian vowel separator.
    put("\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u2060\ufeff", None)
    # Other C0 controls and DEL dropped: OpenCC's C API cuts a string at NUL.
    for cp in list(range(0x00, 0x09)) + [0x0E, 0x0F] + list(range(0x10, 0x1C)) + [0x7F]:
        t[cp] = None
    # Lone surrogates (only from broken decoding) cannot reach OpenCC's UTF-8.
    for cp in range(0xD800, 0xE000):
        t[cp] = 0xFFFD
    return t


_FOLD = _build_fold()
FOLD_TABLE = _FOLD  # public name: one char -> at most one char, or None (dropped)
assert max(_FOLD) < 0x10000  # _fold_lut covers the BMP only

# --- pass 3: Han variants folded after conversion --------------------------------
# 著/着: traditional writes 隨著/戴著, simplified 随着/戴着, yet 著名/显著 are 著 in
# both; OpenCC keeps 著 (10 substitutions in the CNA-RFI pairs, 123 著 in CNA
# vs 204 着 in RFI). Folding both to 着 makes the pairs equal.
# 於/于 and 苧/苎: OpenCC is not idempotent there (處於 -> 处於; 薴 -> 苧 -> 苎,
# the only chain found by converting every code point); folding to the end of
# the chain keeps matching_form idempotent.
_HAN_FOLD = (("著", "着"), ("於", "于"), ("苧", "苎"))


# --- helpers ---------------------------------------------------------------------

def codepoints(text: str) -> np.ndarray:
    """The text's code points as uint32, without a Python loop (linking uses it too)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _from_codepoints(cps: np.ndarray) -> str:
    return cps.astype(np.uint32).tobytes().decode("utf-32-le", "surrogatepass")


# The chars OpenCC may rewrite: converting every code point one by one, hk2s changes only
# these ranges (inclusive) and always to a Han char.
_HAN_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x3134F))


def _is_han(cps: np.ndarray) -> np.ndarray:
    out = np.zeros(cps.shape, dtype=bool)
    for lo, hi in _HAN_RANGES:
        out |= (cps >= lo) & (cps <= hi)
    return out


@functools.lru_cache(maxsize=None)
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    """Traditional -> simplified with the shared converter (``OPENCC_CONFIG``)."""
    return _converter(OPENCC_CONFIG).convert(text)


def _fold(body: str, *, compiled: bool = True) -> tuple[str, np.ndarray]:
    """Pass 1: table fold, whitespace collapse, strip. Offsets are indices in body.

    The table is applied as a lookup on code points rather than with
    ``str.translate``: translate with a dict pays a dict lookup per non-ASCII
    char and took half of matching_form's time (bench_normalize: 0.25 s of
    0.50 s over the corpus); the lookup also yields the dropped positions.
    One compiled pass (``_fold_loop``) where numba is installed: the numpy passes
    below, a few dozen calls over the array, took ~45 us of an article's extraction.
    """
    cps = codepoints(body)
    if cps.size == 0:
        return "", np.zeros(0, dtype=np.int64)
    lut = _fold_lut()
    kernel = _kernel(_fold_loop) if compiled else None
    if kernel is not None:
        mapped, off = kernel(cps, lut)
        return _from_codepoints(mapped), off
    if int(cps.max()) < len(lut):
        mapped = lut[cps]
    else:  # the table has no entry above the BMP: those chars stay as they are
        mapped = np.where(cps < len(lut), lut[np.minimum(cps, len(lut) - 1)], cps.astype(np.int32))
    kept = mapped >= 0
    if kept.all():
        off = np.arange(len(cps), dtype=np.int64)
    else:
        off = np.flatnonzero(kept)
        mapped = mapped[kept]
    n = len(mapped)
    if n == 0:
        return "", off
    nl = mapped == 10
    ws = nl | (mapped == 32)
    prev = np.concatenate(([False], ws[:-1]))
    nxt = np.concatenate((ws[1:], [False]))
    starts = np.flatnonzero(ws & ~prev)
    if len(starts):
        ends = np.flatnonzero(ws & ~nxt)
        nl_sum = np.cumsum(nl)
        has_nl = (nl_sum[ends] - nl_sum[starts] + nl[starts]) > 0
        mapped[starts] = np.where(has_nl, 10, 32)
        keep = ~ws
        keep[starts] = True
        if starts[0] == 0:
            keep[0] = False
        if ends[-1] == n - 1:
            keep[starts[-1]] = False
        if not keep.all():
            mapped, off = mapped[keep], off[keep]
    return _from_codepoints(mapped), off


def _fold_loop(cps, lut):  # pragma: no cover - compiled; the same as _fold's numpy passes
    """``_fold`` in one pass: the folded code points and each one's index in the body."""
    out = np.empty(cps.shape[0], np.uint32)
    off = np.empty(cps.shape[0], np.int64)
    k = 0
    in_run = False  # inside a run of spaces and line breaks (dropped chars do not end one)
    run_nl = False
    run_at = 0
    for i in range(cps.shape[0]):
        c = cps[i]
        m = np.int64(lut[c]) if c < lut.shape[0] else np.int64(c)
        if m < 0:
            continue  # dropped
        if m == 10 or m == 32:
            if not in_run:
                in_run, run_nl, run_at = True, False, i
            run_nl = run_nl or m == 10
            continue
        if in_run:
            if k > 0:  # a run at the start is stripped
                out[k] = 10 if run_nl else 32
                off[k] = run_at
                k += 1
            in_run = False
        out[k] = m
        off[k] = i
        k += 1
    return out[:k], off[:k]  # a run at the end is stripped


@functools.lru_cache(maxsize=None)
def _kernel(loop):
    """``loop`` (``_fold_loop``, ``_count_loop``) compiled, or None without numba: compiled at
    its first use, so a command that never folds or counts a body does not import numba."""
    from wiretrace.compiled import jit, numba

    return jit(loop) if numba is not None else None


@functools.lru_cache(maxsize=1)
def _fold_lut() -> np.ndarray:
    # _FOLD as an array over the BMP: the char's fold, or -1 when it is dropped.
    lut = np.arange(0x10000, dtype=np.int32)
    for cp, v in _FOLD.items():
        lut[cp] = -1 if v is None else v
    lut.flags.writeable = False
    return lut


def _align(src: str, out: str) -> np.ndarray:
    """Offsets (len(out)+1) from a conversion ``out`` of ``src`` back into ``src``.

    Non-Han chars are anchors: OpenCC never changes them, so they pin the map
    exactly. Between two anchors, a Han run of equal length maps 1:1; a run
    whose length changed (a phrase mapped to a longer or shorter string) maps
    proportionally, its first char and the anchors around it still exact.
    """
    n, m = len(src), len(out)
    if src == out:
        return np.arange(n + 1, dtype=np.int64)
    a, b = codepoints(src), codepoints(out)
    if n == m:
        # The common path (every corpus body): 1:1 when every changed char is
        # Han on both sides, since then every anchor stayed where it was.
        d = np.flatnonzero(a != b)
        if _is_han(a[d]).all() and _is_han(b[d]).all():
            return np.arange(n + 1, dtype=np.int64)
    ha, hb = _is_han(a), _is_han(b)
    pa, pb = np.flatnonzero(~ha), np.flatnonzero(~hb)
    off = np.empty(m + 1, dtype=np.int64)
    off[m] = n
    if len(pa) != len(pb) or not np.array_equal(a[pa], b[pb]):
        # Anchors disagree (no OpenCC config we use does this): pin the ends only.
        off[:m] = (np.arange(m, dtype=np.int64) * n) // max(m, 1)
        return off
    off[pb] = pa
    pa_ext = np.concatenate(([-1], pa, [n]))
    pb_ext = np.concatenate(([-1], pb, [m]))
    q = np.flatnonzero(hb)
    k = np.searchsorted(pb_ext, q) - 1  # previous anchor
    j = q - pb_ext[k] - 1
    l_out = pb_ext[k + 1] - pb_ext[k] - 1
    l_in = pa_ext[k + 1] - pa_ext[k] - 1
    off[q] = pa_ext[k] + 1 + (j * l_in) // l_out
    return off


# --- the record ----------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Normalized:
    """The matching form of a body and its offset map.

    ``offsets`` has ``len(text) + 1`` entries: ``offsets[i]`` is the index in the
    body of the char that produced ``text[i]`` (for a collapsed whitespace run,
    its first char); ``offsets[len(text)] == len(body)``. Non-decreasing. The
    array is read-only.
    """

    text: str
    offsets: np.ndarray

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Span [start, end) of ``text`` -> span of the body that produced it.

        The body span runs from the first source char of ``text[start]`` to the
        first source char of ``text[end]``, so it also covers dropped invisible
        chars and the whole of a collapsed whitespace run at its end.
        """
        if not 0 <= start <= end <= len(self.text):
            raise SpanError(f"span [{start}, {end}) outside matching form of length {len(self.text)}")
        return int(self.offsets[start]), int(self.offsets[end])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Normalized):
            return NotImplemented
        return self.text == other.text and np.array_equal(self.offsets, other.offsets)

    def __hash__(self) -> int:
        return hash((self.text, self.offsets.tobytes()))


def matching_form(body: str) -> Normalized:
    """The matching form of ``body`` (see the module docstring) with its offset map."""
    folded, off1 = _fold(body)
    off1 = np.append(off1, len(body))
    converted = to_simplified(folded)
    off2 = _align(folded, converted)
    offsets = off1[off2].astype(np.int32)  # the archive stores int32 (archive.rows)
    offsets.flags.writeable = False
    return Normalized(_han_fold(converted), offsets)


def _han_fold(converted: str) -> str:
    """Pass 3 (``_HAN_FOLD``), one char for one, so the offset map still holds."""
    # str.replace scans at C speed; a translate table would look up every char
    for a, b in _HAN_FOLD:
        converted = converted.replace(a, b)
    return converted


def title_form(title: str | None) -> str:
    """A headline's matching form ("" for none): what search and stories match titles on,
    so every writer of the search index must compute it the same way.

    ``matching_form(title).text``, without the offset map: on a headline of a few dozen chars
    the map's passes cost five times the text (51 against 10 us; tests/test_normalize.py holds
    the two to the same text)."""
    return _han_fold(to_simplified(_fold(title)[0])) if title else ""


# --- script and language -----------------------------------------------------------

_KANA_HANGUL_RANGES = ((0x3040, 0x30FF), (0x31F0, 0x31FF),  # kana
                       (0x1100, 0x11FF), (0x3130, 0x318F), (0xAC00, 0xD7AF))  # hangul
_LATIN_WORD_RE = re.compile("[A-Za-z\u00c0-\u024f]+")
_EN_FUNCTION_WORDS = frozenset(
    "the of and to in is that for on it with as was by are be at from this".split()
)


# Bits of ``_char_classes``: what one char tells about the script and the language.
_TRAD, _SIMP, _HAN, _KANA_HANGUL, _LATIN = 1, 2, 4, 8, 16
_LATIN_RANGES = ((0x41, 0x5A), (0x61, 0x7A), (0xC0, 0x24F))  # _LATIN_WORD_RE's chars


@functools.lru_cache(maxsize=1)
def _char_classes() -> np.ndarray:
    """Per code point up to the last Han block, the bits above: ``_TRAD`` if hk2s changes the
    char on its own (traditional-only), ``_SIMP`` if s2t does (simplified-only; both for e.g.
    乾), ``_HAN``, ``_KANA_HANGUL``, and ``_LATIN`` for a letter of a Latin word. One table, so
    script and language are counted in one pass over the text. The OpenCC bits come from the
    installed OpenCC, one char per line so no phrase spans two (~0.1 s, once)."""
    classes = np.zeros(_HAN_RANGES[-1][1] + 1, dtype=np.uint8)
    for value, ranges in ((_HAN, _HAN_RANGES), (_KANA_HANGUL, _KANA_HANGUL_RANGES), (_LATIN, _LATIN_RANGES)):
        for lo, hi in ranges:
            classes[lo:hi + 1] = value
    cps = np.concatenate([np.arange(lo, hi + 1) for lo, hi in _HAN_RANGES])
    chars = [chr(c) for c in cps]
    for bit, config in ((_TRAD, OPENCC_CONFIG), (_SIMP, "s2t")):
        out = _converter(config).convert("\n".join(chars)).split("\n")
        changed = np.fromiter((o != c for o, c in zip(out, chars)), dtype=bool, count=len(chars))
        classes[cps[changed]] |= bit
    classes.flags.writeable = False
    return classes


# _class_counts's figures, in this order: chars with each bit, then Latin words
_COUNTED = (_TRAD, _SIMP, _HAN, _KANA_HANGUL)
# class value -> its bits among _COUNTED, so one product turns a histogram into the figures
_BITS_OF = np.array([[bool(v & bit) for bit in _COUNTED] for v in range(32)], dtype=np.int64)


def _class_counts(text: str, *, compiled: bool = True) -> tuple[int, int, int, int, int]:
    """How many chars of ``text`` are traditional-only, simplified-only, Han, kana or hangul,
    and how many Latin words (runs of ``_LATIN`` chars) it holds. Chars above the last Han
    block count for none of them and end a word. One compiled pass where numba is installed:
    the two detectors' numpy passes and the Latin words' regex took ~55 us an article."""
    cps = codepoints(text)
    table = _char_classes()
    kernel = _kernel(_count_loop) if compiled else None
    if kernel is not None:
        return tuple(kernel(cps, table).tolist())
    values = np.where(cps < len(table), table[np.minimum(cps, len(table) - 1)], 0)
    trad, simp, han, kana_hangul = (np.bincount(values, minlength=32) @ _BITS_OF).tolist()
    latin = (values & _LATIN) != 0
    words = int(np.count_nonzero(latin[1:] & ~latin[:-1])) + bool(len(latin) and latin[0])
    return trad, simp, han, kana_hangul, words


def _count_loop(cps, table):  # pragma: no cover - compiled; the same as _class_counts' numpy passes
    out = np.zeros(5, np.int64)
    in_word = False
    for i in range(cps.shape[0]):
        c = cps[i]
        v = table[c] if c < table.shape[0] else 0
        out[0] += v & 1
        out[1] += (v >> 1) & 1
        out[2] += (v >> 2) & 1
        out[3] += (v >> 3) & 1
        latin = (v & 16) != 0
        if latin and not in_word:
            out[4] += 1
        in_word = latin
    return out


def _script(trad: int, simp: int) -> str | None:
    if trad + simp == 0:
        return None  # no Han chars, or only chars shared by both scripts: cannot tell
    r = trad / (trad + simp)
    if r <= SCRIPT_HANS_MAX:
        return "hans"
    if r >= SCRIPT_HANT_MIN:
        return "hant"
    return "mixed"


def _language(han: int, kana_hangul: int, words: int, text: str) -> str | None:
    cjk = han + kana_hangul
    units = cjk + words
    if units == 0:
        return None
    if cjk / units >= LANG_CJK_MIN:
        return "zh" if kana_hangul <= LANG_KANA_HANGUL_MAX * cjk else None
    if words / units >= LANG_LATIN_MIN:
        # the words themselves only here: finding them in a Chinese text was ~18 us
        found = _LATIN_WORD_RE.findall(text)
        hits = sum(w.lower() in _EN_FUNCTION_WORDS for w in found)
        if hits / len(found) >= LANG_EN_FUNCTION_WORDS_MIN:
            return "en"
    return None


def detect_script(text: str) -> str | None:
    """``hans``, ``hant``, ``mixed``, or None (no Han chars, or none that tells)."""
    trad, simp, _, _, _ = _class_counts(text)
    return _script(trad, simp)


def detect_language(text: str) -> str | None:
    """``zh`` when CJK dominates, ``en`` for English-looking Latin text, else None."""
    _, _, han, kana_hangul, words = _class_counts(text)
    return _language(han, kana_hangul, words, text)


def script_and_language(text: str) -> tuple[str | None, str | None]:
    """``(detect_script(text), detect_language(text))`` from one count of the text's chars."""
    trad, simp, han, kana_hangul, words = _class_counts(text)
    return _script(trad, simp), _language(han, kana_hangul, words, text)
