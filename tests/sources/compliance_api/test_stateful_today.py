"""The stateful /conversations path as the service behaves today (issue 14).

Against the fake on 127.0.0.1, after shared/reference/compliance-api.md: page 1
always carries since_timestamp, cursors are the server's last_id, embedded
message lists that say has_more are completed from /messages, partial reads are
failures, and refusals say what the server said.
"""

from __future__ import annotations

import json
from collections import deque
from pathlib import Path
from typing import Any

import pytest

from chatdlp.errors import ConfigError, SourceError
from chatdlp.records import Diagnostics
from chatdlp.sources.compliance_records import conversation_from_api
from chatdlp.sources.files import FileSource
from tests.fake_compliance import (
    API_KEY,
    FakeCompliance,
    conversation,
    message,
    reset_mid_body,
)
from tests.sources.compliance_api.test_source import Run, workspace


def long_conversation(conversation_id: str, count: int) -> dict[str, Any]:
    return conversation(
        conversation_id,
        [message(f"{conversation_id}-m{i}", f"line {i}") for i in range(count)],
        title=f"title {conversation_id}",
    )


def test_page_one_always_carries_since_timestamp_zero_when_unbounded() -> None:
    state = FakeCompliance(workspace(4), require_since=True)
    run = Run(state)
    assert [r["id"] for r in run.records()] == [f"conv-{c}" for c in range(4)]
    assert state.requests[0].params["since_timestamp"] == ["0"]
    assert all("since_timestamp" not in r.params for r in state.requests[1:])


def test_pages_on_with_the_servers_last_id_not_the_last_items_id() -> None:
    state = FakeCompliance(workspace(7), opaque_cursors=True)
    run = Run(state)
    assert [r["id"] for r in run.records()] == [f"conv-{c}" for c in range(7)]
    assert [r.params.get("after") for r in state.requests] == [
        None, ["cur_conv-2"], ["cur_conv-5"]
    ]


def test_a_page_broken_mid_body_is_asked_again_with_its_cursor_nothing_twice() -> None:
    state = FakeCompliance(workspace(7), opaque_cursors=True,
                           faults=deque([None, reset_mid_body(2)]))
    run = Run(state)
    ids = [r["id"] for r in run.records()]
    assert ids == [f"conv-{c}" for c in range(7)]
    # page 2 broke after 2 items; asked again with the same server cursor
    assert state.requests[1].params == state.requests[2].params
    assert state.requests[2].params["after"] == ["cur_conv-2"]
    assert run.diagnostics.failures == 0


def test_embedded_messages_that_say_has_more_are_paged_from_messages() -> None:
    items = [long_conversation("conv-a", 8), long_conversation("conv-b", 2)]
    state = FakeCompliance(items, embedded_limit=2, opaque_cursors=True)
    run = Run(state, page_size=3)
    ids = run.message_ids()
    assert ids == (["conv-a:title"] + [f"conv-a-m{i}" for i in range(8)]
                   + ["conv-b:title", "conv-b-m0", "conv-b-m1"])
    calls = [r for r in state.requests if r.path.endswith("/messages")]
    assert [c.path for c in calls] == ["/v1/compliance/workspaces/ws-test/conversations/"
                                       "conv-a/messages"] * 2
    assert [c.params["after"] for c in calls] == [["cur_conv-a-m1"], ["cur_conv-a-m4"]]
    assert all(c.params["limit"] == ["3"] and c.authorized for c in calls)
    stats = run.last_source.stats
    assert (stats.message_pages, stats.completed_conversations, stats.messages) == (2, 1, 10)
    assert run.diagnostics.failures == 0 and run.diagnostics.skipped_total == 0


def test_a_listed_conversation_without_messages_is_read_from_messages() -> None:
    state = FakeCompliance([long_conversation("conv-a", 3)], without_messages=True)
    run = Run(state, page_size=2)
    assert run.message_ids() == ["conv-a:title", "conv-a-m0", "conv-a-m1", "conv-a-m2"]
    calls = [r.params for r in state.requests if r.path.endswith("/messages")]
    assert calls == [{"limit": ["2"]}, {"limit": ["2"], "after": ["conv-a-m1"]}]
    assert run.diagnostics.failures == 0


