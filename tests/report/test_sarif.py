from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from chatdlp.records import Category, Severity
from chatdlp.report.formats.sarif import FINGERPRINT_KEY, SarifFormatter
from tests.conftest import DATA
from tests.report.helpers import RULES, finding, model

SCHEMA = DATA / "sarif" / "sarif-schema-2.1.0.json"


@pytest.fixture
def sarif(tmp_path: Path) -> dict[str, object]:
    findings = [
        finding(1),
        finding(2, rule_id="pci.credit_card", entity_type="CREDIT_CARD", category=Category.PCI,
                severity=Severity.CRITICAL, excerpt="card [CREDIT_CARD] ok",
                fingerprint="fp-card", conversation_id="conv-2", message_id="conv-2:title",
                role="title"),
        finding(3, rule_id="custom.unknown", severity=Severity.LOW),
    ]
    (path,) = SarifFormatter().write(model(tmp_path, findings), tmp_path)
    assert path.name == "findings.sarif"
    data: dict[str, object] = json.loads(path.read_text())
    return data


def test_sarif_validates_against_the_vendored_2_1_0_schema(sarif: dict[str, object]) -> None:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft4Validator.check_schema(schema)
    jsonschema.Draft4Validator(schema).validate(sarif)


def test_sarif_tool_and_rules_come_from_the_policies(sarif: dict[str, object]) -> None:
    assert sarif["version"] == "2.1.0"
    (run,) = sarif["runs"]  # type: ignore[misc]
    driver = run["tool"]["driver"]
    assert driver["name"] == "chatdlp" and driver["version"] == "0.1.0"
    assert [r["id"] for r in driver["rules"]] == [r.id for r in RULES]
    levels = {r["id"]: r["defaultConfiguration"]["level"] for r in driver["rules"]}
    assert levels == {"pii.us_ssn": "error", "pii.email": "warning", "pci.credit_card": "error"}
    assert driver["rules"][0]["shortDescription"]["text"] == "US Social Security number"
    assert driver["rules"][1]["shortDescription"]["text"]  # a default when the rule has none
    assert run["properties"]["policies"][0]["sha256"] == "ab" * 32
    assert run["invocations"][0]["executionSuccessful"] is True


def test_sarif_results_carry_location_fingerprint_and_the_redacted_excerpt(
    sarif: dict[str, object],
) -> None:
    (run,) = sarif["runs"]  # type: ignore[misc]
    results = run["results"]
    assert len(results) == 3
    first, card, unknown = results
    assert first["ruleId"] == "pii.us_ssn" and first["ruleIndex"] == 0
    assert first["level"] == "error"
    assert "[US_SSN]" in first["message"]["text"]
    assert first["partialFingerprints"] == {FINGERPRINT_KEY: "fp-ssn-1"}
    location = first["locations"][0]["logicalLocations"][0]
    assert location["fullyQualifiedName"] == "conv-1/m1"
    assert card["ruleIndex"] == 2 and card["level"] == "error"
    assert card["locations"][0]["logicalLocations"][0]["name"] == "conv-2:title"
    assert "ruleIndex" not in unknown and unknown["level"] == "note"


def test_incomplete_run_is_marked_unsuccessful(tmp_path: Path) -> None:
    (path,) = SarifFormatter().write(model(tmp_path, [], error="source gone"), tmp_path)
    data = json.loads(path.read_text())
    invocation = data["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert invocation["exitCodeDescription"] == "source gone"
    assert data["runs"][0]["results"] == []
    jsonschema.Draft4Validator(json.loads(SCHEMA.read_text())).validate(data)


def test_sarif_results_carry_a_physical_location_and_good_grammar(tmp_path: Path) -> None:
    import json as _json

    from chatdlp.report.formats.sarif import SarifFormatter
    from tests.report.helpers import finding, model

    findings = [finding(1, source="exports/my chats.json", role="assistant"), finding(2, source="-")]
    (path,) = SarifFormatter().write(model(tmp_path, findings), tmp_path)
    first, second = _json.loads(path.read_text())["runs"][0]["results"]
    location = first["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "exports/my%20chats.json"
    assert "message m1 of conversation conv-1" in location["message"]["text"]
    assert location["logicalLocations"][0]["fullyQualifiedName"] == "conv-1/m1"
    assert "in an assistant message" in first["message"]["text"]
    assert second["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "stdin"
