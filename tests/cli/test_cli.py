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


def _flat(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_text("".join(row + "\n" for row in rows))
    return path


CLEAN = json.dumps({"conversation_id": "c", "message_id": "1", "role": "user",
                    "text": "What is the boiling point of water at altitude?"})
SENSITIVE = json.dumps({"conversation_id": "c", "message_id": "2", "role": "user",
                        "text": "My SSN is 536-22-8714."})


def test_exit_0_when_nothing_at_or_above_fail_on(run_cli, tmp_path: Path) -> None:
    result = run_cli("scan", str(_flat(tmp_path, [CLEAN])), "--out", str(tmp_path / "o"))
    assert result.exit_code == 0
    assert (tmp_path / "o" / "findings.jsonl").read_text() == ""


def test_fail_on_threshold(run_cli, tmp_path: Path) -> None:
    source = str(_flat(tmp_path, [SENSITIVE]))
    assert run_cli("scan", source, "--out", str(tmp_path / "a")).exit_code == 1
    assert run_cli("scan", source, "--out", str(tmp_path / "b"), "--fail-on", "critical").exit_code == 0


def test_usage_errors_exit_2_without_traceback(run_cli, tmp_path: Path) -> None:
    missing = run_cli("scan", str(tmp_path / "nope.json"))
    assert missing.exit_code == 2
    assert "nope.json: no such file or directory" in missing.stderr
    bad_option = run_cli("scan", str(tmp_path), "--fail-on", "extreme")
    assert bad_option.exit_code == 2
    no_source = run_cli("scan")
    assert no_source.exit_code == 2
    policy = tmp_path / "bad.yaml"
    policy.write_text("version: 1\nname: bad\nrules:\n  - id: x.y\n    entity: PERSON\n    categroy: pii\n")
    bad_policy = run_cli("scan", str(tmp_path), "--policy", str(policy))
    assert bad_policy.exit_code == 2
    assert "did you mean 'category'" in bad_policy.stderr
    for result in (missing, bad_option, no_source, bad_policy):
        assert "Traceback" not in result.output


def test_broken_lines_are_counted_and_scan_goes_on(run_cli, tmp_path: Path) -> None:
    source = _flat(tmp_path, [CLEAN, "{not json", "[1]", SENSITIVE])
    out = tmp_path / "o"
    result = run_cli("scan", str(source), "--out", str(out))
    assert result.exit_code == 1
    assert f"warning: {source}:2: malformed JSON" in result.stderr
    assert f"warning: {source}:3: record is not a JSON object" in result.stderr
    assert "skipped        2 records" in result.stderr
    assert "US_SSN" in (out / "findings.jsonl").read_text()


def test_strict_turns_bad_records_into_exit_3_after_writing(run_cli, tmp_path: Path) -> None:
    source = _flat(tmp_path, [SENSITIVE, "{not json"])
    out = tmp_path / "o"
    result = run_cli("scan", str(source), "--out", str(out), "--strict")
    assert result.exit_code == 3
    assert "--strict" in result.stderr
    assert "US_SSN" in (out / "findings.jsonl").read_text()


def test_unreadable_named_source_exits_3_after_scanning_the_rest(run_cli, tmp_path: Path) -> None:
    junk = tmp_path / "junk.json"
    junk.write_text("hello")
    good = _flat(tmp_path, [SENSITIVE])
    out = tmp_path / "o"
    result = run_cli("scan", str(good), str(junk), "--out", str(out))
    assert result.exit_code == 3
    assert f"{junk}: not a ChatGPT export" in result.stderr
    assert "US_SSN" in (out / "findings.jsonl").read_text()


def test_version_and_help(run_cli) -> None:
    version = run_cli("--version")
    assert version.exit_code == 0 and "spaCy pipeline: en_core_web_sm" in version.output
    for args in (["--help"], ["scan", "--help"]):
        result = run_cli(*args)
        assert result.exit_code == 0 and "Usage:" in result.output


def test_policy_list_validate_test_explain(run_cli, tmp_path: Path) -> None:
    listing = run_cli("policy", "list")
    assert listing.exit_code == 0
    assert "secret.aws_access_key_id" in listing.output and "confidential.codename" in listing.output

    good = tmp_path / "good.yaml"
    good.write_text("version: 1\nname: good\nrules:\n  - id: g.x\n    entity: X\n    category: pii\n"
                    "    severity: low\n    terms: [Nightjar]\n"
                    "    examples: {match: ['about Nightjar'], no_match: ['a nightjar2 bird']}\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nname: bad\nrules:\n  - id: b.x\n    entity: X\n    category: pii\n"
                   "    severity: low\n    patterns: [{name: p, regex: '(?=a)(a+)+', score: 0.5}]\n")
    validate = run_cli("policy", "validate", str(good), str(bad))
    assert validate.exit_code == 2
    assert f"ok      {good}" in validate.output
    assert f"INVALID {bad}:8:" in validate.stderr and "catastrophically" in validate.stderr
    assert "Traceback" not in validate.output

    assert run_cli("policy", "test", str(good)).exit_code == 0
    failing = tmp_path / "failing.yaml"
    failing.write_text(good.read_text().replace("no_match: ['a nightjar2 bird']", "no_match: ['Nightjar here']"))
    result = run_cli("policy", "test", str(failing))
    assert result.exit_code == 1
    assert "FAIL g.x: expected no finding in example:" in result.stderr
    assert "1 passed, 1 failed" in result.output

    explain = run_cli("policy", "explain", "My SSN is 536-22-8714", "--policy", "pii")
    assert explain.exit_code == 0
    assert "text: My SSN is [US_SSN]" in explain.output
    assert "536-22-8714" not in explain.output
    assert "REPORTED     pii.us_ssn [US_SSN] chars 10-21: score 0.50 +0.35 context -> 0.85" in explain.output


def test_scan_with_a_confidential_policy(run_cli, tmp_path: Path) -> None:
    from tests.conftest import ROOT

    source = _flat(tmp_path, [json.dumps({"conversation_id": "c", "message_id": "1", "role": "user",
                                          "text": "Prepare the Kestrel acquisition memo and the Nightjar plan."})])
    out = tmp_path / "o"
    result = run_cli("scan", str(source), "--out", str(out), "--policy",
                     str(ROOT / "policies" / "confidential.example.yaml"))
    assert result.exit_code == 1
    findings = [json.loads(line) for line in (out / "findings.jsonl").read_text().splitlines()]
    assert sorted((f["rule_id"], f["severity"], f["category"]) for f in findings) == [
        ("confidential.codename", "high", "confidential"),
        ("confidential.deal", "critical", "confidential"),
    ]
    assert all("Kestrel" not in f["excerpt"] and "Nightjar" not in f["excerpt"] for f in findings)


def test_test_values_are_quiet_unless_asked_for(run_cli, tmp_path: Path) -> None:
    source = _flat(tmp_path, [json.dumps({"conversation_id": "c", "message_id": "1", "role": "user",
                                          "text": "Use the test card 4111 1111 1111 1111 in staging."})])
    quiet = run_cli("scan", str(source), "--out", str(tmp_path / "a"))
    assert quiet.exit_code == 0
    assert (tmp_path / "a" / "findings.jsonl").read_text() == ""
    loud = run_cli("scan", str(source), "--out", str(tmp_path / "b"), "--include-test-values")
    assert loud.exit_code == 1
    assert "CREDIT_CARD" in (tmp_path / "b" / "findings.jsonl").read_text()


def test_choices_and_pack_names_are_case_insensitive(run_cli, tmp_path: Path) -> None:
    source = str(_flat(tmp_path, [SENSITIVE]))
    result = run_cli("scan", source, "--out", str(tmp_path / "a"), "--fail-on", "CRITICAL",
                     "--policy", "PII", "--format", "HTML", "-q")
    assert result.exit_code == 0, result.output
    typo = run_cli("scan", source, "--out", str(tmp_path / "b"), "--policy", "pij")
    assert typo.exit_code == 2 and "did you mean pii?" in typo.stderr


def test_the_summary_says_which_report_to_open_and_what_the_exit_code_means(run_cli, tmp_path: Path) -> None:
    source = str(_flat(tmp_path, [SENSITIVE]))
    out = tmp_path / "o"
    result = run_cli("scan", source, "--out", str(out), "--format", "html,md")
    assert result.exit_code == 1
    assert f"open           {out / 'report.html'}: in a browser" in result.stderr
    assert "exit 1         1 finding at or above --fail-on high (the scan itself finished)" in result.stderr
    assert "skipped        0 records" in result.stderr
    clean = run_cli("scan", str(_flat(tmp_path, [CLEAN])), "--out", str(tmp_path / "c"))
    assert "exit 0         nothing at or above --fail-on high" in clean.stderr
    assert f"open           {tmp_path / 'c' / 'findings.jsonl'}" in clean.stderr


def test_messages_use_plain_words(run_cli, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text('{"id": "a", "spans": []}\n')
    result = run_cli("eval", str(corpus))
    assert result.exit_code == 2
    assert "no 'text' field" in result.stderr and "KeyError" not in result.stderr
    broken = tmp_path / "conversations.json"
    broken.write_text('[{"id": ')
    scanned = run_cli("scan", str(broken), "--out", str(tmp_path / "o"))
    assert "item -1" not in scanned.stderr


def test_a_new_fingerprint_key_comes_with_a_note_to_back_it_up(run_cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("CHATDLP_FINGERPRINT_KEY")
    source = str(_flat(tmp_path, [SENSITIVE]))
    first = run_cli("scan", source, "--out", str(tmp_path / "a"), "-q")
    assert "created the fingerprint key" in first.stderr and "back it up" in first.stderr
    second = run_cli("scan", source, "--out", str(tmp_path / "b"), "-q")
    assert "created the fingerprint key" not in second.stderr


def test_ctrl_c_prints_one_line_saying_what_is_kept(run_cli, tmp_path: Path, monkeypatch) -> None:
    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("chatdlp.pipeline.run.run_scan", interrupted)
    state = tmp_path / "s.db"
    result = run_cli("scan", str(_flat(tmp_path, [SENSITIVE])), "--out", str(tmp_path / "o"), "--state", str(state))
    assert result.exit_code == 130
    [line] = result.stderr.strip().splitlines()
    assert line == (f"chatdlp: interrupted; the batches committed to {state} so far are kept; "
                    "a rerun goes on from there")


def test_policy_test_failures_say_why(run_cli, tmp_path: Path) -> None:
    pack = tmp_path / "p.yaml"
    pack.write_text("version: 1\nname: p\nrules:\n  - id: p.x\n    entity: X\n    category: pii\n"
                    "    severity: low\n    terms: [Nightjar]\n"
                    "    examples: {match: ['about Falcon'], no_match: ['Nightjar here']}\n")
    result = run_cli("policy", "test", str(pack))
    assert result.exit_code == 1
    assert "why: no pattern, term or recognizer of the rule matched anything" in result.stderr
    assert "why: it reported chars 0-8 with score" in result.stderr
