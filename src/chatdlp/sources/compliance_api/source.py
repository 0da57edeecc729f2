"""``compliance://WORKSPACE_ID``: conversations streamed from the live Compliance API.

This is the stateful path (``/conversations``), which OpenAI deprecated in favour
of the Logs Platform (``logs.LogsPlatformSource``): it keeps working where a
workspace still answers on it.

One request is one page; its body is parsed as it arrives (see ``paging``), so
memory holds one conversation at a time whatever the page size. The first page
always carries ``since_timestamp`` (0 when unbounded); later pages carry the
server's ``last_id`` as ``after``. Transient failures are retried (``retry``):
a page that broke is asked for again with the same cursor, and the
conversations already handed out from it are skipped, so nothing is read twice
and nothing is lost (the id of an item is not a cursor). A page that fails on
size or time is asked for again with half the page size. The limiter keeps
requests under the per-minute limit.

A conversation whose embedded ``messages`` list says ``has_more`` is completed
through ``/conversations/{id}/messages``; one that cannot be completed is kept,
and counted as a failure (the run exits 3).

``records()`` yields the raw API dicts (for ``chatdlp fetch``), and
``conversations()`` the same records as :class:`Conversation` (for ``scan``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from chatdlp.errors import ChatdlpError, ConfigError, SourceError
from chatdlp.records import Conversation, Diagnostics
from chatdlp.sources.compliance_api.limiter import RateLimiter
from chatdlp.sources.compliance_api.page_stream import FetchStats, PageStream
from chatdlp.sources.compliance_api.paging import (
    PageGuard,
    QueryParams,
)
from chatdlp.sources.compliance_api.retry import (
    RetryPolicy,
    TransientFault,
)
from chatdlp.sources.compliance_api.settings import ComplianceSettings
from chatdlp.sources.compliance_api.transport import ApiTransport, LiveSource
from chatdlp.sources.compliance_api.uploads import (
    UploadReader,
    read_uploads,
    refs_of_conversation,
)
from chatdlp.sources.compliance_records import conversation_from_api, has_more_messages

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class ApiRecord:
    """One raw Compliance API Conversation and where it was read ("page 3 item 7")."""

    raw: dict[str, Any]
    where: str


def _item_ids(items: list[Any]) -> list[str]:
    return [i["id"] for i in items if isinstance(i, dict) and isinstance(i.get("id"), str)]


def _message_count(raw: dict[str, Any]) -> int:
    messages = raw.get("messages")
    if isinstance(messages, dict):
        messages = messages.get("data")
    return len(messages) if isinstance(messages, list) else 0


class ComplianceApiSource(LiveSource):
    """Conversations of one workspace, read from the Compliance API.

    The HTTP client is injected (tests point it at a loopback fake); without
    one, the source makes its own from the settings and closes it when done.
    """

    def __init__(
        self,
        settings: ComplianceSettings,
        client: httpx.Client | None = None,
        progress: Progress | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        limiter: RateLimiter | None = None,
        uploads: UploadReader | None = None,
    ) -> None:
        super().__init__(settings, client, progress, sleep, clock)
        self.settings = settings
        self.uploads = uploads  # --include files: the text of each conversation's uploads
        self.limiter = limiter or RateLimiter(
            settings.max_requests_per_minute, clock=clock, sleep=sleep
        )
        self.stats = FetchStats()

    @property
    def name(self) -> str:
        return self.settings.source_name

    def __repr__(self) -> str:
        return f"ComplianceApiSource({self.name!r})"

    def records(self, diagnostics: Diagnostics) -> Iterator[ApiRecord]:
        """Every conversation of every page, as the raw API dict, in order."""
        with self.transport() as transport:
            yield from self._records(transport, diagnostics)

    def _records(self, transport: ApiTransport, diagnostics: Diagnostics) -> Iterator[ApiRecord]:
        stream = PageStream(
            self.settings, transport.client, self.limiter, self.stats, diagnostics,
            self._progress,
        )

        def waiting(fault: TransientFault, seconds: float, retry: int) -> None:
            self._progress(
                f"{self.name}: {fault.reason}, waiting {seconds:.1f} s before page "
                f"{fault.page} (retry {retry})"
            )

        policy = RetryPolicy(
            self.settings.retry, self.name, sleep=self._sleep, on_wait=waiting,
            budget=self.retries,
        )
        last_page = 0
        try:
            while (item := policy.call(stream.next_item)) is not None:
                raw, where = item
                if stream.page != last_page and last_page:
                    self._report_progress(last_page)
                last_page = stream.page
                if not isinstance(raw, dict):
                    diagnostics.skip(where, "conversation is not a JSON object")
                    continue
                if has_more_messages(raw) or not ("messages" in raw or "message" in raw):
                    raw = self._complete(raw, where, transport, diagnostics)
                self.stats.conversations += 1
                self.stats.messages += _message_count(raw)
                yield ApiRecord(raw, where)
            self._report_progress(stream.page, done=True)
        finally:
            stream.close()

    def _complete(
        self, raw: dict[str, Any], where: str, transport: ApiTransport, diagnostics: Diagnostics
    ) -> dict[str, Any]:
        """The conversation with every message: its embedded list said ``has_more`` (or
        it came without any list), so the rest is paged in from
        ``/conversations/{id}/messages``. What cannot be read is counted as a failure
        (exit 3); what was read is kept."""
        embedded = raw.get("messages")
        from_start = not isinstance(embedded, dict)
        envelope = dict(embedded) if isinstance(embedded, dict) else {"object": "list"}
        data = list(envelope.get("data") or []) if isinstance(envelope.get("data"), list) else []
        conversation_id = raw.get("id")
        cursor = envelope.get("last_id")
        fetched = 0

        def partly(reason: str) -> dict[str, Any]:
            self.stats.partial_conversations += 1
            diagnostics.fail(
                where, "conversation read partly",
                f"{len(data)} message(s) read, the rest unread: {reason}",
            )
            return {**raw, "messages": {**envelope, "data": data}}

        if not isinstance(conversation_id, str) or not conversation_id:
            return partly("the conversation has no id to ask /messages with")
        url = f"{self.settings.conversations_url}/{quote(conversation_id, safe='')}/messages"
        page = 0
        guard = PageGuard(self.settings.paging)
        while True:
            params: QueryParams = [("limit", str(self.settings.page_size))]
            if isinstance(cursor, str) and cursor:
                params.append(("after", cursor))
            elif not (from_start and page == 0):
                return partly("its messages list says has_more but gives no last_id")
            page += 1
            label = f"{where} messages page {page}"
            try:
                answer = transport.get_json(
                    url, params,
                    "/conversations/{id}/messages", label, page=page + 1,
                )
            except ConfigError:
                raise
            except ChatdlpError as exc:
                return partly(str(exc))
            items = answer.get("data")
            if not isinstance(items, list):
                return partly(f"{label} is not a list envelope")
            self.stats.message_pages += 1
            data.extend(items)
            fetched += len(items)
            if answer.get("has_more") is not True:
                break
            next_cursor = answer.get("last_id")
            if next_cursor == cursor and not items:
                return partly(f"{label} says has_more but gives no new last_id")
            if isinstance(next_cursor, str):
                try:  # a server repeating pages would grow ``data`` without end
                    guard.advance(label, next_cursor, _item_ids(items))
                except SourceError as exc:
                    return partly(str(exc))
            cursor = next_cursor
        self.stats.completed_conversations += 1
        self._progress(f"{where}: {fetched} more message(s) read from /messages")
        return {**raw, "messages": {**envelope, "data": data, "has_more": False,
                                    "last_id": answer.get("last_id") or envelope.get("last_id")}}

    def _report_progress(self, page: int, done: bool = False) -> None:
        state = "done" if done else "read"
        def n(count: int, noun: str, nouns: str = "") -> str:
            return f"{count:,} {noun if count == 1 else nouns or noun + 's'}"

        retries = f", {n(self.retries.retries, 'retry', 'retries')}" if self.retries.retries else ""
        self._progress(
            f"{self.name}: page {page} {state}: {n(self.stats.conversations, 'conversation')}, "
            f"{n(self.stats.messages, 'message')} so far ({n(self.stats.requests, 'request')}{retries})"
        )

    def conversations(self, diagnostics: Diagnostics) -> Iterator[Conversation]:
        with self.uploads if self.uploads is not None else nullcontext():
            for record in self.records(diagnostics):
                # records() has completed the messages list, or counted what it could not.
                conversation = conversation_from_api(
                    record.raw, self.name, record.where, diagnostics, check_partial=False
                )
                if conversation is not None:
                    yield conversation
                yield from read_uploads(self.uploads, refs_of_conversation(record.raw),
                                        self.name, record.where, diagnostics)
