"""The delete calls of the Compliance API, with the delete key, paced and retried.

The key comes from ``CHATDLP_COMPLIANCE_DELETE_KEY`` (or the file named by
``CHATDLP_COMPLIANCE_DELETE_KEY_FILE``): a key with the ``delete`` scope, kept apart
from the read key (``CHATDLP_COMPLIANCE_API_KEY`` is never sent with a delete). It
lives in an :class:`~chatdlp.sources.compliance_api.settings.ApiKey` (masked repr).

Deletes are paced under 100 requests a minute (the reference's limit for get and
delete endpoints) by the source's :class:`RateLimiter`; 429 (after ``Retry-After``),
5xx, timeouts and resets are retried by its :class:`RetryPolicy`. A delete is
idempotent: 404 or 410 means the target is already gone, which counts as done.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import httpx

from chatdlp import __version__
from chatdlp.errors import ConfigError, SourceError
from chatdlp.remediate.audit import RETRY_EXTENSION
from chatdlp.sources.compliance_api.limiter import RateLimiter
from chatdlp.sources.compliance_api.retry import RetryPolicy, TransientFault, parse_retry_after
from chatdlp.sources.compliance_api.settings import (
    ComplianceSettings,
    base_url_from_environment,
    read_api_key,
    retry_from_environment,
)

ENV_DELETE_KEY = "CHATDLP_COMPLIANCE_DELETE_KEY"
ENV_DELETE_KEY_FILE = "CHATDLP_COMPLIANCE_DELETE_KEY_FILE"
DELETES_PER_MINUTE = 100
_REASON_LIMIT = 200
_KEYLIKE = re.compile(r"(?i)(bearer\s+)\S+|\b(sk-|key-)[A-Za-z0-9_\-]{6,}")

DeleteStatus = Literal["deleted", "already-gone", "failed"]
Progress = Callable[[str], None]


def delete_settings_from_environment(
    workspace_id: str, environ: Mapping[str, str] | None = None
) -> ComplianceSettings:
    env = os.environ if environ is None else environ
    key = read_api_key(
        env, ENV_DELETE_KEY, ENV_DELETE_KEY_FILE,
        needed_by="remediate apply (a key with the delete scope; the read key is never used "
        "for deletes)",
    )
    return ComplianceSettings(
        workspace_id=workspace_id, api_key=key, base_url=base_url_from_environment(env),
        max_requests_per_minute=DELETES_PER_MINUTE, retry=retry_from_environment(env),
    )


@dataclass(frozen=True, slots=True)
class DeleteResult:
    status: DeleteStatus
    http_status: int | None
    attempts: int
    reason: str | None = None


def server_reason(response: httpx.Response, secret: str) -> str:
    """What the server said, bounded, with anything key-like masked."""
    try:
        body = response.json()
        error = body.get("error") if isinstance(body, dict) else None
        text = str(error.get("message") if isinstance(error, dict) else error or body)
    except ValueError:
        text = response.text
    text = " ".join(text.split()).replace(secret, "***") if secret else " ".join(text.split())
    text = _KEYLIKE.sub(lambda m: (m.group(1) or m.group(2) or "") + "***", text)
    return text[:_REASON_LIMIT] + ("…" if len(text) > _REASON_LIMIT else "")


class DeleteClient:
    """Sends the DELETE calls of a plan. The httpx client is injected (audited by the caller)."""

    def __init__(
        self,
        settings: ComplianceSettings,
        client: httpx.Client,
        limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        progress: Progress | None = None,
    ) -> None:
        self.settings = settings
        self._client = client
        self._sleep = sleep
        self._progress: Progress = progress or (lambda _message: None)
        self.limiter = limiter or RateLimiter(
            settings.max_requests_per_minute, clock=clock, sleep=sleep
        )

    @staticmethod
    def http_client(settings: ComplianceSettings) -> httpx.Client:
        timeout = httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout)
        return httpx.Client(timeout=timeout, follow_redirects=False)

    def delete(self, path: str) -> DeleteResult:
        url = self.settings.base_url.rstrip("/") + path
        attempts = 0

        def pacing(seconds: float) -> None:
            self._progress(f"pacing: waiting {seconds:.1f} s to stay under "
                           f"{self.settings.max_requests_per_minute} deletes/minute")

        def attempt() -> DeleteResult:
            nonlocal attempts
            self.limiter.acquire(on_wait=pacing)
            request = self._client.build_request(
                "DELETE", url,
                headers={"Authorization": self.settings.api_key.bearer(),
                         "Accept": "application/json", "User-Agent": f"chatdlp/{__version__}"},
                extensions={RETRY_EXTENSION: attempts},
            )
            attempts += 1
            try:
                response = self._client.send(request)
            except httpx.TimeoutException:
                raise TransientFault("timed out", attempts) from None
            except httpx.TransportError as exc:
                raise TransientFault(f"connection failed ({type(exc).__name__})", attempts) from None
            except httpx.HTTPError as exc:
                raise SourceError(f"DELETE {path}: request failed ({type(exc).__name__})") from None
            return self._result(path, response, attempts)

        def waiting(fault: TransientFault, seconds: float, retry: int) -> None:
            self._progress(f"DELETE {path}: {fault.reason}, waiting {seconds:.1f} s (retry {retry})")

        policy = RetryPolicy(self.settings.retry, f"DELETE {path}", sleep=self._sleep,
                             on_wait=waiting)
        try:
            return policy.call(attempt)
        except SourceError as exc:  # retries spent, or a request that cannot be made
            fault = exc.__cause__
            reason = (f"giving up after {attempts} attempt(s): {fault.reason}"
                      if isinstance(fault, TransientFault) else str(exc))
            return DeleteResult("failed", None, attempts, reason)

    def _result(self, path: str, response: httpx.Response, attempts: int) -> DeleteResult:
        status = response.status_code
        if 200 <= status < 300:
            return DeleteResult("deleted", status, attempts)
        if status in (404, 410):
            return DeleteResult("already-gone", status, attempts)
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if status == 429:
            raise TransientFault("rate limited (429)", attempts, retry_after=retry_after)
        if status >= 500:
            raise TransientFault(f"server error ({status})", attempts, retry_after=retry_after)
        reason = server_reason(response, self.settings.api_key.bearer().removeprefix("Bearer "))
        if status in (401, 403):
            raise ConfigError(
                f"DELETE {path}: the Compliance API refused the delete key (HTTP {status}: "
                f"{reason}): {ENV_DELETE_KEY} / {ENV_DELETE_KEY_FILE} must hold a key with the "
                "delete scope for this workspace"
            )
        return DeleteResult("failed", status, attempts, f"HTTP {status}: {reason}")
