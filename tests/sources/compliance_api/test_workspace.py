"""open_compliance_source: the entry point the CLI wires (--api, --event-types, --include)."""

from __future__ import annotations

from datetime import datetime, timezone

import httpx
import pytest

from chatdlp.errors import ConfigError
from chatdlp.records import Diagnostics
from chatdlp.sources.compliance_api import ComplianceOptions
from chatdlp.sources.compliance_api.logs import LogsPlatformSource
from chatdlp.sources.compliance_api.source import ComplianceApiSource
from chatdlp.sources.compliance_api.workspace import (
    ComplianceSelection,
    open_compliance_source,
)
from chatdlp.sources.compliance_logs import parse_iso
from tests.fake_compliance import API_KEY, WORKSPACE, FakeCompliance, FakeComplianceServer
from tests.sources.compliance_api.test_logs import files
from tests.sources.compliance_api.test_objects import workspace_objects
from tests.sources.compliance_api.test_source import workspace

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc).timestamp()
SPEC = f"compliance://{WORKSPACE}"


def _environ(base_url: str) -> dict[str, str]:
    return {"CHATDLP_COMPLIANCE_API_KEY": API_KEY, "CHATDLP_COMPLIANCE_BASE_URL": base_url}


def test_the_logs_platform_by_default_then_the_included_objects() -> None:
    state = FakeCompliance(log_files=files(), objects=workspace_objects())
    progress: list[str] = []
    with FakeComplianceServer(state) as server, httpx.Client(timeout=5) as client:
        source = open_compliance_source(
            SPEC, ComplianceOptions(page_size=2, progress=progress.append),
            ComplianceSelection(include=("projects",)), environ=_environ(server.base_url),
            now=lambda: NOW, client=client, sleep=lambda _s: None,
        )
        assert isinstance(source.chats, LogsPlatformSource) and source.api_path == "logs"
        conversations = list(source.conversations(Diagnostics()))
    assert [c.conversation_id for c in conversations] == [
        "conv-1", "conv-2", "conv-2", "project:g-p-9"]
    assert conversations[-1].updated_at is None  # objects never move the checkpoint
    assert source.checkpoint == parse_iso("2026-11-30T03:00:00Z")
    assert progress[0] == (f"{SPEC}: reading the Logs Platform (CONVERSATION_MESSAGE), "
                           "then projects")
    assert source.name == SPEC and API_KEY not in repr(source)


def test_api_conversations_selects_the_stateful_path() -> None:
    state = FakeCompliance(workspace(3))
    with FakeComplianceServer(state) as server, httpx.Client(timeout=5) as client:
        source = open_compliance_source(
            SPEC, ComplianceOptions(), ComplianceSelection(api="conversations"),
            environ=_environ(server.base_url), client=client,
        )
        assert isinstance(source.chats, ComplianceApiSource)
        assert len(list(source.conversations(Diagnostics()))) == 3
    assert source.checkpoint is None
    assert "deprecated" in source.describe()


def test_selection_is_validated() -> None:
    with pytest.raises(ConfigError, match="--api 'export'"):
        ComplianceSelection(api="export")
    with pytest.raises(ConfigError, match="--event-types is for the Logs Platform"):
        ComplianceSelection(api="conversations", event_types=("CODEX_LOG",))
