"""Sinks: findings pushed to a SIEM over HTTP, in JSON batches.

- ``webhook=URL``: ``POST URL`` with ``{"tool", "version", "findings": [...]}``;
  ``Authorization: Bearer <CHATDLP_WEBHOOK_TOKEN>`` when that is set.
- ``splunk-hec=URL``: the Splunk HTTP Event Collector event format, one
  ``{"time", "source", "sourcetype", "event"}`` object per finding, concatenated;
  ``Authorization: Splunk <CHATDLP_SPLUNK_HEC_TOKEN>`` (required). URL is the
  collector endpoint, e.g. ``https://splunk:8088/services/collector/event``.

Payloads hold the :class:`~chatdlp.records.Finding` fields only (redacted
excerpts, fingerprints), never a raw value. Transient failures (connection
errors, timeouts, 429, 5xx) are retried with exponential backoff and jitter
(tenacity); any other status stops at once. Tokens live in :class:`SinkToken`,
whose ``repr`` is masked; URLs are shown without query or credentials.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
import tenacity

from chatdlp import __version__
from chatdlp.errors import ConfigError, SinkError
from chatdlp.records import Finding
from chatdlp.timefmt import epoch

ENV_WEBHOOK_TOKEN = "CHATDLP_WEBHOOK_TOKEN"
ENV_SPLUNK_TOKEN = "CHATDLP_SPLUNK_HEC_TOKEN"
ENV_MAX_BACKOFF = "CHATDLP_SINK_MAX_BACKOFF"
BATCH_SIZE = 100
KINDS = ("webhook", "splunk-hec")
_TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class SinkToken:
    """A sink's token. Only :meth:`header` reveals it, for the one header."""

    __slots__ = ("_scheme", "_value")

    def __init__(self, scheme: str, value: str) -> None:
        self._scheme = scheme
        self._value = value

    def header(self) -> str:
        return f"{self._scheme} {self._value}"

    def __repr__(self) -> str:
        return "SinkToken(***)"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class SinkSpec:
    """``--sink KIND=URL``. ``key`` names it in the state's outbox without the URL."""

    kind: str
    url: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{hashlib.sha256(self.url.encode()).hexdigest()[:16]}"

    @property
    def label(self) -> str:
        parts = urlsplit(self.url)
        port = f":{parts.port}" if parts.port else ""
        return f"{self.kind}={parts.scheme}://{parts.hostname}{port}{parts.path}"


def parse_sink(value: str) -> SinkSpec:
    kind, sep, url = value.partition("=")
    kind = kind.strip().lower()
    if not sep or kind not in KINDS:
        raise ConfigError(f"--sink: expected KIND=URL with KIND one of {', '.join(KINDS)}")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"--sink {kind}: not an http(s) URL")
    if parts.username or parts.password:
        raise ConfigError(
            f"--sink {kind}: put the token in {_token_env(kind)}, not in the URL"
        )
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "::1", "localhost"):
        raise ConfigError(f"--sink {kind}: plain http is only allowed to a loopback address")
    return SinkSpec(kind, url.strip())


def _token_env(kind: str) -> str:
    return ENV_SPLUNK_TOKEN if kind == "splunk-hec" else ENV_WEBHOOK_TOKEN


@dataclass(frozen=True, slots=True)
class SinkRetry:
    attempts: int = 6
    initial_backoff: float = 0.5
    max_backoff: float = 30.0

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> SinkRetry:
        env = os.environ if environ is None else environ
        raw = env.get(ENV_MAX_BACKOFF, "").strip()
        if not raw:
            return cls()
        try:
            value = float(raw)
        except ValueError:
            raise ConfigError(f"{ENV_MAX_BACKOFF}={raw!r}: not a number of seconds") from None
        default = cls()
        return cls(initial_backoff=min(default.initial_backoff, value), max_backoff=max(value, 0.0))


class _Transient(Exception):
    pass


def _epoch(iso: str | None) -> float:
    when = epoch(iso)
    return when if when is not None else time.time()


