"""How the archive compresses a capture's raw bytes and decoded content.

zstd at level 3 since 2026-12-04, zlib at level 6 before. On JSON Lines captures of the
synthetic corpus (bench/link.py) zstd took 22 us a capture for both columns against zlib's 84
(zlib at level 1: 68), for output ~10 % larger, and reads back ~3.5x faster (4.5 against 16 us):
the two compressions were two thirds of a store worker's time, and the read one of the larger
costs of an extraction worker.

Both forms read: a zstd frame begins with its magic number, and every zlib stream the archive
wrote begins with 0x78 (``zlib.compress`` always uses a 32 KB window), so old archives need
no rewrite. The archive schema version moved when captures went to zstd, so that an older
wiretrace refuses the archive ("upgrade wiretrace") instead of failing on a capture.
"""

from __future__ import annotations

import threading
import zlib

import zstandard

LEVEL = 3
_MAGIC = b"\x28\xb5\x2f\xfd"

# zstandard's (de)compressor objects are not safe to share between threads (the web server
# reads captures from several), and making one a call cost 25 us: one pair a thread.
_LOCAL = threading.local()


def _codecs() -> tuple[zstandard.ZstdCompressor, zstandard.ZstdDecompressor]:
    pair = getattr(_LOCAL, "pair", None)
    if pair is None:
        pair = _LOCAL.pair = (zstandard.ZstdCompressor(level=LEVEL), zstandard.ZstdDecompressor())
    return pair


def compress(data: bytes) -> bytes:
    return _codecs()[0].compress(data)


def decompress(blob: bytes) -> bytes:
    """A stored column back to its bytes, from either form."""
    if blob[:4] == _MAGIC:
        return _codecs()[1].decompress(blob)
    return zlib.decompress(blob)
