"""Retry policy for transient API failures, built on tenacity.

A failure worth retrying is raised as :class:`TransientFault` (429, 5xx,
timeouts, connection resets). The wait before the next attempt is the server's
``Retry-After`` when it sent one, else exponential backoff with jitter. Retries
stop after ``max_attempts`` in one streak of failures, or when the total time
spent waiting in the run would exceed ``max_total_wait``; then a
:class:`~chatdlp.errors.SourceError` says what it gave up on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import tenacity

from chatdlp.errors import SourceError
from chatdlp.sources.compliance_api.settings import RetrySettings
from chatdlp.timefmt import parse_retry_after as parse_retry_after  # re-exported: its home is timefmt

T = TypeVar("T")


class TransientFault(Exception):
    """A failure that may go away: retry it, after a wait."""

    def __init__(
        self, reason: str, page: int, retry_after: float | None = None, shrink: bool = False
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.page = page
        self.retry_after = retry_after
        self.shrink = shrink  # the page failed on size or time: ask for fewer items


@dataclass
class RetryBudget:
    """What retrying has cost over the whole run."""

    retries: int = 0
    waited: float = 0.0


WaitListener = Callable[[TransientFault, float, int], None]


class _ServerOrBackoff(tenacity.wait.wait_base):
    """``Retry-After`` when the server gave one, else exponential backoff with jitter."""

    def __init__(self, settings: RetrySettings) -> None:
        self._max = settings.max_backoff
        self._exponential = tenacity.wait_exponential(
            multiplier=settings.initial_backoff, max=settings.max_backoff
        )
        self._jitter = tenacity.wait_random(0, settings.jitter)

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        fault = _fault(retry_state)
        if fault is not None and fault.retry_after is not None:
            return fault.retry_after
        backoff = self._exponential(retry_state) + self._jitter(retry_state)
        return float(min(self._max, backoff))


class _StopWhenSpent(tenacity.stop.stop_base):
    def __init__(self, settings: RetrySettings, budget: RetryBudget) -> None:
        self._settings = settings
        self._budget = budget

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        if retry_state.attempt_number >= self._settings.max_attempts:
            return True
        return self._budget.waited + retry_state.upcoming_sleep > self._settings.max_total_wait


def _fault(retry_state: tenacity.RetryCallState) -> TransientFault | None:
    outcome = retry_state.outcome
    exc = outcome.exception() if outcome is not None and outcome.failed else None
    return exc if isinstance(exc, TransientFault) else None


class RetryPolicy:
    """Calls a function, retrying it on :class:`TransientFault` as the settings allow.

    ``sleep`` is injected (tests pass a fake); ``on_wait`` hears every wait before
    it starts, with the fault, the seconds and the retry number.
    """

    def __init__(
        self,
        settings: RetrySettings,
        where: str,
        sleep: Callable[[float], None] = time.sleep,
        on_wait: WaitListener | None = None,
        budget: RetryBudget | None = None,
    ) -> None:
        self.settings = settings
        self.budget = budget if budget is not None else RetryBudget()
        self._where = where
        self._on_wait = on_wait
        self._retrying = tenacity.Retrying(
            sleep=sleep,
            retry=tenacity.retry_if_exception_type(TransientFault),
            wait=_ServerOrBackoff(settings),
            stop=_StopWhenSpent(settings, self.budget),
            before_sleep=self._before_sleep,
            retry_error_callback=self._give_up,
        )

    def call(self, func: Callable[[], T]) -> T:
        result: T = self._retrying(func)
        return result

    def _before_sleep(self, retry_state: tenacity.RetryCallState) -> None:
        seconds = retry_state.upcoming_sleep
        self.budget.retries += 1
        self.budget.waited += seconds
        fault = _fault(retry_state)
        if self._on_wait is not None and fault is not None:
            self._on_wait(fault, seconds, retry_state.attempt_number)

    def _give_up(self, retry_state: tenacity.RetryCallState) -> None:
        fault = _fault(retry_state)
        reason = fault.reason if fault is not None else "unknown failure"
        page = f" page {fault.page}" if fault is not None else ""
        raise SourceError(
            f"{self._where}{page}: giving up after {retry_state.attempt_number} attempt(s) "
            f"and {self.budget.waited:.1f} s of waiting in this run: {reason}"
        ) from fault
