"""ComplianceApiSource against the fake API on 127.0.0.1 (real HTTP, injected client)."""

from __future__ import annotations

import json
from collections import Counter, deque
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from chatdlp.errors import ConfigError, SourceError
from chatdlp.records import Diagnostics
from chatdlp.sources.compliance_api import (
    ApiKey,
    ComplianceApiSource,
    ComplianceSettings,
    RetrySettings,
)
from tests.fake_compliance import (
    API_KEY,
    RESET,
    WORKSPACE,
    FakeCompliance,
    FakeComplianceServer,
    conversation,
    malformed,
    message,
    reset_mid_body,
    status,
)

FAST_RETRY = RetrySettings(
    max_attempts=6, initial_backoff=0.01, max_backoff=0.02, jitter=0.01, max_total_wait=30
)


def workspace(count: int = 7, per_conversation: int = 2) -> list[dict[str, Any]]:
    return [
        conversation(
            f"conv-{c}",
            [message(f"msg-{c}-{m}", f"note {c}.{m}") for m in range(per_conversation)],
            title=f"title {c}",
        )
        for c in range(count)
    ]


class Run:
    """One source run against a fake: what it yielded, slept and said."""

    def __init__(
        self, state: FakeCompliance, api_key: str = API_KEY, timeout: float = 5.0, **settings: Any
    ) -> None:
        self.state = state
        self.sleeps: list[float] = []
        self.progress: list[str] = []
        self.diagnostics = Diagnostics()
        self.server = FakeComplianceServer(state)
        self.timeout = timeout
        self.api_key = api_key
        self.settings_kwargs = {"page_size": 3, "max_requests_per_minute": 10_000, **settings}

    def source(self, client: httpx.Client) -> ComplianceApiSource:
        settings = ComplianceSettings(
            workspace_id=self.settings_kwargs.pop("workspace_id", WORKSPACE),
            api_key=ApiKey(self.api_key),
            base_url=self.server.base_url,
            retry=FAST_RETRY,
            **self.settings_kwargs,
        )
        return ComplianceApiSource(
            settings, client=client, progress=self.progress.append, sleep=self.sleeps.append
        )

    def records(self) -> list[dict[str, Any]]:
        return [r.raw for r in self._iterate()]

    def _iterate(self) -> Iterator[Any]:
        with self.server, httpx.Client(timeout=self.timeout) as client:
            self.last_source = self.source(client)
            yield from self.last_source.records(self.diagnostics)

    def message_ids(self) -> list[str]:
        out: list[str] = []
        with self.server, httpx.Client(timeout=self.timeout) as client:
            self.last_source = self.source(client)
            for conv in self.last_source.conversations(self.diagnostics):
                out.extend(m.message_id for m in conv.messages)
        return out


def test_pages_with_since_first_then_after_until_has_more_is_false() -> None:
    state = FakeCompliance(workspace(7))
    run = Run(state, since_timestamp=1, users=("user-abc123",))
    ids = [r["id"] for r in run.records()]
    assert ids == [f"conv-{c}" for c in range(7)]
    params = [r.params for r in state.requests]
    assert len(params) == 3  # 3 + 3 + 1
    assert params[0]["since_timestamp"] == ["1"] and "after" not in params[0]
    assert params[1]["after"] == ["conv-2"] and "since_timestamp" not in params[1]
    assert params[2]["after"] == ["conv-5"]
    assert all(p["limit"] == ["3"] and p["users"] == ["user-abc123"] for p in params)
    assert all(r.authorized for r in state.requests)
    assert any("page 3 done: 7 conversations, 14 messages" in line for line in run.progress)


def test_short_pages_do_not_end_the_listing() -> None:
    state = FakeCompliance(workspace(7), max_page_items=1)
    run = Run(state)
    assert [r["id"] for r in run.records()] == [f"conv-{c}" for c in range(7)]
    assert len(state.requests) == 7


def test_rate_limited_page_waits_retry_after_then_resumes() -> None:
    state = FakeCompliance(workspace(7))
    run = Run(state)
    # pages 1 and 2 go through, page 3 is answered 429 once with Retry-After: 2
    with run.server, httpx.Client(timeout=5) as client:
        source = run.source(client)
        records = source.records(run.diagnostics)
        got = [next(records).raw["id"] for _ in range(6)]
        state.faults.append(status(429, "2"))
        got += [r.raw["id"] for r in records]
    assert got == [f"conv-{c}" for c in range(7)]
    assert run.sleeps == [2.0]
    assert "rate limited (429), waiting 2.0 s before page 3 (retry 1)" in "\n".join(run.progress)
    assert source.retries.retries == 1


def test_429_without_retry_after_backs_off_exponentially_with_jitter() -> None:
    state = FakeCompliance(workspace(2), faults=deque([status(429), status(429), status(503)]))
    run = Run(state)
    assert [r["id"] for r in run.records()] == ["conv-0", "conv-1"]
    assert len(run.sleeps) == 3
    assert all(0.01 <= s <= FAST_RETRY.max_backoff for s in run.sleeps)
    assert "server error (503)" in "\n".join(run.progress)


@pytest.mark.parametrize("fault", [RESET, reset_mid_body(1), reset_mid_body(2)])
def test_connection_resets_resume_without_loss_or_duplicates(fault: Any) -> None:
    state = FakeCompliance(workspace(7), faults=deque([fault]))
    run = Run(state)
    ids = run.message_ids()
    expected = [
        f"conv-{c}:title" if m < 0 else f"msg-{c}-{m}" for c in range(7) for m in (-1, 0, 1)
    ]
    assert ids == expected
    assert run.last_source.retries.retries == 1
    if fault.kind == "reset_mid_body":
        # The retry asks for the broken page again with the cursor it was asked with
        # (an item's id is not a cursor: only the server's last_id is), and the
        # conversations already read from it are not handed out twice (ids above).
        assert state.requests[1].params == state.requests[0].params
        assert state.requests[1].params["since_timestamp"] == ["0"]


