"""From a real scan to deleted conversations: scan --state, plan, approve, apply, findings
list shows ``remediated``, the audit log verifies; no key in any file or output."""

from __future__ import annotations

import json
from pathlib import Path

from tests.remediate.conftest import assert_no_key_anywhere
from tests.remediate.conftest import delete_api as delete_api  # the fixture
from tests.remediate.fake_delete_api import DeleteApi

CARD = "4539 1488 0343 6467"


def _messages(path: Path) -> Path:
    rows = [
        ("c-card", "m1", "u-1", f"Please charge my card {CARD} for the renewal."),
        ("c-card", "m2", "u-1", "Done, thanks."),
        ("c-plain", "m1", "u-2", "Summarise the quarterly plan in three bullets."),
        ("c-held", "m1", "u-9", f"The corporate card is {CARD}, expiry next May."),
    ]
    path.write_text("".join(json.dumps({"conversation_id": c, "message_id": m, "role": "user",
                                        "user_id": u, "text": t}) + "\n" for c, m, u, t in rows))
    return path


def test_scan_plan_approve_apply(run_cli, tmp_path: Path, delete_api) -> None:
    server = delete_api(DeleteApi(conversations={"c-card", "c-plain", "c-held"}))
    state = tmp_path / "state.db"
    scan = run_cli("scan", str(_messages(tmp_path / "chats.jsonl")), "--state", str(state),
                   "--out", str(tmp_path / "out"), "--fail-on", "critical")
    assert scan.exit_code == 1, scan.output  # critical findings
    holds = tmp_path / "holds.yaml"
    holds.write_text("version: 1\nusers:\n  - id: u-9\n    reason: legal matter\n")
    plan = tmp_path / "plan.json"
    planned = run_cli("remediate", "plan", "--state", str(state), "--workspace", "ws-test",
                      "--min-severity", "critical", "--hold", str(holds), "--by", "alice",
                      "--out", str(plan))
    assert planned.exit_code == 0, planned.output
    assert "1 action(s)" in planned.output and "held: conversation c-held" in planned.output
    document = json.loads(plan.read_text())
    assert [a["target"]["id"] for a in document["actions"]] == ["c-card"]
    assert CARD not in plan.read_text() and CARD.replace(" ", "") not in plan.read_text()

    approved = run_cli("remediate", "approve", str(plan), "--by", "bob", "--reason", "PCI data")
    assert approved.exit_code == 0, approved.output
    applied = run_cli("remediate", "apply", str(plan), "--by", "carol")
    assert applied.exit_code == 0, applied.output
    assert server.api.conversations == {"c-plain", "c-held"}

    listed = run_cli("findings", "list", "--state", str(state), "--status", "remediated")
    assert "c-card" in listed.output and "c-held" not in listed.output
    verified = run_cli("audit", "verify", str(tmp_path / "plan.audit.jsonl"), "--plan", str(plan))
    assert verified.exit_code == 0, verified.output
    helped = run_cli("--help")
    assert "remediate" in helped.output and "audit" in helped.output
    outputs = (scan.output, planned.output, approved.output, applied.output, listed.output,
               verified.output)
    assert_no_key_anywhere(tmp_path, *outputs)
    for text in (*outputs, *(p.read_text() for p in tmp_path.glob("plan*") if p.is_file())):
        assert CARD not in text
