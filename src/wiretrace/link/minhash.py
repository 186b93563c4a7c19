"""MinHash signatures of a matching form: the first, cheap look at whole-document similarity.

Place in the flow: normalize -> **minhash** -> lsh (band keys + anchors) -> candidates -> align.
Shingles are character n-grams of the matching form's *content* characters (letters, digits,
CJK; whitespace and punctuation are skipped, not split on), so a paragraph break or a
full-width/ASCII comma never changes a shingle. Everything runs over the whole code-point array
at once: a polynomial hash over n shifted views, a splitmix64 finaliser, then ``num_perm``
permutations ``(a*x + b) mod (2**61 - 1)`` as one broadcast uint64 operation (exact: x < 2**32 and
a < 2**31, so a*x + b < 2**64). numba fuses the permutation/min loop when it is importable (it is
not a hard dependency); the numpy path gives bit-identical results.

Knobs (measured on the agora sample, 2,687 posts, against the exhaustive reference of
bench/link.py "accuracy": 63 duplicate/reprint pairs, 410 reprint-type pairs; band candidates
only, 32x4 bands; bench/link.py re-checks the chosen values):
  SHINGLE_N = 5   n=3: 63/63 duplicate+reprint pairs but 140 band candidates that are no reprint
                  (shared vocabulary); n=4: 81; n=5: 33; n=6 lost one pair (62/63); n=7: 63/63 and
                  32, no better than 5, and longer grams break on every one-char edit.
  NUM_PERM = 128  with lsh.py's 32 bands x 4 rows. 64 perms (16x4) lost 2 of the 63 pairs;
                  256 (64x4) found no duplicate/reprint more and tripled the false candidates (107).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from wiretrace.compiled import jit, numba as _numba  # optional accelerator: absent numba only costs speed
from wiretrace.normalize import codepoints

from .errors import LinkError

SHINGLE_N = 5
NUM_PERM = 128
SEED = 0x57697265  # "Wire": fixed so every engine and run draws the same permutations

MERSENNE_61 = np.uint64((1 << 61) - 1)
_MASK32 = np.uint64(0xFFFFFFFF)
_EMPTY = np.uint32(0xFFFFFFFF)  # signature value of a text with no content characters


@lru_cache(maxsize=1)
def content_table() -> np.ndarray:
    """is-content flag for every code point; built once (about 0.2 s, 1.1 MB)."""
    table = np.zeros(0x110000, dtype=bool)
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        if chr(cp).isalnum():
            table[cp] = True
    return table


def content_codepoints(text: str) -> np.ndarray:
    """Code points of the content characters only (what shingles are built from)."""
    cps = codepoints(text)
    return cps[content_table()[cps]]


def _mix64(h: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads the polynomial hash over all 64 bits (wrapping uint64)."""
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def gram_hashes(cps: np.ndarray, n: int, *, use_numba: bool = True) -> np.ndarray:
    """uint64 hash of every n-gram of a code-point array (one value per start position).

    A text shorter than ``n`` yields one hash of the whole text, so short items still compare.
    """
    if n < 1:
        raise LinkError(f"n-gram size must be >= 1, got {n}")
    if len(cps) == 0:
        return np.zeros(0, dtype=np.uint64)
    if use_numba and _numba is not None:
        return _gram_hashes_numba(cps, n)  # one pass; numpy's 14 passes were a third of keys()
    cps = cps.astype(np.uint64)
    m = max(len(cps) - n + 1, 1)
    k = min(n, len(cps))
    h = np.zeros(m, dtype=np.uint64)
    mult = np.uint64(0x100000001B3)
    with np.errstate(over="ignore"):
        for j in range(k):  # a loop over the n offsets, each step over all shingles at once
            h = h * mult + cps[j : j + m] + np.uint64(1)
        return _mix64(h)


