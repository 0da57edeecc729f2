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

What the service does today, too:

- ``embedded_limit``: a listed conversation embeds only its first N messages, its
  ``messages`` envelope says ``has_more``; the rest is paged from
  ``/conversations/{id}/messages?after=<last_id>&limit=N``.
- ``opaque_cursors``: ``last_id`` is a cursor (``cur_<id>``), not an item's id;
  an item's id sent as ``after`` is an unknown cursor (400).
- ``removed``: endpoint ("conversations", "messages", "logs") -> (status, reason):
  answered with a JSON body giving the reason, as the service does.
- ``require_since``: 400 with a reason when page 1 comes without ``since_timestamp``.
- the Logs Platform: ``log_files`` are listed at ``/compliance/{workspaces|
  organizations}/{id}/logs?event_type=&after=&limit=`` (paged on ``last_end_time``)
  and ``/logs/{id}`` answers 307 to a :class:`DownloadServer` on 127.0.0.2 (another
  host: it logs whether an ``Authorization`` header reached it).
- ``objects``: the object endpoints (GPTs, projects, memories, users, automations
  without the ``compliance/`` prefix, ...), list pages on ``after``/``limit``.
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
    embedded_limit: int | None = None
    without_messages: bool = False  # listed conversations carry no messages at all
    opaque_cursors: bool = False
    removed: dict[str, tuple[int, str]] = field(default_factory=dict)
    require_since: bool = False
    log_files: list[LogFile] = field(default_factory=list)
    download_base: str | None = None  # where /logs/{id} redirects (a DownloadServer)
    downloads: list[LoggedRequest] = field(default_factory=list)
    download_faults: dict[str, Fault] = field(default_factory=dict)  # log id -> one fault
    # Object endpoints: the path after the workspace id ("gpts", "gpts/g-1/configs",
    # "users", "users/u1/automations") -> its items (paged on after/limit) or one object.
    objects: dict[str, Any] = field(default_factory=dict)
    # Chat uploads: file id -> (content type, bytes), at users/{u}/files/{id} (a 307 to
    # the download host when there is one); ids in ``expired_uploads`` answer 410.
    uploads: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    expired_uploads: set[str] = field(default_factory=set)

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

    def cursor(self, item_id: str) -> str:
        return f"cur_{item_id}" if self.opaque_cursors else item_id

    def _uncursor(self, after: str) -> str | None:
        if not self.opaque_cursors:
            return after
        return after[len("cur_"):] if after.startswith("cur_") else None

    def listed(self, item: dict[str, Any]) -> dict[str, Any]:
        """A conversation as the list endpoint shows it (its messages cut when paged)."""
        if self.without_messages:
            return {key: value for key, value in item.items() if key != "messages"}
        if self.embedded_limit is None:
            return item
        data = item["messages"]["data"]
        if len(data) <= self.embedded_limit:
            return item
        shown = data[: self.embedded_limit]
        return {**item, "messages": {"object": "list", "data": shown, "has_more": True,
                                     "last_id": self.cursor(shown[-1]["id"])}}

    def messages_page(
        self, conversation_id: str, after: str | None, limit: int
    ) -> tuple[list[dict[str, Any]], bool] | None:
        if conversation_id not in self._store and self.factory is None:
            return None
        data = self.get(conversation_id)["messages"]["data"]
        ids = [m["id"] for m in data]
        start = 0
        if after is not None:
            real = self._uncursor(after)
            if real not in ids:
                return None
            start = ids.index(real) + 1
        return data[start : start + limit], start + limit < len(data)

    def page(
        self, after: str | None, since: float | None, limit: int, users: list[str]
    ) -> tuple[list[str], bool] | None:
        """(ids of the page, has_more), or None when ``after`` is unknown."""
        if after is not None:
            real = self._uncursor(after)
            if real is None:
                return None
            after = real
            if after not in self._order:
                return None
            candidates = self._order[self._order.index(after) + 1 :]
        else:
            candidates = [c for c in self._order if since is None or self._updated[c] >= since]
        if users:
            candidates = [c for c in candidates if self.get(c).get("user_id") in users]
        size = min(limit, self.max_page_items or limit)
        return candidates[:size], len(candidates) > size


