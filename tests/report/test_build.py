from __future__ import annotations

from pathlib import Path

import pytest

from chatdlp.errors import ConfigError, SourceError
from chatdlp.records import Severity
from chatdlp.report.build import index_findings
from chatdlp.report.formats import parse_formats
from chatdlp.report.model import FindingsFile, LinkTemplate
from tests.report.helpers import finding, write_findings


def test_findings_file_round_trips_and_streams_each_time(tmp_path: Path) -> None:
    findings = [finding(1), finding(2, user_id=None, gpt_id="g")]
    file = write_findings(tmp_path / "findings.jsonl", findings)
    assert list(file) == findings
    assert list(file) == findings  # iterable again: re-read, not a spent generator


def test_a_broken_findings_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "findings.jsonl"
    path.write_text('{"id": "x"}\n')
    with pytest.raises(SourceError, match=r"findings.jsonl:1"):
        list(FindingsFile(path))


def test_incidents_need_two_conversations_or_two_users() -> None:
    findings = [
        finding(1, created_at="2025-11-25T08:00:00Z"),
        finding(2, conversation_id="conv-2", severity=Severity.CRITICAL,
                created_at="2025-11-27T08:00:00Z"),
        finding(3, created_at="2025-11-26T08:00:00Z"),
        finding(4, fingerprint="same-conversation-twice"),
        finding(5, fingerprint="same-conversation-twice"),
        finding(6, fingerprint="two-users", user_id="user-b"),
        finding(7, fingerprint="two-users", user_id="user-c"),
    ]
    incidents, facets = index_findings(findings)
    assert [i.fingerprint for i in incidents] == ["fp-ssn-1", "two-users"]
    ssn = incidents[0]
    assert ssn.count == 3 and ssn.conversations == ("conv-1", "conv-2")
    assert ssn.max_severity is Severity.CRITICAL
    assert (ssn.first_seen, ssn.last_seen) == ("2025-11-25T08:00:00Z", "2025-11-27T08:00:00Z")
    assert incidents[1].users == ("user-b", "user-c")
    assert facets.users == ("user-a", "user-b", "user-c")
    assert facets.severities == ("critical", "high")


def test_parse_formats() -> None:
    assert parse_formats(["csv,md", " SARIF ", "jsonl"]) == ("csv", "incidents", "md", "sarif")
    assert parse_formats(["html,csv"]) == ("html", "incidents", "csv")
    assert parse_formats([]) == ()
    with pytest.raises(ConfigError, match="unknown format 'xml'"):
        parse_formats(["xml"])


def test_link_template() -> None:
    link = LinkTemplate("https://x.example/{conversation_id}#{message_id}")
    assert link.url("a b/c", "m?1") == "https://x.example/a%20b%2Fc#m%3F1"
    assert LinkTemplate().url("abc") == "https://chatgpt.com/c/abc"
    for bad in ("ftp://x/{conversation_id}", "https://x/{0}", "https://x/{conversation_id"):
        with pytest.raises(ConfigError):
            LinkTemplate(bad)
