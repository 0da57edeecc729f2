"""Every refusal: apply without a second person's approval, after the plan was edited,
or with a path that is not its target's, deletes nothing, sends nothing, exits non-zero."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from chatdlp.remediate.model import current_digest, load_plan
from tests.remediate.conftest import assert_no_key_anywhere, workspace_api


def _plan(cli, state: Path, tmp_path: Path) -> Path:
    out = tmp_path / "plan.json"
    result = cli("remediate", "plan", "--state", state, "--workspace", "ws-test", "--by", "alice",
                 "--out", out)
    assert result.exit_code == 0, result.output
    return out


def _statuses(state: Path) -> set[str]:
    with sqlite3.connect(state) as db:
        return {row[0] for row in db.execute("SELECT status FROM findings")}


def _edit(plan: Path, change: Callable[[dict], None]) -> None:
    data = json.loads(plan.read_text())
    change(data)
    plan.write_text(json.dumps(data))


def _refused(cli, plan: Path, server, state: Path, tmp_path: Path, words: str) -> None:
    result = cli("remediate", "apply", plan, "--by", "carol")
    assert result.exit_code == 2, result.output
    assert words in result.output and "nothing was deleted" in result.output
    assert server.api.calls == [] and server.api.deleted == []
    assert not (tmp_path / "plan.evidence").exists()
    assert not (tmp_path / "plan.audit.jsonl").exists()
    assert "remediated" not in _statuses(state)
    assert_no_key_anywhere(tmp_path, result.output)


def test_the_planner_cannot_approve_their_own_plan(cli, state: Path, tmp_path: Path) -> None:
    plan = _plan(cli, state, tmp_path)
    before = plan.read_bytes()
    result = cli("remediate", "approve", plan, "--by", " Alice ", "--reason", "mine")
    assert result.exit_code == 2 and "planned it and cannot approve it" in result.output
    assert plan.read_bytes() == before


def test_apply_without_approval_deletes_nothing(cli, state: Path, tmp_path: Path, delete_api) -> None:
    server = delete_api(workspace_api())
    _refused(cli, _plan(cli, state, tmp_path), server, state, tmp_path, "not approved")


def test_an_approval_the_planner_wrote_in_by_hand_does_not_count(
    cli, state: Path, tmp_path: Path, delete_api
) -> None:
    server = delete_api(workspace_api())
    plan = _plan(cli, state, tmp_path)
    _edit(plan, lambda d: d["approvals"].append(
        {"by": "ALICE", "at": "2026-12-03T10:00:00Z", "reason": "x",
         "actions_sha256": d["actions_sha256"]}))
    _refused(cli, plan, server, state, tmp_path, "approved only by its planner")


@pytest.mark.parametrize("rehash", [False, True], ids=["digest-left", "digest-recomputed"])
def test_a_plan_edited_after_approval_deletes_nothing(
    cli, state: Path, tmp_path: Path, delete_api, rehash: bool
) -> None:
    server = delete_api(workspace_api())
    plan = _plan(cli, state, tmp_path)
    approved = cli("remediate", "approve", plan, "--by", "bob", "--reason", "card numbers")
    assert approved.exit_code == 0, approved.output

    def swap_target(data: dict) -> None:
        data["actions"][0]["target"]["id"] = "conv-4"
        data["actions"][0]["path"] = "/compliance/workspaces/ws-test/conversations/conv-4"

    _edit(plan, swap_target)
    if rehash:  # the editor also fixed the plan's own digest: the approval's no longer matches
        _edit(plan, lambda d: d.update(actions_sha256=current_digest(load_plan(plan))))
        words = "changed after it was approved"
    else:
        words = "changed after it was planned"
    _refused(cli, plan, server, state, tmp_path, words)


def test_approving_an_edited_plan_is_refused(cli, state: Path, tmp_path: Path) -> None:
    plan = _plan(cli, state, tmp_path)
    _edit(plan, lambda d: d["actions"].pop())
    result = cli("remediate", "approve", plan, "--by", "bob", "--reason", "ok")
    assert result.exit_code == 2 and "changed after it was planned" in result.output


def test_a_path_that_is_not_its_targets_is_refused(
    cli, state: Path, tmp_path: Path, delete_api
) -> None:
    server = delete_api(workspace_api())
    plan = _plan(cli, state, tmp_path)
    # edited before approval, digest recomputed, then approved: the path still gives it away
    _edit(plan, lambda d: d["actions"][0].update(path="/compliance/workspaces/ws-test/gpts/g1"))
    _edit(plan, lambda d: d.update(actions_sha256=current_digest(load_plan(plan))))
    assert cli("remediate", "approve", plan, "--by", "bob", "--reason", "ok").exit_code == 0
    _refused(cli, plan, server, state, tmp_path, "does not match its target")


def test_approve_records_who_when_why_and_the_digest(cli, state: Path, tmp_path: Path) -> None:
    plan = _plan(cli, state, tmp_path)
    result = cli("remediate", "approve", plan, "--by", "bob", "--reason", "PCI incident 42")
    assert result.exit_code == 0, result.output
    [approval] = json.loads(plan.read_text())["approvals"]
    assert approval["by"] == "bob" and approval["reason"] == "PCI incident 42"
    assert approval["actions_sha256"] == json.loads(plan.read_text())["actions_sha256"]
    again = cli("remediate", "approve", plan, "--by", "bob", "--reason", "twice")
    assert again.exit_code == 2 and "already approved" in again.output
    not_a_plan = tmp_path / "x.json"
    not_a_plan.write_text("{")
    bad = cli("remediate", "approve", not_a_plan, "--by", "bob", "--reason", "r")
    assert bad.exit_code == 2 and "x.json:1: not valid JSON" in bad.output