def test_page_too_large_halves_the_page_size_down_to_what_works() -> None:
    state = FakeCompliance(workspace(7), too_large_above=1)
    run = Run(state, page_size=8)
    assert [r["id"] for r in run.records()] == [f"conv-{c}" for c in range(7)]
    limits = [r.params["limit"][0] for r in state.requests]
    assert limits[:4] == ["8", "4", "2", "1"]
    assert set(limits[4:]) == {"1"}
    assert "asking for 1 conversation(s) per page from now on" in "\n".join(run.progress)


def test_a_page_that_times_out_is_asked_for_again_smaller() -> None:
    state = FakeCompliance(workspace(3), stall_above=(1, 1.0))
    run = Run(state, page_size=2, timeout=0.25)
    assert [r["id"] for r in run.records()] == ["conv-0", "conv-1", "conv-2"]
    assert [r.params["limit"][0] for r in state.requests][:2] == ["2", "1"]
    assert "timed out" in "\n".join(run.progress)


def test_gives_up_with_a_source_error_after_the_attempts() -> None:
    state = FakeCompliance(workspace(2), faults=deque([status(503)] * 10))
    run = Run(state)
    with pytest.raises(SourceError, match=r"page 1: giving up after 6 attempt\(s\).*503"):
        run.records()
    assert len(state.requests) == 6


def test_total_wait_is_capped() -> None:
    state = FakeCompliance(workspace(2), faults=deque([status(429, "20"), status(429, "20")]))
    run = Run(state)
    with pytest.raises(SourceError, match="giving up"):
        run.records()
    assert run.sleeps == [20.0]  # a second 20 s wait would pass max_total_wait (30 s)


@pytest.mark.parametrize(
    ("kwargs", "code", "needle"),
    [
        ({"api_key": "sk-wrong-key-000"}, 401, "refused the key (HTTP 401)"),
        ({"workspace_id": "ws-nope"}, 404, "workspace 'ws-nope' not found (HTTP 404)"),
    ],
)
def test_401_and_404_are_configuration_errors(
    kwargs: dict[str, str], code: int, needle: str
) -> None:
    state = FakeCompliance(workspace(2))
    run = Run(state, **kwargs)
    with pytest.raises(ConfigError) as caught:
        run.records()
    assert needle in str(caught.value)
    assert len(state.requests) == 1  # not retried
    assert API_KEY not in str(caught.value) and "sk-wrong-key-000" not in str(caught.value)


def test_403_is_a_configuration_error_about_the_scope() -> None:
    state = FakeCompliance(workspace(2), faults=deque([status(403)]))
    with pytest.raises(ConfigError, match="compliance scope"):
        Run(state).records()


def test_malformed_body_keeps_what_was_read_and_names_page_and_byte() -> None:
    state = FakeCompliance(workspace(7))
    run = Run(state)
    got: list[str] = []
    with run.server, httpx.Client(timeout=5) as client:
        source = run.source(client)
        records = source.records(run.diagnostics)
        got += [next(records).raw["id"] for _ in range(3)]  # page 1
        state.faults.append(malformed(after_items=2))  # page 2 breaks after 2 items
        with pytest.raises(SourceError) as caught:
            for record in records:
                got.append(record.raw["id"])
    assert got == ["conv-0", "conv-1", "conv-2", "conv-3", "conv-4"]
    text = str(caught.value)
    assert "page 2@byte~" in text and "malformed JSON" in text
    assert "2 conversation(s) read from this page were kept" in text
    assert len(state.requests) == 2  # a malformed body is not retried


def test_null_and_unknown_content_and_a_multi_megabyte_conversation() -> None:
    big_text = ("lorem ipsum dolor sit amet " * 40_000)[:1_000_000]
    items = [
        conversation(
            "conv-big",
            [message(f"big-{i}", big_text + str(i)) for i in range(3)],
        ),
        conversation(
            "conv-odd",
            [
                message("m-null", None, role="tool"),
                message("m-unknown", "strange but text", content_type="hologram"),
                {
                    **message("m-struct", "x"),
                    "content": {"type": "widget", "value": {"a": "deep text"}},
                },
                message("m-text", "plain"),
            ],
        ),
    ]
    state = FakeCompliance(items)
    run = Run(state, page_size=500)
    texts: dict[str, str] = {}
    with run.server, httpx.Client(timeout=5) as client:
        for conv in run.source(client).conversations(run.diagnostics):
            texts.update({m.message_id: m.text for m in conv.messages})
    assert len(texts["big-2"]) == 1_000_001
    assert texts["m-unknown"] == "strange but text"
    assert texts["m-struct"] == "deep text"
    assert "m-null" not in texts
    assert run.diagnostics.unknown_content_types == Counter({"hologram": 1, "widget": 1})


def test_never_sends_after_and_since_together_and_never_leaks_the_key() -> None:
    state = FakeCompliance(
        workspace(7), faults=deque([RESET, status(429, "0"), reset_mid_body(1)]), max_page_items=2
    )
    run = Run(state, since_timestamp=5)
    records = run.records()
    assert len({r["id"] for r in records}) == 7
    assert all(not ("after" in r.params and "since_timestamp" in r.params) for r in state.requests)
    dumped = json.dumps([run.progress, run.diagnostics.warnings, repr(run.last_source),
                         repr(run.last_source.settings)])
    assert API_KEY not in dumped
    assert "ApiKey(***)" in repr(run.last_source.settings.api_key)
