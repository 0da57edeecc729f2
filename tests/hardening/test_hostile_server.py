"""The API client gives up on a server that never ends a listing, or drips its answer
(real HTTP on 127.0.0.1, hostile handlers)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar

import httpx
import pytest

from chatdlp.errors import SourceError
from chatdlp.records import Diagnostics
from chatdlp.sources.compliance_api import ApiKey, ComplianceApiSource, ComplianceSettings, RetrySettings
from chatdlp.sources.compliance_api.paging import PageGuard, PagingLimits
from tests.fake_compliance import API_KEY, WORKSPACE, _LoopbackServer, conversation, message

FAST_RETRY = RetrySettings(max_attempts=2, initial_backoff=0.01, max_backoff=0.02, jitter=0.01,
                           max_total_wait=5)


class _Hostile(BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send_json(self, payload: dict[str, Any], drip: float = 0.0) -> None:
        self._send_bytes(json.dumps(payload).encode(), drip)

    def _send_bytes(self, body: bytes, drip: float = 0.0) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not drip:
            self.wfile.write(body)
            return
        try:
            for byte in body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(drip)
        except OSError:
            pass  # the client gave up


@dataclass
class _Outcome:
    requests: int  # what the server saw
    error: Exception | None  # the SourceError the run ended with
    diagnostics: Diagnostics
    texts: list[str]  # of the messages read


def _run(handler_class: type[_Hostile], paging: PagingLimits | None = None, **attributes: Any
         ) -> _Outcome:
    handler = type("Handler", (handler_class,), {"requests": [], **attributes})
    server = _LoopbackServer(None, "127.0.0.1", handler)  # type: ignore[arg-type]
    server.path = "/v1"
    server.start()
    diagnostics = Diagnostics()
    error: Exception | None = None
    texts: list[str] = []
    try:
        with httpx.Client(timeout=5) as client:  # a read timeout a drip never reaches
            settings = ComplianceSettings(workspace_id=WORKSPACE, api_key=ApiKey(API_KEY),
                                          base_url=server.base_url, retry=FAST_RETRY,
                                          max_requests_per_minute=100_000,
                                          paging=paging or PagingLimits())
            source = ComplianceApiSource(settings, client=client, progress=lambda _m: None,
                                         sleep=lambda _s: None)
            try:
                for read in source.conversations(diagnostics):
                    texts.extend(m.text for m in read.messages)
            except SourceError as exc:
                error = exc
    finally:
        server.__exit__()
    return _Outcome(len(handler.requests), error, diagnostics, texts)


class _Repeating(_Hostile):
    """Every page says has_more; ``cursors`` is what last_id cycles through."""

    cursors: ClassVar[list[str]] = ["a", "b"]

    def do_GET(self) -> None:
        self.requests.append(self.path)
        cursor = self.cursors[len(self.requests) % len(self.cursors)]
        if cursor == "fresh":
            cursor = f"c{len(self.requests)}"
        self._send_json({"object": "list", "has_more": True, "last_id": cursor,
                         "data": [conversation("conv-1", [message("m1", "hello")])]})


def test_a_server_cycling_cursors_is_stopped_with_the_reason() -> None:
    run = _run(_Repeating, cursors=["a", "b"])
    assert run.error is not None and "cursor it had sent before" in str(run.error)
    assert run.requests <= 3  # was: 1,322 requests in 60 s and counting


def test_a_server_with_new_cursors_but_the_same_ids_is_stopped() -> None:
    run = _run(_Repeating, cursors=["fresh"])
    assert run.error is not None and "without a new id" in str(run.error)
    assert run.requests <= PagingLimits().stale_pages + 2


def test_the_page_cap_is_configurable_and_named() -> None:
    guard = PageGuard(PagingLimits(max_pages=3))
    guard.advance("p1", "c1", ["a"])
    guard.advance("p2", "c2", ["b"])
    with pytest.raises(SourceError, match="CHATDLP_COMPLIANCE_MAX_PAGES"):
        guard.advance("p3", "c3", ["c"])
    clock = iter([0.0, 10.0, 99.0])
    slow = PageGuard(PagingLimits(max_seconds=50), clock=lambda: next(clock))
    slow.advance("p1", "c1", ["a"])
    with pytest.raises(SourceError, match="CHATDLP_COMPLIANCE_MAX_SECONDS"):
        slow.advance("p2", "c2", ["b"])


def test_limits_come_from_the_environment() -> None:
    from chatdlp.sources.compliance_api import ComplianceOptions
    from chatdlp.sources.compliance_api.settings import settings_from_environment

    settings = settings_from_environment(
        f"compliance://{WORKSPACE}", ComplianceOptions(),
        {"CHATDLP_COMPLIANCE_API_KEY": API_KEY, "CHATDLP_COMPLIANCE_MAX_PAGES": "7",
         "CHATDLP_COMPLIANCE_MAX_SECONDS": "60"},
    )
    assert settings.paging.max_pages == 7 and settings.paging.max_seconds == 60


class _Dripping(_Hostile):
    """Headers at once, then one byte every 0.2 s: the read timeout never fires."""

    def do_GET(self) -> None:
        self.requests.append(self.path)
        self._send_json({"object": "list", "has_more": False, "last_id": None,
                         "data": [conversation("conv-1", [message("m1", "hello " * 50)])]}, drip=0.2)


def test_a_server_dripping_bytes_is_given_up_on_by_throughput_and_deadline() -> None:
    started = time.monotonic()
    run = _run(_Dripping, PagingLimits(page_seconds=3, grace_seconds=0.5, min_bytes_per_second=100))
    assert run.error is not None and "bytes/s" in str(run.error)
    assert time.monotonic() - started < 10
    assert run.requests == FAST_RETRY.max_attempts


class _RepeatingMessages(_Hostile):
    """The listing ends; a conversation's /messages pages never do (cursors a, b, a, ...)."""

    def do_GET(self) -> None:
        self.requests.append(self.path)
        if "/messages" in self.path:
            self._send_json({"object": "list", "has_more": True, "last_id": "ab"[len(self.requests) % 2],
                             "data": [message("m2", "again")]})
            return
        listed = conversation("conv-1", [message("m1", "hello")])
        listed["messages"] = {"object": "list", "data": listed["messages"]["data"],
                              "has_more": True, "last_id": "m1"}
        self._send_json({"object": "list", "has_more": False, "last_id": "conv-1", "data": [listed]})


