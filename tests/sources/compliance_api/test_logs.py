"""LogsPlatformSource against the fake API on 127.0.0.1 and a download host on 127.0.0.2.

Real HTTP on loopback: the listing is paged on last_end_time, each file is served
through a 307 to another host, which must never see the key.
"""

from __future__ import annotations

import json
from collections import deque
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from chatdlp.errors import ConfigError
from chatdlp.records import Conversation, Diagnostics
from chatdlp.sources.compliance_api import ApiKey, ComplianceSettings
from chatdlp.sources.compliance_api.logs import LogsPlatformSource
from chatdlp.sources.compliance_api.logs_settings import LogsSettings, parse_event_types
from chatdlp.sources.compliance_logs import parse_iso
from chatdlp.sources.files import FileSource
from tests.fake_compliance import (
    API_KEY,
    WORKSPACE,
    DownloadServer,
    FakeCompliance,
    FakeComplianceServer,
    LogFile,
    log_event,
    reset_mid_body,
    status,
)
from tests.sources.compliance_api.test_source import FAST_RETRY

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc).timestamp()


def files() -> list[LogFile]:
    rich = log_event(
        "m2", "Here is the invoice for Dana", conversation_id="conv-1", role="assistant",
        gpt_id="g-contoso", project_id="proj-7", is_temporary_chat=True,
    )
    rich["message"]["files"] = [{"id": "file-9", "name": "invoice.pdf", "object": "file"}]
    rich["message"]["annotations"] = [{"quote_text": "quoted from the contract"}]
    return [
        LogFile("log-a", "2026-11-30T01:00:00Z", [
            log_event("m1", "My card is 4111 1111 1111 1111", conversation_id="conv-1"),
            rich,
        ]),
        LogFile("log-b", "2026-11-30T02:00:00Z", [
            log_event("m3", "another chat", conversation_id="conv-2", title="Second",
                      user_id="user-zed"),
        ]),
        LogFile("log-c", "2026-11-30T03:00:00Z", [
            log_event("m1", "My card is 4111 1111 1111 1111", conversation_id="conv-1"),  # again
            log_event("m4", "later words", conversation_id="conv-2", title="Second"),
        ]),
    ]


class LogsRun:
    def __init__(self, state: FakeCompliance, redirect: bool = True, **settings: Any) -> None:
        self.state = state
        self.redirect = redirect
        self.sleeps: list[float] = []
        self.progress: list[str] = []
        self.diagnostics = Diagnostics()
        self.workspace = settings.pop("workspace_id", WORKSPACE)
        self.api_kwargs = {"page_size": 2, "max_requests_per_minute": 10_000,
                           **{k: v for k, v in settings.items() if k in ("since_timestamp",
                                                                           "users")}}
        self.logs_kwargs = {k: v for k, v in settings.items()
                            if k in ("event_types", "before")}

    def conversations(self) -> list[Conversation]:
        with FakeComplianceServer(self.state) as api, httpx.Client(timeout=5) as client:
            downloads = DownloadServer(self.state) if self.redirect else None
            if downloads is not None:
                downloads.__enter__()
            try:
                settings = LogsSettings(
                    ComplianceSettings(workspace_id=self.workspace, api_key=ApiKey(API_KEY),
                                       base_url=api.base_url, retry=FAST_RETRY,
                                       **self.api_kwargs),
                    **self.logs_kwargs,
                )
                self.source = LogsPlatformSource(
                    settings, client=client, progress=self.progress.append,
                    sleep=self.sleeps.append, now=lambda: NOW,
                )
                return list(self.source.conversations(self.diagnostics))
            finally:
                if downloads is not None:
                    downloads.__exit__()


def _messages(conversations: list[Conversation]) -> list[tuple[str, str]]:
    return [(c.conversation_id, m.message_id) for c in conversations for m in c.messages]


def test_lists_pages_on_last_end_time_and_downloads_through_a_redirect() -> None:
    state = FakeCompliance(log_files=files())
    run = LogsRun(state)
    conversations = run.conversations()
    assert _messages(conversations) == [
        ("conv-1", "conv-1:title"), ("conv-1", "m1"), ("conv-1", "m2"),
        ("conv-2", "conv-2:title"), ("conv-2", "m3"), ("conv-2", "m4"),
    ]
    listing = [r for r in state.requests if r.path.endswith("/logs")]
    assert [r.params["after"] for r in listing] == [
        ["2026-11-01T00:00:00Z"],  # the default window: 30 days before now
        ["2026-11-30T02:00:00Z"],  # the last_end_time of page 1
    ]
    assert all(r.params["event_type"] == ["CONVERSATION_MESSAGE"] and r.params["limit"] == ["2"]
               for r in listing)
    assert [r.path for r in state.requests if "/logs/" in r.path] == [
        f"/v1/compliance/workspaces/{WORKSPACE}/logs/log-{x}" for x in "abc"
    ]
    assert all(r.authorized for r in state.requests)
    # the download host got every file and never the key
    assert [d.path for d in state.downloads] == ["/dl/log-a", "/dl/log-b", "/dl/log-c"]
    assert not any(d.authorized for d in state.downloads)
    assert run.source.checkpoint == parse_iso("2026-11-30T03:00:00Z")
    assert run.source.last_end_time == {"CONVERSATION_MESSAGE": "2026-11-30T03:00:00Z"}
    assert run.source.stats.duplicate_events == 1 and run.source.stats.events == 4
    assert run.diagnostics.skipped_total == 0 and run.diagnostics.failures == 0


