"""``chatdlp report --state``: reports rebuilt from stored findings, all or a window."""

from __future__ import annotations

import json
from pathlib import Path

from tests.state.corpus import write_corpus

DAY = 86400
T0 = 1_764_230_400.0  # 2025-11-27T08:00:00Z


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_report_rebuilds_all_or_a_window(tmp_path: Path, run_cli) -> None:
    db = tmp_path / "s.db"
    old = write_corpus(tmp_path / "old.jsonl", 3, created_at=T0 - 10 * DAY)
    new = tmp_path / "new.jsonl"
    write_corpus(new, 3, created_at=T0)
    new.write_text(new.read_text().replace("conv-", "new-conv-").replace("msg-", "new-msg-"))
    run_cli("scan", str(old), "--state", str(db), "--out", str(tmp_path / "o1"), "--fail-on", "critical")
    run_cli("scan", str(new), "--state", str(db), "--out", str(tmp_path / "o2"), "--fail-on", "critical")
    scanned = {r["id"] for d in ("o1", "o2") for r in _rows(tmp_path / d / "findings.jsonl")}

    result = run_cli("report", "--state", str(db), "--out", str(tmp_path / "all"),
                     "--format", "csv,html,md,sarif,analytics", "--min-group-size", "1")
    assert result.exit_code == 0, result.output
    assert {r["id"] for r in _rows(tmp_path / "all" / "findings.jsonl")} == scanned
    for name in ("findings.csv", "report.html", "summary.md", "findings.sarif", "analytics.json"):
        assert (tmp_path / "all" / name).stat().st_size > 0
    analytics = json.loads((tmp_path / "all" / "analytics.json").read_text())
    assert analytics["overall"]["messages"] == 36
    sarif = json.loads((tmp_path / "all" / "findings.sarif").read_text())
    assert len(sarif["runs"][0]["results"]) == len(scanned)

    window = run_cli("report", "--state", str(db), "--out", str(tmp_path / "win"),
                     "--since", "2025-11-26", "--format", "analytics", "--min-group-size", "1")
    assert window.exit_code == 0, window.output
    rows = _rows(tmp_path / "win" / "findings.jsonl")
    assert rows and all(r["conversation_id"].startswith("new-conv-") for r in rows)
    assert json.loads((tmp_path / "win" / "analytics.json").read_text())["overall"]["messages"] == 18
    assert "in 18 messages of 3 conversations" in window.output


def test_report_needs_an_existing_state(tmp_path: Path, run_cli) -> None:
    result = run_cli("report", "--state", str(tmp_path / "nope.db"), "--out", str(tmp_path / "o"))
    assert result.exit_code == 2 and "no such state database" in result.output
