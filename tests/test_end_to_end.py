"""chatdlp scan over every input kind, with planted values in every place they can hide.

The real spaCy pipeline runs; the test checks each planted value is found where
it was put and that no raw value appears in any output file or on stderr.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from tests.sources.builders import api_conversation, api_message, export_conversation, export_message

SSN = "536-22-8714"
CARD = "4539 1488 0343 6467"
CARD_2 = "5200 8210 9348 2772"
IBAN = "DE44 5001 0517 5407 3249 31"
EMAIL = "dana.whitfield@contoso.com"
PHONE = "+1 206 342 8871"
NAME = "Dana Whitfield"

PLANTED = [SSN, CARD, CARD_2, IBAN, EMAIL, PHONE, NAME]


def _text(content_type: str, **fields):
    return {"content_type": content_type, **fields}


def _export_records() -> list[dict]:
    """One export conversation with values in every hiding place."""
    nodes = {
        "root": (None, None),
        "ctx": ("root", export_message("m-ctx", "user", _text(
            "user_editable_context", user_profile=f"My name is {NAME}. Mail me at {EMAIL}.",
            user_instructions="Be brief."), hidden=True)),
        "u1": ("ctx", export_message("m-u1", "user", _text("text", parts=["Refund the customer please."]))),
        # Two branches under u1: the older one holds the SSN.
        "a-old": ("u1", export_message("m-a-old", "assistant", _text(
            "text", parts=[f"Noted: the customer's SSN is {SSN}."]))),
        "a-new": ("u1", export_message("m-a-new", "assistant", _text("text", parts=["Done."]))),
        "code": ("a-new", export_message("m-code", "assistant", _text(
            "code", language="python", text=f"iban = '{IBAN}'  # customer IBAN"))),
        "out": ("code", export_message("m-out", "tool", _text(
            "execution_output", text=f"card on file: {CARD}"))),
        "odd": ("out", export_message("m-odd", "assistant", _text(
            "canvas_document", body={"lines": [f"Call the customer on {PHONE} about the refund."]}))),
    }
    return [export_conversation("exp-1", nodes, title=f"Refund letter for {NAME}")]


def _api_records() -> list[dict]:
    return [
        api_conversation(
            "api-1",
            [api_message("api-m1", "user", f"My card {CARD_2} was charged twice, SSN {SSN}.")],
            title=f"Card problem for {EMAIL}",
        )
    ]


def _flat_records() -> list[dict]:
    return [
        {"conversation_id": "flat-1", "message_id": "flat-m1", "role": "user",
         "text": f"Transfer to IBAN {IBAN} for {NAME}, phone {PHONE}.", "user_id": "user-flat"},
    ]


@pytest.fixture
def corpus(tmp_path: Path) -> dict[str, Path]:
    base = tmp_path / "in"
    base.mkdir()
    export_json = base / "conversations.json"
    export_json.write_text(json.dumps(_export_records(), indent=1))
    export_zip = base / "export.zip"
    with zipfile.ZipFile(export_zip, "w") as archive:
        archive.writestr("conversations.json", json.dumps(_export_records()))
    page = base / "page.json"
    page.write_text(json.dumps({"object": "list", "data": _api_records(), "has_more": False}, indent=2))
    api_jsonl = base / "api.jsonl"
    api_jsonl.write_text("".join(json.dumps(r) + "\n" for r in _api_records()))
    flat_jsonl = base / "flat.jsonl"
    flat_jsonl.write_text("".join(json.dumps(r) + "\n" for r in _flat_records()))
    return {"export_json": export_json, "export_zip": export_zip, "page": page,
            "api_jsonl": api_jsonl, "flat_jsonl": flat_jsonl, "dir": base}


def _findings(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "findings.jsonl").read_text().splitlines()]


def _assert_no_raw_values(out: Path, stderr: str) -> None:
    for path in out.rglob("*"):
        if path.is_file():
            content = path.read_text(encoding="utf-8")
            for value in PLANTED:
                assert value not in content, f"raw value leaked into {path.name}"
    for value in PLANTED:
        assert value not in stderr


EXPORT_EXPECTED = {
    ("exp-1:title", "PERSON"),           # the title
    ("m-ctx", "PERSON"),                 # hidden custom instructions
    ("m-ctx", "EMAIL_ADDRESS"),
    ("m-a-old", "US_SSN"),               # a branch that is not the current one
    ("m-code", "IBAN_CODE"),             # code
    ("m-out", "CREDIT_CARD"),            # execution output
    ("m-odd", "PHONE_NUMBER"),           # unknown content type
}


@pytest.mark.parametrize("kind", ["export_json", "export_zip"])
def test_export_values_found_wherever_they_sit(run_cli, corpus, tmp_path: Path, kind: str) -> None:
    out = tmp_path / "out"
    result = run_cli("scan", str(corpus[kind]), "--out", str(out))
    assert result.exit_code == 1, result.output
    found = {(f["message_id"], f["entity_type"]) for f in _findings(out)}
    assert found >= EXPORT_EXPECTED
    assert "canvas_document 1" in result.stderr
    _assert_no_raw_values(out, result.stderr)


@pytest.mark.parametrize("kind", ["page", "api_jsonl"])
def test_compliance_api_values_found(run_cli, corpus, tmp_path: Path, kind: str) -> None:
    out = tmp_path / "out"
    result = run_cli("scan", str(corpus[kind]), "--out", str(out))
    assert result.exit_code == 1, result.output
    findings = _findings(out)
    found = {(f["message_id"], f["entity_type"]) for f in findings}
    assert {("api-m1", "CREDIT_CARD"), ("api-m1", "US_SSN"), ("api-1:title", "EMAIL_ADDRESS")} <= found
    assert {f["user_id"] for f in findings} == {"user-test"}
    _assert_no_raw_values(out, result.stderr)


def test_flat_jsonl_and_stdin(run_cli, corpus, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli("scan", "-", "--out", str(out), input=corpus["flat_jsonl"].read_bytes())
    assert result.exit_code == 1, result.output
    found = {f["entity_type"] for f in _findings(out)}
    assert {"IBAN_CODE", "PERSON", "PHONE_NUMBER"} <= found
    _assert_no_raw_values(out, result.stderr)


def test_directory_of_every_kind_reports_each_message_once(run_cli, corpus, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli("scan", str(corpus["dir"]), "--out", str(out))
    assert result.exit_code == 1, result.output
    findings = _findings(out)
    # The export is there twice (json and zip) and the API data twice (page and
    # jsonl): each message is scanned and reported once per run.
    keys = [(f["message_id"], f["start"], f["end"], f["rule_id"]) for f in findings]
    assert len(keys) == len(set(keys))
    found = {(f["message_id"], f["entity_type"]) for f in findings}
    assert EXPORT_EXPECTED | {("api-m1", "CREDIT_CARD"), ("flat-m1", "IBAN_CODE")} <= found
    assert "already seen, skipped" in result.stderr
    _assert_no_raw_values(out, result.stderr)


def test_findings_have_the_contract_fields(run_cli, corpus, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_cli("scan", str(corpus["page"]), "--out", str(out))
    required = {"rule_id", "entity_type", "severity", "score", "conversation_id", "message_id", "role",
                "user_id", "created_at", "start", "end", "excerpt", "fingerprint", "source", "policy",
                "category"}
    for finding in _findings(out):
        assert required <= finding.keys()
        assert finding["category"] in {"pii", "phi", "pci", "secret", "confidential"}
        assert finding["created_at"].endswith("Z")
        assert len(finding["fingerprint"]) == 64
    card = next(f for f in _findings(out) if f["entity_type"] == "CREDIT_CARD")
    assert card["excerpt"] == "My card [CREDIT_CARD] was charged twice, SSN [US_SSN]."
    assert (card["severity"], card["category"], card["policy"]) == ("critical", "pci", "pci")
