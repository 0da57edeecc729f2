"""The progress line: drawn on a terminal, absent when piped or with --quiet; counts, no text."""

from __future__ import annotations

import io

from rich.console import Console

from chatdlp.cli.progress import ScanProgress, progress_display
from chatdlp.records import Message

SECRET_TEXT = "My SSN is 536-22-8714"


def _message(number: int) -> Message:
    return Message(conversation_id="c", message_id=str(number), role="user", text=SECRET_TEXT,
                   source="exports/conversations.json")


def test_progress_on_a_terminal_shows_counts_rate_and_source_but_no_text() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=120)
    progress = progress_display(quiet=False, console=console)
    assert isinstance(progress, ScanProgress)
    with progress:
        for number in range(3):
            progress.observe(_message(number), [])
    assert progress.description().startswith("3 messages (")
    assert "0 findings in exports/conversations.json" in progress.description()
    assert "536-22-8714" not in screen.getvalue()


def test_no_progress_when_piped_or_quiet() -> None:
    piped = Console(file=io.StringIO(), force_terminal=False)
    assert progress_display(quiet=False, console=piped) is None
    terminal = Console(file=io.StringIO(), force_terminal=True)
    assert progress_display(quiet=True, console=terminal) is None


def test_a_piped_scan_prints_no_progress_line(run_cli, tmp_path) -> None:
    from tests.conftest import EXAMPLES

    result = run_cli("scan", str(EXAMPLES), "--out", str(tmp_path / "o"))
    assert "loading the detector" not in result.stderr and "messages (" not in result.stderr
