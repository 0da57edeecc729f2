from __future__ import annotations

import pytest

from chatdlp.sources.compliance_api import RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_first_requests_go_at_once_then_it_paces() -> None:
    clock = FakeClock()
    limiter = RateLimiter(5, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        assert limiter.acquire() == 0
    assert limiter.acquire() == pytest.approx(60.0)
    assert clock.slept == [pytest.approx(60.0)]


@pytest.mark.parametrize("rate", [1, 7, 50])
def test_never_more_than_the_rate_in_any_sixty_second_window(rate: int) -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate, clock=clock, sleep=clock.sleep)
    sent: list[float] = []
    count = rate * 4 + 3
    for index in range(count):
        clock.now += 0.37 * (index % 3)  # requests at irregular moments
        limiter.acquire()
        sent.append(clock.now)
    for start in sent:
        in_window = [t for t in sent if start <= t < start + 60.0]
        assert len(in_window) <= rate
    # ... and it does not wait needlessly: one full window per `rate` requests
    assert sent[-1] - sent[0] <= ((count - 1) // rate) * 60.0 + 5


def test_announces_each_wait() -> None:
    clock = FakeClock()
    limiter = RateLimiter(1, clock=clock, sleep=clock.sleep)
    heard: list[float] = []
    limiter.acquire(on_wait=heard.append)
    clock.now += 15
    limiter.acquire(on_wait=heard.append)
    assert heard == [pytest.approx(45.0)]
    assert limiter.waited == pytest.approx(45.0)
