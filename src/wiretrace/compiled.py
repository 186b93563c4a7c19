"""numba for wiretrace's loops, when importable, and the one way the package compiles them.

Every kernel (``wiretrace.link``'s, and the matching form's fold in ``normalize``) is decorated
with ``jit``: compiled once, cached on disk, released from the GIL. Without numba, ``jit``
leaves the function as plain Python (slow, but the same results) and ``numba`` is None.
Importing this module imports numba (about half a second): modules most commands need import
it only when a kernel is first wanted.

Why the cache has a folder of its own: numba reuses a cached compilation while the function's
own source file is unchanged, and never looks at the files of the kernels it calls and
inlines. ``pairing.pick`` inlines ``matcher.blocks``; after a change to ``blocks`` it went on
running the old one (2026-12-04: 70 us a pair where the new code takes 43). The folder is
named by a hash of every file that holds kernels (``KERNEL_SOURCES``), so a change to any of
them compiles them all afresh, once.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

try:
    import numba
except ImportError:  # pragma: no cover - exercised only where numba is missing
    numba = None

_PACKAGE = Path(__file__).resolve().parent

# The files whose functions ``jit`` compiles (tests/test_matcher.py checks that none is missing).
KERNEL_SOURCES = ("link/*.py", "normalize.py")


def cache_dir(package: Path = _PACKAGE, sources: tuple[str, ...] = KERNEL_SOURCES) -> str:
    """Where the kernels of ``package`` are cached: named by a hash of their sources."""
    digest = hashlib.sha256()
    for source in sorted({f for pattern in sources for f in package.glob(pattern)}):
        digest.update(source.relative_to(package).as_posix().encode() + b"\0" + source.read_bytes())
    return str(package / "__pycache__" / f"numba-{digest.hexdigest()[:16]}")


_CACHE_DIR = cache_dir() if numba is not None else None
# ``jit`` swaps numba's global CACHE_DIR while it decorates. Kernels are mostly decorated at
# import (under the import lock), but the fold is compiled at the first fold, which a web
# server's threads may reach together: without this lock one could restore the other's
# setting and put its kernel in numba's default cache, where a change to a kernel it inlines
# goes unseen (above).
_SWAP = threading.Lock()


def jit(fn):
    """``fn`` compiled by numba (cached in the folder above), or ``fn`` itself without numba."""
    if numba is None:  # pragma: no cover
        return fn
    with _SWAP:
        saved = numba.config.CACHE_DIR
        numba.config.CACHE_DIR = _CACHE_DIR  # read when the dispatcher finds its cache, here
        try:
            return numba.njit(cache=True, nogil=True)(fn)
        finally:
            numba.config.CACHE_DIR = saved
