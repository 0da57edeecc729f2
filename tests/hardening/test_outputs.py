"""Reports and crashes: findings are marked reported only after every format is
written; a full disk is a clear exit 3 that keeps the previous files and the state;
--out never changes an existing directory's mode."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatdlp.atomic import AtomicFile


def _messages(path: Path, count: int, prefix: str = "c") -> Path:
    lines = [json.dumps({"conversation_id": f"{prefix}{i}", "message_id": f"{prefix}{i}-m", "role": "user",
                         "text": "my card is 4838 3750 6208 4666 and mail jane.doe@northwind-mail.com"})
             for i in range(count)]
    path.write_text("\n".join(lines) + "\n")
    return path


def _findings(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "findings.jsonl").read_text().splitlines()]


def test_a_kill_after_findings_jsonl_does_not_lose_the_alert(tmp_path: Path, run_cli, monkeypatch) -> None:
    source = _messages(tmp_path / "a.jsonl", 1)
    state, out = str(tmp_path / "state.db"), tmp_path / "out"

    def killed(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt  # as a SIGINT/SIGKILL between findings.jsonl and the formats

    import chatdlp.pipeline.run as run

    real = run.write_formats
    monkeypatch.setattr(run, "write_formats", killed)
    assert run_cli("scan", str(source), "--out", str(out), "--state", state, "--format", "csv").exit_code == 130
    monkeypatch.setattr(run, "write_formats", real)

    rerun = run_cli("scan", str(source), "--out", str(out), "--state", state, "--format", "csv")
    assert rerun.exit_code == 1, rerun.stderr  # was 0, with an empty findings.jsonl
    assert len(_findings(out)) == 2
    assert (out / "findings.csv").exists()
    again = run_cli("scan", str(source), "--out", str(out), "--state", state, "--format", "csv")
    assert again.exit_code == 0 and _findings(out) == []


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 16 KB tmpfs (tests run as root); skipped where mounting is not allowed."""
    mount = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(mount)],
                          capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_exits_3_and_keeps_the_previous_reports_and_the_state(
    tmp_path: Path, tiny_disk: Path, run_cli
) -> None:
    out, state = tiny_disk / "out", str(tmp_path / "state.db")
    first = run_cli("scan", str(_messages(tmp_path / "one.jsonl", 1)), "--out", str(out), "--state", state)
    assert first.exit_code == 1
    before = (out / "findings.jsonl").read_bytes()
    big = _messages(tmp_path / "many.jsonl", 40, prefix="big")
    full = run_cli("scan", str(big), "--out", str(out), "--state", state)
    assert full.exit_code == 3, full.stderr
    assert "No space left on device" in full.stderr and "Traceback" not in full.stderr
    assert (out / "findings.jsonl").read_bytes() == before  # the previous file, whole
    assert sorted(p.name for p in out.iterdir()) == ["findings.jsonl"]  # no temp file left
    roomy = tmp_path / "roomy"
    rerun = run_cli("scan", str(big), "--out", str(roomy), "--state", state)
    assert rerun.exit_code == 1
    assert len(_findings(roomy)) == 80  # nothing lost: the state kept them unreported


def test_an_atomic_file_that_cannot_be_written_leaves_the_previous_file(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "report.txt"
    target.write_text("previous")

    def full(_fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    handle = AtomicFile(target)
    handle.write("new content")
    with pytest.raises(OSError):
        handle.close()
    assert target.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]


def test_out_never_changes_an_existing_directory_and_warns_when_others_can_read(tmp_path: Path, run_cli) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o2770)
    source = _messages(tmp_path / "a.jsonl", 1)
    result = run_cli("scan", str(source), "--out", str(shared))
    assert result.exit_code == 1
    assert oct(shared.stat().st_mode & 0o7777) == oct(0o2770)  # was chmodded to 0700
    assert "can be read by other users" not in result.stderr
    os.chmod(shared, 0o755)
    result = run_cli("scan", str(source), "--out", str(shared))
    assert "can be read by other users" in result.stderr
    assert oct(shared.stat().st_mode & 0o7777) == oct(0o755)
    fresh = tmp_path / "fresh"
    run_cli("scan", str(source), "--out", str(fresh))
    assert fresh.stat().st_mode & 0o777 == 0o700
