"""The one retry policy of sinks: transient failures (connection errors, timeouts, 408,
425, 429, 5xx) are retried, after the server's ``Retry-After`` when it gave one (capped
by the maximum backoff), else exponential backoff with jitter; anything else stops."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import tenacity

from chatdlp.errors import ConfigError

ENV_MAX_BACKOFF = "CHATDLP_SINK_MAX_BACKOFF"
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class Transient(Exception):
    """A failure worth another attempt, with the server's ``Retry-After`` (seconds) if any."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


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

    def wait(self) -> tenacity.wait.wait_base:
        return _RetryAfterOrBackoff(self)


class _RetryAfterOrBackoff(tenacity.wait.wait_base):
    def __init__(self, retry: SinkRetry) -> None:
        self._max = retry.max_backoff
        self._backoff = tenacity.wait_exponential(
            multiplier=retry.initial_backoff, max=retry.max_backoff
        ) + tenacity.wait_random(0, retry.initial_backoff)

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        outcome = retry_state.outcome
        fault = outcome.exception() if outcome is not None and outcome.failed else None
        if isinstance(fault, Transient) and fault.retry_after is not None:
            return min(fault.retry_after, self._max)
        return float(self._backoff(retry_state))
