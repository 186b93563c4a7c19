"""Event similarity: how likely two articles report the same event, whatever their wording.

Place in the flow: normalize (matching form) -> **stories.similarity** -> stories.grouping.

Reprint clusters already say "same text"; this says "same event". Four signals, each computed on
the matching form (simplified, folded), so a traditional RTHK item and a simplified RFI rewrite
compare as equals:
  words     TF-IDF cosine over jieba words of title + lead + body (sublinear tf, smooth idf
            over the index). Title words count TITLE_WEIGHT times: headlines name the event.
  entities  names shared (jieba.posseg nr/ns/nt/nz in the title and lead, Latin words, quoted
            names), weighted by idf, as a share of the smaller side's entity weight.
  numbers   figures (amounts, counts, rates; not years, not day-of-month) in title and lead.
            Two templated daily items (RMB fixings, COVID counts, index closes) share almost
            every word and differ in their figures: when both sides carry >= NUMBERS_MIN
            figures and share fewer than NUMBERS_SHARED_MIN of them, that is a conflict.
  time      published within WINDOW_HOURS, with an exponential decay of TIME_TAU_HOURS that
            multiplies the text signals: the same words two days apart are more often a new
            development than the same event.
  outlet    two texts of one outlet that link did not put in one reprint cluster.
Scores are in 0..1. Every knob below was chosen on bench/stories_labels.jsonl (176 pairs read by
hand) with ``bench/stories.py``; see docs/stories.md for the table that chose each.
"""

from __future__ import annotations

import json
import logging
import math
import re
import sys
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache

# -- knobs (bench/stories.py re-checks them; docs/stories.md names the measurements) ----------
# The score is a logistic model, z = W_WORDS*cos*T + W_ENTITIES*ent*T - W_FIGURES*conflict
#   - W_SAME_OUTLET*same_outlet + BIAS, score = 1/(1+e^-z), T = exp(-hours/TIME_TAU_HOURS).
# Weights fitted (logistic regression, L2 0.1) on the 176 labeled pairs of
# bench/stories_labels.jsonl, then rounded; 2-fold cross-validated pairwise F1 0.86 (10 random
# splits), against 0.77 for the word cosine alone. Time MULTIPLIES the text signals: an additive
# time term fitted as well (0.86) but would call any two items of the same hour one event.
# The entity term's weight is small and within noise on this set (cv 0.859 with, 0.863
# without); it is kept because it carries names across wording (a RTHK rewrite of a Reuters item).
W_WORDS = 11.4
W_ENTITIES = 3.0
W_FIGURES = 0.8  # both leads carry >= NUMBERS_MIN figures and share < NUMBERS_SHARED_MIN of them
W_SAME_OUTLET = 1.5  # one outlet's two texts that are not one reprint cluster: more often two
#   days of a template (RTHK 港股半日, 內地增N宗) than one event written twice
BIAS = -0.7
TIME_TAU_HOURS = 12.0  # tau 12 h: cv F1 0.863; 24 h 0.851, 48 h 0.835, 96 h 0.794
WINDOW_HOURS = 96.0  # beyond four days apart the score is 0 (Kyodo -> RFI copies took 3 days,
#   and those are joined by their reprint cluster anyway)
TITLE_WEIGHT = 3  # title words counted 3x in the word vector: headlines name the event
LEAD_CHARS = 400  # entities and figures come from title + the first 400 chars (the lead):
#   late paragraphs are background that every story of a crisis repeats
NUMBERS_MIN = 2  # figures each lead must carry before disagreeing figures count
NUMBERS_SHARED_MIN = 0.34  # share of the smaller figure set to share: Reuters RMB fixings of
#   two days share ~0 of their lead figures, reprints and rewrites keep most
MAX_DF = 0.05  # words in more than 5% of the index carry no event signal (说, 表示, 美国)
MAX_DF_FLOOR = 10  # ...but in a small archive 5% is one or two documents, and the words three
#   outlets' reports of one event share would all be dropped: the 26 bundled examples grouped
#   the Iran-enrichment and the 12-Hong-Kongers reports apart with a floor of 2, together with 10
MIN_COSINE = 0.05  # below this word cosine the score is 0: no distinctive word in common
#   (the lowest labeled same-event pair measured 0.052)
STOP_MIN_LEN = 2  # single characters are function words after jieba
_SPAN = WINDOW_HOURS * 3600 + 1.0  # seconds each side that ``similar`` reads; time_factor decides the edge

