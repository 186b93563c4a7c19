"""Shared by the benches: print a markdown table and keep it in docs/BENCHMARKS.md.

Each bench owns one section of BENCHMARKS.md between ``<!-- NAME:start -->`` and
``<!-- NAME:end -->`` and rewrites only that, so benches run in any order.
"""

from __future__ import annotations

import platform
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


class TreeMemory:
    """Peak RSS of a process (``root``, default this one) and of it with all its descendants
    (worker pools included), sampled from /proc every ``every`` seconds while the ``with``
    block runs."""

    def __init__(self, root: int | None = None, every: float = 0.2) -> None:
        import os
        import threading

        self.root = root or os.getpid()
        self.own = 0
        self.tree = 0
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "TreeMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        import os

        page = os.sysconf("SC_PAGE_SIZE")
        me = self.root
        while not self._stop.wait(self._every):
            parent, rss = {}, {}
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:
                    stat = Path(f"/proc/{pid}/stat").read_text()
                    rss[int(pid)] = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * page
                except (OSError, ValueError, IndexError):
                    continue
                parent[int(pid)] = int(stat.rsplit(")", 1)[1].split()[1])
            tree, todo = {me}, [me]
            while todo:
                p = todo.pop()
                kids = [c for c, pp in parent.items() if pp == p and c not in tree]
                tree.update(kids)
                todo.extend(kids)
            self.own = max(self.own, rss.get(me, 0))
            self.tree = max(self.tree, sum(rss.get(p, 0) for p in tree))
