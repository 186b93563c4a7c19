"""`wiretrace diff A B` on a terminal: the alignment side by side, in the original scripts.

Colours: kept green, changed yellow, dropped red, added blue (labels: ``diffrows``).
Piped output gets the same layout without colour, with a one-word label on each row.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from wiretrace.diffrows import painted
from wiretrace.model import Article

STYLES = {"kept": "green", "changed": "yellow", "dropped": "red", "added": "blue"}


def _text(pieces: list[tuple[str, str]]) -> Text:
    text = Text()
    for piece, label in pieces:
        text.append(piece, style=STYLES[label])
    return text


def render(result: dict, a: Article, b: Article, a_norm=None, b_norm=None, console: Console | None = None) -> None:
    console = console or Console()
    table = Table(show_lines=True, expand=True)
    table.add_column("", width=7, no_wrap=True)
    table.add_column(f"a {a.id} {a.outlet or ''} {a.published or ''}", ratio=1, overflow="fold")
    table.add_column(f"b {b.id} {b.outlet or ''} {b.published or ''}", ratio=1, overflow="fold")
    for row in painted(result, a, b, a_norm, b_norm):
        table.add_row(Text(row["label"], style=STYLES[row["label"]]), _text(row["a"]), _text(row["b"]))
    console.print(" ".join(f"[{style}]{label}[/]" for label, style in STYLES.items()))
    console.print(table)
    console.print(
        f"{result['a_in_b']:.0%} of a is found in b, {result['b_in_a']:.0%} of b in a; "
        f"{len(result['passages'])} passages, {len(result['only_a'])} only in a, {len(result['only_b'])} only in b"
    )
