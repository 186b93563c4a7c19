"""Progress for long work: a bar with count, rate and time left on a terminal,
nothing when output is piped or JSON is asked for (DESIGN.md conventions)."""

from __future__ import annotations

import sys
from typing import Protocol


class Progress(Protocol):
    def start(self, label: str, total: int | None) -> None: ...
    def advance(self, n: int = 1) -> None: ...
    def stop(self) -> None: ...


class Quiet:
    """Reports nothing: for pipes, --json and the Python API by default."""

    def start(self, label: str, total: int | None) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass

    def stop(self) -> None:
        pass


class Bar:
    """A rich progress bar on stderr; one task at a time."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn, MofNCompleteColumn, Progress as RichProgress, ProgressColumn,
            TaskProgressColumn, TextColumn, TimeRemainingColumn,
        )
        from rich.text import Text

        class Rate(ProgressColumn):
            def render(self, task):  # items per second, the figure users ask for
                speed = task.finished_speed or task.speed
                return Text(f"{speed:,.0f}/s" if speed else "–/s")

        self._rich = RichProgress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TaskProgressColumn(), Rate(), TimeRemainingColumn(),
            console=Console(stderr=True), transient=False,
        )
        self._task = None

    def start(self, label: str, total: int | None) -> None:
        if self._task is None:
            self._rich.start()
        self._task = self._rich.add_task(label, total=total)

    def advance(self, n: int = 1) -> None:
        if self._task is not None:
            self._rich.advance(self._task, n)

    def stop(self) -> None:
        self._rich.stop()


def for_terminal(enabled: bool) -> Progress:
    """A bar when stderr is a terminal and ``enabled``, else quiet."""
    return Bar() if enabled and sys.stderr.isatty() else Quiet()
