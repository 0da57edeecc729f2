import json
from pathlib import Path

from tests.conftest import EXAMPLES


def test_scan_examples_writes_findings_and_exits_1_on_high(run_cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli("scan", str(EXAMPLES), "--out", str(out))
    assert result.exit_code == 1, result.output
    lines = (out / "findings.jsonl").read_text().splitlines()
    findings = [json.loads(line) for line in lines]
    assert {f["entity_type"] for f in findings} >= {
        "US_SSN", "CREDIT_CARD", "EMAIL_ADDRESS", "PHONE_NUMBER", "IBAN_CODE", "PERSON",
    }
    assert "chatdlp scan summary" in result.stderr
