"""A client-side rate limiter: at most N requests in any sliding 60-second window.

The API allows 50 requests per minute per endpoint per key; staying under it
ourselves is politer (and faster) than collecting 429s. The clock and the sleep
are injected so tests run on a fake clock.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

WINDOW_SECONDS = 60.0


class RateLimiter:
    """Blocks in :meth:`acquire` until one more request fits in the window."""

    def __init__(
        self,
        max_per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        window: float = WINDOW_SECONDS,
    ) -> None:
        if max_per_minute < 1:
            raise ValueError("max_per_minute must be at least 1")
        self.max_per_minute = max_per_minute
        self._clock = clock
        self._sleep = sleep
        self._window = window
        self._sent: deque[float] = deque()
        self.waited = 0.0

    def delay(self) -> float:
        """Seconds to wait before the next request may go (0 when it may go now)."""
        now = self._clock()
        while self._sent and self._sent[0] <= now - self._window:
            self._sent.popleft()
        if len(self._sent) < self.max_per_minute:
            return 0.0
        return self._sent[0] + self._window - now

    def acquire(self, on_wait: Callable[[float], None] | None = None) -> float:
        """Wait (if needed) and record one request; returns the seconds waited."""
        waited = 0.0
        while (pause := self.delay()) > 0:
            if on_wait is not None:
                on_wait(pause)
            self._sleep(pause)
            waited += pause
        self._sent.append(self._clock())
        self.waited += waited
        return waited
