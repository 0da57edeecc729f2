"""``--baseline FILE``: accepted fingerprints are not reported, without --state; entries expire."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import yaml

SSN_TEXT = "My SSN is 536-22-8714, please update the record."


def _source(tmp_path: Path) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"conversation_id": "c", "message_id": "1", "role": "user",
                                "text": SSN_TEXT}) + "\n")
    return path


def test_a_baseline_written_from_findings_hides_them_until_it_expires(run_cli, tmp_path: Path) -> None:
    source = _source(tmp_path)
    first = run_cli("scan", str(source), "--out", str(tmp_path / "a"))
    assert first.exit_code == 1
    baseline = tmp_path / "baseline.yaml"
    made = run_cli("findings", "baseline", str(tmp_path / "a" / "findings.jsonl"), "--out", str(baseline),
                   "--reason", "synthetic test record")
    assert made.exit_code == 0, made.output
    data = yaml.safe_load(baseline.read_text())
    assert data["version"] == 1 and data["baseline"][0]["reason"] == "synthetic test record"
    assert "536-22-8714" not in baseline.read_text()

    second = run_cli("scan", str(source), "--out", str(tmp_path / "b"), "--baseline", str(baseline))
    assert second.exit_code == 0, second.output
    assert (tmp_path / "b" / "findings.jsonl").read_text() == ""
    assert "baselined" in second.stderr

    for entry in data["baseline"]:
        entry["expires"] = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    baseline.write_text(yaml.safe_dump(data))
    third = run_cli("scan", str(source), "--out", str(tmp_path / "c"), "--baseline", str(baseline))
    assert third.exit_code == 1 and "expired" in third.stderr


def test_a_broken_baseline_is_a_usage_error_naming_the_entry(run_cli, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.yaml"
    baseline.write_text(f"version: 1\nbaseline:\n  - fingerprint: {'a' * 64}\n    reson: x\n")
    result = run_cli("scan", str(_source(tmp_path)), "--out", str(tmp_path / "o"), "--baseline", str(baseline))
    assert result.exit_code == 2
    assert "baseline[0]: unknown key 'reson'; did you mean 'reason'?" in result.stderr
