"""The conversation stage end to end (real spaCy pipeline, the CLI): exact data match,
whole-conversation PHI, who introduced each value, and disguised values.

The conversations are invented, in the shape people write to a chat assistant; the
records are invented in the shape of a student-information export.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

RECORDS = [
    ["student_id", "first_name", "last_name", "email", "date_of_birth"],
    ["S1002345", "Amara", "Delacroix-Boyd", "amara.db@uni.example.edu", "2001-03-14"],
    ["S1002346", "Jonah", "Whitcombe", "jwhit@uni.example.edu", "2000-11-02"],
]
SSN = "536-22-8194"
RAW = ["S1002345", "Delacroix-Boyd", "Whitcombe", SSN, "536228194", "Dana Whitfield", "Tomas Reyes"]


def _messages(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    path.write_text("".join(
        json.dumps({"conversation_id": c, "message_id": m, "role": role, "text": text,
                    "created_at": 1764230400 + n}) + "\n"
        for n, (c, m, role, text) in enumerate(rows)
    ))
    return path


def _findings(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "findings.jsonl").read_text().splitlines()]


def _everything(result: Result, *paths: Path) -> str:
    texts = [result.output, result.stderr]
    for path in paths:
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        texts += [p.read_text(errors="replace") for p in files]
    return "\n".join(texts)


@pytest.fixture()
def index(run_cli: Callable[..., Result], tmp_path: Path) -> Path:
    records = tmp_path / "students.csv"
    with records.open("w", newline="") as handle:
        csv.writer(handle).writerows(RECORDS)
    out = tmp_path / "students.edm"
    result = run_cli("edm", "build", str(records), "--name", "students", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert "2 records of students.csv" in result.stderr
    info = run_cli("edm", "info", str(out))
    assert "column: student_id (id, identifying alone)" in info.output
    blob = out.read_bytes()
    assert not any(v.encode() in blob or v.casefold().encode() in blob for row in RECORDS[1:] for v in row)
    return out


def test_edm_reports_a_record_by_how_much_of_it_a_message_holds(
    run_cli: Callable[..., Result], index: Path, tmp_path: Path,
) -> None:
    source = _messages(tmp_path / "chat.jsonl", [
        ("c1", "m1", "user", "Draft a note to student S1002345, Amara Delacroix-Boyd, about the missed exam."),
        ("c2", "m2", "user", "Jonah Whitcombe asked for an extension."),
        ("c3", "m3", "user", "Say hi to Amara and Jonah from the lab."),
        ("c4", "m4", "user", "Ticket S1002344 is closed; S1002347 too."),
    ])
    out = tmp_path / "out"
    result = run_cli("scan", str(source), "--edm", str(index), "--out", str(out), "--fail-on", "critical")
    assert result.exit_code == 0, result.stderr
    edm = {f["message_id"]: f for f in _findings(out) if f["entity_type"] == "EDM_MATCH"}
    assert edm["m1"]["severity"] == "high" and edm["m1"]["rule_id"] == "edm.students"
    assert edm["m1"]["edm_columns"] == ["student_id", "first_name", "last_name"]
    assert edm["m2"]["severity"] == "low" and edm["m2"]["edm_columns"] == ["first_name", "last_name"]
    assert "m3" not in edm and "m4" not in edm  # first names alone, neighbouring numbers
    assert "S1002345" not in edm["m1"]["excerpt"] and "Delacroix" not in edm["m1"]["excerpt"]
    assert not any(value in _everything(result, out) for value in RAW[:3])


def test_a_name_and_a_diagnosis_turns_apart_are_one_phi_finding(
    run_cli: Callable[..., Result], tmp_path: Path,
) -> None:
    source = _messages(tmp_path / "chat.jsonl", [
        ("c1", "m1", "user", "Can you help me write to my patient Dana Whitfield about her results?"),
        ("c1", "m2", "assistant", "Of course. What would you like the message to say?"),
        ("c1", "m3", "user", "Tell her the biopsy confirmed melanoma and that she should stop warfarin."),
        ("c2", "m4", "user", "Explain how HIV treatment works, in plain words."),
        ("c2", "m5", "assistant", "Antiretroviral therapy keeps the virus from multiplying."),
        ("c3", "m6", "user", "Draft an invitation to Priya Natarajan for Friday's planning meeting."),
    ])
    out = tmp_path / "out"
    result = run_cli("scan", str(source), "--out", str(out), "--fail-on", "critical")
    assert result.exit_code == 0, result.stderr
    combined = [f for f in _findings(out) if f["entity_type"] == "PHI_COMBINATION"]
    assert [(f["message_id"], f["related_message_ids"], f["severity"], f["category"]) for f in combined] == [
        ("m3", ["m1"], "high", "phi")]
    assert "Dana" not in _everything(result, out)


def test_introduced_by_names_who_brought_the_value_and_lowers_the_assistants(
    run_cli: Callable[..., Result], tmp_path: Path,
) -> None:
    source = _messages(tmp_path / "chat.jsonl", [
        ("c1", "m1", "user", f"My SSN is {SSN}, can you fill in the form?"),
        ("c1", "m2", "assistant", f"I put {SSN} in box 3. A valid-looking example would be 219-09-9991."),
    ])
    out = tmp_path / "out"
    result = run_cli("scan", str(source), "--out", str(out), "--fail-on", "critical", "--policy", "pii")
    assert result.exit_code == 0, result.stderr
    ssns = sorted((f["message_id"], f["start"], f["introduced_by"], f["severity"]) for f in _findings(out)
                  if f["entity_type"] == "US_SSN")
    assert [(m, who, severity) for m, _, who, severity in ssns] == [
        ("m1", "user", "high"), ("m2", "user", "high"), ("m2", "assistant", "medium")]
    assert all(f["introduced_by"] for f in _findings(out))


@pytest.mark.parametrize("written", [
    "5 3 6 - 2 2 - 8 1 9 4",
    "five three six two two eight one nine four",
    "536\u200b-22-\u200d8194",
    "５３６-２２-８１９４",
])
def test_disguised_values_are_found_and_masked_in_the_original(
    run_cli: Callable[..., Result], tmp_path: Path, written: str,
) -> None:
    text = f"for the form: my social security number is {written} thanks"
    source = _messages(tmp_path / "chat.jsonl", [("c1", "m1", "user", text)])
    out = tmp_path / "out"
    result = run_cli("scan", str(source), "--out", str(out), "--fail-on", "critical", "--policy", "pii")
    assert result.exit_code == 0, result.stderr
    [ssn] = [f for f in _findings(out) if f["entity_type"] == "US_SSN"]
    assert ssn["disguised"] is True
    assert text[ssn["start"] : ssn["end"]] == written
    everything = _everything(result, out)
    for fragment in (written, "8194", "536228194", "eight one nine four", "\u200b"):
        assert fragment not in everything


def test_a_spoken_email_is_found(run_cli: Callable[..., Result], tmp_path: Path) -> None:
    text = "you can reach her at maria dot lopez at contoso dot com after five"
    source = _messages(tmp_path / "chat.jsonl", [("c1", "m1", "user", text)])
    out = tmp_path / "out"
    result = run_cli("scan", str(source), "--out", str(out), "--fail-on", "critical", "--policy", "pii")
    assert result.exit_code == 0, result.stderr
    [email] = [f for f in _findings(out) if f["entity_type"] == "EMAIL_ADDRESS"]
    assert text[email["start"] : email["end"]] == "maria dot lopez at contoso dot com"
    assert "lopez" not in _everything(result, out)


def test_policy_explain_says_a_value_was_disguised(run_cli: Callable[..., Result]) -> None:
    result = run_cli("policy", "explain", "ssn five three six two two eight one nine four", "--policy", "pii")
    assert result.exit_code == 0, result.stderr
    assert "pii.us_ssn" in result.output and "found in the plain form of a disguised value" in result.output
    assert "eight" not in result.output


def test_policy_explain_shows_edm_records_and_health_information(
    run_cli: Callable[..., Result], index: Path,
) -> None:
    text = "Student S1002345 Amara Delacroix-Boyd was diagnosed with melanoma"
    result = run_cli("policy", "explain", text, "--edm", str(index))
    assert result.exit_code == 0, result.stderr
    assert "edm.students [EDM_MATCH] chars 8-16: one record's student_id, first_name, last_name (high)" in (
        result.output)
    assert "health info  condition at chars" in result.output and "(here: yes)" in result.output
    assert "S1002345" not in result.output and "Delacroix" not in result.output


def test_with_state_a_conversation_continued_next_night_keeps_what_it_showed(
    run_cli: Callable[..., Result], tmp_path: Path,
) -> None:
    night1 = [
        ("c1", "m1", "user", "Help me write to my patient Dana Whitfield about her results."),
        ("c1", "m2", "user", f"Her SSN for the insurer is {SSN}."),
    ]
    night2 = [*night1,
              ("c1", "m3", "user", "Tell her the biopsy confirmed melanoma."),
              ("c1", "m4", "assistant", f"I wrote the letter and put {SSN} in the header.")]
    db = tmp_path / "state.db"
    first = run_cli("scan", str(_messages(tmp_path / "n1.jsonl", night1)), "--state", str(db),
                    "--out", str(tmp_path / "o1"), "--fail-on", "critical")
    assert first.exit_code == 0, first.stderr
    assert not [f for f in _findings(tmp_path / "o1") if f["entity_type"] == "PHI_COMBINATION"]
    second = run_cli("scan", str(_messages(tmp_path / "n2.jsonl", night2)), "--state", str(db),
                     "--out", str(tmp_path / "o2"), "--fail-on", "critical")
    assert second.exit_code == 0, second.stderr
    tonight = _findings(tmp_path / "o2")
    assert [(f["message_id"], f["related_message_ids"]) for f in tonight
            if f["entity_type"] == "PHI_COMBINATION"] == [("m3", ["m1"])]
    [echo] = [f for f in tonight if f["entity_type"] == "US_SSN"]
    assert (echo["message_id"], echo["introduced_by"], echo["severity"]) == ("m4", "user", "high")


def test_edm_runs_on_the_worker_processes(run_cli: Callable[..., Result], index: Path, tmp_path: Path) -> None:
    rows = [(f"c{n}", f"m{n}", "user", f"note {n}: student S1002345 (Amara Delacroix-Boyd) asked again")
            for n in range(150)]  # more than one batch: the batches after the first go to the pool
    source = _messages(tmp_path / "chat.jsonl", rows)
    out = tmp_path / "out"
    result = run_cli("scan", str(source), "--edm", str(index), "--workers", "2", "--out", str(out),
                     "--fail-on", "critical", "--policy", "pii")
    assert result.exit_code == 0, result.stderr
    edm = [f for f in _findings(out) if f["entity_type"] == "EDM_MATCH"]
    assert len(edm) == 150 and {f["severity"] for f in edm} == {"high"}
    engine = run_cli("scan", str(source), "--edm", str(index), "--engine", "ray", "--out", str(tmp_path / "o2"))
    assert engine.exit_code == 2 and "--edm runs with --engine local only" in engine.stderr
