"""Draw the captures of the extraction gold set (bench/gold/).

The gold set is hand-written (see README.md); this script only decides WHICH
captures get a gold file, so nobody picks the easy ones. Run it once; its
output list is committed as ``drawn.txt`` and the gold files follow that list.

Allocation: 110 captures in proportion to each outlet's share of the corpus,
with a floor of 8 per outlet (BBC and JOINS have 54 and 62 posts), the floor's
cost taken from the large outlets by largest remainder.

    python bench/gold/draw.py [CORPUS_DIR] > bench/gold/drawn.txt
"""

from __future__ import annotations

import random
import sys
from collections import defaultdict
from pathlib import Path

TOTAL = 110
FLOOR = 8
SEED = 20210104  # first day of the sample window; fixed so the draw is repeatable

DEFAULT_CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "agora-news-sample"


def allocate(counts: dict[str, int], total: int = TOTAL, floor: int = FLOOR) -> dict[str, int]:
    alloc = {o: floor for o in counts}
    # outlets whose proportional share falls under the floor keep the floor;
    # the rest share what is left in proportion, by largest remainder
    small = {o for o, n in counts.items() if n * total / sum(counts.values()) < floor}
    rest = total - floor * len(small)
    big = {o: n for o, n in counts.items() if o not in small}
    big_total = sum(big.values())
    quotas = {o: n * rest / big_total for o, n in big.items()}
    for o, q in quotas.items():
        alloc[o] = int(q)
    left = rest - sum(alloc[o] for o in big)
    for o in sorted(big, key=lambda o: (quotas[o] - int(quotas[o]), o), reverse=True)[:left]:
        alloc[o] += 1
    return alloc


def draw(corpus: Path) -> list[str]:
    by_outlet: dict[str, list[str]] = defaultdict(list)
    for p in sorted(corpus.iterdir()):
        if p.suffix in (".html", ".md") and p.name[:4].isdigit():
            by_outlet[p.name.split("-")[3]].append(p.name)
    alloc = allocate({o: len(v) for o, v in by_outlet.items()})
    rng = random.Random(SEED)
    picked: list[str] = []
    for outlet in sorted(by_outlet):
        picked += sorted(rng.sample(by_outlet[outlet], alloc[outlet]))
    return picked


if __name__ == "__main__":
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CORPUS
    for name in draw(corpus):
        print(name)
