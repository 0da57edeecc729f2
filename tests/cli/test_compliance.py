"""``chatdlp scan compliance://`` and ``chatdlp fetch`` end to end against the fake API."""

from __future__ import annotations

import json
import logging
import re
import stat
from collections import Counter, deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from tests.fake_compliance import (
    API_KEY,
    RESET,
    FakeCompliance,
    conversation,
    malformed,
    message,
    reset_mid_body,
    status,
)

SOURCE = "compliance://ws-test"
FAST = ("--api", "conversations", "--page-size", "4", "--max-requests-per-minute", "10000")


def email(c: int, m: int) -> str:
    return f"person{c}x{m}@contoso.com"


def workspace(count: int = 6) -> list[dict[str, Any]]:
    return [
        conversation(
            f"conv-{c}",
            [
                message(f"msg-{c}-{m}", f"Please write to {email(c, m)} about the invoice.")
                for m in range(2)
            ],
            title=f"Invoice notes {c}",
        )
        for c in range(count)
    ]


NEW_MESSAGE = message("msg-0-2", f"And copy {email(0, 2)} as well.")


def misbehaving_workspace() -> FakeCompliance:
    """Short pages, a 429, a 503, resets before and inside a body, and a conversation
    updated while paging (it comes back on a later page with one more message)."""
    return FakeCompliance(
        workspace(),
        max_page_items=2,
        faults=deque([RESET, status(429, "0"), status(429), status(503), reset_mid_body(1)]),
        updates={7: ("conv-0", [NEW_MESSAGE])},
    )


def email_findings(out: Path) -> Counter[str]:
    rows = [json.loads(line) for line in (out / "findings.jsonl").read_text().splitlines()]
    return Counter(r["message_id"] for r in rows if r["entity_type"] == "EMAIL_ADDRESS")


def all_text(result: Result, *paths: Path) -> str:
    texts = [result.output, result.stderr]
    for path in paths:
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        texts.extend(p.read_text(errors="replace") for p in files)
    return "\n".join(texts)


EXPECTED_MESSAGES = {f"msg-{c}-{m}" for c in range(6) for m in range(2)} | {"msg-0-2"}


def test_every_message_scanned_exactly_once_through_every_misbehaviour(
    run_cli: Callable[..., Result],
    serve: Callable[[FakeCompliance], str],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    state = misbehaving_workspace()
    serve(state)
    out = tmp_path / "out"
    caplog.set_level(logging.DEBUG)
    result = run_cli("scan", SOURCE, "--out", str(out), "--fail-on", "critical", *FAST)
    assert result.exit_code == 0, result.stderr
    found = email_findings(out)
    assert set(found) == EXPECTED_MESSAGES
    assert set(found.values()) == {1}  # exactly once each
    # 6 titles + 13 messages scanned; conv-0's two old messages came back and were skipped
    assert re.search(r"messages\s+19 \(3 already seen, skipped\)", result.stderr), result.stderr
    assert "rate limited (429), waiting" in result.stderr
    assert "server error (503)" in result.stderr
    assert re.search(r"messages so far \(\d+ requests?[,)]", result.stderr)
    # Singular counts read as such; "1 messages/s" is a rate (a slow run under load), not a count.
    assert not re.search(r"\b1 (requests|retries|conversations|messages)\b(?!/s)", result.stderr)
    assert any(r.params.get("after") for r in state.requests)
    assert not any("after" in r.params and "since_timestamp" in r.params for r in state.requests)
    assert API_KEY not in all_text(result, out) + caplog.text


@pytest.mark.parametrize(
    ("key", "source", "needle"),
    [
        ("sk-wrong-000", SOURCE, "refused the key (HTTP 401)"),
        (API_KEY, "compliance://ws-other", "not found (HTTP 404)"),
    ],
)
def test_bad_key_or_workspace_exit_2(
    run_cli: Callable[..., Result],
    serve: Callable[[FakeCompliance], str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    key: str,
    source: str,
    needle: str,
) -> None:
    serve(FakeCompliance(workspace()))
    monkeypatch.setenv("CHATDLP_COMPLIANCE_API_KEY", key)
    result = run_cli("scan", source, "--out", str(tmp_path / "out"), *FAST)
    assert result.exit_code == 2
    assert needle in result.stderr
    assert key not in all_text(result, tmp_path)


def test_missing_key_exit_2_before_any_request(
    run_cli: Callable[..., Result],
    serve: Callable[[FakeCompliance], str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    state = FakeCompliance(workspace())
    serve(state)
    monkeypatch.delenv("CHATDLP_COMPLIANCE_API_KEY")
    result = run_cli("scan", SOURCE, "--out", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert "CHATDLP_COMPLIANCE_API_KEY" in result.stderr
    assert state.requests == []


def test_malformed_page_exit_3_after_writing_what_was_scanned(
    run_cli: Callable[..., Result], serve: Callable[[FakeCompliance], str], tmp_path: Path
) -> None:
    # page 1 (4 conversations) is fine; page 2 breaks after its first conversation
    serve(FakeCompliance(workspace(), faults=deque([None, malformed(after_items=1)])))
    out = tmp_path / "out"
    result = run_cli("scan", SOURCE, "--out", str(out), *FAST)
    assert result.exit_code == 3
    assert re.search(r"page 2@byte~\d+: malformed JSON", result.stderr)
    found = email_findings(out)
    assert set(found) == {f"msg-{c}-{m}" for c in range(5) for m in range(2)}
    assert API_KEY not in all_text(result, out)


def test_fetch_merges_reappearing_conversations_and_round_trips_through_scan(
    run_cli: Callable[..., Result], serve: Callable[[FakeCompliance], str], tmp_path: Path
) -> None:
    serve(misbehaving_workspace())
    archive = tmp_path / "archive" / "ws.jsonl"
    result = run_cli("fetch", SOURCE, "--out", str(archive), *FAST)
    assert result.exit_code == 0, result.stderr
    lines = [json.loads(line) for line in archive.read_text().splitlines()]
    assert [c["id"] for c in lines] == [f"conv-{c}" for c in range(6)]
    assert [m["id"] for m in lines[0]["messages"]["data"]] == ["msg-0-0", "msg-0-1", "msg-0-2"]
    assert "7 conversations read, 6 written (1 merged" in result.stderr
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert API_KEY not in all_text(result, archive.parent)

    out = tmp_path / "out"
    rescan = run_cli("scan", str(archive), "--out", str(out), "--fail-on", "critical")
    assert rescan.exit_code == 0, rescan.stderr
    found = email_findings(out)
    assert set(found) == EXPECTED_MESSAGES and set(found.values()) == {1}
    assert re.search(r"messages\s+19\b", rescan.stderr)


def test_fetch_with_a_bad_key_leaves_the_old_archive(
    run_cli: Callable[..., Result],
    serve: Callable[[FakeCompliance], str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    serve(FakeCompliance(workspace()))
    monkeypatch.setenv("CHATDLP_COMPLIANCE_API_KEY", "sk-wrong-000")
    archive = tmp_path / "ws.jsonl"
    archive.write_text("old\n")
    result = run_cli("fetch", SOURCE, "--out", str(archive))
    assert result.exit_code == 2 and "HTTP 401" in result.stderr
    assert archive.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ws.jsonl"]


def test_fetch_refuses_other_sources(run_cli: Callable[..., Result], tmp_path: Path) -> None:
    result = run_cli("fetch", str(tmp_path), "--out", str(tmp_path / "x.jsonl"))
    assert result.exit_code == 2 and "compliance://WORKSPACE_ID" in result.stderr
