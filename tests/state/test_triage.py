"""``chatdlp findings``: suppressed fingerprints stay quiet in later runs (and are
counted), resolve/reopen keep who and why, suppressions round-trip as YAML."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import yaml

from tests.state.corpus import flat_message

SSN = "536-22-8714"


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def _msg(c: str, m: str, text: str) -> dict:
    return {"conversation_id": c, "message_id": m, "role": "user", "text": text, "user_id": "u1"}


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_suppressed_fingerprint_stays_quiet_and_is_counted(tmp_path: Path, run_cli) -> None:
    db = tmp_path / "s.db"
    first = _write(tmp_path / "a.jsonl", [_msg("c1", "m1", f"Her SSN is {SSN} per the form.")])
    run_cli("scan", str(first), "--state", str(db), "--out", str(tmp_path / "o1"))
    [finding] = [r for r in _rows(tmp_path / "o1" / "findings.jsonl") if r["entity_type"] == "US_SSN"]

    result = run_cli("findings", "suppress", finding["id"], "--state", str(db),
                     "--reason", "QA test record")
    assert result.exit_code == 0, result.output
    assert "suppressed fingerprint" in result.output

    # The same value in new conversations: not reported, counted as suppressed.
    later = _write(tmp_path / "b.jsonl", [
        _msg("c2", "m2", f"Again, the SSN is {SSN} for that file."),
        _msg("c3", "m3", f"Reminder: SSN {SSN}, and another one 536-22-9999."),
    ])
    second = run_cli("scan", str(later), "--state", str(db), "--out", str(tmp_path / "o2"))
    rows = _rows(tmp_path / "o2" / "findings.jsonl")
    assert finding["fingerprint"] not in {r["fingerprint"] for r in rows}
    assert any(r["entity_type"] == "US_SSN" for r in rows)  # the other SSN is reported
    assert "suppressed     2 findings of suppressed fingerprints" in second.output

    listed = run_cli("findings", "list", "--state", str(db), "--status", "suppressed")
    assert listed.output.count("suppressed") >= 3  # 3 rows (+ the column header)
    assert "3 of 3 findings shown" in listed.output
    with sqlite3.connect(db) as connection:
        log = connection.execute("SELECT action, reason, by FROM triage_log").fetchall()
    assert log[0][0] == "suppress" and log[0][1] == "QA test record" and log[0][2]

    # The rebuilt report leaves suppressed findings out by default.
    run_cli("report", "--state", str(db), "--out", str(tmp_path / "rep"))
    assert finding["fingerprint"] not in (tmp_path / "rep" / "findings.jsonl").read_text()


def test_reason_is_required(tmp_path: Path, run_cli) -> None:
    db = tmp_path / "s.db"
    run_cli("scan", str(_write(tmp_path / "a.jsonl", [_msg("c1", "m1", f"SSN {SSN} here.")])),
            "--state", str(db), "--out", str(tmp_path / "o"))
    result = run_cli("findings", "resolve", "0" * 24, "--state", str(db))
    assert result.exit_code == 2 and "--reason" in result.output
    unknown = run_cli("findings", "resolve", "0" * 24, "--state", str(db), "--reason", "x")
    assert unknown.exit_code == 2 and "no finding with id or fingerprint" in unknown.output


def test_resolve_reopen_and_filters(tmp_path: Path, run_cli) -> None:
    db = tmp_path / "s.db"
    corpus = _write(tmp_path / "a.jsonl", [flat_message(0, 1), flat_message(0, 4)])  # card, SSN
    run_cli("scan", str(corpus), "--state", str(db), "--out", str(tmp_path / "o"))
    rows = _rows(tmp_path / "o" / "findings.jsonl")
    card = next(r for r in rows if r["entity_type"] == "CREDIT_CARD")
    assert run_cli("findings", "resolve", card["fingerprint"], "--state", str(db),
                   "--reason", "card cancelled").exit_code == 0
    resolved = run_cli("findings", "list", "--state", str(db), "--status", "resolved")
    assert card["id"] in resolved.output and "1 of 1" in resolved.output
    by_rule = run_cli("findings", "list", "--state", str(db), "--rule", card["rule_id"],
                      "--severity", card["severity"])
    assert card["id"] in by_rule.output
    assert run_cli("findings", "reopen", card["id"], "--state", str(db),
                   "--reason", "card reissued").exit_code == 0
    assert "0 of 0" in run_cli("findings", "list", "--state", str(db), "--status", "resolved").output


def test_suppressions_round_trip_as_versioned_yaml(tmp_path: Path, run_cli) -> None:
    db, other = tmp_path / "s.db", tmp_path / "other.db"
    corpus = _write(tmp_path / "a.jsonl", [_msg("c1", "m1", f"The SSN is {SSN} on file.")])
    run_cli("scan", str(corpus), "--state", str(db), "--out", str(tmp_path / "o"))
    fingerprint = next(r["fingerprint"] for r in _rows(tmp_path / "o" / "findings.jsonl")
                       if r["entity_type"] == "US_SSN")
    run_cli("findings", "suppress", fingerprint, "--state", str(db), "--reason", "synthetic")
    out = tmp_path / "suppressions.yaml"
    assert run_cli("findings", "export-suppressions", "--state", str(db), "--out", str(out)).exit_code == 0
    data = yaml.safe_load(out.read_text())
    assert data["version"] == 1
    assert data["suppressions"][0]["fingerprint"] == fingerprint
    assert data["suppressions"][0]["reason"] == "synthetic"
    assert SSN not in out.read_text()

    # Imported into a fresh state before its first scan: the value is never reported there.
    assert run_cli("findings", "import-suppressions", str(out), "--state", str(other), "--create").exit_code == 0
    result = run_cli("scan", str(corpus), "--state", str(other), "--out", str(tmp_path / "o2"))
    assert fingerprint not in (tmp_path / "o2" / "findings.jsonl").read_text()
    assert "suppressed     1 findings" in result.output

    out.write_text("version: 2\nsuppressions: []\n")
    bad = run_cli("findings", "import-suppressions", str(out), "--state", str(other))
    assert bad.exit_code == 2 and "version: 1" in bad.output
