"""One request to the Compliance API: paced, retried, refused with the server's reason.

:class:`ApiTransport` is shared by the sources that read small JSON pages (the
Logs Platform listing, a conversation's ``/messages`` pages, object lists) and
by downloads behind a ``307`` (log files, file contents). It never follows a
redirect blindly: the ``Authorization`` header goes to the API's own origin
only, never to the host a download URL points at.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from chatdlp import __version__
from chatdlp.errors import SourceError
from chatdlp.sources.compliance_api.limiter import RateLimiter
from chatdlp.sources.compliance_api.paging import QueryParams
from chatdlp.sources.compliance_api.refusals import (
    MAX_BODY_BYTES,
    RefusalContext,
    refusal,
    said,
    server_reason,
)
from chatdlp.sources.compliance_api.retry import (
    RetryBudget,
    RetryPolicy,
    TransientFault,
    parse_retry_after,
)
from chatdlp.sources.compliance_api.settings import ComplianceSettings, is_loopback

Progress = Callable[[str], None]
MAX_REDIRECTS = 3
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


def origin(url: str | httpx.URL) -> tuple[str, str, int | None]:
    parts = urlsplit(str(url))
    port = parts.port or {"https": 443, "http": 80}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


@dataclass
class TransportStats:
    requests: int = 0
    redirects: int = 0
    rate_limit_waited: float = 0.0
    by_endpoint: dict[str, int] = field(default_factory=dict)


def read_bounded(response: httpx.Response, limit: int = MAX_BODY_BYTES) -> bytes:
    """At most ``limit`` bytes of a (streamed) response's body; the response is closed."""
    data = b""
    try:
        for chunk in response.iter_bytes():
            data += chunk
            if len(data) >= limit:
                break
    except httpx.HTTPError:
        pass  # an error body cut short still says something
    finally:
        response.close()
    return data[:limit]


def make_client(settings: ComplianceSettings) -> httpx.Client:
    """The client a source makes when none is injected: the settings' timeouts, and
    redirects left to :meth:`ApiTransport.download` (never followed with the key)."""
    timeout = httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout)
    client = httpx.Client(timeout=timeout, follow_redirects=False)
    return settings.client_hook(client) if settings.client_hook is not None else client


@contextmanager
def open_transport(
    settings: ComplianceSettings,
    client: httpx.Client | None,
    progress: Progress | None,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
    budget: RetryBudget,
    principal: str | None = None,
) -> Iterator[ApiTransport]:
    """A transport over ``client``, or over a client of its own that it closes after."""
    own = client is None
    http = make_client(settings) if client is None else client
    try:
        yield ApiTransport(settings, http, progress=progress, sleep=sleep, clock=clock,
                           budget=budget, principal=principal)
    finally:
        if own:
            http.close()


class LiveSource:
    """What a live source is handed rather than makes: its HTTP client (None: one of
    its own, closed after), progress, sleep and monotonic clock; and the retry budget
    it spends over the run. :meth:`transport` opens one over them."""

    def __init__(
        self,
        api: ComplianceSettings,
        client: httpx.Client | None,
        progress: Progress | None,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
        budget: RetryBudget | None = None,
        principal: str | None = None,
    ) -> None:
        self._api = api
        self._client = client
        self._progress: Progress = progress or (lambda _message: None)
        self._sleep = sleep
        self._clock = clock
        self.retries = budget if budget is not None else RetryBudget()
        self._principal = principal

    def transport(self) -> AbstractContextManager[ApiTransport]:
        return open_transport(self._api, self._client, self._progress, self._sleep,
                              self._clock, self.retries, principal=self._principal)


