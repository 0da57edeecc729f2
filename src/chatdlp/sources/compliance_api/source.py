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
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from chatdlp import __version__
from chatdlp.errors import ChatdlpError, ConfigError, SourceError
from chatdlp.records import Conversation, Diagnostics
from chatdlp.sources._guard import report_guard
from chatdlp.sources.compliance_api.limiter import RateLimiter
from chatdlp.sources.compliance_api.paging import (
    BodyDeadline,
    MalformedPage,
    PageGuard,
    PageParser,
    QueryParams,
    page_params,
)
from chatdlp.sources.compliance_api.refusals import RefusalContext, refusal, server_reason
from chatdlp.sources.compliance_api.retry import (
    RetryPolicy,
    TransientFault,
    parse_retry_after,
)
from chatdlp.sources.compliance_api.settings import ComplianceSettings
from chatdlp.sources.compliance_api.transport import ApiTransport, LiveSource, read_bounded
from chatdlp.sources.compliance_api.uploads import (
    UploadReader,
    read_uploads,
    refs_of_conversation,
)
from chatdlp.sources.compliance_records import conversation_from_api, has_more_messages

Progress = Callable[[str], None]
# Statuses that mean "this page was too big or too slow": ask for fewer items.
_SHRINK_STATUSES = frozenset({413, 504})


@dataclass(frozen=True, slots=True)
class ApiRecord:
    """One raw Compliance API Conversation and where it was read ("page 3 item 7")."""

    raw: dict[str, Any]
    where: str


@dataclass
class FetchStats:
    requests: int = 0
    pages: int = 0
    conversations: int = 0
    messages: int = 0
    rate_limit_waited: float = 0.0
    message_pages: int = 0  # /conversations/{id}/messages pages read
    completed_conversations: int = 0  # conversations whose messages were paged in full
    partial_conversations: int = 0  # conversations that could not be read in full


def _item_ids(items: list[Any]) -> list[str]:
    return [i["id"] for i in items if isinstance(i, dict) and isinstance(i.get("id"), str)]


def _message_count(raw: dict[str, Any]) -> int:
    messages = raw.get("messages")
    if isinstance(messages, dict):
        messages = messages.get("data")
    return len(messages) if isinstance(messages, list) else 0


