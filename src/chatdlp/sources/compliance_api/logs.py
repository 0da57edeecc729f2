"""``compliance://ID`` through the Compliance Logs Platform: events from immutable log files.

After ../shared/reference/compliance-api.md ("Logs Platform"):

1. list the log files of each event type:
   ``GET /compliance/{workspaces|organizations}/{id}/logs?event_type=T&limit=N&after=ISO``
   (ids starting ``org-`` are organisations), paging on ``last_end_time`` until
   ``has_more`` is false;
2. download each file (``GET .../logs/{log_id}`` answers ``307`` to a short-lived
   URL, often on another host: the key is never sent there) and stream its JSONL,
   one event per line;
3. turn each event into a message of its conversation
   (:mod:`chatdlp.sources.compliance_logs`), once per message id.

The default window is the last 30 days (what the platform keeps) when no
``since`` is given. ``checkpoint`` is the ``last_end_time`` through which every
file of every selected event type was read: the position an incremental run
stores. A file that cannot be read is a failure (exit 3), and the checkpoint
does not move past it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

import httpx

from chatdlp.digests import DigestSet
from chatdlp.errors import ChatdlpError, ConfigError, SourceError
from chatdlp.records import TITLE_ROLE, Conversation, Diagnostics
from chatdlp.sources._inflate import InflateLimits
from chatdlp.sources.compliance_api.logs_settings import LogsSettings
from chatdlp.sources.compliance_api.paging import BodyDeadline, PageGuard, PagingLimits, QueryParams
from chatdlp.sources.compliance_api.retry import TransientFault
from chatdlp.sources.compliance_api.source import ApiRecord
from chatdlp.sources.compliance_api.transport import ApiTransport, LiveSource
from chatdlp.sources.compliance_api.uploads import UploadReader, read_uploads, refs_of_event
from chatdlp.sources.compliance_logs import (
    conversation_from_event,
    format_iso,
    merge_consecutive,
    parse_iso,
)

Progress = Callable[[str], None]
MAX_LINE_BYTES = 64 * 1024 * 1024
LIST_ENDPOINT = "/logs"
FILE_ENDPOINT = "/logs/{id}"


@dataclass
class LogsStats:
    list_pages: int = 0
    files: int = 0
    files_failed: int = 0
    resumed_downloads: int = 0
    lines: int = 0
    events: int = 0
    duplicate_events: int = 0
    other_users: int = 0  # --users: events of users not asked for
    by_event_type: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Complete:
    """Marker: everything up to ``position`` (Unix seconds) has been handed out."""

    position: float


class _MidBody(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _lines(response: httpx.Response, limits: PagingLimits | None = None) -> Iterator[bytes | None]:
    """The lines of a streamed body; None for a line too long to hold."""
    buffer = b""
    overflow = False
    deadline = BodyDeadline(limits or PagingLimits())
    inflate = InflateLimits.from_environment()
    inflated = 0
    try:
        for chunk in response.iter_bytes():
            if (slow := deadline.check(len(chunk))) is not None:
                raise _MidBody(slow)
            inflated += len(chunk)
            if (bomb := inflate.check(inflated, response.num_bytes_downloaded)) is not None:
                raise SourceError(f"the file's content encoding {bomb}")
            buffer += chunk
            while (cut := buffer.find(b"\n")) >= 0:
                line, buffer = buffer[:cut], buffer[cut + 1:]
                yield None if overflow else line
                overflow = False
            if len(buffer) > MAX_LINE_BYTES:
                buffer, overflow = b"", True
    except httpx.TimeoutException:
        raise _MidBody("timed out reading the file") from None
    except httpx.TransportError as exc:
        raise _MidBody(f"connection lost reading the file ({type(exc).__name__})") from None
    except httpx.DecodingError:
        raise SourceError("undecodable content encoding") from None
    if overflow:
        yield None
    elif buffer.strip():
        yield buffer


class LogsPlatformSource(LiveSource):
    """Messages of one workspace or organisation, read from Logs Platform files.

    ``client`` (without redirects followed), ``sleep``, ``clock`` (monotonic, for
    pacing) and ``now`` (wall time, for the default window) are injected.
    """

    def __init__(
        self,
        settings: LogsSettings,
        client: httpx.Client | None = None,
        progress: Progress | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], float] = time.time,
        uploads: UploadReader | None = None,
    ) -> None:
        super().__init__(settings.api, client, progress, sleep, clock,
                         principal=settings.principal)
        self.settings = settings
        self.uploads = uploads  # --include files: the text of each event's uploads
        self._now = now
        self.stats = LogsStats()
        # The last_end_time each event type was read through (ISO, as the server wrote it).
        self.last_end_time: dict[str, str] = {}
        self.checkpoint: float | None = None
        # Events (and titles) handed out this run: exact, bounded in memory.
        self._seen = DigestSet()

    @property
    def name(self) -> str:
        return self.settings.api.source_name

    @property
    def api_path(self) -> str:
        return "logs"

    def __repr__(self) -> str:
        return f"LogsPlatformSource({self.name!r})"

    # -- the stream ----------------------------------------------------------------

    def records(self, diagnostics: Diagnostics) -> Iterator[ApiRecord]:
        """Every new event (one per message id), as the raw dict, in order."""
        for item in self._stream(diagnostics):
            if isinstance(item, ApiRecord):
                yield item

    def conversations(self, diagnostics: Diagnostics) -> Iterator[Conversation]:
        """Consecutive events of one conversation become one Conversation. The last
        one handed out before a listing page is complete carries that page's
        ``last_end_time`` as ``updated_at``: the checkpoint the pipeline may store
        once it has stored everything before it."""
        with self.uploads if self.uploads is not None else nullcontext():
            yield from self._stamped(diagnostics)

    def _stamped(self, diagnostics: Diagnostics) -> Iterator[Conversation]:
        pending: Conversation | None = None
        for item in merge_consecutive(self._conversations(diagnostics)):
            if pending is not None and item.conversation_id == "" and not item.messages:
                # the marker of a complete page
                if item.updated_at is not None:
                    pending = replace(pending, updated_at=item.updated_at)
                yield pending
                pending = None
                continue
            if item.conversation_id == "" and not item.messages:
                continue
            if pending is not None:
                yield pending
            pending = item
        if pending is not None:
            yield pending

    def _conversations(self, diagnostics: Diagnostics) -> Iterator[Conversation]:
        for item in self._stream(diagnostics):
            if isinstance(item, _Complete):
                yield Conversation("", (), updated_at=item.position, source=self.name)
                continue
            conversation = conversation_from_event(item.raw, self.name, item.where, diagnostics)
            if conversation is not None:
                yield self._without_seen_titles(conversation)
            yield from read_uploads(self.uploads, refs_of_event(item.raw), self.name,
                                    item.where, diagnostics)

    def _without_seen_titles(self, conversation: Conversation) -> Conversation:
        """Every event repeats its conversation's title: hand it out once (again if it
        changed)."""
        kept = []
        for message in conversation.messages:
            if message.role == TITLE_ROLE and not self._seen.first_time(
                "title", message.conversation_id, message.text
            ):
                continue
            kept.append(message)
        if len(kept) == len(conversation.messages):
            return conversation
        return replace(conversation, messages=tuple(kept))

    def _stream(self, diagnostics: Diagnostics) -> Iterator[ApiRecord | _Complete]:
        try:
            with self.transport() as transport:
                yield from self._read(transport, diagnostics)
        finally:
            self._seen.close()  # the spill file, if any, goes with the run

    def _read(
        self, transport: ApiTransport, diagnostics: Diagnostics
    ) -> Iterator[ApiRecord | _Complete]:
        start = self.settings.start(self._now())
        self._progress(
            f"{self.name}: reading the Logs Platform ({', '.join(self.settings.event_types)}) "
            f"from {format_iso(start)}"
        )
        done: dict[str, float] = {t: start for t in self.settings.event_types}
        healthy = True
        for event_type in self.settings.event_types:
            for item in self._event_type(transport, event_type, start, diagnostics):
                if isinstance(item, _Complete):
                    if not healthy:
                        continue
                    done[event_type] = item.position
                    safe = min(done.values())
                    if self.checkpoint is None or safe > self.checkpoint:
                        self.checkpoint = safe
                        yield _Complete(safe)
                elif item is None:
                    healthy = False  # a file went unread: the checkpoint stays
                else:
                    yield item
        self._progress(
            f"{self.name}: Logs Platform done: {self.stats.files} file(s), "
            f"{self.stats.events:,} event(s), {self.stats.duplicate_events:,} seen before"
            + (f", {self.stats.files_failed} file(s) unread" if self.stats.files_failed else "")
        )

    def _event_type(
        self, transport: ApiTransport, event_type: str, start: float, diagnostics: Diagnostics
    ) -> Iterator[ApiRecord | _Complete | None]:
        after = format_iso(start)
        page = 0
        guard = PageGuard(self.settings.api.paging)
        while True:
            page += 1
            where = f"{self.name} logs {event_type} page {page}"
            params: QueryParams = [
                ("event_type", event_type),
                ("limit", str(self.settings.api.page_size)),
                ("after", after),
            ]
            if self.settings.before is not None:
                params.append(("before", format_iso(self.settings.before)))
            answer = transport.get_json(self.settings.logs_url, params, LIST_ENDPOINT, where,
                                        page=page)
            self.stats.list_pages += 1
            files = answer.get("data")
            if not isinstance(files, list):
                raise SourceError(f"{where}: not a list of log files (no data list)")
            page_ids: list[str] = []
            for index, entry in enumerate(files):
                log_id = entry.get("id") if isinstance(entry, dict) else None
                if isinstance(log_id, str):
                    page_ids.append(log_id)
                if not isinstance(log_id, str) or not log_id:
                    diagnostics.fail(f"{where} item {index}", "log file without an id")
                    yield None
                    continue
                yield from self._file(transport, event_type, log_id, where, diagnostics)
            last_end = answer.get("last_end_time")
            position = parse_iso(last_end)
            has_more = answer.get("has_more") is True
            if isinstance(last_end, str) and position is not None:
                self.last_end_time[event_type] = last_end
                yield _Complete(position)
            elif files or has_more:
                diagnostics.skip(where, "log listing without a last_end_time")
            if not has_more:
                return
            if not isinstance(last_end, str) or last_end == after:
                raise SourceError(
                    f"{where}: has_more is true but the page gives no new last_end_time; "
                    "cannot go on without reading the same page again"
                )
            guard.advance(where, last_end, page_ids)
            after = last_end

    def _file(
        self,
        transport: ApiTransport,
        event_type: str,
        log_id: str,
        listing: str,
        diagnostics: Diagnostics,
    ) -> Iterator[ApiRecord | None]:
        """The new events of one log file; None once if it could not be read whole."""
        where = f"{self.name} log file {log_id}"
        url = f"{self.settings.logs_url}/{quote(log_id, safe='')}"
        lines_done = 0
        resumptions = 0
        retry = self.settings.api.retry
        self.stats.files += 1
        while True:
            try:
                with transport.download(url, FILE_ENDPOINT, where) as response:
                    for number, line in enumerate(_lines(response, self.settings.api.paging), start=1):
                        if number <= lines_done:
                            continue  # read before the connection broke
                        lines_done = number
                        self.stats.lines += 1
                        record = self._event(line, f"{where} line {number}", event_type,
                                             diagnostics)
                        if record is not None:
                            yield record
                return
            except _MidBody as broken:
                resumptions += 1
                if resumptions >= retry.max_attempts:
                    reason = f"{broken.reason}, {resumptions} time(s)"
                    self._unread(where, lines_done, reason, diagnostics)
                    yield None
                    return
                pause = min(retry.max_backoff, retry.initial_backoff * 2 ** (resumptions - 1))
                self.stats.resumed_downloads += 1
                self.retries.retries += 1
                self.retries.waited += pause
                self._progress(f"{where}: {broken.reason} after line {lines_done}; "
                               f"reading on from there in {pause:.1f} s")
                self._sleep(pause)
            except ConfigError:
                raise
            except (ChatdlpError, TransientFault) as exc:
                self._unread(where, lines_done, str(exc), diagnostics)
                yield None
                return

    def _unread(self, where: str, lines: int, reason: str, diagnostics: Diagnostics) -> None:
        self.stats.files_failed += 1
        detail = f"{lines} line(s) read, the rest unread: {reason}"
        diagnostics.fail(where, "log file read partly" if lines else "log file not read", detail)

    def _event(
        self, line: bytes | None, where: str, event_type: str, diagnostics: Diagnostics
    ) -> ApiRecord | None:
        if line is None:
            diagnostics.skip(where, "line too long", f"over {MAX_LINE_BYTES} bytes")
            return None
        if not line.strip():
            return None
        try:
            event = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            reason = "line is not valid UTF-8" if isinstance(exc, UnicodeDecodeError) else (
                "malformed JSON"
            )
            diagnostics.skip(where, reason)
            return None
        if not isinstance(event, dict):
            diagnostics.skip(where, "event is not a JSON object", type(event).__name__)
            return None
        declared = event.get("type")
        kind = declared if isinstance(declared, str) else event_type
        self.stats.by_event_type[kind] = self.stats.by_event_type.get(kind, 0) + 1
        users = self.settings.api.users
        actor = event.get("actor")
        if users and (not isinstance(actor, dict) or actor.get("user_id") not in users):
            self.stats.other_users += 1
            return None
        key = _event_key(event)
        if key is not None and not self._seen.first_time("event", *key):
            self.stats.duplicate_events += 1
            return None
        self.stats.events += 1
        return ApiRecord(event, where)


def _event_key(event: dict[str, Any]) -> tuple[str, str] | None:
    """What makes an event the same message again in a later file: its message id
    (else its event id), within its conversation."""
    message = event.get("message")
    conversation = event.get("conversation")
    message_id = message.get("id") if isinstance(message, dict) else None
    conversation_id = conversation.get("id") if isinstance(conversation, dict) else None
    ident = message_id if isinstance(message_id, str) else event.get("event_id")
    if not isinstance(ident, str):
        return None
    scope = conversation_id if isinstance(conversation_id, str) else ""
    return scope, ident
