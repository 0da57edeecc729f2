"""``chatdlp scan compliance://`` end to end: the Logs Platform by default, and
``--api conversations --include all`` for everything else a workspace holds.

Real HTTP on loopback: the API on 127.0.0.1, downloads (log files, uploads) on
127.0.0.2, which must never see the key. Each piece of text carries its own
e-mail address, so the findings show exactly which texts were scanned.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from tests.fake_compliance import (
    API_KEY,
    WORKSPACE,
    DownloadServer,
    FakeCompliance,
    LogFile,
    conversation,
    log_event,
    message,
)
from tests.sources.builders import minimal_pdf
from tests.sources.test_file_text import S, W, ooxml

SOURCE = f"compliance://{WORKSPACE}"
FAST = ("--page-size", "2", "--max-requests-per-minute", "10000", "--fail-on", "critical")


def address(tag: str) -> str:
    return f"{tag}@contoso.com"


def emails_by_message(out: Path) -> Counter[str]:
    rows = [json.loads(line) for line in (out / "findings.jsonl").read_text().splitlines()]
    return Counter(r["message_id"] for r in rows if r["entity_type"] == "EMAIL_ADDRESS")


def everything_written(result: Result, out: Path) -> str:
    texts = [result.output, result.stderr]
    texts += [p.read_text(errors="replace") for p in out.rglob("*") if p.is_file()]
    return "\n".join(texts)


@pytest.fixture()
def workspace(serve: Callable[[FakeCompliance], str]) -> Iterator[Callable[[FakeCompliance], FakeCompliance]]:
    """Serve a fake workspace on 127.0.0.1 with its download host on 127.0.0.2."""
    started: list[DownloadServer] = []

    def start(state: FakeCompliance) -> FakeCompliance:
        serve(state)
        started.append(DownloadServer(state).__enter__())
        return state

    yield start
    for server in started:
        server.__exit__()


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def log_files() -> list[LogFile]:
    """Three files on two listing pages (page size 2), one event delivered twice."""
    base = datetime.now(timezone.utc) - timedelta(days=2)
    events = [
        log_event(f"m{n}", f"Please write to {address(f'log{n}')} today.", conversation_id=f"conv-{n % 2}")
        for n in range(5)
    ]
    return [
        LogFile("log-a", _iso(base), events[:2]),
        LogFile("log-b", _iso(base + timedelta(hours=1)), events[2:4]),
        LogFile("log-c", _iso(base + timedelta(hours=2)), [events[1], events[4]]),  # m1 again
    ]


def test_the_logs_platform_is_the_default_and_every_event_is_scanned_once(
    run_cli: Callable[..., Result], workspace: Callable[[FakeCompliance], FakeCompliance], tmp_path: Path,
) -> None:
    state = workspace(FakeCompliance(log_files=log_files()))
    out = tmp_path / "out"
    result = run_cli("scan", SOURCE, "--out", str(out), *FAST)
    assert result.exit_code == 0, result.stderr
    assert emails_by_message(out) == Counter({f"m{n}": 1 for n in range(5)})
    assert "reading the Logs Platform (CONVERSATION_MESSAGE)" in result.stderr
    listing = [r for r in state.requests if r.path.endswith("/logs")]
    assert len(listing) == 2 and all(r.authorized for r in state.requests)
    assert [d.path for d in state.downloads] == ["/dl/log-a", "/dl/log-b", "/dl/log-c"]
    assert not any(d.authorized for d in state.downloads)
    assert not any(r.path.endswith("/conversations") for r in state.requests)
    assert API_KEY not in everything_written(result, out)


def test_the_logs_checkpoint_is_the_last_end_time_read_through(
    run_cli: Callable[..., Result], workspace: Callable[[FakeCompliance], FakeCompliance], tmp_path: Path,
) -> None:
    from chatdlp.state import FindingsStore

    files = log_files()
    workspace(FakeCompliance(log_files=files))
    db = tmp_path / "state.db"
    first = run_cli("scan", SOURCE, "--out", str(tmp_path / "o1"), "--state", str(db), *FAST)
    assert first.exit_code == 0, first.stderr
    with FindingsStore.open(db) as store:
        checkpoint = store.checkpoint(SOURCE)
    assert checkpoint is not None
    assert checkpoint.position == datetime.strptime(files[-1].end_time, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=timezone.utc).timestamp()
    again = run_cli("scan", SOURCE, "--out", str(tmp_path / "o2"), "--state", str(db), *FAST)
    assert again.exit_code == 0, again.stderr
    assert emails_by_message(tmp_path / "o2") == Counter()


def _workspace_objects() -> dict[str, Any]:
    users = [{"id": "user-abc123", "email": "a@corp.example", "role": "standard-user", "status": "active"}]
    user = "users/user-abc123"
    return {
        "users": users,
        "gpts": [{"object": "compliance.workspace.gpt", "id": "g-1", "owner_id": "user-abc123",
                  "latest_config": {"name": "HR helper",
                                    "instructions": f"Escalate to {address('gpt')}",
                                    "conversation_starters": [f"Ask {address('starter')}"]}}],
        "projects": [{"object": "compliance.workspace.project", "id": "g-p-9", "name": "Merger",
                      "instructions": f"Deal desk: {address('project')}"}],
        "memories": [{"user_id": "user-abc123", "memory_contexts": [
            {"id": "ctx", "memory_entries": [{"id": "mem-1", "content": f"Reach me at {address('memory')}"}]}]}],
        f"{user}/automations": [{"id": "auto-1", "title": "Digest",
                                 "prompt": f"Mail the digest to {address('automation')}"}],
        f"{user}/canvases": [{"id": "canvas-1", "title": "Draft",
                              "content": f"Signed, {address('canvas')}"}],
        f"{user}/recordings": [{"id": "rec-1", "transcript": f"spell it {address('recording')}",
                                "summary": "a call"}],
        "codex_tasks": [{"id": "task-1", "prompt": f"notify {address('codex')} when done"}],
        "codex_environments": [],
    }


def _uploads() -> dict[str, tuple[str, bytes]]:
    document = (f'<w:document {W}><w:body><w:p><w:r><w:t>Contact {address("docx")}</w:t></w:r></w:p>'
                '</w:body></w:document>')
    sheet = (f'<worksheet {S}><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
             f'{address("xlsx")}</t></is></c></row></sheetData></worksheet>')
    return {
        "file-txt": ("text/plain", f"roster: {address('txt')}\n".encode()),
        "file-pdf": ("application/pdf", minimal_pdf([f"Invoice to {address('pdf')}"])),
        "file-docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                      ooxml({"word/document.xml": document})),
        "file-xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                      ooxml({"xl/worksheets/sheet1.xml": sheet})),
    }


def test_api_conversations_include_all_reads_every_kind_of_text(
    run_cli: Callable[..., Result], workspace: Callable[[FakeCompliance], FakeCompliance], tmp_path: Path,
) -> None:
    with_files = message("c1-m0", f"see the files, or mail {address('chat0')}")
    with_files["files"] = {"object": "list", "has_more": False, "last_id": None, "data": [
        {"id": "file-txt", "name": "roster.txt"}, {"id": "file-pdf", "name": "invoice.pdf"},
        {"id": "file-docx", "name": "letter.docx"}, {"id": "file-xlsx", "name": "list.xlsx"},
    ]}
    long = [message(f"c2-m{i}", f"line {i}: {address(f'chat2x{i}')}") for i in range(5)]
    state = FakeCompliance(
        [conversation("conv-1", [with_files]), conversation("conv-2", long)],
        embedded_limit=2,  # conv-2's embedded list says has_more: paged from /messages
        objects=_workspace_objects(), uploads=_uploads(),
    )
    workspace(state)
    out = tmp_path / "out"
    result = run_cli("scan", SOURCE, "--api", "conversations", "--include", "all", "--out", str(out), *FAST)
    assert result.exit_code == 0, result.stderr
    found = emails_by_message(out)
    assert {m for m in found if m.startswith(("c1-", "c2-"))} == {"c1-m0"} | {f"c2-m{i}" for i in range(5)}
    rows = [json.loads(line) for line in (out / "findings.jsonl").read_text().splitlines()]
    kinds = Counter(r["source_kind"] for r in rows if r["entity_type"] == "EMAIL_ADDRESS")
    assert kinds["file"] == 4, kinds  # txt, pdf, docx and xlsx
    for kind in ("gpt_instructions", "gpt_conversation_starter", "project_instructions", "memory",
                 "automation_prompt", "canvas_content", "recording_transcript", "codex_task_prompt"):
        assert kinds[kind] == 1, (kind, kinds)
    assert any("/conversations/conv-2/messages" in r.path for r in state.requests)
    assert not any(d.authorized for d in state.downloads)
    assert API_KEY not in everything_written(result, out)


def test_a_removed_conversations_endpoint_exits_with_the_servers_reason(
    run_cli: Callable[..., Result], serve: Callable[[FakeCompliance], str], tmp_path: Path,
) -> None:
    serve(FakeCompliance([conversation("conv-1", [message("m1", "hello")])], removed={
        "conversations": (410, "Gone: the synchronous conversations export was removed")}))
    result = run_cli("scan", SOURCE, "--api", "conversations", "--out", str(tmp_path / "out"), *FAST)
    assert result.exit_code in (2, 3)
    assert "the synchronous conversations export was removed" in result.stderr
    assert API_KEY not in result.stderr


def test_audit_log_records_every_api_call_of_a_scan_and_a_fetch(
    run_cli: Callable[..., Result], workspace: Callable[[FakeCompliance], FakeCompliance], tmp_path: Path,
) -> None:
    state = workspace(FakeCompliance(log_files=log_files()))
    audit = tmp_path / "audit.jsonl"
    result = run_cli("scan", SOURCE, "--out", str(tmp_path / "out"), "--audit-log", str(audit), *FAST)
    assert result.exit_code == 0, result.stderr
    lines = [json.loads(line) for line in audit.read_text().splitlines()]
    assert len(lines) == len(state.requests) + len(state.downloads)
    assert {line["method"] for line in lines} == {"GET"}
    assert all(line["status"] in (200, 307) for line in lines)
    fetched = run_cli("fetch", SOURCE, "--out", str(tmp_path / "archive.jsonl"), "--audit-log", str(audit),
                      *FAST[:4])
    assert fetched.exit_code == 0, fetched.stderr
    verified = run_cli("audit", "verify", str(audit))
    assert verified.exit_code == 0, verified.output + verified.stderr
    text = audit.read_text()
    assert API_KEY not in text and "Bearer" not in text and "contoso" not in text
    assert oct(audit.stat().st_mode & 0o777) == "0o600"
