"""End to end: values planted in every input kind never come out raw, in any format."""

from __future__ import annotations

import copy
import csv
import json
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from chatdlp.report.fingerprint import FingerprintKey, normalise
from tests.conftest import EXAMPLES, TEST_KEY

ALL_FORMATS = "jsonl,csv,html,md,sarif,analytics"
EXPECTED_FILES = {
    "findings.jsonl", "findings.csv", "report.html", "summary.md", "findings.sarif",
    "analytics.json", "incidents.json", "incidents.csv",
}

# (entity, value): each is asserted to be detected (by its fingerprint), then absent.
PLANTED = [
    ("US_SSN", "536-22-8714"),
    ("US_SSN", "219-09-9999"),
    ("CREDIT_CARD", "4539 1488 0343 6467"),
    ("CREDIT_CARD", "5200 8210 9348 2772"),
    ("CREDIT_CARD", "4539 1488 0343 6467"),
    ("EMAIL_ADDRESS", "dana.whitfield@contoso.com"),
    ("EMAIL_ADDRESS", "henrik.solberg@fabrikam.com"),
    ("EMAIL_ADDRESS", "priya.ramaswamy@fabrikam.com"),
    ("EMAIL_ADDRESS", "tomasz.wierzbicki@contoso.com"),
    ("EMAIL_ADDRESS", "ines.carvalho@northwind.com"),
    ("PHONE_NUMBER", "+1 206 342 8871"),
    ("IBAN_CODE", "DE44 5001 0517 5407 3249 31"),
    ("IBAN_CODE", "GB62 BARC 2003 1848 3920 11"),
    ("PERSON", "Dana Whitfield"),
    ("PERSON", "Marcus Oyelaran"),
    ("PERSON", "Henrik Solberg"),
]
# Metadata that is never a finding and must never reach a report either.
USER_EMAILS = ["olu.adeyemi@fabrikam.com", "lena.marsh@contoso.com", "ines.owner@northwind.com"]


def _variants(entity: str, value: str) -> set[str]:
    """The value as written, normalised, and as it could be escaped in HTML or JSON."""
    forms = {value, normalise(entity, value), value.replace(" ", ""), value.replace("@", "&#64;")}
    if entity == "PERSON":
        forms.add(value.split()[-1])  # no surname alone either
    return {form for form in forms if len(form) >= 6}


def _export_conversation(conversation_id: str, title: str, texts: list[str]) -> dict[str, Any]:
    mapping: dict[str, Any] = {
        "root": {"id": "root", "message": None, "parent": None, "children": ["n0"]}
    }
    for index, text in enumerate(texts):
        node = f"n{index}"
        mapping[node] = {
            "id": node,
            "parent": "root" if index == 0 else f"n{index - 1}",
            "children": [f"n{index + 1}"] if index + 1 < len(texts) else [],
            "message": {
                "id": f"{conversation_id}-m{index}",
                "author": {"role": "tool" if index == 2 else "user", "name": None,
                           "metadata": {}},
                "create_time": 1764057600.0 + 60 * index,
                "content": {"content_type": "execution_output", "text": text} if index == 2
                else {"content_type": "text", "parts": [text]},
                "metadata": {},
            },
        }
    return {
        "id": conversation_id, "conversation_id": conversation_id, "title": title,
        "create_time": 1764057600.0, "update_time": 1764057900.0,
        "current_node": f"n{len(texts) - 1}", "mapping": mapping,
    }


