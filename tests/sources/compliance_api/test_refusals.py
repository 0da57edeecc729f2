"""server_reason and refusal: the server's reason, bounded and masked, and what it can mean."""

from __future__ import annotations

import json

import pytest

from chatdlp.errors import ConfigError, SourceError
from chatdlp.sources.compliance_api.refusals import (
    MAX_REASON_CHARS,
    EndpointNotFound,
    RefusalContext,
    refusal,
    server_reason,
)

CONTEXT = RefusalContext("compliance://ws-1", "compliance://ws-1 page 2", "workspace 'ws-1'",
                         "/conversations", first_page=False)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (json.dumps({"error": {"message": "since_timestamp is required", "type": "invalid"}}),
         "since_timestamp is required"),
        (json.dumps({"detail": "Endpoint removed"}), "Endpoint removed"),
        (json.dumps({"errors": [{"message": "first"}]}), "first"),
        ("Service closed\r\nsee docs", "Service closed see docs"),
        ("", None),
        ("   ", None),
    ],
)
def test_the_reason_is_the_human_part_of_the_body(body: str, reason: str | None) -> None:
    assert server_reason(body.encode()) == reason


def test_key_like_values_and_the_key_are_masked_and_the_length_bounded() -> None:
    body = json.dumps({"error": {"message": (
        "key abc.def.SECRETVALUE rejected; Bearer eyJhbGciOi.x.y; sk-proj-aaaaaaaa1111 "
        "for ops@contoso.com token 3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c " + "z" * 500)}})
    reason = server_reason(body.encode(), secrets=("abc.def.SECRETVALUE",))
    assert reason is not None
    for secret in ("SECRETVALUE", "eyJhbGciOi", "sk-proj", "ops@contoso.com", "3f9a8b7c6d"):
        assert secret not in reason
    assert len(reason) <= MAX_REASON_CHARS + 3 and reason.endswith("...")


def test_each_status_says_what_it_means() -> None:
    first = RefusalContext("compliance://ws-1", "p1", "workspace 'ws-1'", "/logs")
    assert isinstance(refusal(404, "nope", first), EndpointNotFound)
    assert isinstance(refusal(404, None, CONTEXT), SourceError)  # later pages: not config
    gone = refusal(410, "closed", CONTEXT)
    assert isinstance(gone, SourceError) and "removed or what it pointed at expired" in str(gone)
    assert isinstance(refusal(401, None, CONTEXT), ConfigError)
    assert "the server gave no reason" in str(refusal(400, None, CONTEXT))
    assert "unexpected HTTP status 418; the server said: teapot" in str(
        refusal(418, "teapot", CONTEXT))
