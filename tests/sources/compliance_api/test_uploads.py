"""--include files: uploads read along the chats, from the fake API and a download host."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import httpx

from chatdlp.records import Conversation, Diagnostics
from chatdlp.sources.compliance_api import ComplianceOptions
from chatdlp.sources.compliance_api.workspace import (
    ComplianceSelection,
    open_compliance_source,
)
from tests.fake_compliance import (
    API_KEY,
    WORKSPACE,
    DownloadServer,
    FakeCompliance,
    FakeComplianceServer,
    LogFile,
    conversation,
    log_event,
    message,
)

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc).timestamp()
SPEC = f"compliance://{WORKSPACE}"
CSV = b"name,email\nDana Whitfield,dana.whitfield@contoso.com\n"


def with_files(message_id: str, text: str, files: list[dict[str, Any]]) -> dict[str, Any]:
    item = message(message_id, text)
    item["files"] = {"object": "list", "data": files, "has_more": False, "last_id": None}
    return item


def read(state: FakeCompliance, api: str) -> tuple[list[Conversation], Diagnostics]:
    diagnostics = Diagnostics()
    with FakeComplianceServer(state) as server, DownloadServer(state), \
            httpx.Client(timeout=5) as client:
        source = open_compliance_source(
            SPEC, ComplianceOptions(), ComplianceSelection(api=api, include=("files",)),
            environ={"CHATDLP_COMPLIANCE_API_KEY": API_KEY,
                     "CHATDLP_COMPLIANCE_BASE_URL": server.base_url},
            now=lambda: NOW, client=client, sleep=lambda _s: None,
        )
        assert "with the files uploaded in them" in source.describe()
        return list(source.conversations(diagnostics)), diagnostics


def _files(conversations: list[Conversation]) -> dict[str, str]:
    return {m.message_id: m.text for c in conversations for m in c.messages
            if m.source_kind == "file"}


def test_stateful_path_reads_each_upload_once_through_the_redirect() -> None:
    files = [{"id": "file-1", "name": "staff.csv", "user_id": "user-abc123"}]
    state = FakeCompliance(
        [conversation("conv-1", [with_files("m1", "see attached", files),
                                 with_files("m2", "again", files)])],
        uploads={"file-1": ("text/csv", CSV)},
    )
    conversations, diagnostics = read(state, "conversations")
    assert _files(conversations) == {"file:file-1": CSV.decode()}
    [upload] = [m for c in conversations for m in c.messages if m.source_kind == "file"]
    assert (upload.conversation_id, upload.user_id, upload.attachments) == (
        "conv-1", "user-abc123", ("staff.csv",))
    [asked] = [r for r in state.requests if "/files/" in r.path]
    assert asked.path == f"/v1/compliance/workspaces/{WORKSPACE}/users/user-abc123/files/file-1"
    assert asked.params == {"conversation_id": ["conv-1"]} and asked.authorized
    assert [d.path for d in state.downloads] == ["/file/file-1"]
    assert not any(d.authorized for d in state.downloads)
    assert diagnostics.failures == 0 and diagnostics.skipped_total == 0


def test_expired_and_unreadable_uploads_are_said() -> None:
    files = [{"id": "file-old", "name": "old.xlsx"}, {"id": "file-pdf", "name": "scan.pdf"}]
    state = FakeCompliance([conversation("conv-1", [with_files("m1", "two files", files)])],
                           uploads={"file-pdf": ("application/pdf", b"%PDF-1.7")},
                           expired_uploads={"file-old"})
    conversations, diagnostics = read(state, "conversations")
    assert _files(conversations) == {}
    assert diagnostics.failures == 1
    expired, pdf = diagnostics.warnings
    assert "file file-old: uploaded file not read" in expired
    assert "HTTP 410" in expired and "chat uploads are kept 48 hours" in expired
    assert "file file-pdf: uploaded file without text read here (a PDF that cannot be read" in pdf


def test_logs_path_reads_the_files_of_each_event() -> None:
    event = log_event("m1", "my list", conversation_id="conv-9")
    event["message"]["files"] = [{"id": "file-2", "name": "list.txt"}]
    state = FakeCompliance(log_files=[LogFile("log-a", "2026-11-30T01:00:00Z", [event])],
                           uploads={"file-2": ("text/plain", b"IBAN DE89 3704 0044 0532 0130 00")})
    conversations, diagnostics = read(state, "logs")
    assert _files(conversations) == {"file:file-2": "IBAN DE89 3704 0044 0532 0130 00"}
    assert [c.conversation_id for c in conversations] == ["conv-9", "conv-9"]
    assert conversations[-1].updated_at is not None  # the page's checkpoint comes last
    assert diagnostics.failures == 0
