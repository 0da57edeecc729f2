"""``--sink webhook=URL`` and ``--sink splunk-hec=URL`` against real HTTP servers on
127.0.0.1: batches, retries with backoff, and nothing lost when a sink is down."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import deque
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from chatdlp.errors import ConfigError
from chatdlp.report.sinks import parse_sink
from tests.state.corpus import write_corpus

WEBHOOK_TOKEN = "whk-SECRET-0f9e8d7c6b"
SPLUNK_TOKEN = "hec-SECRET-1a2b3c4d5e"
SSN = "536-22-8714"


class Collector(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.statuses: deque[int] = deque()  # answers to play before 200s
        self.down = False  # answer 503 to everything
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/collect"


class _Handler(BaseHTTPRequestHandler):
    server: Collector

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with self.server.lock:
            code = 503 if self.server.down else (
                self.server.statuses.popleft() if self.server.statuses else 200)
            if code == 200:
                self.server.requests.append((dict(self.headers.items()), body))
        self.send_response(code)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")


@pytest.fixture
def collector(monkeypatch: pytest.MonkeyPatch) -> Iterator[Collector]:
    server = Collector()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    monkeypatch.setenv("CHATDLP_WEBHOOK_TOKEN", WEBHOOK_TOKEN)
    monkeypatch.setenv("CHATDLP_SPLUNK_HEC_TOKEN", SPLUNK_TOKEN)
    monkeypatch.setenv("CHATDLP_SINK_MAX_BACKOFF", "0.01")
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _delivered_webhook(server: Collector) -> list[dict]:
    return [f for _, body in server.requests for f in json.loads(body)["findings"]]


def _ids(path: Path) -> set[str]:
    return {json.loads(line)["id"] for line in path.read_text().splitlines() if line.strip()}


def test_webhook_batches_with_retries_and_bearer_token(tmp_path: Path, run_cli, collector) -> None:
    corpus = write_corpus(tmp_path / "c.jsonl", 30)  # > 100 findings: several batches
    collector.statuses.extend([503, 429, 500])
    result = run_cli("scan", str(corpus), "--state", str(tmp_path / "s.db"), "--out",
                     str(tmp_path / "o"), "--fail-on", "critical", "--sink",
                     f"webhook={collector.url}")
    assert result.exit_code in (0, 1), result.output
    delivered = _delivered_webhook(collector)
    assert len(collector.requests) >= 2
    assert all(len(json.loads(body)["findings"]) <= 100 for _, body in collector.requests)
    assert {f["id"] for f in delivered} == _ids(tmp_path / "o" / "findings.jsonl")
    assert len(delivered) == len({f["id"] for f in delivered})
    assert all(h["Authorization"] == f"Bearer {WEBHOOK_TOKEN}" for h, _ in collector.requests)
    assert WEBHOOK_TOKEN not in result.output
    assert not collector.statuses  # the three failures were retried through


def test_sink_down_keeps_findings_and_sends_them_next_run(tmp_path: Path, run_cli, collector) -> None:
    corpus = write_corpus(tmp_path / "c.jsonl", 4)
    db = tmp_path / "s.db"
    collector.down = True
    first = run_cli("scan", str(corpus), "--state", str(db), "--out", str(tmp_path / "o1"),
                    "--fail-on", "critical", "--quiet", "--sink", f"webhook={collector.url}")
    assert first.exit_code in (0, 1), first.output
    expected = _ids(tmp_path / "o1" / "findings.jsonl")
    assert expected
    assert f"{len(expected)} finding(s) kept unsent in the state and sent on the next run" in first.output
    assert WEBHOOK_TOKEN not in first.output
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT count(*) FROM outbox").fetchone()[0] == len(expected)

    collector.down = False
    second = run_cli("scan", str(corpus), "--state", str(db), "--out", str(tmp_path / "o2"),
                     "--fail-on", "critical", "--sink", f"webhook={collector.url}")
    assert second.exit_code == 0, second.output
    assert (tmp_path / "o2" / "findings.jsonl").read_text() == ""  # nothing new to report...
    assert {f["id"] for f in _delivered_webhook(collector)} == expected  # ...but all delivered
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0


def test_sink_down_without_state_exits_3_after_writing(tmp_path: Path, run_cli, collector) -> None:
    corpus = write_corpus(tmp_path / "c.jsonl", 2)
    collector.down = True
    result = run_cli("scan", str(corpus), "--out", str(tmp_path / "o"), "--sink",
                     f"webhook={collector.url}")
    assert result.exit_code == 3, result.output
    assert "not delivered to a sink" in result.output
    assert _ids(tmp_path / "o" / "findings.jsonl")


def test_splunk_hec_event_format(tmp_path: Path, run_cli, collector) -> None:
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(json.dumps({"conversation_id": "c1", "message_id": "m1", "role": "user",
                                  "text": f"Her SSN is {SSN} per the form.",
                                  "created_at": 1764230400}) + "\n")
    result = run_cli("scan", str(corpus), "--state", str(tmp_path / "s.db"), "--out",
                     str(tmp_path / "o"), "--sink", f"splunk-hec={collector.url}")
    assert result.exit_code == 1, result.output
    [(headers, body)] = collector.requests
    assert headers["Authorization"] == f"Splunk {SPLUNK_TOKEN}"
    events = [json.loads(line) for line in body.decode().splitlines()]
    assert events and all(e["sourcetype"] == "chatdlp:finding" and e["source"] == "chatdlp"
                          for e in events)
    assert events[0]["time"] == 1764230400
    assert {e["event"]["id"] for e in events} == _ids(tmp_path / "o" / "findings.jsonl")
    assert SSN.encode() not in body and SSN.replace("-", "").encode() not in body
    assert SPLUNK_TOKEN not in result.output


def test_sink_specs_are_checked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, run_cli) -> None:
    for bad in ("kafka=http://127.0.0.1/x", "webhook=ftp://x", "webhook=http://example.com/x",
                "webhook=https://user:pw@example.com/x"):
        with pytest.raises(ConfigError):
            parse_sink(bad)
    assert parse_sink("webhook=https://siem.example/h?k=v").label == "webhook=https://siem.example/h"
    monkeypatch.delenv("CHATDLP_SPLUNK_HEC_TOKEN", raising=False)
    result = run_cli("scan", str(tmp_path), "--sink", "splunk-hec=https://splunk.example/e")
    assert result.exit_code == 2 and "CHATDLP_SPLUNK_HEC_TOKEN" in result.output


def test_a_sink_waits_as_long_as_retry_after_says() -> None:
    import httpx

    from chatdlp.report.sinks import HttpSink, SinkRetry, SinkSpec
    from tests.report.helpers import finding

    answers = deque([httpx.Response(429, headers={"Retry-After": "3"}), httpx.Response(503),
                     httpx.Response(200)])
    sleeps: list[float] = []
    with httpx.Client(transport=httpx.MockTransport(lambda _request: answers.popleft())) as client:
        sink = HttpSink(SinkSpec("webhook", "http://127.0.0.1:9/hook"),
                        retry=SinkRetry(initial_backoff=0.0, max_backoff=30.0), client=client,
                        sleep=sleeps.append)
        sink.send([finding(1)])
    assert sleeps == [3.0, 0.0]
    assert not answers  # three attempts


def test_splunk_requests_of_one_run_share_a_channel(tmp_path: Path, run_cli, collector) -> None:
    import uuid

    corpus = write_corpus(tmp_path / "c.jsonl", 3)
    collector.statuses.extend([503])  # a retry is the same run: the same channel
    result = run_cli("scan", str(corpus), "--out", str(tmp_path / "o"), "--sink", f"splunk-hec={collector.url}")
    assert result.exit_code == 1, result.output
    channels = {headers["X-Splunk-Request-Channel"] for headers, _ in collector.requests}
    assert len(channels) == 1
    uuid.UUID(channels.pop())


def test_every_send_of_one_sink_carries_its_channel(monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx

    from chatdlp.report.sinks import HttpSink
    from tests.report.helpers import finding

    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["X-Splunk-Request-Channel"])
        return httpx.Response(200)

    monkeypatch.setenv("CHATDLP_SPLUNK_HEC_TOKEN", SPLUNK_TOKEN)
    sink = HttpSink.from_environment(parse_sink("splunk-hec=https://splunk.example:8088/services/collector"))
    sink.client = httpx.Client(transport=httpx.MockTransport(answer))
    sink.send([finding(1)])
    sink.send([finding(2)])
    other = HttpSink.from_environment(parse_sink("splunk-hec=https://splunk.example:8088/services/collector"))
    assert len(seen) == 2 and seen[0] == seen[1] == sink.channel != other.channel


def test_a_failing_sink_without_state_is_named_with_its_status(tmp_path: Path, run_cli, collector) -> None:
    corpus = write_corpus(tmp_path / "c.jsonl", 2)
    collector.statuses.extend([401] * 10)
    result = run_cli("scan", str(corpus), "--out", str(tmp_path / "o"), "--sink", f"splunk-hec={collector.url}")
    assert result.exit_code == 3
    assert f"HTTP 401 from splunk-hec {collector.url}: it refused the findings (check the token)" in result.stderr
    assert SPLUNK_TOKEN not in result.output
