"""Sinks: findings pushed to a SIEM over HTTP, in JSON batches.

One small class per kind (``webhook.py``, ``splunk.py``), registered by name in
``kinds.py``; one retry policy (``retry.py``, honouring ``Retry-After``); one
HTTP delivery (``http.py``).

Payloads hold the :class:`~chatdlp.records.Finding` fields only (redacted
excerpts, fingerprints), never a raw value. Tokens live in :class:`SinkToken`,
whose ``repr`` is masked; URLs are shown without query or credentials.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from chatdlp.errors import ConfigError
from chatdlp.lazy import lazy_getattr
from chatdlp.report.sinks.base import SinkKind, SinkSpec, SinkToken
from chatdlp.report.sinks.kinds import SINK_KINDS

if TYPE_CHECKING:
    from chatdlp.report.sinks.http import BATCH_SIZE, HttpSink, StreamingSink
    from chatdlp.report.sinks.retry import SinkRetry

# Delivery imports httpx and tenacity: loaded when first named (a run with a --sink).
_LAZY = {"BATCH_SIZE": "http", "HttpSink": "http", "StreamingSink": "http", "SinkRetry": "retry"}


__getattr__ = lazy_getattr(__name__, _LAZY, globals())


def parse_sink(value: str) -> SinkSpec:
    """``--sink KIND=URL`` checked: a known kind, an http(s) URL, no credentials in it."""
    kind, sep, url = value.partition("=")
    kind = kind.strip().lower()
    if not sep or kind not in SINK_KINDS:
        raise ConfigError(f"--sink: expected KIND=URL with KIND one of {', '.join(SINK_KINDS)}")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"--sink {kind}: not an http(s) URL")
    if parts.username or parts.password:
        raise ConfigError(
            f"--sink {kind}: put the token in {SINK_KINDS[kind].token_env}, not in the URL"
        )
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "::1", "localhost"):
        raise ConfigError(f"--sink {kind}: plain http is only allowed to a loopback address")
    return SinkSpec(kind, url.strip())


__all__ = [
    "BATCH_SIZE",
    "SINK_KINDS",
    "HttpSink",
    "SinkKind",
    "SinkRetry",
    "SinkSpec",
    "SinkToken",
    "StreamingSink",
    "parse_sink",
]