# Bump when ``features`` changes what it extracts: archives then recompute stored features.
FEATURES_VERSION = 3

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_LATIN = re.compile(r"[a-z][a-z0-9+&\-]{2,}")
_QUOTED = re.compile(r"[\"<]([^\"<>\n]{2,12})[\">]")
_CONTENT = re.compile(r"[0-9a-z\u3400-\u9fff]")
_ENTITY_TAGS = frozenset({"nr", "ns", "nt", "nz", "nrt", "nrfg"})


@dataclass(frozen=True)
class StoryDoc:
    """What stories need of an article: its id, matching-form text, time and reprint cluster.

    ``text`` is the matching form of the body (``normalize.matching_form(body).text``); only
    ``features`` reads it, so it may be empty when the features are given (stored ones).
    ``title`` is the matching form of the title; ``published`` ISO 8601 as in Article
    (date-only allowed).
    """

    id: str
    text: str
    published: str | None = None
    cluster: str | None = None
    title: str = ""
    outlet: str | None = None


@lru_cache(maxsize=1)
def _jieba():
    """jieba, its dictionary loaded once and quietly (it logs to stderr on first use)."""
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba, jieba.posseg


def when(published: str | None) -> datetime | None:
    """A comparable time: date-only stamps read as noon UTC (the middle of an unknown day)."""
    if not published:
        return None
    try:
        if "T" not in published and len(published) <= 10:
            return datetime.fromisoformat(published + "T12:00:00+00:00")
        t = datetime.fromisoformat(published.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def _figures(text: str) -> set[str]:
    out = set()
    for m in _NUMBER.finditer(text):
        s = m.group().replace(",", "")
        try:
            v = float(s)
        except ValueError:
            continue
        nxt = text[m.end():m.end() + 1]
        if nxt in "年月日时時点點号號" and v <= 2100 and "." not in s:
            continue  # a date or an hour, not a figure of the event
        if 1900 <= v <= 2100 and "." not in s:
            continue  # a bare year
        out.add(s)
    return out


@dataclass
class Features:
    """What the event score reads of one article; ``features(doc)`` computes it (jieba: the
    costly step, ~10 ms an article), so the archive stores it once per article as JSON."""

    words: Counter = field(default_factory=Counter)
    entities: set = field(default_factory=set)
    figures: set = field(default_factory=set)
    time: datetime | None = None

    def to_json(self) -> str:
        return json.dumps(
            {"v": FEATURES_VERSION, "words": self.words, "entities": sorted(self.entities),
             "figures": sorted(self.figures)},
            ensure_ascii=False, separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str, published: str | None) -> "Features | None":
        """The stored features, or None when they were made by another FEATURES_VERSION.

        Words and entities are interned: a regroup holds every article's features at once, and
        the same few hundred thousand words would otherwise be a new string in each article
        (15.3 KB of features an article on the sample, 7.0 KB interned)."""
        d = json.loads(text)
        if d.get("v") != FEATURES_VERSION:
            return None
        words = Counter({sys.intern(w): c for w, c in d["words"].items()})
        return cls(words, {sys.intern(e) for e in d["entities"]}, set(d["figures"]), when(published))


def features(doc: StoryDoc) -> Features:
    jieba, posseg = _jieba()
    words: Counter = Counter()
    for _ in range(TITLE_WEIGHT):
        words.update(w for w in jieba.lcut(doc.title) if len(w) >= STOP_MIN_LEN and _CONTENT.search(w))
    words.update(w for w in jieba.lcut(doc.text) if len(w) >= STOP_MIN_LEN and _CONTENT.search(w))
    lead = doc.title + "\n" + doc.text[:LEAD_CHARS]
    # jieba's HMM (on by default) finds out-of-dictionary names (周梓樂, 戴耀廷): 2/3 of the
    #   stage's time (corpus: 24 s with, 8 s without) but grouping F1 0.916 with, 0.879 without,
    #   and the RTHK/DW arrests reports only join with it. Workers share the cost (storying).
    ents = {w.word for w in posseg.cut(lead) if w.flag in _ENTITY_TAGS and len(w.word) >= 2}
    ents.update(_LATIN.findall(lead))
    ents.update(q.strip() for q in _QUOTED.findall(lead))
    return Features(words, ents, _figures(lead), when(doc.published))


class EventIndex:
    """Features and idf over a corpus of StoryDocs, and nearest neighbours by word cosine."""

    def __init__(self, docs: Iterable[StoryDoc], feats: Mapping[str, Features] | None = None):
        """``feats`` may hold stored features of some or all docs; the rest are computed."""
        self.docs: dict[str, StoryDoc] = {}
        self.feats: dict[str, Features] = {}
        feats = feats or {}
        for d in sorted(docs, key=lambda d: d.id):
            self.docs[d.id] = d
            self.feats[d.id] = feats[d.id] if d.id in feats else features(d)
        n = len(self.docs)
        df: Counter = Counter()
        edf: Counter = Counter()
        for f in self.feats.values():
            df.update(f.words.keys())
            edf.update(f.entities)
        self.n = n
        max_df = max(MAX_DF_FLOOR, int(MAX_DF * n))
        self.idf = {w: math.log((1 + n) / (1 + c)) + 1 for w, c in df.items() if c <= max_df}
        self.eidf = {w: math.log((1 + n) / (1 + c)) + 1 for w, c in edf.items() if c <= max_df}
        self.vectors: dict[str, dict[str, float]] = {}
        for i, f in self.feats.items():
            v = {w: (1 + math.log(c)) * self.idf[w] for w, c in f.words.items() if w in self.idf}
            norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
            self.vectors[i] = {w: x / norm for w, x in v.items()}
        # Postings: for each word, the documents holding it in time order, as three arrays
        #   (stamps, document numbers, weights: 20 bytes an entry, where a tuple took ~90), so that
        #   ``similar`` reads only the documents within WINDOW_HOURS (the score is 0 beyond):
        #   over an archive of years that is a few days' share of it, not all of it. Undated
        #   documents, which score against anything, are kept apart (numbers and weights).
        #   A word of one document only would list that document alone: it is left out.
        self._ids = list(self.feats)  # document number -> id
        self._row = {i: r for r, i in enumerate(self._ids)}
        self._stamps = [f.time.timestamp() if f.time else None for f in self.feats.values()]
        self._timed: dict[str, tuple[array, array, array]] = {}
        self._undated: dict[str, tuple[array, array]] = {}
        stamps = self._stamps
        for r in sorted(range(n), key=lambda r: (stamps[r] is None, stamps[r] or 0.0, r)):
            t = stamps[r]
            for w, x in self.vectors[self._ids[r]].items():
                if df[w] == 1:
                    continue
                if t is None:
                    rows, weights = self._undated.setdefault(w, (array("q"), array("d")))
                else:
                    times, rows, weights = self._timed.setdefault(w, (array("d"), array("q"), array("d")))
                    times.append(t)
                rows.append(r)
                weights.append(x)
        # Each document's total entity weight, which entity_overlap would otherwise re-add per pair.
        # fsum over a set: exact, so not dependent on the set's order, which follows the string
        # hash (PYTHONHASHSEED); a plain sum moved the last bit between two processes.
        self._entity_weight = {i: math.fsum(self.eidf.get(e, 0.0) for e in f.entities)
                               for i, f in self.feats.items()}

    def cosine(self, a: str, b: str) -> float:
        va, vb = self.vectors[a], self.vectors[b]
        if len(va) > len(vb):
            va, vb = vb, va
        return sum(x * vb.get(w, 0.0) for w, x in va.items())

    def entity_overlap(self, a: str, b: str) -> float:
        wa, wb = self._entity_weight[a], self._entity_weight[b]
        if not wa or not wb:
            return 0.0
        shared = self.feats[a].entities & self.feats[b].entities
        return math.fsum(self.eidf.get(e, 0.0) for e in shared) / min(wa, wb)

    def similar(self, id: str, k: int = 20) -> list[tuple[str, float]]:
        """The k documents with the highest event score to ``id`` (within the time window).

        The word cosine is accumulated over the postings of documents within the window; only
        documents reaching MIN_COSINE are scored in full (a pair sharing no distinctive word is
        not the same event).
        """
        acc: dict[int, float] = defaultdict(float)  # document number -> cosine so far
        me = self._row[id]
        t = self._stamps[me]
        for w, x in self.vectors[id].items():
            if w in self._timed:
                times, rows, weights = self._timed[w]
                lo, hi = 0, len(times)
                if t is not None:
                    lo = bisect_left(times, t - _SPAN)
                    hi = bisect_right(times, t + _SPAN, lo)
                for j, y in zip(rows[lo:hi], weights[lo:hi]):
                    if j != me:
                        acc[j] += x * y
            if w in self._undated:
                for j, y in zip(*self._undated[w]):
                    if j != me:
                        acc[j] += x * y
        scored = []
        a = self.docs[id]
        for j, cos in acc.items():
            if cos < MIN_COSINE:
                continue
            b = self._ids[j]
            s = _score(a, self.docs[b], self, cos)
            if s > 0:
                scored.append((b, s))
        scored.sort(key=lambda t: (-t[1], t[0]))
        return scored[:k]


def time_factor(a: datetime | None, b: datetime | None) -> float:
    """exp(-hours/tau), 0 beyond the window; unknown times count as TIME_TAU_HOURS apart."""
    if a is None or b is None:
        return math.exp(-1.0)
    hours = abs((a - b).total_seconds()) / 3600
    if hours > WINDOW_HOURS:
        return 0.0
    return math.exp(-hours / TIME_TAU_HOURS)


def figures_conflict(fa: set, fb: set) -> float:
    """1.0 when both leads carry figures and mostly different ones (a re-filled template)."""
    if len(fa) < NUMBERS_MIN or len(fb) < NUMBERS_MIN:
        return 0.0
    shared = len(fa & fb) / min(len(fa), len(fb))
    return 1.0 if shared < NUMBERS_SHARED_MIN else 0.0


def signals(a: StoryDoc, b: StoryDoc, index: EventIndex) -> dict[str, float]:
    """The separate signals (for the bench and for explaining a verdict)."""
    fa, fb = index.feats[a.id], index.feats[b.id]
    return {
        "words": index.cosine(a.id, b.id),
        "entities": index.entity_overlap(a.id, b.id),
        "figures_conflict": figures_conflict(fa.figures, fb.figures),
        "same_outlet": float(a.outlet is not None and a.outlet == b.outlet),
        "time": time_factor(fa.time, fb.time),
    }


def event_score(a: StoryDoc, b: StoryDoc, index: EventIndex) -> float:
    """0..1: how likely ``a`` and ``b`` report the same event. Both must be in ``index``."""
    if a.id == b.id:
        return 1.0
    if a.cluster is not None and a.cluster == b.cluster:
        return 1.0  # the same text is the same event
    return _score(a, b, index, index.cosine(a.id, b.id))


def _score(a: StoryDoc, b: StoryDoc, index: EventIndex, cos: float) -> float:
    if a.cluster is not None and a.cluster == b.cluster:
        return 1.0
    if cos < MIN_COSINE:
        return 0.0
    fa, fb = index.feats[a.id], index.feats[b.id]
    t = time_factor(fa.time, fb.time)
    if t == 0.0:
        return 0.0
    z = (W_WORDS * cos + W_ENTITIES * index.entity_overlap(a.id, b.id)) * t + BIAS
    z -= W_FIGURES * figures_conflict(fa.figures, fb.figures)
    if a.outlet is not None and a.outlet == b.outlet:
        z -= W_SAME_OUTLET
    return round(1.0 / (1.0 + math.exp(-z)), 6)