def _planted_inputs(root: Path) -> tuple[list[str], str]:
    """Every input kind: the examples (export dir, Compliance page, flat JSONL) plus a ZIP
    export, Compliance JSONL and flat JSONL on stdin. Returns SOURCE args and stdin text."""
    root.mkdir()
    examples = root / "examples"
    examples.mkdir()
    (examples / "export").mkdir()
    (examples / "export" / "conversations.json").write_text(
        (EXAMPLES / "chatgpt-export" / "conversations.json").read_text()
    )
    page = json.loads((EXAMPLES / "compliance-api-page.json").read_text())
    (examples / "page.json").write_text(json.dumps(page))
    (examples / "messages.jsonl").write_text((EXAMPLES / "messages.jsonl").read_text())

    hostile = [
        # formula injection at the start of an excerpt, markup around a value
        "=HYPERLINK(\"http://x\") card 4539 1488 0343 6467 twice: 4539 1488 0343 6467",
        "<script>alert(1)</script> IBAN GB62 BARC 2003 1848 3920 11 for Henrik Solberg",
        "['ines.carvalho@northwind.com', '536-22-8714']",
        "adjacent 219-09-9999ines.carvalho@northwind.com end",
    ]
    zipped = [_export_conversation("zip-conv-1", "Card 4539 1488 0343 6467 for Dana Whitfield",
                                   hostile)]
    with zipfile.ZipFile(root / "export.zip", "w") as archive:
        archive.writestr("export/conversations.json", json.dumps(zipped))

    api = copy.deepcopy(page["data"][0])
    api["id"] = "api-jsonl-conv-1"
    api["user_id"] = "user-jsonl-owner"
    api["user_email"] = "ines.owner@northwind.com"
    api["title"] = "Ticket for Marcus Oyelaran <b>bold</b>"
    api["messages"]["data"][1]["content"]["value"] = (
        "+cmd|' /C calc'!A0 reply to ines.carvalho@northwind.com about DE44 5001 0517 5407 3249 31"
    )
    (root / "archive.jsonl").write_text(json.dumps(api) + "\n")

    stdin_lines = [
        {"conversation_id": "stdin-conv-1", "message_id": "s-1", "role": "user",
         "user_id": "user-stdin", "created_at": 1764500000,
         "text": "@SUM(1) my SSN is 536-22-8714 and mail dana.whitfield@contoso.com"},
        {"conversation_id": "stdin-conv-1", "message_id": "s-2", "role": "assistant",
         "user_id": "user-stdin", "created_at": 1764500010,
         "text": "-1 Please do not paste 536-22-8714 here, Dana Whitfield."},
    ]
    stdin = "".join(json.dumps(line) + "\n" for line in stdin_lines)
    return [str(examples), str(root / "export.zip"), str(root / "archive.jsonl"), "-"], stdin


