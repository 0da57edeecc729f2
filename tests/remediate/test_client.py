"""The delete client: 100 deletes a minute (the reference's limit), 404/410 count as done,
server reasons are bounded and masked."""

from __future__ import annotations

import httpx

from chatdlp.remediate.client import DeleteClient, delete_settings_from_environment, server_reason
from tests.remediate.fake_delete_api import DELETE_KEY, DeleteApi
from tests.sources.compliance_api.test_limiter import FakeClock


def test_deletes_are_paced_under_100_a_minute(delete_api) -> None:
    server = delete_api(DeleteApi(conversations={f"c{i}" for i in range(101)}))
    settings = delete_settings_from_environment("ws-test")
    clock = FakeClock()
    with httpx.Client() as http:
        client = DeleteClient(settings, http, sleep=clock.sleep, clock=clock)
        results = [client.delete(f"/compliance/workspaces/ws-test/conversations/c{i}")
                   for i in range(101)]
    assert {r.status for r in results} == {"deleted"}
    assert clock.slept == [60.0]  # the 101st waited for the first to leave the window
    assert len(server.api.deleted) == 101
    assert repr(settings.api_key) == "ApiKey(***)" and DELETE_KEY not in repr(settings)


def test_gone_targets_count_as_done(delete_api) -> None:
    delete_api(DeleteApi())
    with httpx.Client() as http:
        client = DeleteClient(delete_settings_from_environment("ws-test"), http)
        result = client.delete("/compliance/workspaces/ws-test/conversations/never-was")
    assert (result.status, result.http_status, result.attempts) == ("already-gone", 404, 1)


def test_server_reasons_are_bounded_and_masked() -> None:
    secret = "sk-live-abcdef123456"
    response = httpx.Response(400, json={"error": {"message": f"bad key {secret} Bearer xyz "
                                                              + "x" * 500}})
    reason = server_reason(response, secret)
    assert secret not in reason and "xyz" not in reason and len(reason) <= 201
    assert server_reason(httpx.Response(400, text="plain text"), "") == "plain text"