@lru_cache(maxsize=8)
def permutations(num_perm: int = NUM_PERM, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """The ``(a, b)`` coefficients of the permutation family, fixed by ``seed``."""
    rng = np.random.Generator(np.random.PCG64(seed))
    a = rng.integers(1, 1 << 31, size=num_perm, dtype=np.uint64)
    b = rng.integers(0, (1 << 61) - 1, size=num_perm, dtype=np.uint64)
    return a, b


def _minhash_numpy(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # x: uint64 values < 2**32, shape (s,); the (s, num_perm) product is exact in uint64.
    v = x[:, None] * a[None, :] + b[None, :]
    v = (v & MERSENNE_61) + (v >> np.uint64(61))
    v = np.where(v >= MERSENNE_61, v - MERSENNE_61, v)
    return (v.min(axis=0) & _MASK32).astype(np.uint32)


if _numba is not None:

    # the same finaliser compiled, for one hash at a time inside the kernel below
    _mix64_compiled = jit(_mix64)

    @jit
    def _gram_hashes_numba(cps, n):  # pragma: no cover - compiled; same as gram_hashes' numpy path
        m = max(cps.shape[0] - n + 1, 1)
        k = min(n, cps.shape[0])
        out = np.empty(m, dtype=np.uint64)
        mult = np.uint64(0x100000001B3)
        for s in range(m):
            h = np.uint64(0)
            for j in range(k):
                h = h * mult + np.uint64(cps[s + j]) + np.uint64(1)
            out[s] = _mix64_compiled(h)
        return out

    @jit
    def _minhash_numba(x, a, b):  # pragma: no cover - compiled
        # one permutation at a time over all shingles: the minimum stays in a register and the
        # loop over shingles vectorises (38 against 57 us an article with the shingle loop outside)
        p = np.uint64((1 << 61) - 1)
        out = np.empty(a.shape[0], dtype=np.uint32)
        for j in range(a.shape[0]):
            aj, bj = a[j], b[j]
            low = np.uint64(0xFFFFFFFFFFFFFFFF)
            for i in range(x.shape[0]):
                v = x[i] * aj + bj
                v = (v & p) + (v >> np.uint64(61))
                v = v - p if v >= p else v
                low = min(low, v)
            out[j] = np.uint32(low & np.uint64(0xFFFFFFFF))
        return out


def signature(text: str, num_perm: int = NUM_PERM, n: int = SHINGLE_N, *, use_numba: bool = True) -> np.ndarray:
    """MinHash signature (uint32[num_perm]) of a matching form's content-character n-grams.

    Two signatures agree in each position with probability equal to the Jaccard similarity of
    the two texts' shingle sets. A text without content characters gets all-0xFFFFFFFF.
    """
    return signature_of(content_codepoints(text), num_perm, n, use_numba=use_numba)


def signature_of(
    cps: np.ndarray, num_perm: int = NUM_PERM, n: int = SHINGLE_N, *, use_numba: bool = True
) -> np.ndarray:
    """``signature`` from content code points already computed (keys() shares them)."""
    h = gram_hashes(cps, n)
    if len(h) == 0:
        return np.full(num_perm, _EMPTY, dtype=np.uint32)
    # 32-bit shingle ids, repeats kept: a minimum does not change with them, and dropping
    # them (a sort) took longer than the minimum itself
    x = h >> np.uint64(32)
    a, b = permutations(num_perm)
    if use_numba and _numba is not None:
        return _minhash_numba(x, a, b)
    return _minhash_numpy(x, a, b)


def jaccard_estimate(s1: np.ndarray, s2: np.ndarray) -> float:
    """Share of equal positions: the MinHash estimate of Jaccard similarity."""
    if s1.shape != s2.shape:
        raise LinkError(f"signatures differ in length: {s1.shape} vs {s2.shape}")
    return float(np.mean(s1 == s2))


def signature_to_bytes(sig: np.ndarray) -> bytes:
    """Little-endian uint32 bytes, for the archive."""
    return np.asarray(sig, dtype="<u4").tobytes()


def signature_from_bytes(data: bytes) -> np.ndarray:
    if len(data) % 4:
        raise LinkError(f"a signature is a whole number of uint32 values; got {len(data)} bytes")
    return np.frombuffer(data, dtype="<u4").astype(np.uint32)