class ApiTransport:
    """GETs against the API with pacing per endpoint, retries and clear refusals.

    ``client``, ``sleep`` and ``clock`` are injected (tests use a loopback fake
    and a fake sleep); the client must not follow redirects itself.
    """

    def __init__(
        self,
        settings: ComplianceSettings,
        client: httpx.Client,
        progress: Progress | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        budget: RetryBudget | None = None,
        principal: str | None = None,
    ) -> None:
        self.settings = settings
        self.client = client
        self.progress: Progress = progress or (lambda _message: None)
        self.sleep = sleep
        self.clock = clock
        self.budget = budget if budget is not None else RetryBudget()
        self.stats = TransportStats()
        self.principal = principal or f"workspace {settings.workspace_id!r}"
        self._limiters: dict[str, RateLimiter] = {}

    @property
    def name(self) -> str:
        return self.settings.source_name

    def limiter(self, endpoint: str) -> RateLimiter:
        """The API limits each endpoint separately: one limiter per endpoint."""
        if endpoint not in self._limiters:
            self._limiters[endpoint] = RateLimiter(
                self.settings.max_requests_per_minute, clock=self.clock, sleep=self.sleep
            )
        return self._limiters[endpoint]

    def headers(self, accept: str = "application/json") -> dict[str, str]:
        return {
            "Authorization": self.settings.api_key.bearer(),
            "Accept": accept,
            "User-Agent": f"chatdlp/{__version__}",
        }

    def _pace(self, endpoint: str, what: str) -> None:
        def pacing(seconds: float) -> None:
            self.progress(
                f"{self.name}: pacing, waiting {seconds:.1f} s before {what} to stay under "
                f"{self.settings.max_requests_per_minute} requests/minute on {endpoint}"
            )

        self.stats.rate_limit_waited += self.limiter(endpoint).acquire(on_wait=pacing)
        self.stats.requests += 1
        self.stats.by_endpoint[endpoint] = self.stats.by_endpoint.get(endpoint, 0) + 1

    def _retrying(self, what: str) -> RetryPolicy:
        def waiting(fault: TransientFault, seconds: float, retry: int) -> None:
            self.progress(f"{self.name}: {fault.reason}, waiting {seconds:.1f} s before "
                          f"{what} (retry {retry})")

        return RetryPolicy(self.settings.retry, what, sleep=self.sleep,
                           on_wait=waiting, budget=self.budget)

    def context(self, where: str, endpoint: str, first_page: bool) -> RefusalContext:
        return RefusalContext(self.name, where, self.principal, endpoint, first_page)

    def check(self, response: httpx.Response, page: int, context: RefusalContext) -> None:
        """Raise for a non-200 answer: TransientFault to retry, else the refusal.

        The response is closed when it is refused."""
        status = response.status_code
        if status == 200:
            return
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        reason = server_reason(read_bounded(response), self._secrets())
        if status == 429:
            raise TransientFault("rate limited (429)", page, retry_after=retry_after)
        if status >= 500:
            raise TransientFault(f"server error ({status})", page, retry_after=retry_after)
        raise refusal(status, reason, context)

    def _secrets(self) -> tuple[str, ...]:
        bearer = self.settings.api_key.bearer()
        return (bearer[len("Bearer "):],)

    def _send(self, request: httpx.Request, page: int, what: str) -> httpx.Response:
        try:
            return self.client.send(request, stream=True)
        except httpx.TimeoutException:
            raise TransientFault(f"timed out waiting for {what}", page) from None
        except httpx.TransportError as exc:
            raise TransientFault(f"connection failed ({type(exc).__name__})", page) from None
        except httpx.HTTPError as exc:
            raise SourceError(f"{self.name} {what}: request failed ({type(exc).__name__})"
                              ) from None

    def get_json(
        self,
        url: str,
        params: QueryParams,
        endpoint: str,
        where: str,
        page: int = 1,
    ) -> dict[str, Any]:
        """One JSON object from a GET, retried on transient failures."""
        context = self.context(where, endpoint, first_page=page == 1)

        def attempt() -> dict[str, Any]:
            self._pace(endpoint, where)
            request = self.client.build_request("GET", url, params=params,
                                                headers=self.headers())
            response = self._send(request, page, where)
            self.check(response, page, context)
            try:
                body = response.read()
            except httpx.TimeoutException:
                raise TransientFault(f"timed out reading {where}", page) from None
            except httpx.TransportError as exc:
                raise TransientFault(f"connection lost reading {where} ({type(exc).__name__})",
                                     page) from None
            finally:
                response.close()
            try:
                parsed = json.loads(body)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise SourceError(f"{where}: the answer is not JSON ({type(exc).__name__})"
                                  ) from None
            if not isinstance(parsed, dict):
                raise SourceError(f"{where}: the answer is not a JSON object")
            return parsed

        return self._retrying(where).call(attempt)

    @contextmanager
    def download(self, url: str, endpoint: str, where: str, page: int = 1
                 ) -> Iterator[httpx.Response]:
        """The body behind ``url`` (a ``307`` to a short-lived URL, often on another host).

        Redirects are followed here, not by the client: the ``Authorization``
        header is sent to the API's origin only. Retried on transient failures
        until the response starts; the caller streams the body.
        """
        api_origin = origin(self.settings.base_url)
        context = self.context(where, endpoint, first_page=False)

        def attempt() -> httpx.Response:
            self._pace(endpoint, where)
            target = url
            for _hop in range(MAX_REDIRECTS + 1):
                same_origin = origin(target) == api_origin
                headers = self.headers("application/x-ndjson, application/json, */*")
                if not same_origin:
                    del headers["Authorization"]
                request = self.client.build_request("GET", target, headers=headers)
                response = self._send(request, page, where)
                if response.status_code in _REDIRECTS:
                    location = response.headers.get("Location")
                    response.close()
                    if not location:
                        raise SourceError(f"{where}: redirect without a Location")
                    target = urljoin(str(response.request.url), location)
                    parts = urlsplit(target)
                    if parts.scheme != "https" and not (
                        parts.scheme == "http" and is_loopback(parts.hostname or "")
                    ):
                        # what the file holds is as sensitive as the key: no clear text
                        raise SourceError(f"{where}: redirect to a URL that is not https")
                    self.stats.redirects += 1
                    continue
                status = response.status_code
                if not same_origin and 400 <= status < 500 and status != 429:
                    # the download host is not the API: its 403 is no verdict on the key
                    reason = server_reason(read_bounded(response), self._secrets())
                    raise SourceError(
                        f"{where}: the download URL answered HTTP {status}: it expired or "
                        f"was refused{said(reason)}"
                    )
                self.check(response, page, context)
                return response
            raise SourceError(f"{where}: more than {MAX_REDIRECTS} redirects")

        response = self._retrying(where).call(attempt)
        try:
            yield response
        finally:
            response.close()
