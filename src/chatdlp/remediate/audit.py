"""An audit trail of chatdlp's own API calls: one JSON line per HTTP request, hash-chained.

Each line holds the time, the run id, the method, the path (with its ids), the status,
the bytes sent and received, the duration and the retry count, and ``prev``: the
sha256 of the previous line's bytes (64 zeros on the first line). Never a header
(the key travels in one), never a body (message text travels in them), never the
query of a request to another host than the API's (download URLs carry signatures).

The file is opened ``O_APPEND`` with mode 0600 and an exclusive lock for the writer's
lifetime; each line is fsynced. :func:`verify_audit` walks the chain: an edited,
inserted or removed line breaks it at the line that follows. The last line has no
follower: ``remediate apply`` records the head (digest and line count) in the plan,
and ``audit verify --plan`` checks it, so a cut or rewritten tail is found too.

Any API command can use it: :func:`attach_audit` wraps the transports of an
``httpx.Client`` in :class:`AuditTransport`, which sees every request (redirect hops
and failed connections included) and writes the line when the response body is closed.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx

from chatdlp.errors import AuditMismatch, ConfigError, ScanIncomplete

GENESIS = "0" * 64
# Request extension a client may set to say which retry of a call this request is;
# without it the trail counts a request repeating the previous one after a 429/5xx/failure.
RETRY_EXTENSION = "chatdlp.retry"
_TAIL_CHUNK = 1 << 16


def line_digest(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


def new_run_id() -> str:
    return f"{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def _scan(path: Path) -> tuple[int, str]:
    """(lines, digest of the last line) of an existing log; refuses a torn last line."""
    lines, last = 0, b""
    with path.open("rb") as handle:
        pending = b""
        while chunk := handle.read(_TAIL_CHUNK):
            pending += chunk
            *complete, pending = pending.split(b"\n")
            lines += len(complete)
            if complete:
                last = complete[-1]
    if pending:
        raise ConfigError(
            f"audit log {path}: the last line is incomplete (a run was killed while writing it); "
            "check it with 'chatdlp audit verify' and move the file aside"
        )
    return lines, (line_digest(last) if lines else GENESIS)


class AuditTrail:
    """The writer: appends one chained line per request. Thread-safe; one writer per file."""

    def __init__(
        self, path: Path, run_id: str, api_base_url: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = path
        self.run_id = run_id
        self._api_host = httpx.URL(api_base_url).netloc if api_base_url else None
        self._clock = clock
        self._lock = threading.Lock()
        try:
            self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as exc:
            raise ConfigError(f"audit log {path}: cannot open ({exc.strerror})") from None
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            raise ConfigError(f"audit log {path}: another chatdlp run is writing it") from None
        try:
            os.fchmod(self._fd, 0o600)
            self.lines, self.head = _scan(path)
        except BaseException:
            os.close(self._fd)
            raise
        self._seq = 0
        self._last: tuple[str, str] | None = None
        self._last_retry = 0
        self._last_transient = False

    def _retry_of(self, request: httpx.Request, transient: bool) -> int:
        explicit = request.extensions.get(RETRY_EXTENSION)
        key = (request.method, str(request.url))
        if isinstance(explicit, int):
            retry = explicit
        elif key == self._last and self._last_transient:
            retry = self._last_retry + 1
        else:
            retry = 0
        self._last, self._last_retry, self._last_transient = key, retry, transient
        return retry

    def record(
        self, request: httpx.Request, status: int | None, error: str | None,
        bytes_in: int, seconds: float,
    ) -> None:
        transient = status is None or status == 429 or status >= 500
        url = request.url
        ours = self._api_host is None or url.netloc == self._api_host
        with self._lock:
            self._seq += 1
            entry: dict[str, Any] = {
                "time": datetime.fromtimestamp(self._clock(), timezone.utc).isoformat(
                    timespec="milliseconds").replace("+00:00", "Z"),
                "run": self.run_id,
                "seq": self._seq,
                "method": request.method,
                "host": None if ours else url.host,
                "path": url.path,
                "query": url.query.decode("ascii", "replace") if ours and url.query else None,
                "status": status,
                "error": error,
                "bytes_out": int(request.headers.get("content-length") or 0),
                "bytes_in": bytes_in,
                "duration_ms": round(seconds * 1000, 1),
                "retry": self._retry_of(request, transient),
                "prev": self.head,
            }
            line = json.dumps(entry, separators=(",", ":"), ensure_ascii=True).encode("ascii")
            try:
                os.write(self._fd, line + b"\n")
                os.fsync(self._fd)
            except OSError as exc:
                raise ScanIncomplete(
                    f"audit log {self.path}: cannot write ({exc.strerror}): stopped; the call "
                    f"{request.method} {url.path} was sent and is not in the log"
                ) from None
            self.head = line_digest(line)
            self.lines += 1

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # releases the lock
            self._fd = -1

    def __enter__(self) -> AuditTrail:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class _CountingStream(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, done: Callable[[int], None]) -> None:
        self._inner = inner
        self._done = done
        self._count = 0
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            self._count += len(chunk)
            yield chunk

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._inner.close()
        finally:
            self._done(self._count)


class AuditTransport(httpx.BaseTransport):
    """Wraps a transport: every request it carries becomes one line of the trail."""

    def __init__(self, inner: httpx.BaseTransport, trail: AuditTrail) -> None:
        self._inner = inner
        self._trail = trail

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        started = time.monotonic()
        try:
            response = self._inner.handle_request(request)
        except Exception as exc:
            self._trail.record(request, None, type(exc).__name__, 0, time.monotonic() - started)
            raise
        stream = response.stream
        status = response.status_code

        def done(count: int) -> None:
            self._trail.record(request, status, None, count, time.monotonic() - started)

        if isinstance(stream, httpx.SyncByteStream):
            response.stream = _CountingStream(stream, done)
        else:  # not a sync transport's stream: log it now, size as announced
            done(int(response.headers.get("content-length") or 0))
        return response

    def close(self) -> None:
        self._inner.close()


def attach_audit(client: httpx.Client, trail: AuditTrail) -> httpx.Client:
    """Audit every request ``client`` sends (its transport and any proxy mounts); returns it."""
    client._transport = AuditTransport(client._transport, trail)
    client._mounts = {
        pattern: AuditTransport(transport, trail) if transport is not None else None
        for pattern, transport in client._mounts.items()
    }
    return client


def verify_audit(path: Path, anchors: Mapping[int, str] | None = None) -> tuple[int, str]:
    """(lines, head digest) of an intact log; AuditMismatch names the first line that breaks
    the chain. ``anchors`` (line number -> digest, from a plan's runs) pin heads recorded
    elsewhere, so a removed or rewritten tail is caught too."""
    wanted = dict(anchors or {})
    prev = GENESIS
    number = 0
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise ConfigError(f"audit log {path}: cannot read ({exc.strerror})") from None
    with handle:
        for number, raw in enumerate(handle, 1):
            if not raw.endswith(b"\n"):
                raise AuditMismatch(f"{path}:{number}: incomplete last line (no newline)")
            line = raw[:-1]
            try:
                entry = json.loads(line)
            except ValueError:
                raise AuditMismatch(f"{path}:{number}: not a JSON line (edited?)") from None
            if not isinstance(entry, dict) or entry.get("prev") != prev:
                raise AuditMismatch(
                    f"{path}:{number}: the hash chain is broken: this line does not follow "
                    f"line {number - 1} (a line was edited, inserted or removed at or before "
                    f"line {number})"
                )
            prev = line_digest(line)
            expected = wanted.pop(number, None)
            if expected is not None and expected != prev:
                raise AuditMismatch(f"{path}:{number}: not the line the plan recorded as this "
                                    "run's last (the log was rewritten)")
    if wanted:
        first = min(wanted)
        raise AuditMismatch(f"{path}:{first}: missing: the plan recorded {first} line(s) but the "
                            f"log has {number} (lines were removed from the end)")
    return number, prev