def test_fetch_records_hold_every_message_once_completed() -> None:
    state = FakeCompliance([long_conversation("conv-a", 5)], embedded_limit=1)
    [record] = Run(state).records()
    assert record["messages"]["has_more"] is False
    assert [m["id"] for m in record["messages"]["data"]] == [f"conv-a-m{i}" for i in range(5)]


def test_a_messages_list_that_cannot_be_completed_is_kept_and_fails_the_run() -> None:
    items = [long_conversation("conv-a", 6), long_conversation("conv-b", 1)]
    state = FakeCompliance(
        items, embedded_limit=2,
        removed={"messages": (410, "The /messages endpoint was removed; use the Logs Platform")},
    )
    run = Run(state)
    ids = run.message_ids()
    assert ids == ["conv-a:title", "conv-a-m0", "conv-a-m1", "conv-b:title", "conv-b-m0"]
    assert run.diagnostics.failures == 1
    [warning] = run.diagnostics.warnings
    assert warning.startswith("compliance://ws-test page 1 item 0: conversation read partly")
    assert "2 message(s) read, the rest unread" in warning
    assert "HTTP 410" in warning and "endpoint was removed; use the Logs Platform" in warning
    assert run.last_source.stats.partial_conversations == 1


def test_a_saved_record_with_more_messages_is_counted_as_partly_read() -> None:
    record = long_conversation("conv-s", 2)
    record["messages"]["has_more"] = True
    diagnostics = Diagnostics()
    converted = conversation_from_api(record, "saved.json", "saved.json item 0", diagnostics)
    assert converted is not None and len(converted.messages) == 3
    assert diagnostics.skipped == {"conversation read partly": 1}


def test_a_record_with_a_single_message_is_read(tmp_path: Path) -> None:
    # As Sumo Logic's collector stores them: the conversation with one ``message``.
    record = {key: value for key, value in long_conversation("conv-1", 1).items()
              if key not in ("messages", "object")}
    record["message"] = message("only-one", "Dana's passport is X1234567")
    path = tmp_path / "collected.jsonl"
    path.write_text(json.dumps(record) + "\n")
    diagnostics = Diagnostics()
    [converted] = list(FileSource(path).conversations(diagnostics))
    assert [m.message_id for m in converted.messages] == ["conv-1:title", "only-one"]
    assert converted.messages[1].text == "Dana's passport is X1234567"
    assert diagnostics.skipped_total == 0


def test_a_404_on_page_one_lists_what_it_can_mean_with_the_reason() -> None:
    state = FakeCompliance(workspace(2), removed={
        "conversations": (404, "Not found: the /conversations endpoint has been removed")
    })
    with pytest.raises(ConfigError) as caught:
        Run(state).records()
    text = str(caught.value)
    assert "workspace 'ws-test' not found (HTTP 404) on /conversations" in text
    for possibility in ("a wrong id", "a wrong host", "api.openai.com", "removed"):
        assert possibility in text
    assert "the server said: Not found: the /conversations endpoint has been removed" in text
    assert len(state.requests) == 1


def test_410_means_removed_or_expired_and_is_not_retried() -> None:
    state = FakeCompliance(workspace(2), removed={
        "conversations": (410, "Gone: synchronous conversation export closed on 2026-06-06")
    })
    with pytest.raises(SourceError) as caught:
        Run(state).records()
    text = str(caught.value)
    assert "gone (HTTP 410)" in text and "removed or what it pointed at expired" in text
    assert "synchronous conversation export closed on 2026-06-06" in text
    assert len(state.requests) == 1


def test_the_reason_is_bounded_and_key_like_strings_are_masked() -> None:
    long_reason = (f"Invalid key {API_KEY} for admin@corp.example, token sk-live-4f9a8b7c6d5e; "
                   + "x" * 2000)
    state = FakeCompliance(workspace(2), removed={"conversations": (400, long_reason)})
    with pytest.raises(ConfigError) as caught:
        Run(state).records()
    text = str(caught.value)
    assert "rejected the request (HTTP 400)" in text
    assert API_KEY not in text and "sk-live-4f9a8b7c6d5e" not in text
    assert "admin@corp.example" not in text and "Invalid key ***" in text
    assert text.endswith("...") and len(text) < 600