@pytest.fixture(scope="module")
def planted_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One scan of every input kind with every format, shared by the tests below."""
    from click.testing import CliRunner

    from chatdlp.cli import main

    base = tmp_path_factory.mktemp("planted")
    sources, stdin = _planted_inputs(base / "in")
    out = base / "out"
    mp = pytest.MonkeyPatch()
    mp.setenv("CHATDLP_FINGERPRINT_KEY", TEST_KEY)
    mp.setenv("CHATDLP_CONFIG_DIR", str(base / "config"))
    try:
        result = CliRunner().invoke(
            main, ["scan", *sources, "--out", str(out), "--format", ALL_FORMATS],
            input=stdin, catch_exceptions=False,
        )
    finally:
        mp.undo()
    return {"result": result, "out": out, "sources": sources, "stdin": stdin}


def _findings(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "findings.jsonl").read_text().splitlines()]


def test_every_format_is_written_privately(planted_run: dict[str, Any]) -> None:
    out: Path = planted_run["out"]
    result: Result = planted_run["result"]
    assert result.exit_code == 1, result.output
    assert {p.name for p in out.iterdir()} == EXPECTED_FILES
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    for path in out.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_planted_values_were_detected_in_every_input_kind(planted_run: dict[str, Any]) -> None:
    findings = _findings(planted_run["out"])
    fingerprints = {f["fingerprint"] for f in findings}
    key = FingerprintKey(TEST_KEY.encode())
    missing = [(e, v) for e, v in PLANTED if key.fingerprint(e, v) not in fingerprints]
    assert not missing, f"not detected, so the leak test would prove nothing: {missing}"
    sources = {f["source"].split(":")[0] for f in findings}
    for kind in ("conversations.json", "page.json", "messages.jsonl", "export.zip",
                 "archive.jsonl", "<stdin>"):
        assert any(kind in source for source in sources), kind


def test_no_planted_value_in_any_output_or_the_summary(planted_run: dict[str, Any]) -> None:
    out: Path = planted_run["out"]
    result: Result = planted_run["result"]
    texts = {path.name: path.read_text(encoding="utf-8") for path in out.iterdir()}
    texts["<stderr>"] = result.stderr
    texts["<stdout>"] = result.stdout
    forbidden = {form for e, v in PLANTED for form in _variants(e, v)} | set(USER_EMAILS)
    leaks = [
        (name, form) for name, text in texts.items() for form in forbidden
        if form.casefold() in text.casefold()
    ]
    assert not leaks


def test_hostile_markup_is_escaped_in_html(planted_run: dict[str, Any]) -> None:
    html = (planted_run["out"] / "report.html").read_text()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>bold</b>" not in html


def test_csv_has_one_row_per_finding_and_no_formula(planted_run: dict[str, Any]) -> None:
    out: Path = planted_run["out"]
    findings = _findings(out)
    with (out / "findings.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(findings) > 0
    assert [r["id"] for r in rows] == [f["id"] for f in findings]
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@")), cell
    assert any(row["excerpt"].startswith("'=HYPERLINK") for row in rows)
    assert any(row["excerpt"].startswith("'+cmd") for row in rows)
    assert any(row["excerpt"].startswith("'@SUM") for row in rows)


def test_analytics_holds_no_user_identifier(planted_run: dict[str, Any]) -> None:
    out: Path = planted_run["out"]
    analytics = (out / "analytics.json").read_text()
    users = {f["user_id"] for f in _findings(out) if f["user_id"]}
    assert users  # the input did carry user ids
    for user in users | {"user-jsonl-owner", "user-stdin", "user-3kq9x", "user-8zt1m"}:
        assert user not in analytics
    for finding in _findings(out):
        assert finding["excerpt"] not in analytics
        assert finding["fingerprint"] not in analytics
    data = json.loads(analytics)
    assert data["min_group_size"] == 5
    # at most one distinct user per day in this corpus: every day is suppressed
    assert data["days"] and all(day["suppressed"] for day in data["days"])
    assert all(set(day) == {"period", "suppressed"} for day in data["days"])


def test_incidents_group_a_value_across_conversations(planted_run: dict[str, Any]) -> None:
    out: Path = planted_run["out"]
    incidents = json.loads((out / "incidents.json").read_text())["incidents"]
    key = FingerprintKey(TEST_KEY.encode())
    ssn = next(i for i in incidents if i["fingerprint"] == key.fingerprint("US_SSN", "536-22-8714"))
    assert ssn["entity_type"] == "US_SSN"
    assert len(ssn["conversations"]) >= 3  # the export, the ZIP and stdin
    assert "user-stdin" in ssn["users"]
    assert ssn["count"] >= 3
    assert ssn["first_seen"] <= ssn["last_seen"]
    with (out / "incidents.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == len(incidents)


def test_rerun_replaces_files_and_never_appends(
    run_cli: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    sizes = []
    for _ in range(2):
        result = run_cli("scan", str(EXAMPLES), "--out", str(out), "--format", "csv,md,sarif")
        assert result.exit_code == 1, result.output
        sizes.append({p.name: len(p.read_text()) for p in out.iterdir()})
    assert sizes[0].keys() == sizes[1].keys()
    # generated_at may differ by a second; line and row counts must not grow
    with (out / "findings.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert len(list(csv.reader(handle))) - 1 == len(_findings(out))
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temp file left


def test_reveal_shows_only_the_configured_hint(
    run_cli: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = run_cli("scan", str(EXAMPLES), "--out", str(out), "--reveal", "US_SSN,EMAIL_ADDRESS")
    assert result.exit_code == 1, result.output
    text = (out / "findings.jsonl").read_text()
    assert "[US_SSN …8714]" in text
    assert "[EMAIL_ADDRESS @contoso.com]" in text
    assert "536-22" not in text and "dana.whitfield" not in text
    assert "[CREDIT_CARD]" in text  # not configured: no hint


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "csv,pdf"], "unknown format 'pdf'"),
        (["--link-template", "javascript:alert({conversation_id})"], "http"),
        (["--link-template", "https://x/{user_email}"], "unknown field"),
        (["--reveal", "PERSON"], "not allowed for PERSON"),
    ],
)
def test_bad_report_options_are_usage_errors(
    run_cli: Callable[..., Result], tmp_path: Path, args: list[str], message: str
) -> None:
    result = run_cli("scan", str(EXAMPLES), "--out", str(tmp_path / "out"), *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (tmp_path / "out").exists()  # rejected before anything is written


def test_incomplete_scan_still_writes_reports_marked_incomplete(
    run_cli: Callable[..., Result], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    out = tmp_path / "out"
    result = run_cli("scan", str(EXAMPLES), str(broken), "--out", str(out),
                     "--format", "md,sarif,analytics")
    assert result.exit_code == 3, result.output
    assert "INCOMPLETE" in (out / "summary.md").read_text()
    sarif = json.loads((out / "findings.sarif").read_text())
    assert sarif["runs"][0]["invocations"][0]["executionSuccessful"] is False
    assert len(sarif["runs"][0]["results"]) == len(_findings(out)) > 0
    assert json.loads((out / "analytics.json").read_text())["complete"] is False
