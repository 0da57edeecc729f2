"""One page of the stateful ``/conversations`` listing as it streams: the request (paced,
retried), the body parsed chunk by chunk under a deadline, items handed out one at a
time, and the cursor of the next page."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from chatdlp import __version__
from chatdlp.errors import SourceError
from chatdlp.records import Diagnostics
from chatdlp.sources._guard import report_guard
from chatdlp.sources._inflate import InflateLimits
from chatdlp.sources.compliance_api.limiter import RateLimiter
from chatdlp.sources.compliance_api.paging import (
    BodyDeadline,
    MalformedPage,
    PageGuard,
    PageParser,
    page_params,
)
from chatdlp.sources.compliance_api.refusals import RefusalContext, refusal, server_reason
from chatdlp.sources.compliance_api.retry import (
    TransientFault,
    parse_retry_after,
)
from chatdlp.sources.compliance_api.settings import ComplianceSettings
from chatdlp.sources.compliance_api.transport import read_bounded

Progress = Callable[[str], None]
# Statuses that mean "this page was too big or too slow": ask for fewer items.
_SHRINK_STATUSES = frozenset({413, 504})


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


class PageStream:
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
        self._inflate = InflateLimits.from_environment()
        self._inflated = 0  # bytes the current response's body inflated to

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
        self._inflated = 0

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
        self._inflated += len(chunk)
        assert self._response is not None
        if (bomb := self._inflate.check(self._inflated, self._response.num_bytes_downloaded)):
            self._fail(MalformedPage(f"the content encoding {bomb}", self._parser.position))
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
