"""A fake of the Compliance API's delete endpoints on 127.0.0.1 (real HTTP, a thread).

After shared/reference/compliance-api.md, "Deletes": conversations, users' files, and
GPTs' / Projects' sharing. A delete of something that exists answers 200 and removes
it; of something unknown (or already deleted), 404. The delete key is accepted; the
read key (scope ``read`` only) gets 403; anything else 401. ``faults`` (one consumed per
request) plays 429 with Retry-After, 5xx or a connection reset.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from tests.fake_compliance import API_KEY as READ_KEY
from tests.fake_compliance import RESET, WORKSPACE, FakeComplianceServer, Fault, status
from tests.fake_compliance import _Handler as ComplianceHandler

DELETE_KEY = "sk-compliance-DELETE-91b2e7d40c"  # must never appear in any output

__all__ = ["DELETE_KEY", "READ_KEY", "RESET", "WORKSPACE", "DeleteApi", "FakeDeleteServer", "status"]


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    key: str  # "delete", "read", "other", "none"
    answered: int | None


@dataclass
class DeleteApi:
    conversations: set[str] = field(default_factory=set)
    files: set[tuple[str, str]] = field(default_factory=set)  # (user id, file id)
    shared_gpts: set[str] = field(default_factory=set)
    shared_projects: set[str] = field(default_factory=set)
    workspace_id: str = WORKSPACE
    faults: deque[Fault | None] = field(default_factory=deque)
    calls: list[Call] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)  # paths that removed something

    def __post_init__(self) -> None:
        self.lock = threading.Lock()

    def take(self, parts: list[str]) -> bool:
        """Remove what the path names; False when there is nothing there."""
        if parts[:1] == ["conversations"] and len(parts) == 2 and parts[1] in self.conversations:
            self.conversations.discard(parts[1])
            return True
        if len(parts) == 4 and parts[0] == "users" and parts[2] == "files" and (
            (parts[1], parts[3]) in self.files
        ):
            self.files.discard((parts[1], parts[3]))
            return True
        if len(parts) == 3 and parts[2] == "shared_users":
            pool = {"gpts": self.shared_gpts, "projects": self.shared_projects}.get(parts[0])
            if pool is not None and parts[1] in pool:
                pool.discard(parts[1])
                return True
        return False


class _Handler(ComplianceHandler):
    """The delete endpoints; quiet logging, error bodies and resets as the read fake's."""

    server: Any  # tests.fake_compliance's server: .state is the DeleteApi

    def _key(self) -> str:
        header = self.headers.get("Authorization")
        if header is None:
            return "none"
        return {f"Bearer {DELETE_KEY}": "delete", f"Bearer {READ_KEY}": "read"}.get(header, "other")

    def do_GET(self) -> None:
        self._refuse("GET", 404, "not part of this fake")

    def do_DELETE(self) -> None:
        api = self.server.state
        path = urlsplit(self.path).path
        parts = [unquote(p) for p in path.strip("/").split("/")]
        key = self._key()
        with api.lock:
            fault = api.faults.popleft() if api.faults else None
        if fault is not None and fault.kind == "reset":
            self._record("DELETE", None)
            return self._reset()
        if key in ("none", "other"):
            return self._refuse("DELETE", 401, "invalid API key")
        if key == "read":
            return self._refuse("DELETE", 403, "this key lacks the delete scope")
        if fault is not None and fault.kind == "status":
            return self._refuse("DELETE", fault.status, "injected", fault.retry_after)
        if parts[:4] != ["v1", "compliance", "workspaces", api.workspace_id]:
            return self._refuse("DELETE", 404, "workspace not found")
        with api.lock:
            removed = api.take(parts[4:])
            if removed:
                api.deleted.append(path)
        if not removed:
            return self._refuse("DELETE", 404, "not found")
        self._record("DELETE", 200)
        body = json.dumps({"id": parts[-1], "object": "compliance.deleted", "deleted": True})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())
        return None

    def _record(self, method: str, code: int | None) -> None:
        api = self.server.state
        with api.lock:
            api.calls.append(Call(method, urlsplit(self.path).path, self._key(), code))

    def _refuse(self, method: str, code: int, text: str, retry_after: str | None = None) -> None:
        self._record(method, code)
        self._error(code, text, retry_after)


class FakeDeleteServer(FakeComplianceServer):
    """The fake Compliance API's loopback server, answering with the delete handler."""

    def __init__(self, api: DeleteApi) -> None:
        super().__init__(api)  # type: ignore[arg-type]  # its server only carries the state
        self._server.RequestHandlerClass = _Handler
        self.api = api

    def __enter__(self) -> FakeDeleteServer:
        super().__enter__()
        return self
