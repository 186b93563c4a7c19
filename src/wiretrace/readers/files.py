"""Which files to read: folders (recursive), globs, plain paths and '-' for stdin.

The order is deterministic (sorted, depth first) so that ids, progress and a
re-run after a kill see the inputs the same way. Paths that cannot be used
become Rejects here, with the reason, and the run goes on.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from wiretrace.model import Reject
from wiretrace.readers.base import dangling_reason, os_error_reason

_GLOB_CHARS = set("*?[")


def expand(paths: Iterable[str], stdin: BinaryIO | None = None) -> Iterator[str | Reject]:
    """Files to read, each once, in a stable order; '-' is passed through as '-'.

    Hidden files and folders (a leading '.') inside folders are skipped: they are
    editor, VCS and OS litter (.git, .DS_Store), never captures. Named directly,
    a hidden file is read.
    """
    seen: set[str] = set()
    for arg in paths:
        if arg == "-":
            if "-" not in seen:
                seen.add("-")
                yield "-"
            continue
        for item in _one(arg):
            key = item.source if isinstance(item, Reject) else item
            if key not in seen:
                seen.add(key)
                yield item


def _one(arg: str) -> Iterator[str | Reject]:
    if not os.path.lexists(arg) and _GLOB_CHARS & set(arg):
        matches = sorted(glob.glob(arg, recursive=True))
        if not matches:
            yield Reject(os.path.abspath(arg), "no files match this pattern")
        for match in matches:
            yield from _one(match)
        return
    path = os.path.abspath(arg)
    dangling = dangling_reason(path)
    if dangling:
        yield Reject(path, dangling)
    elif not os.path.exists(path):
        yield Reject(path, "no such file or directory")
    elif os.path.isdir(path):
        yield from _walk(path)
    else:
        yield path


def _walk(top: str) -> Iterator[str | Reject]:
    # os.walk reports a folder it cannot list through onerror and then skips it
    # without a loop turn (the top folder itself, or the last subfolder), so the
    # errors are drained after every turn *and* once the walk ends.
    errors: list[OSError] = []
    for root, dirs, files in os.walk(top, onerror=errors.append):
        yield from _drain(errors, top)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = os.path.join(root, name)
            dangling = dangling_reason(path)
            yield Reject(path, dangling) if dangling else path
    yield from _drain(errors, top)


def _drain(errors: list[OSError], top: str) -> Iterator[Reject]:
    for exc in errors:
        reason = os_error_reason(exc)
        yield Reject(os.path.abspath(exc.filename or top), f"cannot list folder: {reason}")
    errors.clear()
