"""What every sink kind shares: its spec (``--sink KIND=URL``), its token, and the kinds
registry. A new sink kind is one small class in its own module, registered in
:data:`SINK_KINDS` (like the report ``FORMATTERS``)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from chatdlp.records import Finding


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


class SinkKind(Protocol):
    """One kind of sink: its name, how its token is given, and its request body."""

    name: str
    token_env: str
    token_scheme: str  # the Authorization header's scheme
    token_required: bool

    def body(self, findings: Sequence[Finding]) -> bytes: ...


@dataclass(frozen=True, slots=True)
class SinkSpec:
    """``--sink KIND=URL``. ``key`` names it in the state's outbox without the URL."""

    kind: str
    url: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{hashlib.sha256(self.url.encode()).hexdigest()[:16]}"

    @property
    def described(self) -> str:
        """``splunk-hec https://host:8088/services/collector``: for messages (no query, no user info)."""
        kind, _, url = self.label.partition("=")
        return f"{kind} {url}"

    @property
    def label(self) -> str:
        parts = urlsplit(self.url)
        port = f":{parts.port}" if parts.port else ""
        return f"{self.kind}={parts.scheme}://{parts.hostname}{port}{parts.path}"