def _object_key(parts: list[str]) -> str | None:
    """The object endpoint a path names, or None: ``/v1/compliance/workspaces/{ws}/...``,
    or ``/v1/workspaces/{ws}/users/{u}/automations`` (no ``compliance/`` prefix)."""
    if len(parts) >= 5 and parts[:3] == ["v1", "compliance", "workspaces"]:
        return "/".join(parts[4:])
    if len(parts) >= 4 and parts[:2] == ["v1", "workspaces"]:
        return "/".join(parts[3:])
    return None


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
        if len(parts) >= 5 and parts[:2] == ["v1", "compliance"] and parts[4] == "logs":
            return self._logs(parts, params, authorized, fault)
        object_key = _object_key(parts)
        if object_key is not None and (object_key in state.objects or (
            object_key.split("/")[0] not in ("conversations", "logs"))):
            return self._object(parts[3] if parts[1] == "compliance" else parts[2],
                                object_key, params, authorized, fault)
        messages_path = len(parts) == 7 and parts[6] == "messages"
        if len(parts) not in (5, 7) or parts[:3] != ["v1", "compliance", "workspaces"] or (
            parts[4] != "conversations"
        ) or (len(parts) == 7 and not messages_path):
            return self._error(404, "no such endpoint")
        if not authorized:
            return self._error(401, "invalid API key")
        if parts[3] != state.workspace_id:
            return self._error(404, "workspace not found")
        endpoint = "messages" if messages_path else "conversations"
        if endpoint in state.removed:
            code, reason = state.removed[endpoint]
            return self._error(code, reason)
        if fault is not None and fault.kind == "status":
            return self._error(fault.status, "injected", fault.retry_after)
        if fault is not None and fault.kind == "reset":
            return self._reset()
        if "after" in params and "since_timestamp" in params:
            return self._error(400, "after and since_timestamp are mutually exclusive")
        if messages_path:
            return self._messages(parts[5], params)
        if state.require_since and "after" not in params and "since_timestamp" not in params:
            return self._error(400, "since_timestamp is required")
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
            items = [state.listed(state.get(cid)) for cid in ids]
        self._send_page(items, has_more, fault)

    def _object(
        self, workspace: str, key: str, params: dict[str, list[str]], authorized: bool,
        fault: Fault | None,
    ) -> None:
        state = self.server.state
        if not authorized:
            return self._error(401, "invalid API key")
        if workspace != state.workspace_id:
            return self._error(404, "workspace not found")
        kind = key.split("/")[-1] if "/" in key else key
        if kind in state.removed or key in state.removed:
            code, reason = state.removed.get(key) or state.removed[kind]
            return self._error(code, reason)
        if fault is not None and fault.kind == "status":
            return self._error(fault.status, "injected", fault.retry_after)
        segments = key.split("/")
        if len(segments) == 4 and segments[0] == "users" and segments[2] == "files":
            return self._upload(segments[3], params)
        if key not in state.objects:
            return self._error(404, f"no such endpoint: {kind}")
        value = state.objects[key]
        if isinstance(value, dict):  # a single object (a canvas, a transcript)
            return self._json(200, value)
        limit = int(params.get("limit", ["100"])[0])
        after = params.get("after", [None])[0]
        ids = [item.get("id") for item in value]
        start = ids.index(after) + 1 if after is not None and after in ids else 0
        if after is not None and after not in ids:
            return self._error(400, "unknown cursor")
        items = value[start : start + limit]
        self._json(200, {"object": "list", "data": items,
                         "has_more": start + limit < len(value),
                         "last_id": items[-1].get("id") if items else None})
        return None

    def _upload(self, file_id: str, params: dict[str, list[str]]) -> None:
        state = self.server.state
        if file_id in state.expired_uploads:
            return self._error(410, "The file has expired and is no longer available")
        if file_id not in state.uploads or "conversation_id" not in params:
            return self._error(404, "file not found")
        if state.download_base is None:
            return self._send_upload(state, file_id, self)
        self.send_response(307)
        self.send_header("Location", f"{state.download_base}/file/{file_id}?sig=minutes")
        self.send_header("Content-Length", "0")
        self.end_headers()
        return None

    @staticmethod
    def _send_upload(state: FakeCompliance, file_id: str, handler: _Handler) -> None:
        content_type, body = state.uploads[file_id]
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def _messages(self, conversation_id: str, params: dict[str, list[str]]) -> None:
        state = self.server.state
        limit = int(params.get("limit", ["100"])[0])
        with state._lock:
            page = state.messages_page(conversation_id, params.get("after", [None])[0], limit)
        if page is None:
            return self._error(404, "conversation or cursor not found")
        items, has_more = page
        last_id = state.cursor(items[-1]["id"]) if items else None
        self._json(200, {"object": "list", "data": items, "has_more": has_more,
                         "last_id": last_id})
        return None

    def _logs(
        self, parts: list[str], params: dict[str, list[str]], authorized: bool,
        fault: Fault | None,
    ) -> None:
        state = self.server.state
        kind, principal = parts[2], parts[3]
        if kind not in ("workspaces", "organizations") or len(parts) > 6:
            return self._error(404, "no such endpoint")
        if not authorized:
            return self._error(401, "invalid API key")
        if principal != state.workspace_id or (kind == "organizations") != (
            principal.startswith("org-")
        ):
            return self._error(404, f"{kind[:-1]} not found")
        if "logs" in state.removed:
            code, reason = state.removed["logs"]
            return self._error(code, reason)
        if fault is not None and fault.kind == "status":
            return self._error(fault.status, "injected", fault.retry_after)
        if fault is not None and fault.kind == "reset":
            return self._reset()
        if len(parts) == 6:
            return self._redirect_log(parts[5])
        event_type = params.get("event_type", [None])[0]
        if event_type is None:
            return self._error(400, "event_type is required")
        after = params.get("after", [None])[0]
        if after is None:
            return self._error(400, "after is required")
        limit = int(params.get("limit", ["100"])[0])
        before = params.get("before", [None])[0]
        files = [f for f in state.log_files if f.event_type == event_type
                 and f.end_time > after and (before is None or f.end_time <= before)]
        page = files[:limit]
        self._json(200, {
            "object": "list",
            "data": [{"id": f.id, "object": "compliance.log_file", "event_type": f.event_type,
                      "start_time": f.start_time, "end_time": f.end_time} for f in page],
            "has_more": len(files) > limit,
            "last_end_time": page[-1].end_time if page else after,
        })
        return None

    def _redirect_log(self, log_id: str) -> None:
        state = self.server.state
        if not any(f.id == log_id for f in state.log_files):
            return self._error(404, "log file not found")
        if state.download_base is None:  # served by the API itself, same origin
            return self._send_log(state, log_id, self)
        self.send_response(307)
        self.send_header("Location", f"{state.download_base}/dl/{log_id}?sig=short-lived")
        self.send_header("Content-Length", "0")
        self.end_headers()
        return None

    @staticmethod
    def _send_log(state: FakeCompliance, log_id: str, handler: _Handler) -> None:
        log = next(f for f in state.log_files if f.id == log_id)
        with state._lock:
            fault = state.download_faults.pop(log_id, None)
        if fault is not None and fault.kind == "status":
            return handler._error(fault.status, "the download URL expired")
        handler.send_response(200)
        handler.send_header("Content-Type", "application/x-ndjson")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        for index, line in enumerate(log.lines()):
            if fault is not None and fault.kind == "reset_mid_body" and index == fault.after_items:
                handler.wfile.flush()
                time.sleep(0.1)
                return handler._reset()
            handler._chunk(line)
        handler.wfile.write(b"0\r\n\r\n")
        return None

    def _json(self, code: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

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
        last_id = self.server.state.cursor(items[-1]["id"]) if items else None
        tail = {"has_more": has_more, "last_id": last_id}
        self._chunk(b"], " + json.dumps(tail).encode()[1:])
        self.wfile.write(b"0\r\n\r\n")
        return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: FakeCompliance

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # resets and clients that gave up are part of the act


class _LoopbackServer:
    """Serves ``state`` with ``handler`` on a loopback host and an ephemeral port."""

    path = ""

    def __init__(self, state: FakeCompliance, host: str, handler: type[BaseHTTPRequestHandler]
                 ) -> None:
        self.state = state
        self._server = _Server((host, 0), handler)
        self._server.state = state
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{self.path}"

    def start(self) -> None:
        self._thread.start()

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class FakeComplianceServer(_LoopbackServer):
    """Runs :class:`FakeCompliance` on 127.0.0.1 with an ephemeral port."""

    path = "/v1"

    def __init__(self, state: FakeCompliance) -> None:
        super().__init__(state, "127.0.0.1", _Handler)

    def __enter__(self) -> FakeComplianceServer:
        self.start()
        return self


@dataclass(frozen=True)
class LogFile:
    """One Logs Platform file: its window and its events (one JSON object per line)."""

    id: str
    end_time: str  # ISO, "2026-11-30T01:00:00Z": sorts as it compares
    events: list[dict[str, Any] | str]  # a str is sent as is (a broken line)
    event_type: str = "CONVERSATION_MESSAGE"
    start_time: str = "2026-11-01T00:00:00Z"

    def lines(self) -> list[bytes]:
        return [(e if isinstance(e, str) else json.dumps(e)).encode() + b"\n"
                for e in self.events]


def log_event(
    message_id: str,
    text: str,
    conversation_id: str = "conv-1",
    title: str | None = "Chat title",
    role: str = "user",
    user_id: str = "user-abc123",
    **conversation: Any,
) -> dict[str, Any]:
    """A CONVERSATION_MESSAGE event as the reference describes it."""
    return {
        "event_id": f"evt-{message_id}",
        "type": "CONVERSATION_MESSAGE",
        "timestamp": "2026-11-30T10:00:00Z",
        "principal": {"id": WORKSPACE, "type": "workspace"},
        "actor": {"type": "user", "user_id": user_id, "user_email": f"{user_id}@corp.example"},
        "message": {
            "id": message_id,
            "parent_id": None,
            "created_at": "2026-11-30T10:00:00Z",
            "author": {"type": role},
            "content": {"type": "text", "value": text},
            "files": [],
            "annotations": [],
        },
        "conversation": {
            "id": conversation_id,
            "title": title,
            "gpt_id": None,
            "project_id": None,
            "created_at": "2026-11-30T09:59:00Z",
            "is_temporary_chat": False,
            "is_pinned": False,
            **conversation,
        },
    }


class _DownloadHandler(_Handler):
    """The download host: serves ``/dl/<log id>``, knows nothing of keys."""

    def do_GET(self) -> None:
        state = self.server.state
        url = urlsplit(self.path)
        authorization = self.headers.get("Authorization")
        with state._lock:
            state.downloads.append(LoggedRequest(
                len(state.downloads) + 1, url.path, parse_qs(url.query),
                authorized=authorization is not None,
            ))
        parts = url.path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "file" and parts[1] in state.uploads:
            return self._send_upload(state, parts[1], self)
        if len(parts) != 2 or parts[0] != "dl":
            return self._error(404, "no such download")
        return self._send_log(state, parts[1], self)


class DownloadServer(_LoopbackServer):
    """Serves log files on another loopback host (127.0.0.2), like a storage bucket."""

    def __init__(self, state: FakeCompliance, host: str = "127.0.0.2") -> None:
        super().__init__(state, host, _DownloadHandler)

    def __enter__(self) -> DownloadServer:
        self.start()
        self.state.download_base = self.base_url
        return self
