"""Shared pieces of the readers: options, the typed error, reason wording, knobs.

Every reader module raises ``ReadError`` for input it cannot use; ``core`` turns
it into a ``Reject`` so callers of ``read_path`` never see an exception for bad
input. Reasons are written for a person reading ``wiretrace rejects``.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass

# ---------------------------------------------------------------- tuned knobs
# Bytes looked at when sniffing magic numbers, NUL patterns and declared charsets.
# HTML's prescan rule looks for <meta charset> in the first 1024 bytes and an XML
# declaration must open the document; 4 KiB leaves slack for pages that put a long
# <head> of scripts first, and costs nothing measurable on the files/s bench
# (bench/bench_readers.py) compared with 1 KiB.
HEAD_BYTES = 4096
# Archives inside archives (a .zip of .gz of .jsonl) are followed this deep; deeper
# nesting is almost always a zip bomb or a mistake, never a news capture.
MAX_NESTING = 4
# A text whose charset cannot be detected is still kept (its bytes are stored) when
# at most this share of its bytes must be replaced; more than that and it is binary.
# 2% lets through a UTF-8 file with a few corrupt bytes (the common case: a dump cut
# mid-character) while every PNG/zip/random blob tried lands far above it.
MAX_REPLACED_SHARE = 0.02
# A legacy-encoded text is taken as GB18030 or Big5 without asking charset-normalizer
# when at least this share of its non-ASCII characters are among the 400 most
# frequent hanzi (encoding._FREQUENT_HANZI) in that decoding; the higher-scoring
# family wins. On the 2,261 corpus titles (short: the hardest case) encoded as
# GB18030 (RFI, REUTERS) or Big5-HKSCS (CNA, RTHK), the right decoding scores
# >= 0.22 in 99% of titles (median 0.57-0.67), the other family at most 0.21
# (median 0.0), and the right one scores higher in 2,260 of 2,261. Korean EUC-KR
# and Japanese EUC-JP/CP932 sentences read as Chinese score 0.0-0.13, so they go
# on to charset-normalizer. charset-normalizer alone got 0.4-5% of such titles
# wrong per outlet (EUC-KR, CP932). Re-measure: bench/bench_readers.py --short-texts.
CHINESE_MIN_SCORE = 0.2


@dataclass(frozen=True)
class ReadOptions:
    """What the caller may tune about reading.

    ``max_bytes``: files (and decompressed members) larger than this are rejected
    unread, so one stray disk image cannot stall or exhaust an ingest run.
    """

    max_bytes: int = 50 * 1024**2


class ReadError(Exception):
    """Input that cannot be used; ``reason`` is the sentence shown to the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def human_size(n: int) -> str:
    """'61.2 MB', '50 MB', '3.5 KB', '120 bytes' (binary units, as `ls -h`)."""
    if n < 1024:
        return f"{n} bytes"
    for unit, scale in (("KB", 1024), ("MB", 1024**2), ("GB", 1024**3)):
        if n < scale * 1024 or unit == "GB":
            value = f"{n / scale:.1f}"
            return f"{value.removesuffix('.0')} {unit}"
    raise AssertionError("unreachable")


def over_limit_reason(size: int, limit: int, what: str = "file") -> str:
    return f"{what} is {human_size(size)}, over the {human_size(limit)} limit (--max-size)"


_ERRNO_REASONS = {
    errno.ENOENT: "no such file or directory",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EISDIR: "is a directory",
    errno.ENOTDIR: "a parent of this path is not a directory",
    errno.ELOOP: "too many levels of symbolic links (symlink loop)",
    errno.ENAMETOOLONG: "file name too long",
    errno.EIO: "input/output error while reading (failing disk or network share?)",
}


def os_error_reason(exc: OSError) -> str:
    """The person-facing sentence for an OSError, without Python's repr noise."""
    reason = _ERRNO_REASONS.get(exc.errno or 0)
    if reason:
        return reason
    text = exc.strerror or str(exc) or type(exc).__name__
    return f"cannot read: {text[0].lower()}{text[1:]}"


def dangling_reason(path: str) -> str | None:
    """'dangling symlink to X' when ``path`` is a symlink whose target is missing."""
    try:
        if os.path.islink(path) and not os.path.exists(path):
            return f"dangling symlink to {os.readlink(path)}"
    except OSError:
        return None
    return None
