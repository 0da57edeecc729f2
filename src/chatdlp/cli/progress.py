"""The progress line of a scan on a terminal: messages, rate, findings, the current source.

Only on a terminal (stderr) and without ``--quiet``: piped or redirected output gets the
summary alone. It shows counts and source names, never text from a message.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from chatdlp.records import Finding, Message

REFRESH_SECONDS = 0.2


class ScanProgress:
    """A :class:`~chatdlp.pipeline.scan.MessageObserver` that draws one live line."""

    def __init__(self, console: Console, total: int | None = None) -> None:
        from rich.progress import (
            BarColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        columns = [SpinnerColumn(), TextColumn("{task.description}")]
        if total is not None:  # an ETA only when the total is known
            columns += [BarColumn(), TimeRemainingColumn()]
        columns.append(TimeElapsedColumn())
        self._progress = Progress(*columns, console=console, transient=True)
        self._task = self._progress.add_task("starting: loading the detector", total=total)
        self.messages = 0
        self.findings = 0
        self.source = ""
        self._started = time.monotonic()
        self._drawn = 0.0

    def observe(self, message: Message, findings: Sequence[Finding]) -> None:
        self.messages += 1
        self.findings += len(findings)
        self.source = message.source or self.source
        now = time.monotonic()
        if now - self._drawn >= REFRESH_SECONDS:
            self._drawn = now
            self._progress.update(self._task, completed=self.messages, description=self.description(now))

    def description(self, now: float | None = None) -> str:
        seconds = max((now or time.monotonic()) - self._started, 1e-9)
        rate = self.messages / seconds
        noun = "message" if self.messages == 1 else "messages"
        found = "finding" if self.findings == 1 else "findings"
        where = f" in {self.source}" if self.source else ""
        return f"{self.messages:,} {noun} ({rate:,.0f}/s), {self.findings:,} {found}{where}"

    def __enter__(self) -> ScanProgress:
        self._progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._progress.stop()


def progress_display(quiet: bool, console: Console | None = None) -> ScanProgress | None:
    """A progress line when stderr is a terminal and --quiet is not given, else None."""
    if quiet:
        return None
    if console is None:
        from rich.console import Console

        console = Console(stderr=True)
    return ScanProgress(console) if console.is_terminal else None
