"""``compliance://WORKSPACE_ID``: conversations streamed from the live Compliance API.

One request is one page; its body is parsed as it arrives (see ``paging``), so
memory holds one conversation at a time whatever the page size. Transient
failures are retried (``retry``) from where the stream stopped: the next request
asks for the conversations ``after`` the last one read, so nothing is read twice
and nothing is lost. A page that fails on size or time is asked for again with
half the page size. The limiter keeps requests under the per-minute limit.

``records()`` yields the raw API dicts (for ``chatdlp fetch``), and
``conversations()`` the same records as :class:`Conversation` (for ``scan``).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from chatdlp import __version__
from chatdlp.errors import ConfigError, SourceError
from chatdlp.records import Conversation, Diagnostics
from chatdlp.sources.compliance_api.limiter import RateLimiter
from chatdlp.sources.compliance_api.paging import MalformedPage, PageParser, page_params
from chatdlp.sources.compliance_api.retry import (
    RetryBudget,
    RetryPolicy,
    TransientFault,
    parse_retry_after,
)
from chatdlp.sources.compliance_api.settings import ENV_KEY, ENV_KEY_FILE, ComplianceSettings
from chatdlp.sources.compliance_records import conversation_from_api

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
        self._last_parsed_id: str | None = None
        self._finished = False

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
        params = page_params(
            self._cursor, self._settings.since_timestamp, self.limit, self._settings.users
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
            response.close()
            self._refuse(response)
        self._response = response
        self._chunks = response.iter_bytes()  # as the network delivers
        self._parser = PageParser()

    def _refuse(self, response: httpx.Response) -> None:
        status = response.status_code
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if status == 429:
            raise self._fault("rate limited (429)", retry_after=retry_after)
        if status in _SHRINK_STATUSES:
            raise self._fault(f"page too large or slow ({status})", retry_after, shrink=True)
        if status >= 500:
            raise self._fault(f"server error ({status})", retry_after=retry_after)
        if status in (401, 403):
            raise ConfigError(
                f"{self._name}: the Compliance API refused the key (HTTP {status}): check "
                f"{ENV_KEY} / {ENV_KEY_FILE} and that the key has the compliance scope "
                "for this workspace"
            )
        if status == 404:
            raise ConfigError(
                f"{self._name}: workspace {self._settings.workspace_id!r} not found (HTTP 404): "
                "check the workspace id in compliance://WORKSPACE_ID"
            )
        if status == 400:
            raise ConfigError(
                f"{self._where()}: the Compliance API rejected the request (HTTP 400): "
                "check --since, --users and --page-size"
            )
        raise SourceError(f"{self._where()}: unexpected HTTP status {status}")

    def _fault(
        self, reason: str, retry_after: float | None = None, shrink: bool = False
    ) -> TransientFault:
        """Abandon the current request; the next one resumes where this one stopped."""
        parser = self._parser
        self.close()
        if parser is not None and parser.items and self._last_parsed_id is not None:
            self._cursor = self._last_parsed_id  # resume after the last complete item
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

    def _accept(self, items: list[Any]) -> None:
        for item in items:
            where = f"{self._where()} item {self._page_items}"
            self._page_items += 1
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                self._last_parsed_id = item["id"]
            self._pending.append((item, where))

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
        if parser.has_more is None:
            self._diagnostics.skip(self._where(), "page without has_more: taken as the last")
        if not parser.has_more:
            self._finished = True
            return
        cursor = parser.last_id or self._last_parsed_id
        if cursor is None or (parser.items == 0 and cursor == self._request_cursor):
            self._error = SourceError(
                f"{self._where()}: has_more is true but the page gives no new last_id; "
                "cannot go on without reading the same page again"
            )
            return
        self._cursor = cursor
        self.page += 1
        self._page_items = 0


class ComplianceApiSource:
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
    ) -> None:
        self.settings = settings
        self._client = client
        self._progress: Progress = progress or (lambda _message: None)
        self._sleep = sleep
        self.limiter = limiter or RateLimiter(
            settings.max_requests_per_minute, clock=clock, sleep=sleep
        )
        self.stats = FetchStats()
        self.retries = RetryBudget()

    @property
    def name(self) -> str:
        return self.settings.source_name

    def __repr__(self) -> str:
        return f"ComplianceApiSource({self.name!r})"

    def _make_client(self) -> httpx.Client:
        timeout = httpx.Timeout(self.settings.read_timeout, connect=self.settings.connect_timeout)
        return httpx.Client(timeout=timeout, follow_redirects=False)

    def records(self, diagnostics: Diagnostics) -> Iterator[ApiRecord]:
        """Every conversation of every page, as the raw API dict, in order."""
        client = self._client or self._make_client()
        stream = _PageStream(
            self.settings, client, self.limiter, self.stats, diagnostics, self._progress
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
                self.stats.conversations += 1
                self.stats.messages += _message_count(raw)
                yield ApiRecord(raw, where)
            self._report_progress(stream.page, done=True)
        finally:
            stream.close()
            if self._client is None:
                client.close()

    def _report_progress(self, page: int, done: bool = False) -> None:
        state = "done" if done else "read"
        retries = f", {self.retries.retries} retries" if self.retries.retries else ""
        self._progress(
            f"{self.name}: page {page} {state}: {self.stats.conversations:,} conversations, "
            f"{self.stats.messages:,} messages so far ({self.stats.requests} requests{retries})"
        )

    def conversations(self, diagnostics: Diagnostics) -> Iterator[Conversation]:
        for record in self.records(diagnostics):
            conversation = conversation_from_api(record.raw, self.name, record.where, diagnostics)
            if conversation is not None:
                yield conversation