def test_a_conversation_whose_messages_never_end_is_read_partly_not_forever() -> None:
    run = _run(_RepeatingMessages)
    assert run.error is None and run.requests < 10
    assert run.diagnostics.failures == 1 and "cursor it had sent before" in run.diagnostics.warnings[0]


class _Garbled(_Hostile):
    """A page whose first conversation holds invalid UTF-8 and 5,000 nested arrays."""

    def do_GET(self) -> None:
        self.requests.append(self.path)
        first = json.dumps(conversation("conv-1", [message("m1", "caf@ here")])).encode()
        first = first.replace(b"caf@", b"caf\xff\xfe")[:-1] + b', "x": ' + b"[" * 5000 + b"]" * 5000 + b"}"
        second = json.dumps(conversation("conv-2", [message("m2", "second")])).encode()
        self._send_bytes(b'{"object": "list", "has_more": false, "last_id": "conv-2", "data": ['
                         + first + b", " + second + b"]}")


def test_a_page_with_invalid_utf8_and_deep_nesting_costs_one_string_not_the_page() -> None:
    run = _run(_Garbled)
    assert run.error is None
    assert "caf\ufffd\ufffd here" in run.texts and "second" in run.texts
    assert {"invalid UTF-8 replaced", "nesting deeper than 64 levels cut"} <= set(run.diagnostics.skipped)
