"""An unexpected exception is a bug: exit 4 (never 1), one line, and a traceback file
with frames only (no exception message, no locals)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from chatdlp.cli import main
from chatdlp.errors import ExitCode

SECRET = "4111" * 4
MESSAGE = "bad value %s"


def _explode(*_args: object, **_kwargs: object) -> None:
    value = SECRET  # a local that must not reach the report
    raise ValueError(MESSAGE % value)


def test_an_unexpected_exception_exits_4_with_a_traceback_file_without_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("chatdlp.pipeline.run.run_scan", _explode)
    source = tmp_path / "c.jsonl"
    source.write_text('{"conversation_id": "c", "message_id": "m", "role": "user", "text": "hi"}\n')
    out = tmp_path / "out"
    out.mkdir()
    result = CliRunner().invoke(main, ["scan", str(source), "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == ExitCode.CRASH == 4
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "internal error (ValueError)" in lines[0]
    assert SECRET not in result.stderr
    reports = list(out.glob("chatdlp-crash-*.txt"))
    assert len(reports) == 1 and str(reports[0]) in lines[0]
    text = reports[0].read_text()
    assert "_explode" in text and "ValueError" in text
    assert SECRET not in text and "bad value" not in text
    assert reports[0].stat().st_mode & 0o077 == 0


def test_without_an_out_directory_the_report_goes_to_the_temp_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("chatdlp.pipeline.run.run_scan", _explode)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    source = tmp_path / "c.jsonl"
    source.write_text("\n")
    result = CliRunner().invoke(main, ["scan", str(source)], catch_exceptions=False)
    assert result.exit_code == 4
    assert len(list(tmp_path.glob("chatdlp-crash-*.txt"))) == 1