def test_each_event_becomes_a_message_of_its_conversation() -> None:
    state = FakeCompliance(log_files=files())
    conversations = LogsRun(state).conversations()
    first = conversations[0]
    title, m1, m2 = first.messages
    assert (title.role, title.text) == ("title", "Chat title")
    assert (m1.role, m1.user_id) == ("user", "user-abc123")
    assert m1.created_at == parse_iso("2026-11-30T10:00:00Z")
    assert (m2.role, m2.gpt_id, m2.project_id, m2.temporary) == (
        "assistant", "g-contoso", "proj-7", True)
    assert m2.attachments == ("invoice.pdf",)
    assert m2.text == "Here is the invoice for Dana\n\nquoted from the contract"
    assert first.source_format == "compliance-logs"


def test_the_checkpoint_is_carried_by_the_last_conversation_of_each_page() -> None:
    state = FakeCompliance(log_files=files())
    conversations = LogsRun(state).conversations()
    stamps = [c.updated_at for c in conversations]
    # page 1 (log-a, log-b) ends with conv-2; page 2 (log-c) ends with conv-2 again
    assert stamps == [None, parse_iso("2026-11-30T02:00:00Z"), parse_iso("2026-11-30T03:00:00Z")]


def test_since_sets_after_and_organisations_use_their_path() -> None:
    state = FakeCompliance(log_files=files(), workspace_id="org-AbC123")
    since = int(parse_iso("2026-11-30T01:30:00Z") or 0)
    run = LogsRun(state, workspace_id="org-AbC123", since_timestamp=since)
    ids = [m for _, m in _messages(run.conversations()) if not m.endswith(":title")]
    assert ids == ["m3", "m1", "m4"]
    listing = [r for r in state.requests if r.path.endswith("/logs")]
    assert listing[0].path == "/v1/compliance/organizations/org-AbC123/logs"
    assert listing[0].params["after"] == ["2026-11-30T01:30:00Z"]


def test_codex_prompts_are_read_when_selected() -> None:
    codex = {"event_id": "evt-c1", "type": "CODEX_LOG", "timestamp": "2026-11-30T05:00:00Z",
             "actor": {"type": "user", "user_id": "user-dev", "user_email": "dev@corp.example"},
             "task_id": "task-42", "prompt_text": "deploy with token sk-live-123"}
    state = FakeCompliance(log_files=[
        *files()[:1], LogFile("log-x", "2026-11-30T06:00:00Z", [codex], event_type="CODEX_LOG"),
    ])
    run = LogsRun(state, event_types=parse_event_types("conversation_message, CODEX_LOG"))
    conversations = run.conversations()
    assert [r.params["event_type"] for r in state.requests if r.path.endswith("/logs")] == [
        ["CONVERSATION_MESSAGE"], ["CODEX_LOG"]]
    [codex_conversation] = [c for c in conversations if c.conversation_id == "task-42"]
    [prompt] = codex_conversation.messages
    assert (prompt.message_id, prompt.source_kind, prompt.user_id) == (
        "evt-c1", "codex_prompt", "user-dev")
    # the checkpoint waits for the slowest event type
    assert run.source.checkpoint == parse_iso("2026-11-30T01:00:00Z")


def test_a_file_broken_mid_body_is_read_on_from_where_it_broke() -> None:
    many = [log_event(f"n{i}", f"line {i}", conversation_id=f"conv-{i % 3}") for i in range(6)]
    state = FakeCompliance(log_files=[LogFile("log-big", "2026-11-30T01:00:00Z", many)],
                           download_faults={"log-big": reset_mid_body(3)})
    run = LogsRun(state)
    ids = [m for _, m in _messages(run.conversations()) if not m.endswith(":title")]
    assert ids == [f"n{i}" for i in range(6)]
    assert run.source.stats.resumed_downloads == 1
    assert len(state.downloads) == 2
    assert "after line 3; reading on from there" in "\n".join(run.progress)
    assert run.diagnostics.failures == 0


def test_an_expired_file_is_a_failure_and_holds_the_checkpoint_back() -> None:
    state = FakeCompliance(log_files=files(), download_faults={"log-b": status(410)})
    run = LogsRun(state)
    ids = [m for _, m in _messages(run.conversations()) if not m.endswith(":title")]
    assert ids == ["m1", "m2", "m4"]  # log-a and log-c are still read
    assert run.diagnostics.failures == 1
    [warning] = run.diagnostics.warnings
    assert warning.startswith(f"compliance://{WORKSPACE} log file log-b: log file not read")
    assert "HTTP 410" in warning and "the download URL expired" in warning
    assert run.source.checkpoint is None  # nothing after the unread file is complete


