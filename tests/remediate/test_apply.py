"""``remediate apply`` against the fake delete API: exactly the planned targets go, every
call is in a verifiable audit log, findings become remediated, a second apply is a no-op;
transient failures are retried, refusals of the key stop the run; no key anywhere."""

from __future__ import annotations

import json
import sqlite3
import stat
from pathlib import Path

from chatdlp.remediate.audit import verify_audit
from tests.remediate.conftest import HOLDS_YAML, PLANNED, assert_no_key_anywhere, workspace_api
from tests.remediate.fake_delete_api import DELETE_KEY, READ_KEY, RESET, status


def _approved_plan(cli, state: Path, tmp_path: Path) -> Path:
    """The plan of conftest.PLANNED (holds.yaml keeps conv-3 and conv-6), approved by bob."""
    out = tmp_path / "plan.json"
    holds = tmp_path / "holds.yaml"
    holds.write_text(HOLDS_YAML)
    result = cli("remediate", "plan", "--state", state, "--workspace", "ws-test", "--by", "alice",
                 "--out", out, "--hold", holds)
    assert result.exit_code == 0, result.output
    result = cli("remediate", "approve", out, "--by", "bob", "--reason", "critical findings")
    assert result.exit_code == 0, result.output
    return out


def _status_by_conversation(state: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    with sqlite3.connect(state) as db:
        for conversation, status_ in db.execute("SELECT conversation_id, status FROM findings"):
            found.setdefault(conversation, set()).add(status_)
    return found


def _audit(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_an_approved_apply_deletes_exactly_the_plan_and_a_second_is_a_no_op(
    cli, state: Path, tmp_path: Path, delete_api
) -> None:
    server = delete_api(workspace_api())
    evidence_seen: list[bool] = []
    plan = _approved_plan(cli, state, tmp_path)
    evidence = tmp_path / "plan.evidence"
    original_take = server.api.take

    def take(parts: list[str]) -> bool:  # the evidence is on disk before the call arrives
        evidence_seen.append(any(evidence.glob("*.json")) if evidence.exists() else False)
        return original_take(parts)

    server.api.take = take  # type: ignore[method-assign]
    first = cli("remediate", "apply", plan, "--by", "carol")
    assert first.exit_code == 0, first.output
    planned_paths = [f"/v1/compliance/workspaces/ws-test/conversations/{c}" for c in PLANNED]
    assert server.api.deleted == planned_paths
    assert server.api.conversations == {"conv-3", "conv-4", "conv-5", "conv-6"}  # held, unplanned
    assert evidence_seen == [True, True, True]
    assert {c for c, s in _status_by_conversation(state).items() if "remediated" in s} == set(PLANNED)
    assert _status_by_conversation(state)["conv-1"] == {"remediated", "open"}  # the low one stays

    document = json.loads(plan.read_text())
    [run] = document["runs"]
    assert [o["status"] for o in run["outcomes"]] == ["deleted"] * 3 and run["by"] == "carol"
    audit = tmp_path / "plan.audit.jsonl"
    assert stat.S_IMODE(audit.stat().st_mode) == 0o600
    lines = _audit(audit)
    assert [(e["method"], e["path"], e["status"]) for e in lines] == [
        ("DELETE", p, 200) for p in planned_paths]
    assert {e["run"] for e in lines} == {run["run_id"]} and run["audit_lines"] == 3
    assert verify_audit(audit) == (3, run["audit_head"])
    for name in ("a0001.json", "a0002.json", "a0003.json"):
        assert stat.S_IMODE((evidence / name).stat().st_mode) == 0o600
    assert stat.S_IMODE(evidence.stat().st_mode) == 0o700
    record = json.loads((evidence / "a0001.json").read_text())
    assert record["action"]["findings"][0]["excerpt"] == "my card is <CREDIT_CARD> thanks (0)"
    assert record["approvals"][0]["by"] == "bob"
    first_evidence = (evidence / "a0001.json").read_bytes()

    second = cli("remediate", "apply", plan, "--by", "carol")
    assert second.exit_code == 0, second.output
    assert server.api.deleted == planned_paths  # nothing more went
    runs = json.loads(plan.read_text())["runs"]
    assert [o["status"] for o in runs[1]["outcomes"]] == ["already-gone"] * 3
    assert [o["findings_remediated"] for o in runs[1]["outcomes"]] == [0, 0, 0]
    assert (evidence / "a0001.json").read_bytes() == first_evidence  # written once
    assert verify_audit(audit)[0] == 6 and [e["status"] for e in _audit(audit)[3:]] == [404] * 3
    verified = cli("audit", "verify", audit, "--plan", plan)
    assert verified.exit_code == 0 and "2 recorded head(s) found" in verified.output

    listed = cli("findings", "list", "--state", state, "--status", "remediated")
    assert "3 of 3 findings shown" in listed.output
    assert_no_key_anywhere(tmp_path, first.output, second.output, listed.output, verified.output)


def test_transient_failures_are_retried_and_counted_in_the_audit_log(
    cli, state: Path, tmp_path: Path, delete_api
) -> None:
    server = delete_api(workspace_api())
    server.api.faults.extend([status(429, retry_after="0"), status(503), RESET])
    plan = _approved_plan(cli, state, tmp_path)
    result = cli("remediate", "apply", plan)
    assert result.exit_code == 0, result.output
    assert len(server.api.deleted) == 3
    lines = _audit(tmp_path / "plan.audit.jsonl")
    assert [(e["status"], e["retry"]) for e in lines[:4]] == [(429, 0), (503, 1), (None, 2), (200, 3)]
    assert lines[2]["error"] in ("RemoteProtocolError", "ReadError", "ConnectError")
    outcome = json.loads(plan.read_text())["runs"][0]["outcomes"][0]
    assert outcome["attempts"] == 4 and outcome["status"] == "deleted"
    assert verify_audit(tmp_path / "plan.audit.jsonl")[0] == 6
    assert_no_key_anywhere(tmp_path, result.output)


def test_only_the_delete_key_is_used_and_a_read_key_is_refused(
    cli, state: Path, tmp_path: Path, delete_api, monkeypatch
) -> None:
    server = delete_api(workspace_api())
    plan = _approved_plan(cli, state, tmp_path)
    monkeypatch.delenv("CHATDLP_COMPLIANCE_DELETE_KEY")
    missing = cli("remediate", "apply", plan)
    assert missing.exit_code == 2 and "CHATDLP_COMPLIANCE_DELETE_KEY" in missing.output
    assert server.api.calls == []

    monkeypatch.setenv("CHATDLP_COMPLIANCE_DELETE_KEY", READ_KEY)  # a key without the scope
    refused = cli("remediate", "apply", plan)
    assert refused.exit_code == 2 and "delete scope" in refused.output
    assert [c.key for c in server.api.calls] == ["read"] and server.api.deleted == []
    outcomes = json.loads(plan.read_text())["runs"][-1]["outcomes"]
    assert [o["status"] for o in outcomes] == ["failed", "not-attempted", "not-attempted"]
    assert "lacks the delete scope" in outcomes[0]["reason"]
    assert "remediated" not in str(_status_by_conversation(state))

    monkeypatch.setenv("CHATDLP_COMPLIANCE_DELETE_KEY", DELETE_KEY)
    done = cli("remediate", "apply", plan)
    assert done.exit_code == 0, done.output
    assert {c.key for c in server.api.calls[1:]} == {"delete"}
    assert_no_key_anywhere(tmp_path, missing.output, refused.output, done.output)


def test_a_failed_action_exits_3_and_leaves_its_findings_open(
    cli, state: Path, tmp_path: Path, delete_api
) -> None:
    server = delete_api(workspace_api())
    server.api.faults.extend([None, status(400)])
    plan = _approved_plan(cli, state, tmp_path)
    result = cli("remediate", "apply", plan)
    assert result.exit_code == 3, result.output
    assert "1 of 3 action(s) failed" in result.output
    outcomes = json.loads(plan.read_text())["runs"][0]["outcomes"]
    assert [o["status"] for o in outcomes] == ["deleted", "failed", "deleted"]
    assert outcomes[1]["reason"] == "HTTP 400: injected"
    assert _status_by_conversation(state)["conv-2"] == {"open"}
    again = cli("remediate", "apply", plan)  # the cause went away: the rest is done
    assert again.exit_code == 0 and server.api.conversations.isdisjoint(PLANNED)


def test_dry_run_and_a_hold_placed_after_approval(
    cli, state: Path, tmp_path: Path, delete_api
) -> None:
    server = delete_api(workspace_api())
    plan = _approved_plan(cli, state, tmp_path)
    dry = cli("remediate", "apply", plan, "--dry-run")
    assert dry.exit_code == 0 and "nothing was sent" in dry.output
    assert "would send DELETE /compliance/workspaces/ws-test/conversations/conv-2" in dry.output
    assert server.api.calls == [] and not (tmp_path / "plan.audit.jsonl").exists()
    holds = tmp_path / "late.yaml"
    holds.write_text("version: 1\nusers:\n  - id: u2\n    reason: new matter\n")
    result = cli("remediate", "apply", plan, "--hold", holds)
    assert result.exit_code == 0, result.output
    assert "conv-2" in server.api.conversations and len(server.api.deleted) == 2
    outcomes = json.loads(plan.read_text())["runs"][0]["outcomes"]
    assert [o["status"] for o in outcomes] == ["deleted", "held", "deleted"]


def test_plain_http_is_only_for_loopback(cli, state: Path, tmp_path: Path, delete_api, monkeypatch) -> None:
    server = delete_api(workspace_api())
    plan = _approved_plan(cli, state, tmp_path)
    monkeypatch.setenv("CHATDLP_COMPLIANCE_BASE_URL", "http://compliance.example.com/v1")
    result = cli("remediate", "apply", plan)
    assert result.exit_code == 2 and "loopback" in result.output
    assert server.api.calls == []


def test_evidence_of_another_plan_under_the_same_name_is_refused(
    cli, state: Path, tmp_path: Path, delete_api
) -> None:
    server = delete_api(workspace_api())
    plan = _approved_plan(cli, state, tmp_path)
    (tmp_path / "plan.evidence").mkdir()
    (tmp_path / "plan.evidence" / "a0001.json").write_text('{"plan_id": "an-older-plan"}')
    result = cli("remediate", "apply", plan)
    assert result.exit_code == 2 and "not the evidence of plan" in result.output
    assert server.api.calls == []


def test_approve_shows_what_is_approved(cli, state: Path, tmp_path: Path) -> None:
    out = tmp_path / "p.json"
    cli("remediate", "plan", "--state", state, "--workspace", "ws-test", "--by", "a", "--out", out)
    shown = cli("remediate", "approve", out, "--by", "b", "--reason", "r")
    assert "a0001 delete-conversation conversation conv-1: 1 finding(s): CREDIT_CARD (critical)" in shown.output


def test_retries_that_run_out_fail_the_action_not_the_others(
    cli, state: Path, tmp_path: Path, delete_api
) -> None:
    server = delete_api(workspace_api())
    server.api.faults.extend([status(503)] * 8)  # the first action's 8 attempts
    plan = _approved_plan(cli, state, tmp_path)
    result = cli("remediate", "apply", plan)
    assert result.exit_code == 3, result.output
    [first, *rest] = json.loads(plan.read_text())["runs"][0]["outcomes"]
    assert first["status"] == "failed" and first["attempts"] == 8
    assert first["reason"] == "giving up after 8 attempt(s): server error (503)"
    assert [o["status"] for o in rest] == ["deleted", "deleted"]
    assert [e["retry"] for e in _audit(tmp_path / "plan.audit.jsonl")] == [*range(8), 0, 0]
