"""Shared by the benches: print a markdown table and keep it in docs/BENCHMARKS.md.

Each bench owns one section of BENCHMARKS.md between ``<!-- NAME:start -->`` and
``<!-- NAME:end -->`` and rewrites only that, so benches run in any order.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from datetime import date
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "docs" / "BENCHMARKS.md"
HEADER = "# Benchmarks\n\nMeasured tables, rewritten by the scripts in `bench/`. Each section names the command that produced it.\n"


def table(headers: list[str], rows: list[list[object]]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for row in rows:
        out.append("| " + " | ".join(str(c) for c in row) + " |")
    return "\n".join(out)


def machine() -> str:
    import os

    return f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores, {date.today().isoformat()}"


def write_section(name: str, markdown: str) -> None:
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = BENCHMARKS.read_text(encoding="utf-8") if BENCHMARKS.exists() else HEADER
    block = f"{start}\n{markdown.rstrip()}\n{end}"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        _, after = rest.split(end, 1)
        text = before + block + after
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    BENCHMARKS.parent.mkdir(exist_ok=True)
    BENCHMARKS.write_text(text, encoding="utf-8")


class ProcSampler:
    """Samples every process from /proc every ``every`` seconds while the ``with`` block runs
    and hands each sample, a list of ``Proc``, to ``take`` (the subclass keeps its peaks)."""

    def __init__(self, every: float = 0.2) -> None:
        import threading

        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def take(self, procs: list["Proc"]) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            self.take(_procs())


@dataclass
class Proc:
    pid: int
    parent: int
    rss: int  # bytes
    cmdline: bytes


def _procs() -> list[Proc]:
    import os

    page = os.sysconf("SC_PAGE_SIZE")
    out = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            rss = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * page
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue  # the process ended while it was read
        out.append(Proc(int(pid), int(stat.rsplit(")", 1)[1].split()[1]), rss, cmdline))
    return out


class TreeMemory(ProcSampler):
    """Peak RSS of a process (``root``, default this one) and of it with all its descendants
    (worker pools included)."""

    def __init__(self, root: int | None = None, every: float = 0.2) -> None:
        import os

        super().__init__(every)
        self.root = root or os.getpid()
        self.own = 0
        self.tree = 0

    def take(self, procs: list[Proc]) -> None:
        tree, todo = {self.root}, [self.root]
        while todo:
            p = todo.pop()
            kids = [q.pid for q in procs if q.parent == p and q.pid not in tree]
            tree.update(kids)
            todo.extend(kids)
        self.own = max(self.own, sum(q.rss for q in procs if q.pid == self.root))
        self.tree = max(self.tree, sum(q.rss for q in procs if q.pid in tree))
