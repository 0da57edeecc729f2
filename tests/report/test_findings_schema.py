"""schemas/findings.schema.json describes what a scan really writes (findings.jsonl, --out -)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from tests.conftest import EXAMPLES

SCHEMA = Path(__file__).parents[2] / "schemas" / "findings.schema.json"


def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_every_record_of_a_real_scan_follows_the_schema(run_cli, tmp_path: Path) -> None:
    result = run_cli("scan", str(EXAMPLES), "--out", str(tmp_path / "o"), "-q")
    assert result.exit_code == 1
    records = [json.loads(line) for line in (tmp_path / "o" / "findings.jsonl").read_text().splitlines()]
    assert records and all(r["schema_version"] == 1 for r in records)
    validator = _validator()
    for record in records:
        validator.validate(record)


def test_out_dash_streams_the_same_records_on_stdout(run_cli, tmp_path: Path) -> None:
    result = run_cli("scan", str(EXAMPLES), "--out", "-", "-q")
    assert result.exit_code == 1
    records = [json.loads(line) for line in result.stdout.splitlines()]
    validator = _validator()
    for record in records:
        validator.validate(record)
    assert len(records) >= 10
    assert "output         stdout" in result.stderr
    refused = run_cli("scan", str(EXAMPLES), "--out", "-", "--format", "html")
    assert refused.exit_code == 2 and "need a directory" in refused.stderr