class _PageStream:
    """The items of every page, one at a time; resumable after a failure.

    ``next_item`` raises :class:`TransientFault` for failures worth retrying: the
    caller retries it, and the stream picks up after the last item it parsed.
    """

    def __init__(
        self,
        settings: ComplianceSettings,
        client: httpx.Client,
        limiter: RateLimiter,
        stats: FetchStats,
        diagnostics: Diagnostics,
        progress: Progress,
    ) -> None:
        self._settings = settings
        self._client = client
        self._limiter = limiter
        self._stats = stats
        self._diagnostics = diagnostics
        self._progress = progress
        self._name = settings.source_name
        self.limit = settings.page_size
        self.page = 1
        self._cursor: str | None = None  # None: the first page (since_timestamp)
        self._request_cursor: str | None = None
        self._response: httpx.Response | None = None
        self._chunks: Iterator[bytes] | None = None
        self._parser: PageParser | None = None
        self._pending: deque[tuple[Any, str]] = deque()
        self._error: SourceError | None = None
        self._page_items = 0  # items of this page handed out (across resumed requests)
        self._page_ids: set[str] = set()  # ids handed out from this page: skipped on a resume
        self._parsed = 0  # items parsed from the current request's body
        self._last_parsed_id: str | None = None
        self._finished = False
        self._guard = PageGuard(settings.paging)
        self._deadline = BodyDeadline(settings.paging)

    # -- the stream -------------------------------------------------------------

    def next_item(self) -> tuple[Any, str] | None:
        while True:
            if self._pending:
                return self._pending.popleft()
            if self._error is not None:
                error, self._error = self._error, None
                self._finished = True
                raise error
            if self._finished:
                return None
            if self._response is None:
                self._open()
            self._read_chunk()

    def close(self) -> None:
        if self._response is not None:
            self._response.close()
        self._response = None
        self._chunks = None
        self._parser = None

    # -- one request ------------------------------------------------------------

    def _where(self) -> str:
        return f"{self._name} page {self.page}"

    def _open(self) -> None:
        def pacing(seconds: float) -> None:
            self._progress(
                f"{self._name}: pacing, waiting {seconds:.1f} s before page {self.page} "
                f"to stay under {self._settings.max_requests_per_minute} requests/minute"
            )

        self._stats.rate_limit_waited += self._limiter.acquire(on_wait=pacing)
        self._request_cursor = self._cursor
        # Every public client sends since_timestamp on page 1 (0 when unbounded): at
        # least one found the endpoint failing without it.
        since = self._settings.since_timestamp
        params = page_params(
            self._cursor, since if since is not None else 0, self.limit, self._settings.users
        )
        request = self._client.build_request(
            "GET",
            self._settings.conversations_url,
            params=params,
            headers={
                "Authorization": self._settings.api_key.bearer(),
                "Accept": "application/json",
                "User-Agent": f"chatdlp/{__version__}",
            },
        )
        self._stats.requests += 1
        try:
            response = self._client.send(request, stream=True)
        except httpx.TimeoutException:
            raise self._fault(f"timed out waiting for page {self.page}", shrink=True) from None
        except httpx.TransportError as exc:
            raise self._fault(f"connection failed ({type(exc).__name__})") from None
        except httpx.HTTPError as exc:
            raise SourceError(f"{self._where()}: request failed ({type(exc).__name__})") from None
        if response.status_code != 200:
            self._refuse(response)
        self._response = response
        self._chunks = response.iter_bytes()  # as the network delivers
        self._deadline = BodyDeadline(self._settings.paging)
        self._parser = PageParser()
        self._parsed = 0

    def _refuse(self, response: httpx.Response) -> None:
        status = response.status_code
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        key = self._settings.api_key.bearer()[len("Bearer "):]
        reason = server_reason(read_bounded(response), (key,))
        if status == 429:
            raise self._fault("rate limited (429)", retry_after=retry_after)
        if status in _SHRINK_STATUSES:
            raise self._fault(f"page too large or slow ({status})", retry_after, shrink=True)
        if status >= 500:
            raise self._fault(f"server error ({status})", retry_after=retry_after)
        context = RefusalContext(
            self._name, self._where(), f"workspace {self._settings.workspace_id!r}",
            "/conversations", first_page=self.page == 1,
        )
        raise refusal(status, reason, context)

    def _fault(
        self, reason: str, retry_after: float | None = None, shrink: bool = False
    ) -> TransientFault:
        """Abandon the current request; the next one resumes where this one stopped."""
        # The page is asked for again with the cursor it was asked with: the
        # conversations already handed out from it are skipped by id (_accept).
        self.close()
        if shrink and self.limit > 1:
            self.limit = max(1, self.limit // 2)
            self._progress(
                f"{self._name}: page {self.page} failed on size or time; "
                f"asking for {self.limit} conversation(s) per page from now on"
            )
        return TransientFault(reason, self.page, retry_after=retry_after, shrink=shrink)

    def _read_chunk(self) -> None:
        assert self._chunks is not None and self._parser is not None
        try:
            chunk = next(self._chunks, None)
        except httpx.TimeoutException:
            raise self._fault(f"timed out reading page {self.page}", shrink=True) from None
        except httpx.TransportError as exc:
            raise self._fault(
                f"connection lost while reading page {self.page} ({type(exc).__name__})"
            ) from None
        except httpx.DecodingError:
            self._fail(MalformedPage("undecodable content encoding", self._parser.position))
            return
        if chunk is None:
            items, error = self._parser.finish()
            self._accept(items)
            if error is not None:
                self._fail(error)
            else:
                self._end_page()
            return
        items, error = self._parser.feed(chunk)
        self._accept(items)
        if error is not None:
            self._fail(error)
            return
        if (slow := self._deadline.check(len(chunk))) is not None:
            raise self._fault(f"page {self.page}: {slow}", shrink=True)

    def _accept(self, items: list[Any]) -> None:
        for item in items:
            index = self._parsed
            self._parsed += 1
            item_id = item.get("id") if isinstance(item, dict) else None
            if isinstance(item_id, str):
                if item_id in self._page_ids:
                    continue  # handed out before this page was asked for again
                self._page_ids.add(item_id)
                self._last_parsed_id = item_id
            elif index < self._page_items:
                continue  # no id to tell: its position says it was handed out already
            self._page_items += 1
            self._pending.append((item, f"{self._where()} item {index}"))

    def _fail(self, error: MalformedPage) -> None:
        """A malformed body: hand out what was read, then stop with the page and byte."""
        self.close()
        self._error = SourceError(
            f"{self._where()}@byte~{error.position}: {error.reason}; "
            f"the {self._page_items} conversation(s) read from this page were kept"
        )

    def _end_page(self) -> None:
        parser = self._parser
        assert parser is not None
        self.close()
        self._stats.pages += 1
        report_guard(parser.guard, self._where(), self._diagnostics)
        if parser.has_more is None:
            self._diagnostics.skip(self._where(), "page without has_more: taken as the last")
        if not parser.has_more:
            self._finished = True
            return
        cursor = parser.last_id
        if cursor is None and self._last_parsed_id is not None:
            self._progress(
                f"{self._where()}: the page gives no last_id; going on after its last "
                "conversation's id"
            )
            cursor = self._last_parsed_id
        if cursor is None or (parser.items == 0 and cursor == self._request_cursor):
            self._error = SourceError(
                f"{self._where()}: has_more is true but the page gives no new last_id; "
                "cannot go on without reading the same page again"
            )
            return
        try:
            self._guard.advance(self._where(), cursor, self._page_ids)
        except SourceError as exc:
            self._error = exc
            return
        self._cursor = cursor
        self.page += 1
        self._page_items = 0
        self._page_ids.clear()


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
        stream = _PageStream(
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
