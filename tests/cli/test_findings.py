"""``chatdlp findings``: list formats, fingerprint prefixes, history, import checks, broken pipes."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES


@pytest.fixture
def state(run_cli, tmp_path: Path) -> Path:
    db = tmp_path / "state.db"
    run_cli("scan", str(EXAMPLES), "--out", str(tmp_path / "o"), "--state", str(db), "-q")
    return db


def test_list_as_json_and_csv_carries_full_fingerprints(run_cli, state: Path) -> None:
    as_json = run_cli("findings", "list", "--state", str(state), "--format", "json")
    rows = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert rows and all(len(r["fingerprint"]) == 64 and r["status"] == "open" for r in rows)
    as_csv = run_cli("findings", "list", "--state", str(state), "--format", "CSV")
    table = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [r["id"] for r in table] == [r["id"] for r in rows]
    assert table[0]["fingerprint"] == rows[0]["fingerprint"]


def test_the_printed_short_fingerprint_is_accepted(run_cli, state: Path) -> None:
    listed = run_cli("findings", "list", "--state", str(state), "--format", "json")
    fingerprint = json.loads(listed.stdout.splitlines()[0])["fingerprint"]
    table = run_cli("findings", "list", "--state", str(state))
    assert fingerprint[:16] in table.stdout
    first = run_cli("findings", "suppress", fingerprint[:16], "--state", str(state), "--reason", "QA one")
    assert first.exit_code == 0, first.output
    again = run_cli("findings", "suppress", fingerprint, "--state", str(state), "--reason", "QA two")
    assert "1 earlier reason(s) kept" in again.stdout
    history = run_cli("findings", "history", fingerprint[:12], "--state", str(state))
    assert history.exit_code == 0
    assert history.stdout.index("QA one") < history.stdout.index("QA two")


def test_import_refuses_a_missing_state_and_a_misspelt_key(run_cli, state: Path, tmp_path: Path) -> None:
    good = tmp_path / "s.yaml"
    good.write_text(f"version: 1\nsuppressions:\n  - fingerprint: {'a' * 64}\n    reason: test\n")
    missing = run_cli("findings", "import-suppressions", str(good), "--state", str(tmp_path / "typo.db"))
    assert missing.exit_code == 2 and "no such state database" in missing.stderr
    assert not (tmp_path / "typo.db").exists()
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"version: 1\nsuppressions:\n  - fingerprint: {'a' * 64}\n    reasn: test\n")
    result = run_cli("findings", "import-suppressions", str(bad), "--state", str(state))
    assert result.exit_code == 2 and "did you mean 'reason'?" in result.stderr
    assert run_cli("findings", "import-suppressions", str(good), "--state", str(state)).exit_code == 0


def test_a_closed_pipe_exits_0_quietly(state: Path) -> None:
    code = ("from chatdlp.cli import main\nimport sys\n"
            f"main(['findings', 'list', '--state', {str(state)!r}, '--format', 'json', '--limit', '5000'])")
    reader = subprocess.Popen(["head", "-c", "10"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    writer = subprocess.run([sys.executable, "-c", code], stdout=reader.stdin, stderr=subprocess.PIPE,
                            check=False, timeout=120,
                            env={"PATH": "/usr/bin:/bin", "CHATDLP_FINGERPRINT_KEY": "k" * 64})
    assert reader.stdin is not None
    reader.stdin.close()
    reader.wait()
    assert writer.returncode == 0, writer.stderr
    assert b"Traceback" not in writer.stderr and b"BrokenPipe" not in writer.stderr


def test_the_table_takes_the_width_it_is_given(run_cli, state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    table = run_cli("findings", "list", "--state", str(state))
    assert max(len(line) for line in table.stdout.splitlines()) == 120
