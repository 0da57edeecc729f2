from __future__ import annotations

import pytest

from chatdlp.errors import ConfigError, SourceError
from chatdlp.sources.compliance_api import RetryPolicy, RetrySettings, TransientFault
from chatdlp.sources.compliance_api.retry import parse_retry_after


def flaky(faults: list[Exception], result: str = "ok"):  # type: ignore[no-untyped-def]
    calls = {"n": 0}

    def call() -> str:
        calls["n"] += 1
        if faults:
            raise faults.pop(0)
        return result

    call.calls = calls  # type: ignore[attr-defined]
    return call


def test_retry_after_is_honoured_exactly() -> None:
    sleeps: list[float] = []
    heard: list[tuple[str, float, int]] = []
    policy = RetryPolicy(
        RetrySettings(max_backoff=0.5),
        "src",
        sleep=sleeps.append,
        on_wait=lambda f, s, n: heard.append((f.reason, s, n)),
    )
    call = flaky([TransientFault("rate limited (429)", page=3, retry_after=7.0)])
    assert policy.call(call) == "ok"
    assert sleeps == [7.0]  # not capped by max_backoff: the server asked for it
    assert heard == [("rate limited (429)", 7.0, 1)]
    assert policy.budget.retries == 1 and policy.budget.waited == 7.0


def test_backoff_grows_exponentially_with_jitter_and_is_capped() -> None:
    sleeps: list[float] = []
    settings = RetrySettings(
        max_attempts=10, initial_backoff=1.0, max_backoff=6.0, jitter=0.5, max_total_wait=100
    )
    policy = RetryPolicy(settings, "src", sleep=sleeps.append)
    policy.call(flaky([TransientFault("server error (503)", page=1) for _ in range(5)]))
    assert len(sleeps) == 5
    for attempt, slept in enumerate(sleeps, start=1):
        base = min(6.0, 2.0 ** (attempt - 1))
        assert base <= slept <= min(6.0, base + 0.5)


def test_gives_up_after_max_attempts_with_a_source_error() -> None:
    policy = RetryPolicy(RetrySettings(max_attempts=3, initial_backoff=0, jitter=0), "api",
                         sleep=lambda s: None)
    call = flaky([TransientFault("server error (502)", page=4) for _ in range(5)])
    with pytest.raises(SourceError, match=r"api page 4: giving up after 3 attempt\(s\)"):
        policy.call(call)
    assert call.calls["n"] == 3  # type: ignore[attr-defined]


def test_total_wait_budget_spans_calls() -> None:
    sleeps: list[float] = []
    policy = RetryPolicy(RetrySettings(max_total_wait=10), "api", sleep=sleeps.append)
    policy.call(flaky([TransientFault("429", page=1, retry_after=6)]))
    with pytest.raises(SourceError, match=r"6\.0 s of waiting"):
        policy.call(flaky([TransientFault("429", page=2, retry_after=6)]))
    assert sleeps == [6]


def test_other_errors_are_not_retried() -> None:
    policy = RetryPolicy(RetrySettings(), "api", sleep=lambda s: pytest.fail("slept"))
    call = flaky([ConfigError("bad key")])
    with pytest.raises(ConfigError, match="bad key"):
        policy.call(call)
    assert call.calls["n"] == 1  # type: ignore[attr-defined]


def test_parse_retry_after() -> None:
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after(" 0 ") == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=lambda: 1445412480.0) == 10.0
