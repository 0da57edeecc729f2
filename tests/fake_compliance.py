"""A fake Compliance API on 127.0.0.1, after shared/reference/compliance-api.md.

Real HTTP (``ThreadingHTTPServer`` in a thread): list pages are sent with
chunked transfer encoding, one conversation at a time, so a page can be large
without the server holding it whole. It can misbehave on request:

- ``faults``: a queue, one consumed per request (``None``: behave): a status (429 with or without
  Retry-After, 503, ...), a connection reset before the response or half-way
  through the body, a malformed body.
- ``max_page_items``: short pages that still say ``has_more``.
- ``too_large_above``: 413 for pages asking for more than N items.
- ``stall_above``: (N, seconds): a page asking for more than N items stalls.
- ``updates``: before request #n, a conversation gets new messages and moves to
  the end of the update order (it comes back on a later page).
It answers 401 to a wrong key, 404 to an unknown workspace, and 400 when both
``after`` and ``since_timestamp`` are sent, or to a bad ``limit``.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

WORKSPACE = "ws-test"
API_KEY = "sk-compliance-SECRET-7f3a9c1e5b"  # must never appear in any output


@dataclass(frozen=True)
class Fault:
    kind: str  # "status", "reset", "reset_mid_body", "malformed"
    status: int = 503
    retry_after: str | None = None
    after_items: int = 1  # for reset_mid_body / malformed: items sent before it breaks


def status(code: int, retry_after: str | None = None) -> Fault:
    return Fault("status", status=code, retry_after=retry_after)


RESET = Fault("reset")


def reset_mid_body(after_items: int = 1) -> Fault:
    return Fault("reset_mid_body", after_items=after_items)


def malformed(after_items: int = 1) -> Fault:
    return Fault("malformed", after_items=after_items)


@dataclass(frozen=True)
class LoggedRequest:
    number: int
    path: str
    params: dict[str, list[str]]
    authorized: bool


def message(
    message_id: str,
    text: str | None,
    role: str = "user",
    content_type: str = "text",
    parent_id: str | None = None,
) -> dict[str, Any]:
    content = None if text is None else {"type": content_type, "value": text}
    return {
        "object": "compliance.workspace.conversation.message",
        "id": message_id,
        "parent_id": parent_id,
        "created_at": 1764230401.0,
        "author": {"role": role, "tool_name": None},
        "content": content,
        "gpt_id": None,
        "project_id": None,
        "files": {"object": "list", "data": [], "has_more": False, "last_id": None},
    }


def conversation(
    conversation_id: str,
    messages: list[dict[str, Any]],
    title: str | None = None,
    user_id: str = "user-abc123",
) -> dict[str, Any]:
    return {
        "object": "compliance.workspace.conversation",
        "id": conversation_id,
        "workspace_id": WORKSPACE,
        "user_id": user_id,
        "user_email": f"{user_id}@corp.example",
        "created_at": 1764230400.5,
        "last_active_at": 1764234000,
        "title": title,
        "messages": {
            "object": "list",
            "data": messages,
            "has_more": False,
            "last_id": messages[-1]["id"] if messages else None,
        },
    }


@dataclass
class FakeCompliance:
    """The workspace's state and the misbehaviour to play; shared with the handler."""

    conversations: Iterable[dict[str, Any]] = ()
    workspace_id: str = WORKSPACE
    api_key: str = API_KEY
    faults: deque[Fault | None] = field(default_factory=deque)
    max_page_items: int | None = None
    too_large_above: int | None = None
    stall_above: tuple[int, float] | None = None
    updates: dict[int, tuple[str, list[dict[str, Any]]]] = field(default_factory=dict)
    # For big synthetic workspaces: ids in update order and a function building each one.
    ids: list[str] | None = None
    factory: Callable[[str], dict[str, Any]] | None = None
    requests: list[LoggedRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._store: dict[str, dict[str, Any]] = {}
        self._order: list[str] = list(self.ids or [])
        self._updated: dict[str, float] = {}
        for item in self.conversations:
            self._store[item["id"]] = item
            self._order.append(item["id"])
        for index, cid in enumerate(self._order):
            self._updated[cid] = 1_000_000 + index

    def get(self, conversation_id: str) -> dict[str, Any]:
        if conversation_id in self._store:
            return self._store[conversation_id]
        assert self.factory is not None
        return self.factory(conversation_id)

    def set_updated(self, conversation_id: str, when: float) -> None:
        self._updated[conversation_id] = when
        self._order.sort(key=lambda cid: self._updated[cid])

    def update(self, conversation_id: str, new_messages: list[dict[str, Any]]) -> None:
        """The conversation gets messages and becomes the last updated one."""
        item = json.loads(json.dumps(self.get(conversation_id)))
        item["messages"]["data"].extend(new_messages)
        item["messages"]["last_id"] = item["messages"]["data"][-1]["id"]
        self._store[conversation_id] = item
        self._order.remove(conversation_id)
        self._order.append(conversation_id)
        self._updated[conversation_id] = max(self._updated.values()) + 1

    def page(
        self, after: str | None, since: float | None, limit: int, users: list[str]
    ) -> tuple[list[str], bool] | None:
        """(ids of the page, has_more), or None when ``after`` is unknown."""
        if after is not None:
            if after not in self._order:
                return None
            candidates = self._order[self._order.index(after) + 1 :]
        else:
            candidates = [c for c in self._order if since is None or self._updated[c] >= since]
        if users:
            candidates = [c for c in candidates if self.get(c).get("user_id") in users]
        size = min(limit, self.max_page_items or limit)
        return candidates[:size], len(candidates) > size


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        state = self.server.state
        url = urlsplit(self.path)
        params = parse_qs(url.query, keep_blank_values=True)
        authorized = self.headers.get("Authorization") == f"Bearer {state.api_key}"
        with state._lock:
            number = len(state.requests) + 1
            state.requests.append(LoggedRequest(number, url.path, params, authorized))
            if number in state.updates:
                state.update(*state.updates[number])
            fault = state.faults.popleft() if state.faults else None
        parts = url.path.strip("/").split("/")
        if len(parts) != 5 or parts[:3] != ["v1", "compliance", "workspaces"] or (
            parts[4] != "conversations"
        ):
            return self._error(404, "no such endpoint")
        if not authorized:
            return self._error(401, "invalid API key")
        if parts[3] != state.workspace_id:
            return self._error(404, "workspace not found")
        if fault is not None and fault.kind == "status":
            return self._error(fault.status, "injected", fault.retry_after)
        if fault is not None and fault.kind == "reset":
            return self._reset()
        if "after" in params and "since_timestamp" in params:
            return self._error(400, "after and since_timestamp are mutually exclusive")
        try:
            limit = int(params.get("limit", ["500"])[0])
            since = float(params["since_timestamp"][0]) if "since_timestamp" in params else None
        except ValueError:
            return self._error(400, "bad parameter")
        if not 1 <= limit <= 500:
            return self._error(400, "limit out of range")
        if state.too_large_above is not None and limit > state.too_large_above:
            return self._error(413, "page too large")
        if state.stall_above is not None and limit > state.stall_above[0]:
            time.sleep(state.stall_above[1])
        with state._lock:
            page = state.page(params.get("after", [None])[0], since, limit, params.get("users", []))
            if page is None:
                return self._error(400, "unknown cursor")
            ids, has_more = page
            items = [state.get(cid) for cid in ids]
        self._send_page(items, has_more, fault)

    def _error(self, code: int, text: str, retry_after: str | None = None) -> None:
        body = json.dumps({"error": {"message": text, "type": "fake"}}).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if retry_after is not None:
            self.send_header("Retry-After", retry_after)
        self.end_headers()
        self.wfile.write(body)

    def _reset(self) -> None:
        # SO_LINGER 0: close() sends a TCP RST, the client sees a connection reset.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def _chunk(self, data: bytes) -> None:
        if data:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def _send_page(self, items: list[dict[str, Any]], has_more: bool, fault: Fault | None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self._chunk(b'{"object": "list", "data": [')
        for index, item in enumerate(items):
            if fault is not None and index == fault.after_items:
                if fault.kind == "reset_mid_body":
                    self.wfile.flush()
                    time.sleep(0.1)  # let the client read what was sent, then reset
                    return self._reset()
                if fault.kind == "malformed":
                    self._chunk(b', {"id": "broken", "title": "x" "messages": }]}')
                    self.wfile.write(b"0\r\n\r\n")
                    return None
            self._chunk((b", " if index else b"") + json.dumps(item).encode())
        last_id = items[-1]["id"] if items else None
        tail = {"has_more": has_more, "last_id": last_id}
        self._chunk(b"], " + json.dumps(tail).encode()[1:])
        self.wfile.write(b"0\r\n\r\n")
        return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: FakeCompliance

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # resets and clients that gave up are part of the act


class FakeComplianceServer:
    """Runs :class:`FakeCompliance` on 127.0.0.1 with an ephemeral port."""

    def __init__(self, state: FakeCompliance) -> None:
        self.state = state
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.state = state
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> FakeComplianceServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
