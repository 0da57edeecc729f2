"""An export conversation read node by node and handed out in bounded parts: every node
scanned, ids, parents, titles and GPT ids right, in OpenAI's key order (the id after
the mapping), from a file, a ZIP member and a pipe."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from chatdlp.records import Conversation, Diagnostics
from chatdlp.sources import chatgpt_export, export_stream
from chatdlp.sources.files import FileSource, StreamSource
from tests.sources.builders import export_message


def _conversation(cid: str, nodes: int, gizmo: str | None = "g-abc") -> dict[str, Any]:
    """Real-shaped: title and times, then the mapping (a tree with branches: every
    fifth node has a regenerated sibling), then current_node, ids at the end."""
    mapping: dict[str, Any] = {"root": {"id": "root", "message": None, "parent": None, "children": []}}
    parent = "root"
    for n in range(nodes):
        node = f"{cid}-n{n}"
        role = "user" if n % 2 == 0 else "assistant"
        text = f"node {n} of {cid}: " + "words " * 40
        mapping[node] = {"id": node, "parent": parent, "children": [],
                         "message": export_message(node, role, {"content_type": "text", "parts": [text]})}
        mapping[parent]["children"].append(node)
        if n % 5 == 4:  # a regenerated answer on a branch of its own
            sibling = f"{node}-alt"
            mapping[sibling] = {"id": sibling, "parent": parent, "children": [], "message":
                                export_message(sibling, role, {"content_type": "text", "parts": ["alt " + text]})}
            mapping[parent]["children"].append(sibling)
        parent = node
    return {"title": f"Title of {cid}", "create_time": 1764057600.0, "update_time": 1764057700.0,
            "mapping": mapping, "moderation_results": [], "current_node": parent,
            "plugin_ids": None, "gizmo_id": gizmo, "conversation_id": cid, "id": cid}


def _whole(record: dict[str, Any], source: str, index: int) -> Conversation:
    built = chatgpt_export.conversation_from_export(record, source, f"{source} conversation {index}",
                                                    Diagnostics())
    assert built is not None
    return built


def _small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export_stream, "PART_CHARACTERS", 5_000)
    monkeypatch.setattr(export_stream, "PART_MESSAGES", 40)


def _joined(parts: list[Conversation]) -> dict[str, list]:
    by_id: dict[str, list] = {}
    for part in parts:
        by_id.setdefault(part.conversation_id, []).extend(part.messages)
    return by_id


RECORDS = [_conversation("c-small", 3), _conversation("c-large", 300), _conversation("c-last", 4, None)]


def test_a_large_conversation_comes_in_bounded_parts_with_its_id_read_ahead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _small_parts(monkeypatch)
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps(RECORDS))
    diagnostics = Diagnostics()
    parts = list(FileSource(path).conversations(diagnostics))
    large = [p for p in parts if p.conversation_id == "c-large"]
    assert len(large) > 5 and [p.conversation_id for p in parts].count("c-small") == 1
    assert all(len(p.messages) <= 41 for p in parts)  # 40 and, in the first part, the title
    assert all(sum(len(m.text) for m in p.messages) < 5_000 + 400 for p in large)
    # the same messages as the conversation built whole: every node, every branch
    for index, record in enumerate(RECORDS):
        whole = _whole(record, str(path), index)
        assert _joined(parts)[record["id"]] == list(whole.messages)
    assert large[0].messages[0].role == "title" and all(
        m.role != "title" for p in large[1:] for m in p.messages)
    assert [p.updated_at for p in large] == [None] * (len(large) - 1) + [1764057700.0]
    assert {m.gpt_id for p in large for m in p.messages} == {"g-abc"}
    assert diagnostics.skipped_total == 0 and diagnostics.failures == 0


def test_parents_and_branches_survive_the_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _small_parts(monkeypatch)
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps([RECORDS[1]]))
    messages = [m for p in FileSource(path).conversations(Diagnostics()) for m in p.messages]
    parents = {m.message_id: m.parent_id for m in messages}
    assert parents["c-large-n0"] == "root" and parents["c-large-n5"] == "c-large-n4"
    assert parents["c-large-n4-alt"] == "c-large-n3"  # the branch not on current_node's path
    assert sum(m.message_id.endswith("-alt") for m in messages) == 60


def test_a_zip_member_is_read_ahead_in_its_own_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _small_parts(monkeypatch)
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("conversations.json", json.dumps(RECORDS))
    parts = list(FileSource(path).conversations(Diagnostics()))
    assert len([p for p in parts if p.conversation_id == "c-large"]) > 5
    assert sum(len(v) for v in _joined(parts).values()) == sum(
        len(_whole(r, "x", i).messages) for i, r in enumerate(RECORDS))


def test_from_a_pipe_a_conversation_waits_for_its_id(monkeypatch: pytest.MonkeyPatch) -> None:
    _small_parts(monkeypatch)
    stream = io.BytesIO(json.dumps(RECORDS).encode())
    parts = list(StreamSource(stream).conversations(Diagnostics()))
    assert [p.conversation_id for p in parts] == ["c-small", "c-large", "c-last"]
    assert list(parts[1].messages) == list(_whole(RECORDS[1], "<stdin>", 1).messages)


def test_an_id_before_the_mapping_needs_no_read_ahead(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _small_parts(monkeypatch)
    record = RECORDS[1]
    first = {"id": record["id"], **{k: v for k, v in record.items() if k != "id"}}
    stream = io.BytesIO(json.dumps([first]).encode())  # a pipe: nothing to read ahead in
    parts = list(StreamSource(stream).conversations(Diagnostics()))
    assert len(parts) > 5 and {p.conversation_id for p in parts} == {"c-large"}


def test_bad_nodes_are_named_and_the_rest_of_the_conversation_is_read(tmp_path: Path) -> None:
    record = _conversation("c-bad", 4)
    record["mapping"]["c-bad-n1"] = "not a node"
    record["mapping"]["c-bad-n2"]["message"] = ["not", "a", "message"]
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps([record, "not a conversation", _conversation("c-ok", 2)]))
    diagnostics = Diagnostics()
    parts = list(FileSource(path).conversations(diagnostics))
    ids = [m.message_id for p in parts for m in p.messages]
    assert "c-bad-n0" in ids and "c-bad-n3" in ids and "c-bad-n1" not in ids and "c-ok-n1" in ids
    assert diagnostics.skipped == {"mapping node is not a JSON object": 1,
                                   "message is not a JSON object": 1,
                                   "record is not a JSON object": 1}
    assert any("conversation 0 node #2: mapping node" in w for w in diagnostics.warnings)  # by position


def test_the_parts_after_the_first_are_marked_continued(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _small_parts(monkeypatch)
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps(RECORDS))
    parts = list(FileSource(path).conversations(Diagnostics()))
    firsts = [p.conversation_id for p in parts if not p.continued]
    assert firsts == ["c-small", "c-large", "c-last"]
    assert sum(p.continued for p in parts) == len(parts) - 3 > 4


def test_a_conversation_in_parts_is_counted_once_in_the_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli: Any
) -> None:
    _small_parts(monkeypatch)
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps(RECORDS))
    result = run_cli("scan", str(path), "--out", str(tmp_path / "out"), "--fail-on", "critical")
    assert result.exit_code == 0, result.output
    messages = sum(len(_whole(r, "x", i).messages) for i, r in enumerate(RECORDS))
    assert "conversations  3\n" in result.output
    assert f"messages       {messages:,}" in result.output