@dataclass
class HttpSink:
    """Sends batches of findings to one URL; :meth:`send` raises SinkError when it gives up."""

    spec: SinkSpec
    token: SinkToken | None = field(repr=False, default=None)
    retry: SinkRetry = field(default_factory=SinkRetry)
    client: httpx.Client | None = None
    sleep: Callable[[float], None] = time.sleep
    attempts_made: int = 0

    @classmethod
    def from_environment(
        cls, spec: SinkSpec, environ: Mapping[str, str] | None = None
    ) -> HttpSink:
        env = os.environ if environ is None else environ
        raw = env.get(_token_env(spec.kind), "").strip()
        if spec.kind == "splunk-hec" and not raw:
            raise ConfigError(f"--sink splunk-hec needs a token in {ENV_SPLUNK_TOKEN}")
        token = SinkToken("Splunk" if spec.kind == "splunk-hec" else "Bearer", raw) if raw else None
        return cls(spec, token, SinkRetry.from_environment(env))

    def body(self, findings: Sequence[Finding]) -> bytes:
        if self.spec.kind == "splunk-hec":
            return "\n".join(
                json.dumps({
                    "time": round(_epoch(f.created_at), 3),
                    "source": "chatdlp",
                    "sourcetype": "chatdlp:finding",
                    "event": f.to_dict(),
                }, ensure_ascii=False)
                for f in findings
            ).encode()
        return json.dumps(
            {"tool": "chatdlp", "version": __version__, "findings": [f.to_dict() for f in findings]},
            ensure_ascii=False,
        ).encode()

    def send(self, findings: Sequence[Finding]) -> None:
        if not findings:
            return
        headers = {"Content-Type": "application/json", "User-Agent": f"chatdlp/{__version__}"}
        if self.token is not None:
            headers["Authorization"] = self.token.header()
        body = self.body(findings)
        client = self.client or httpx.Client(timeout=httpx.Timeout(30.0, connect=10.0))

        def attempt() -> None:
            self.attempts_made += 1
            try:
                response = client.post(self.spec.url, content=body, headers=headers)
            except httpx.TransportError as exc:
                raise _Transient(f"connection failed ({type(exc).__name__})") from None
            if response.status_code in _TRANSIENT_STATUSES:
                raise _Transient(f"HTTP {response.status_code}")
            if not 200 <= response.status_code < 300:
                raise SinkError(
                    f"{self.spec.label}: refused the findings (HTTP {response.status_code})"
                    + (" : check the token" if response.status_code in (401, 403) else "")
                )

        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.retry.attempts),
            wait=tenacity.wait_exponential(
                multiplier=self.retry.initial_backoff, max=self.retry.max_backoff,
            ) + tenacity.wait_random(0, self.retry.initial_backoff),
            retry=tenacity.retry_if_exception_type(_Transient),
            sleep=self.sleep,
            reraise=True,
        )
        try:
            retrying(attempt)
        except _Transient as exc:
            raise SinkError(
                f"{self.spec.label}: gave up after {self.retry.attempts} attempts ({exc})"
            ) from None
        finally:
            if self.client is None:
                client.close()


class StreamingSink:
    """A :class:`~chatdlp.pipeline.scan.FindingSink` for runs without ``--state``: sends as batches fill.

    After a failure it stops sending and counts what it could not deliver
    (those findings are still in ``findings.jsonl``; the run exits 3).
    """

    def __init__(self, sink: HttpSink, batch_size: int = BATCH_SIZE) -> None:
        self.sink = sink
        self._batch: list[Finding] = []
        self._size = batch_size
        self.sent = 0
        self.unsent = 0
        self.error: SinkError | None = None

    def write(self, finding: Finding) -> None:
        if self.error is not None:
            self.unsent += 1
            return
        self._batch.append(finding)
        if len(self._batch) >= self._size:
            self._flush()

    def _flush(self) -> None:
        batch, self._batch = self._batch, []
        try:
            self.sink.send(batch)
            self.sent += len(batch)
        except SinkError as exc:
            self.error = exc
            self.unsent += len(batch)

    def close(self) -> None:
        if self._batch and self.error is None:
            self._flush()
