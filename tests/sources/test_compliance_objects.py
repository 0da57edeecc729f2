"""Saved Compliance API object pages read by the file source as pseudo-messages.

Shapes after shared/reference/compliance-api.md ("Other text the stateful API
holds"): list envelopes of GPTs, Projects (instructions, conversation starters),
memories (memory_contexts[].memory_entries[].content), users, automations, and
/conversations/{id}/messages pages. The values are invented.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chatdlp.records import Conversation, Diagnostics
from chatdlp.sources.files import DirectorySource, FileSource
from tests.fake_compliance import message


def page(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"object": "list", "data": items, "has_more": False,
            "last_id": items[-1].get("id") if items else None}


def _read(path: Path) -> tuple[list[Conversation], Diagnostics]:
    diagnostics = Diagnostics()
    return list(FileSource(path).conversations(diagnostics)), diagnostics


def _texts(conversations: list[Conversation]) -> dict[str, tuple[str, str]]:
    return {m.message_id: (m.source_kind, m.text) for c in conversations for m in c.messages}


def test_a_projects_page_yields_instructions_and_starters_with_stable_ids(
    tmp_path: Path,
) -> None:
    path = tmp_path / "projects.json"
    path.write_text(json.dumps(page([
        {"object": "compliance.workspace.project", "id": "g-p-abc", "name": "Payroll 2026",
         "description": "Salaries", "created_at": 1764230400,
         "instructions": "Always include Dana's IBAN DE89 3704 0044 0532 0130 00",
         "conversation_starters": ["Summarise the payroll", ""]},
    ]), indent=2))
    conversations, diagnostics = _read(path)
    [project] = conversations
    assert project.conversation_id == "project:g-p-abc"
    assert _texts(conversations) == {
        "project:g-p-abc:name": ("project_name", "Payroll 2026"),
        "project:g-p-abc:description": ("project_description", "Salaries"),
        "project:g-p-abc:instructions": (
            "project_instructions", "Always include Dana's IBAN DE89 3704 0044 0532 0130 00"),
        "project:g-p-abc:conversation_starter:0": (
            "project_conversation_starter", "Summarise the payroll"),
    }
    assert {m.project_id for m in project.messages} == {"g-p-abc"}
    assert diagnostics.skipped_total == 0


def test_gpts_and_their_config_pages(tmp_path: Path) -> None:
    path = tmp_path / "gpts.jsonl"
    gpts = page([{"object": "compliance.workspace.gpt", "id": "g-123", "owner_id": "user-1",
                  "latest_config": {"name": "HR helper", "instructions": "Use the HR files",
                                    "conversation_starters": ["Who is on leave?"]}}])
    configs = page([
        {"object": "compliance.workspace.gpt.config", "id": "cfg-1", "gpt_id": "g-123",
         "instructions": "old instructions"},
        {"object": "compliance.workspace.gpt.config", "id": "cfg-2", "gpt_id": "g-123",
         "instructions": "new instructions"},
    ])
    path.write_text(json.dumps(gpts) + "\n" + json.dumps(configs) + "\n")
    conversations, diagnostics = _read(path)
    texts = _texts(conversations)
    assert texts["gpt:g-123:instructions"] == ("gpt_instructions", "Use the HR files")
    assert texts["gpt:g-123:conversation_starter:0"][1] == "Who is on leave?"
    # the configs page joins the GPT's pseudo-conversation, each config its own ids
    assert texts["gpt:g-123:config:cfg-1:instructions"][1] == "old instructions"
    assert texts["gpt:g-123:config:cfg-2:instructions"][1] == "new instructions"
    assert [c.conversation_id for c in conversations] == ["gpt:g-123"]
    assert conversations[0].messages[0].user_id == "user-1"
    assert diagnostics.skipped_total == 0


def test_memories_users_automations_in_a_directory_of_saved_pages(tmp_path: Path) -> None:
    (tmp_path / "memories.json").write_text(json.dumps(page([
        {"object": "compliance.workspace.memory", "user_id": "user-7",
         "memory_contexts": [{"id": "ctx-1", "memory_entries": [
             {"id": "mem-1", "content": "Is allergic to penicillin"},
             {"id": "mem-2", "content": "Lives at 12 Rue de Rivoli"}]}]},
    ])))
    (tmp_path / "users.json").write_text(json.dumps(page([
        {"object": "compliance.workspace.user", "id": "user-7", "email": "d@contoso.com",
         "name": "Dana", "created_at": 1, "role": "standard-user", "status": "active"},
    ])))
    (tmp_path / "automations.json").write_text(json.dumps(page([
        {"object": "compliance.workspace.automation", "id": "auto-1", "user_id": "user-7",
         "title": "Daily digest", "prompt": "Email me the overdue invoices of ACME"},
    ])))
    diagnostics = Diagnostics()
    conversations = list(DirectorySource(tmp_path).conversations(diagnostics))
    texts = _texts(conversations)
    assert texts["automation:auto-1:prompt"] == (
        "automation_prompt", "Email me the overdue invoices of ACME")
    assert texts["automation:auto-1:title"][1] == "Daily digest"
    assert texts["memory:mem-1"] == ("memory", "Is allergic to penicillin")
    assert texts["memory:mem-2"][1] == "Lives at 12 Rue de Rivoli"
    assert [c.conversation_id for c in conversations] == ["automation:auto-1", "memories:user-7"]
    assert diagnostics.skipped_total == 0  # the users page is recognised, not scanned


def test_a_saved_messages_page_is_one_conversation(tmp_path: Path) -> None:
    path = tmp_path / "conv-9.messages.json"
    items = [message("m1", "first"), message("m2", "second", role="assistant"),
             message("m3", None, role="tool")]
    path.write_text(json.dumps(page(items), indent=2))  # as saved: one document
    conversations, diagnostics = _read(path)
    [conversation] = conversations
    assert conversation.conversation_id == "noid:conv-9.messages.json"
    assert [(m.message_id, m.role, m.text) for m in conversation.messages] == [
        ("m1", "user", "first"), ("m2", "assistant", "second")]
    assert diagnostics.skipped_total == 0
    # with the conversation named on its items, that id is used
    path.write_text(json.dumps(page([{**message("m1", "x"), "conversation_id": "conv-9"}])))
    [named], _ = _read(path)
    assert named.conversation_id == "conv-9"
