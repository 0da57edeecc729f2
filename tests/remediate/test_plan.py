"""``remediate plan``: the actions name exactly the targets holding matching open findings,
none under a legal hold; the plan is private, offline, and carries masked excerpts only."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from chatdlp.remediate.model import current_digest, load_plan
from tests.remediate.conftest import PLANNED, SEEDS, Seed, seed_state, workspace_api


def _plan(cli, state: Path, out: Path, *extra: str) -> dict:
    result = cli("remediate", "plan", "--state", state, "--workspace", "ws-test", "--by", "alice",
                 "--out", out, *extra)
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text())


def test_plan_for_critical_findings_names_exactly_their_conversations_and_none_on_hold(
    cli, state: Path, holds_file: Path, tmp_path: Path, delete_api
) -> None:
    server = delete_api(workspace_api())
    plan = _plan(cli, state, tmp_path / "plan.json", "--min-severity", "critical",
                 "--hold", holds_file)
    assert [a["target"]["id"] for a in plan["actions"]] == list(PLANNED)
    assert {h["target"]["id"]: h["hold"]["kind"] for h in plan["held"]} == {
        "conv-3": "users", "conv-6": "conversations"}
    assert plan["held"][0]["hold"]["reason"] == "litigation 2026-114"
    assert plan["findings_without_target"] == 1  # the GPT's instructions: not a conversation
    assert plan["actions"][0]["path"] == "/compliance/workspaces/ws-test/conversations/conv-1"
    # conv-1's low finding is below the threshold; conv-5's is suppressed
    assert [len(a["findings"]) for a in plan["actions"]] == [1, 1, 1]
    assert plan["planned_by"] == "alice" and plan["planned_at"].endswith("Z")
    assert plan["actions_sha256"] == current_digest(load_plan(tmp_path / "plan.json"))
    assert server.api.calls == []  # offline


def test_plan_is_private_and_carries_the_stored_masked_excerpts(
    cli, state: Path, tmp_path: Path
) -> None:
    out = tmp_path / "plan.json"
    plan = _plan(cli, state, out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    [first] = plan["actions"][0]["findings"]
    assert set(first) == {"finding_id", "rule_id", "entity_type", "severity", "message_id",
                          "created_at", "excerpt"}
    assert first["excerpt"] == "my card is <CREDIT_CARD> thanks (0)"
    meta = plan["actions"][0]["target"]["metadata"]
    assert meta["messages_scanned"] == 2 and meta["user_ids"] == ["u1"]
    assert "text" not in json.dumps(meta)


def test_filters_rule_entity_conversation(cli, state: Path, tmp_path: Path) -> None:
    by_rule = _plan(cli, state, tmp_path / "a.json", "--rule", "secret.github_token")
    assert [a["target"]["id"] for a in by_rule["actions"]] == ["conv-2"]
    by_entity = _plan(cli, state, tmp_path / "b.json", "--min-severity", "low",
                      "--entity", "EMAIL_ADDRESS")
    assert [a["target"]["id"] for a in by_entity["actions"]] == ["conv-1"]
    by_conversation = _plan(cli, state, tmp_path / "c.json", "--min-severity", "medium",
                            "--conversation", "conv-4", "--conversation", "conv-2")
    assert [a["target"]["id"] for a in by_conversation["actions"]] == ["conv-2", "conv-4"]


def test_delete_file_and_revoke_sharing_targets(cli, state: Path, tmp_path: Path) -> None:
    files = _plan(cli, state, tmp_path / "f.json", "--action", "delete-file")
    [action] = files["actions"]
    assert action["target"] | {"metadata": None} == {
        "kind": "file", "id": "f1", "conversation_id": "conv-7", "user_id": "u6", "metadata": None}
    assert action["path"] == "/compliance/workspaces/ws-test/users/u6/files/f1"
    sharing = _plan(cli, state, tmp_path / "s.json", "--action", "revoke-sharing")
    [action] = sharing["actions"]
    assert action["path"] == "/compliance/workspaces/ws-test/gpts/g1/shared_users"


def test_a_gpt_or_project_hold_covers_its_conversations(tmp_path: Path, cli) -> None:
    state = tmp_path / "s.db"
    seed_state(state, (Seed("conv-9", "u1", SEEDS[0].severity, gpt_id="g7"), *SEEDS[:1]))
    holds = tmp_path / "h.yaml"
    holds.write_text("version: 1\ngpts: [g7]\nprojects:\n  - id: p1\n    expires: 2001-01-01\n")
    result = cli("remediate", "plan", "--state", state, "--workspace", "ws-test", "--by", "a",
                 "--hold", holds, "--out", tmp_path / "p.json")
    assert result.exit_code == 0, result.output
    plan = json.loads((tmp_path / "p.json").read_text())
    assert [h["target"]["id"] for h in plan["held"]] == ["conv-9"]
    assert plan["expired_holds"][0]["id"] == "p1"
    assert "expired" in result.output


def test_usage_errors(cli, tmp_path: Path, state: Path) -> None:
    missing = cli("remediate", "plan", "--state", tmp_path / "nope.db", "--workspace", "w",
                  "--out", tmp_path / "p.json")
    assert missing.exit_code == 2 and "no such state database" in missing.output
    bad_ws = cli("remediate", "plan", "--state", state, "--workspace", "a/b",
                 "--out", tmp_path / "p.json")
    assert bad_ws.exit_code == 2 and "not a valid workspace id" in bad_ws.output
    assert not (tmp_path / "p.json").exists()


def test_a_plan_is_never_overwritten(cli, state: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    _plan(cli, state, out)
    before = out.read_bytes()
    again = cli("remediate", "plan", "--state", state, "--workspace", "ws-test", "--out", out)
    assert again.exit_code == 2 and "a plan is a record" in again.output
    assert out.read_bytes() == before
