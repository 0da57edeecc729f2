"""Delivery over HTTP: :class:`HttpSink` sends one batch (retried as :mod:`.retry`
says), :class:`StreamingSink` sends as batches fill during a run without ``--state``."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import httpx
import tenacity

from chatdlp import __version__
from chatdlp.errors import ConfigError, SinkError
from chatdlp.records import Finding
from chatdlp.report.sinks.base import SinkSpec, SinkToken
from chatdlp.report.sinks.kinds import SINK_KINDS
from chatdlp.report.sinks.retry import TRANSIENT_STATUSES, SinkRetry, Transient
from chatdlp.timefmt import parse_retry_after

BATCH_SIZE = 100


@dataclass
class HttpSink:
    """Sends batches of findings to one URL; :meth:`send` raises SinkError when it gives up."""

    spec: SinkSpec
    token: SinkToken | None = field(repr=False, default=None)
    retry: SinkRetry = field(default_factory=SinkRetry)
    client: httpx.Client | None = None
    sleep: Callable[[float], None] = time.sleep
    # X-Splunk-Request-Channel (kinds with request_channel): the same for every request of a run.
    channel: str = field(default_factory=lambda: str(uuid.uuid4()))

    @classmethod
    def from_environment(
        cls, spec: SinkSpec, environ: Mapping[str, str] | None = None
    ) -> HttpSink:
        env = os.environ if environ is None else environ
        kind = SINK_KINDS[spec.kind]()
        raw = env.get(kind.token_env, "").strip()
        if kind.token_required and not raw:
            raise ConfigError(f"--sink {kind.name} needs a token in {kind.token_env}")
        token = SinkToken(kind.token_scheme, raw) if raw else None
        return cls(spec, token, SinkRetry.from_environment(env))

    def body(self, findings: Sequence[Finding]) -> bytes:
        return SINK_KINDS[self.spec.kind]().body(findings)

    def send(self, findings: Sequence[Finding]) -> None:
        if not findings:
            return
        headers = {"Content-Type": "application/json", "User-Agent": f"chatdlp/{__version__}"}
        if self.token is not None:
            headers["Authorization"] = self.token.header()
        if getattr(SINK_KINDS[self.spec.kind], "request_channel", False):
            headers["X-Splunk-Request-Channel"] = self.channel
        body = self.body(findings)
        client = self.client or httpx.Client(timeout=httpx.Timeout(30.0, connect=10.0))

        def attempt() -> None:
            try:
                response = client.post(self.spec.url, content=body, headers=headers)
            except httpx.TransportError as exc:
                raise Transient(f"connection failed ({type(exc).__name__})") from None
            if response.status_code in TRANSIENT_STATUSES:
                raise Transient(
                    f"HTTP {response.status_code}",
                    parse_retry_after(response.headers.get("Retry-After")),
                )
            if not 200 <= response.status_code < 300:
                raise SinkError(
                    f"HTTP {response.status_code} from {self.spec.described}: it refused the findings"
                    + (" (check the token)" if response.status_code in (401, 403) else "")
                )

        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.retry.attempts),
            wait=self.retry.wait(),
            retry=tenacity.retry_if_exception_type(Transient),
            sleep=self.sleep,
            reraise=True,
        )
        try:
            retrying(attempt)
        except Transient as exc:
            raise SinkError(
                f"{exc} from {self.spec.described}: gave up after {self.retry.attempts} attempts"
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
        except SinkError as exc:
            self.error = exc
            self.unsent += len(batch)

    def close(self) -> None:
        if self._batch and self.error is None:
            self._flush()
