"""A real ``kill -9`` between writing the reports and giving the exit code: the next run
still exits 1. With ``--state`` the highest unalerted severity is an explicit record
(the findings are already marked reported); without it the rerun scans again."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.conftest import TEST_KEY

# Runs chatdlp in a child process that SIGKILLs itself right after the patched step.
_KILLER = """
import os, signal, sys
import {module} as target
real = target.{attribute}
def killed(*args, **kwargs):
    result = real(*args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)
    return result
target.{attribute} = killed
from chatdlp.cli import main
sys.argv = ["chatdlp", *sys.argv[1:]]
main()
"""


def _killed_run(tmp_path: Path, module: str, attribute: str, *args: str) -> None:
    env = {**os.environ, "CHATDLP_FINGERPRINT_KEY": TEST_KEY,
           "CHATDLP_CONFIG_DIR": str(tmp_path / "config"), "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    done = subprocess.run([sys.executable, "-c", _KILLER.format(module=module, attribute=attribute), *args],
                          env=env, capture_output=True, timeout=600, check=False)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode(errors="replace")[-2000:]


def _source(tmp_path: Path) -> Path:
    path = tmp_path / "m.jsonl"
    path.write_text(json.dumps({"conversation_id": "c1", "message_id": "m1", "role": "user",
                                "text": "my card is 4838 3750 6208 4666"}) + "\n")
    return path


def test_with_state_a_kill_after_marking_reported_still_alerts_on_the_rerun(tmp_path: Path, run_cli) -> None:
    source, state, out = _source(tmp_path), tmp_path / "state.db", tmp_path / "out"
    _killed_run(tmp_path, "chatdlp.state.ledger", "LedgerTables.mark_all_reported",
                "scan", str(source), "--out", str(out), "--state", str(state))
    with sqlite3.connect(state) as db:  # the findings were written and marked reported ...
        assert db.execute("SELECT count(*) FROM findings WHERE reported_run IS NULL").fetchone() == (0,)
        # ... and the alert they owe is on record
        assert db.execute("SELECT value FROM meta WHERE key = 'unalerted_severity'").fetchone() == ("critical",)
    rerun = run_cli("scan", str(source), "--out", str(out), "--state", str(state))
    assert rerun.exit_code == 1, rerun.stderr  # was 0: nothing new, the alert never fired
    assert "an earlier run was stopped before its exit code" in rerun.stderr
    again = run_cli("scan", str(source), "--out", str(out), "--state", str(state))
    assert again.exit_code == 0  # given once, forgotten


def test_an_incomplete_run_keeps_the_alert_for_the_next_one(tmp_path: Path, run_cli) -> None:
    source, state, out = _source(tmp_path), tmp_path / "state.db", tmp_path / "out"
    missing = tmp_path / "junk.txt"
    missing.write_text("not a conversation file\n")
    first = run_cli("scan", str(source), str(missing), "--out", str(out), "--state", str(state))
    assert first.exit_code == 3  # the alert (1) is hidden behind "incomplete"
    second = run_cli("scan", str(source), "--out", str(out), "--state", str(state))
    assert second.exit_code == 1, second.stderr
    assert run_cli("scan", str(source), "--out", str(out), "--state", str(state)).exit_code == 0


def test_without_state_a_kill_after_the_reports_still_alerts_on_the_rerun(tmp_path: Path, run_cli) -> None:
    source, out = _source(tmp_path), tmp_path / "out"
    _killed_run(tmp_path, "chatdlp.pipeline.run", "write_formats", "scan", str(source), "--out", str(out),
                "--format", "csv")
    assert (out / "findings.csv").exists()
    rerun = run_cli("scan", str(source), "--out", str(out), "--format", "csv")
    assert rerun.exit_code == 1  # no state: the rerun scans again and finds them again
