"""The audit trail: one chained line per request, never a header or a body;
``audit verify`` exits 3 with the line number where an edit or a removal breaks the chain."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import httpx
import pytest

from chatdlp.errors import AuditMismatch, ConfigError
from chatdlp.remediate.audit import GENESIS, AuditTrail, attach_audit, line_digest, verify_audit
from tests.remediate.fake_delete_api import DELETE_KEY, DeleteApi, status


def _calls(server, trail: AuditTrail, paths: list[str], host: str | None = None) -> None:
    base = server.base_url if host is None else server.base_url.replace("127.0.0.1", host)
    with attach_audit(httpx.Client(), trail) as client:
        for path in paths:
            client.delete(f"{base}{path}", headers={"Authorization": f"Bearer {DELETE_KEY}"})


def _log(tmp_path: Path, server, count: int = 5) -> Path:
    path = tmp_path / "audit.jsonl"
    with AuditTrail(path, "run-1", server.base_url) as trail:
        _calls(server, trail, [f"/compliance/workspaces/ws-test/conversations/c{i}"
                               for i in range(count)])
    return path


def test_lines_are_chained_private_and_hold_no_header_or_body(tmp_path: Path, delete_api) -> None:
    server = delete_api(DeleteApi(conversations={"c1"}))
    path = _log(tmp_path, server)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    raw = path.read_bytes().splitlines()
    entries = [json.loads(line) for line in raw]
    assert entries[0]["prev"] == GENESIS
    assert [e["prev"] for e in entries[1:]] == [line_digest(line) for line in raw[:-1]]
    assert [e["status"] for e in entries] == [404, 200, 404, 404, 404]
    assert set(entries[1]) == {"time", "run", "seq", "method", "host", "path", "query", "status",
                               "error", "bytes_out", "bytes_in", "duration_ms", "retry", "prev"}
    assert entries[1]["bytes_in"] > 0 and entries[1]["path"].endswith("/conversations/c1")
    text = path.read_text()
    assert DELETE_KEY not in text and "Bearer" not in text and "deleted" not in text
    assert verify_audit(path) == (5, line_digest(raw[-1]))


def test_appending_runs_continue_the_chain_and_one_writer_at_a_time(
    tmp_path: Path, delete_api
) -> None:
    server = delete_api(DeleteApi())
    path = _log(tmp_path, server, 2)
    with AuditTrail(path, "run-2", server.base_url) as trail:
        assert trail.lines == 2
        with pytest.raises(ConfigError, match="another chatdlp run is writing it"):
            AuditTrail(path, "run-3")
        _calls(server, trail, ["/x"])
    assert verify_audit(path)[0] == 3
    assert [json.loads(line)["run"] for line in path.read_text().splitlines()] == [
        "run-1", "run-1", "run-2"]


@pytest.mark.parametrize(("damage", "line"), [
    ("edit", 4),        # line 3 edited: line 4 no longer follows it
    ("remove", 3),      # line 3 removed: the old line 4, now 3, does not follow line 2
    ("remove-first", 1),
    ("swap", 2),
    ("insert", 3),
    ("garbage", 3),
])
def test_verify_names_the_line_where_the_chain_breaks(
    tmp_path: Path, delete_api, cli, damage: str, line: int
) -> None:
    server = delete_api(DeleteApi())
    path = _log(tmp_path, server)
    lines = path.read_text().splitlines(keepends=True)
    if damage == "edit":
        lines[2] = lines[2].replace('"status":404', '"status":200')
    elif damage == "remove":
        del lines[2]
    elif damage == "remove-first":
        del lines[0]
    elif damage == "swap":
        lines[1], lines[2] = lines[2], lines[1]
    elif damage == "insert":
        lines.insert(2, lines[1])
    else:
        lines[2] = "{not json\n"
    path.write_text("".join(lines))
    result = cli("audit", "verify", path)
    assert result.exit_code == 3, result.output
    assert f"audit.jsonl:{line}:" in result.output
    with pytest.raises(AuditMismatch):
        verify_audit(path)


def test_an_intact_log_verifies_and_a_cut_tail_needs_the_recorded_head(
    tmp_path: Path, delete_api, cli
) -> None:
    server = delete_api(DeleteApi())
    path = _log(tmp_path, server)
    ok = cli("audit", "verify", path)
    assert ok.exit_code == 0 and "5 line(s), hash chain intact" in ok.output
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-1]))
    assert verify_audit(path)[0] == 4  # the chain alone cannot tell
    with pytest.raises(AuditMismatch, match=r"audit\.jsonl:5: missing"):
        verify_audit(path, {5: line_digest(lines[-1].rstrip("\n").encode())})
    path.write_text("".join(lines[:-1]) + lines[-1].replace("404", "200"))
    with pytest.raises(AuditMismatch, match=r"audit\.jsonl:5: not the line the plan recorded"):
        verify_audit(path, {5: line_digest(lines[-1].rstrip("\n").encode())})


def test_failed_connections_and_foreign_hosts(tmp_path: Path, delete_api) -> None:
    server = delete_api(DeleteApi())
    path = tmp_path / "audit.jsonl"
    # another host (a download URL): its query, which may carry a signature, is dropped
    with AuditTrail(path, "r", server.base_url) as trail, attach_audit(httpx.Client(), trail) as client:
        client.get(server.base_url.replace("127.0.0.1", "localhost") + "/f?sig=SECRET")
        client.get(server.base_url + "/compliance/workspaces/ws-test/logs?after=abc")
        with pytest.raises(httpx.ConnectError):
            client.get("http://127.0.0.1:9/nothing-listens-here")
    first, second, third = (json.loads(line) for line in path.read_text().splitlines())
    assert first["host"] == "localhost" and first["query"] is None
    assert "SECRET" not in path.read_text()
    assert second["host"] is None and second["query"] == "after=abc"
    assert third["status"] is None and third["error"] == "ConnectError"


def test_a_torn_last_line_is_refused_for_appending(tmp_path: Path, delete_api) -> None:
    server = delete_api(DeleteApi())
    server.api.faults.append(status(503))
    path = _log(tmp_path, server, 1)
    with path.open("ab") as handle:
        handle.write(b'{"time":')
    with pytest.raises(ConfigError, match="last line is incomplete"):
        AuditTrail(path, "r2")
    with pytest.raises(AuditMismatch, match=r"audit\.jsonl:2: incomplete last line"):
        verify_audit(path)
