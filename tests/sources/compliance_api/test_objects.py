"""ComplianceObjectsSource (``--include``) against the fake API on 127.0.0.1."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from chatdlp.errors import ConfigError
from chatdlp.records import Conversation, Diagnostics
from chatdlp.sources.compliance_api import ApiKey, ComplianceSettings
from chatdlp.sources.compliance_api.objects import (
    ComplianceObjectsSource,
    ObjectsSettings,
    parse_include,
)
from tests.fake_compliance import API_KEY, WORKSPACE, FakeCompliance, FakeComplianceServer
from tests.sources.compliance_api.test_source import FAST_RETRY


def workspace_objects() -> dict[str, Any]:
    return {
        "gpts": [
            {"object": "compliance.workspace.gpt", "id": "g-1", "owner_id": "user-1",
             "latest_config": {"name": "HR helper", "instructions": "Use the HR drive"}},
            {"object": "compliance.workspace.gpt", "id": "g-2", "owner_id": "user-2"},
            {"object": "compliance.workspace.gpt", "id": "g-3", "owner_id": "user-2",
             "instructions": "Answer in French"},
        ],
        "gpts/g-2/configs": [
            {"id": "cfg-a", "instructions": "Know the salary bands", "name": "Pay"},
        ],
        "projects": [{"object": "compliance.workspace.project", "id": "g-p-9",
                      "name": "Merger", "instructions": "Codename BLUEBIRD"}],
        "memories": [{"user_id": "user-1", "memory_contexts": [
            {"id": "ctx", "memory_entries": [{"id": "mem-1", "content": "Has diabetes"}]}]}],
        "users": [{"id": "user-1", "email": "a@contoso.com", "role": "standard-user",
                   "status": "active"},
                  {"id": "user-2", "email": "b@contoso.com", "role": "standard-user",
                   "status": "active"}],
        "users/user-1/automations": [{"id": "auto-1", "title": "Digest",
                                      "prompt": "Summarise my inbox"}],
        "users/user-2/automations": [],
    }


def read(state: FakeCompliance, include: str, page_size: int = 2
         ) -> tuple[list[Conversation], Diagnostics, ComplianceObjectsSource]:
    diagnostics = Diagnostics()
    with FakeComplianceServer(state) as server, httpx.Client(timeout=5) as client:
        settings = ObjectsSettings(
            ComplianceSettings(workspace_id=WORKSPACE, api_key=ApiKey(API_KEY),
                               base_url=server.base_url, retry=FAST_RETRY, page_size=page_size,
                               max_requests_per_minute=10_000),
            include=parse_include(include),
        )
        source = ComplianceObjectsSource(settings, client=client, sleep=lambda _s: None)
        return list(source.conversations(diagnostics)), diagnostics, source


def _ids(conversations: list[Conversation]) -> list[str]:
    return [m.message_id for c in conversations for m in c.messages]


def test_gpts_projects_memories_automations_are_read_as_pseudo_messages() -> None:
    state = FakeCompliance(objects=workspace_objects())
    conversations, diagnostics, source = read(
        state, "gpts, projects,memories,automations")
    assert _ids(conversations) == [
        "gpt:g-1:name", "gpt:g-1:instructions",
        "gpt:g-2:config:cfg-a:name", "gpt:g-2:config:cfg-a:instructions",
        "gpt:g-3:instructions",
        "project:g-p-9:name", "project:g-p-9:instructions",
        "memory:mem-1",
        "automation:auto-1:title", "automation:auto-1:prompt",
    ]
    kinds = {m.message_id: m.source_kind for c in conversations for m in c.messages}
    assert kinds["gpt:g-2:config:cfg-a:instructions"] == "gpt_instructions"
    assert kinds["memory:mem-1"] == "memory"
    automation = conversations[-1].messages[-1]
    assert automation.user_id == "user-1"
    paths = [r.path for r in state.requests]
    assert "/v1/compliance/workspaces/ws-test/gpts/g-2/configs" in paths
    assert "/v1/workspaces/ws-test/users/user-1/automations" in paths  # no compliance/ prefix
    gpt_pages = [r.params.get("after") for r in state.requests if r.path.endswith("/gpts")]
    assert gpt_pages == [None, ["g-2"]]  # paged on last_id
    assert diagnostics.failures == 0 and source.stats.objects["gpts"] == 4


def test_an_endpoint_that_is_gone_fails_its_kind_and_the_others_are_read() -> None:
    state = FakeCompliance(objects=workspace_objects(),
                           removed={"memories": (404, "memories are not enabled")})
    conversations, diagnostics, source = read(state, "memories,projects")
    assert _ids(conversations) == ["project:g-p-9:name", "project:g-p-9:instructions"]
    assert diagnostics.failures == 1
    assert "memories not read" in diagnostics.warnings[0]
    assert "memories are not enabled" in diagnostics.warnings[0]
    assert source.stats.kinds_failed == ["memories"]


def test_include_is_validated() -> None:
    api = ComplianceSettings(workspace_id=WORKSPACE, api_key=ApiKey(API_KEY))
    with pytest.raises(ConfigError, match="read along the chats"):
        ObjectsSettings(api, include=("files",))
    with pytest.raises(ConfigError, match="expected some of"):
        ObjectsSettings(api, include=("chats",))
    assert parse_include(" GPTs, gpts ,projects") == ("gpts", "projects")
