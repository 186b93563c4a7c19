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