def test_a_listing_that_is_rate_limited_is_retried() -> None:
    state = FakeCompliance(log_files=files(), faults=deque([status(429, "1")]))
    run = LogsRun(state)
    assert len(_messages(run.conversations())) == 6
    assert run.sleeps == [1.0]


def test_without_a_redirect_the_api_serves_the_file_itself() -> None:
    state = FakeCompliance(log_files=files())
    run = LogsRun(state, redirect=False)
    assert len(_messages(run.conversations())) == 6
    assert state.downloads == []


def test_a_removed_logs_endpoint_says_what_a_404_can_mean() -> None:
    state = FakeCompliance(log_files=files(),
                           removed={"logs": (404, "Logs Platform is not enabled for this workspace")})
    with pytest.raises(ConfigError) as caught:
        LogsRun(state).conversations()
    text = str(caught.value)
    assert f"workspace '{WORKSPACE}' not found (HTTP 404) on /logs" in text
    assert "Logs Platform is not enabled for this workspace" in text
    assert API_KEY not in text


def test_bad_lines_are_named_by_file_and_line_without_content() -> None:
    state = FakeCompliance(log_files=[LogFile("log-a", "2026-11-30T01:00:00Z", [
        log_event("m1", "fine"), '{"event_id": "evt-x", "message": {"id": "SECRET-77"',
        "[1, 2]", log_event("m2", "also fine"),
    ])])
    run = LogsRun(state)
    ids = [m for _, m in _messages(run.conversations()) if not m.endswith(":title")]
    assert ids == ["m1", "m2"]
    assert run.diagnostics.warnings == [
        f"compliance://{WORKSPACE} log file log-a line 2: malformed JSON",
        f"compliance://{WORKSPACE} log file log-a line 3: event is not a JSON object (list)",
    ]
    dumped = json.dumps([run.progress, run.diagnostics.warnings, repr(run.source),
                         repr(run.source.settings)])
    assert API_KEY not in dumped and "SECRET-77" not in dumped


def test_event_types_are_validated() -> None:
    settings = ComplianceSettings(workspace_id=WORKSPACE, api_key=ApiKey(API_KEY))
    with pytest.raises(ConfigError, match="--event-types 'chat messages'"):
        LogsSettings(settings, event_types=("chat messages",))
    with pytest.raises(ConfigError, match="at least one"):
        LogsSettings(settings, event_types=())
    assert parse_event_types(None) == ("CONVERSATION_MESSAGE",)


def test_a_saved_log_file_is_read_by_the_file_source(tmp_path: Path) -> None:
    path = tmp_path / "log-a.jsonl"
    path.write_bytes(b"".join(files()[0].lines() + files()[1].lines()))
    diagnostics = Diagnostics()
    conversations = list(FileSource(path).conversations(diagnostics))
    assert _messages(conversations) == [
        ("conv-1", "conv-1:title"), ("conv-1", "m1"), ("conv-1", "m2"),
        ("conv-2", "conv-2:title"), ("conv-2", "m3"),
    ]
    assert conversations[0].messages[2].temporary is True
    assert diagnostics.skipped_total == 0


def test_the_detector_finds_what_the_events_hold(detector: Any) -> None:
    event = log_event("m9", "Charge my card 4539 1488 0343 6467 today", conversation_id="c-9",
                      title="Card for Dana Whitfield", is_temporary_chat=True)
    state = FakeCompliance(log_files=[LogFile("log-z", "2026-11-30T01:00:00Z", [event])])
    messages = [m for c in LogsRun(state).conversations() for m in c.messages]
    assert [m.message_id for m in messages] == ["c-9:title", "m9"]
    found = {
        (message.message_id, detection.entity_type)
        for message, detections in zip(messages, detector.detect(messages), strict=True)
        for detection in detections if detection.reported
    }
    assert any(mid == "m9" and "CARD" in entity.upper() for mid, entity in found), found


def test_an_event_seen_before_is_skipped_across_the_spill(monkeypatch: pytest.MonkeyPatch) -> None:
    """The de-duplication keeps one digest in memory: every other one is on disk."""
    monkeypatch.setenv("CHATDLP_DEDUPE_MEMORY_DIGESTS", "1")
    run = LogsRun(FakeCompliance(log_files=files()))
    assert _messages(run.conversations()) == [
        ("conv-1", "conv-1:title"), ("conv-1", "m1"), ("conv-1", "m2"),
        ("conv-2", "conv-2:title"), ("conv-2", "m3"), ("conv-2", "m4"),
    ]
    assert run.source.stats.duplicate_events == 1 and run.source.stats.events == 4
    assert run.source._seen.spills >= 4  # every new digest went to disk
    assert len(run.source._seen) == 0  # closed with the run: the spill file is gone
